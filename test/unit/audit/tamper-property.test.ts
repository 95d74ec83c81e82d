/**
 * Property: any single-byte change in any stored entry — any column, key columns included — is detected by
 * verifyAuditTrail (SQLite, local key). Each run changes one byte of one column of one row behind the
 * adapter's back, verifies, and puts the byte back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainedAuditTrail, LocalHmacAuditMac, verifyAuditTrail } from '../../../lib/audit/index.js';
import { SqliteAuditStore } from '../../../lib/store/audit-sqlite.js';
import { clockFrom, T0 } from '../../contract/audit-store.contract.js';

const TEXT_COLUMNS = ['stream', 'prev_hash', 'at', 'day', 'action', 'actor', 'detail', 'hash', 'mac', 'mac_key_id'] as const;

let dir: string;
let store: SqliteAuditStore;
let attacker: Database.Database;
let keys: Array<{ stream: string; seq: number }>;
const mac = new LocalHmacAuditMac(new Uint8Array(32).fill(3));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigil-audit-prop-'));
  const path = join(dir, 'sigil.db');
  store = SqliteAuditStore.open(path);
  const trail = new ChainedAuditTrail(store, mac, { clock: clockFrom(T0, 37_000) });
  for (const id of ['3fa85f64-5717-4562-b3fc-2c963f66afa6', '0123456789abcdef01234567']) {
    const kind = id.includes('-') ? 'wallet' : 'tx';
    for (let i = 0; i < 4; i++) {
      await trail.record({ stream: { kind, id }, action: kind === 'wallet' ? 'secret.revealed' : 'tx.signed', actor: `writer ${i}`, detail: { i, chain: 'ETH', ok: i % 2 === 0, none: null } });
    }
  }
  attacker = new Database(path);
  attacker.exec('DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;');
  keys = attacker.prepare('SELECT stream, seq FROM audit_entries ORDER BY stream, seq').all() as typeof keys;
  expect(keys).toHaveLength(8);
  expect((await verifyAuditTrail(store, mac)).ok).toBe(true);
});

afterAll(async () => {
  attacker.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Apply `change` to the row, run `check`, restore. false when the change cannot be stored (a key collision). */
async function withChange(sql: string, params: unknown[], undoSql: string, undoParams: unknown[], check: () => Promise<void>): Promise<boolean> {
  try {
    if (attacker.prepare(sql).run(...params).changes !== 1) throw new Error('row not found');
  } catch (error) {
    if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CONSTRAINT')) return false;
    throw error;
  }
  try {
    await check();
  } finally {
    expect(attacker.prepare(undoSql).run(...undoParams).changes).toBe(1);
  }
  return true;
}

describe('any single-byte change in any stored entry is detected', () => {
  it('text columns: one printable byte replaced by another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(...TEXT_COLUMNS), fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), async (row, column, position, byte) => {
        const key = keys[row % keys.length]!;
        const value = (attacker.prepare(`SELECT ${column} AS v FROM audit_entries WHERE stream = ? AND seq = ?`).get(key.stream, key.seq) as { v: string }).v;
        const at = position % value.length;
        fc.pre(value.charCodeAt(at) !== byte);
        const changed = value.slice(0, at) + String.fromCharCode(byte) + value.slice(at + 1);
        const newStream = column === 'stream' ? changed : key.stream;
        const stored = await withChange(
          `UPDATE audit_entries SET ${column} = ? WHERE stream = ? AND seq = ?`,
          [changed, key.stream, key.seq],
          `UPDATE audit_entries SET ${column} = ? WHERE stream = ? AND seq = ?`,
          [value, newStream, key.seq],
          async () => {
            const result = await verifyAuditTrail(store, mac);
            expect(result.ok, `${column}[${at}] of ${key.stream} ${key.seq}`).toBe(false);
          },
        );
        fc.pre(stored);
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('the seq column: any byte of its low two bytes changed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 1 }), async (row, flip, byteIndex) => {
        const key = keys[row % keys.length]!;
        const seq = key.seq ^ (flip << (8 * byteIndex));
        const stored = await withChange(
          'UPDATE audit_entries SET seq = ? WHERE stream = ? AND seq = ?',
          [seq, key.stream, key.seq],
          'UPDATE audit_entries SET seq = ? WHERE stream = ? AND seq = ?',
          [key.seq, key.stream, seq],
          async () => expect((await verifyAuditTrail(store, mac)).ok, `seq ${key.seq} → ${seq} of ${key.stream}`).toBe(false),
        );
        fc.pre(stored);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
