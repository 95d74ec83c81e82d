/**
 * The AuditStore contract on SQLite with the local key file, and what is particular to the embedded
 * adapter: the append-only triggers, read-only opens, the key file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainedAuditTrail, LocalHmacAuditMac, localAuditKeyPath, verifyAuditTrail } from '../../../lib/audit/index.js';
import { SqliteAuditStore } from '../../../lib/store/audit-sqlite.js';
import { auditStoreContract, clockFrom, T0, type RawField } from '../../contract/audit-store.contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-audit-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export const COLUMN: Record<RawField, string> = {
  prevHash: 'prev_hash',
  at: 'at',
  day: 'day',
  action: 'action',
  actor: 'actor',
  detail: 'detail',
  hash: 'hash',
  mac: 'mac',
  macKeyId: 'mac_key_id',
};

/** Open the file as an attacker would: no Sigil code, the append-only triggers dropped. */
export function withAttacker<T>(path: string, body: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_entries_no_delete;');
    return body(db);
  } finally {
    db.close();
  }
}

auditStoreContract('SQLite', async () => {
  const dir = tempDir();
  const path = join(dir, 'sigil.db');
  const mac = await LocalHmacAuditMac.open(localAuditKeyPath(path), { create: true });
  return {
    store: SqliteAuditStore.open(path),
    mac,
    other: () => SqliteAuditStore.open(path),
    rewrite: async (stream, seq, fields) => {
      withAttacker(path, (db) => {
        for (const [field, value] of Object.entries(fields)) {
          const changed = db.prepare(`UPDATE audit_entries SET ${COLUMN[field as RawField]} = ? WHERE stream = ? AND seq = ?`).run(value, stream, seq).changes;
          expect(changed).toBe(1);
        }
      });
    },
    remove: async (stream, seq) => {
      withAttacker(path, (db) => expect(db.prepare('DELETE FROM audit_entries WHERE stream = ? AND seq = ?').run(stream, seq).changes).toBe(1));
    },
  };
});

describe('SqliteAuditStore', () => {
  it('refuses UPDATE and DELETE through SQL (triggers), so no code path rewrites history', async () => {
    const path = join(tempDir(), 'sigil.db');
    const store = SqliteAuditStore.open(path);
    const mac = new LocalHmacAuditMac(new Uint8Array(32).fill(7));
    const trail = new ChainedAuditTrail(store, mac, { clock: clockFrom(T0) });
    await trail.record({ stream: { kind: 'tx', id: 'a1' }, action: 'tx.claimed', actor: 'w', detail: {} });
    await store.close();
    const db = new Database(path);
    try {
      expect(() => db.prepare("UPDATE audit_entries SET actor = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_entries').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('a read-only open of a missing file is "missing" and creates nothing; of a file without the table, empty', async () => {
    const dir = tempDir();
    expect(SqliteAuditStore.open(join(dir, 'none.db'), { readonly: true })).toBe('missing');
    const path = join(dir, 'sigil.db');
    new Database(path).close();
    const created = SqliteAuditStore.open(join(dir, 'other.db'));
    await created.close();
    const readOnly = SqliteAuditStore.open(join(dir, 'other.db'), { readonly: true });
    expect(readOnly).not.toBe('missing');
    if (readOnly === 'missing') return;
    expect(await readOnly.recent(5)).toEqual([]);
    expect(await verifyAuditTrail(readOnly, new LocalHmacAuditMac(new Uint8Array(32)))).toMatchObject({ ok: true, streams: 0 });
    await expect(readOnly.append({} as never)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await readOnly.close();
  });

  it('the local key file is created 0600 once, and reopens to the same key id; another file is another key', async () => {
    const dir = tempDir();
    const path = localAuditKeyPath(join(dir, 'sigil.db'));
    expect(path).toBe(join(dir, 'sigil.db.audit.key'));
    await expect(LocalHmacAuditMac.open(path, { create: false })).rejects.toMatchObject({ code: 'MAC_UNAVAILABLE' });
    const [a, b] = await Promise.all([LocalHmacAuditMac.open(path, { create: true }), LocalHmacAuditMac.open(path, { create: true })]);
    expect(a.keyId).toBe(b.keyId);
    expect(a.keyId).toMatch(/^local:[0-9a-f]{16}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const other = await LocalHmacAuditMac.open(join(dir, 'x.audit.key'), { create: true });
    expect(other.keyId).not.toBe(a.keyId);
    const message = new TextEncoder().encode('m');
    expect(await a.verify(message, await b.generate(message))).toBe(true);
    expect(await other.verify(message, await a.generate(message))).toBe(false);
  });
});
