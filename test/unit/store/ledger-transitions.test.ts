/**
 * Random operation sequences against a SQLite ledger, with the ledger's invariants checked after every
 * step: a refused operation changes nothing; a raw tx, once stored, changes only through replaceSigned;
 * every spend key is held by exactly one record that stores it; FAILED never follows a broadcast attempt;
 * only COMPLETED records expire; fences never go back; revisions move by one per write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { LedgerError, SIGNED_STATES, evmNonceSpendKey, utxoOutpointSpendKey, type LedgerRecord, type SignedPayload } from '../../../lib/store/ledger.js';
import { SqliteLedger } from '../../../lib/store/ledger-sqlite.js';
import { newId, pendingFor, summary } from '../../contract/ledger.contract.js';

const T0 = Date.UTC(2026, 10, 25);
const LEASE = 1000;
let dir: string;
let path: string;
let ledger: SqliteLedger;
let now = T0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigil-ledger-model-'));
  path = join(dir, 'sigil.db');
  ledger = SqliteLedger.open(path, {}, { clock: () => now });
});
afterAll(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

type Op =
  | { op: 'claim'; tx: number; owner: number; dt: number }
  | { op: 'prepare' | 'approve' | 'deny' | 'reject' | 'fail' | 'release' | 'renew'; tx: number; fence: number; owner: number }
  | { op: 'sign'; tx: number; fence: number; spend: number; variant: number }
  | { op: 'attempt' | 'broadcast' | 'unknown' | 'complete' | 'report'; tx: number }
  | { op: 'replace'; tx: number; variant: number }
  /** The next step of the happy path with the record's current fence: makes deep states reachable. */
  | { op: 'advance'; tx: number; spend: number };

/** The state graph of docs/ledger.md; SIGNED from BROADCAST and BROADCAST_UNKNOWN is replaceSigned. */
const ALLOWED: Record<LedgerRecord['state'], readonly LedgerRecord['state'][]> = {
  CLAIMED: ['PREPARED', 'REJECTED', 'FAILED'],
  PREPARED: ['APPROVED', 'APPROVAL_DENIED', 'REJECTED', 'FAILED'],
  APPROVED: ['SIGNED', 'REJECTED', 'FAILED'],
  APPROVAL_DENIED: ['PREPARED'],
  SIGNED: ['BROADCAST', 'BROADCAST_UNKNOWN', 'COMPLETED', 'FAILED'],
  BROADCAST: ['COMPLETED', 'SIGNED'],
  BROADCAST_UNKNOWN: ['BROADCAST', 'COMPLETED', 'SIGNED'],
  REJECTED: [],
  FAILED: [],
  COMPLETED: [],
};

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('advance' as const), tx: fc.nat(2), spend: fc.nat(3) }), weight: 6 },
  fc.record({ op: fc.constant('claim' as const), tx: fc.nat(2), owner: fc.nat(1), dt: fc.constantFrom(0, 10, LEASE, 5 * LEASE) }),
  // fence 0 stands for the record's current fence; 1–3 are often stale.
  fc.record({ op: fc.constantFrom('prepare', 'approve', 'deny', 'reject', 'fail', 'release', 'renew' as const), tx: fc.nat(2), fence: fc.nat(3), owner: fc.nat(1) }),
  fc.record({ op: fc.constant('sign' as const), tx: fc.nat(2), fence: fc.nat(3), spend: fc.nat(3), variant: fc.nat(1) }),
  fc.record({ op: fc.constantFrom('attempt', 'broadcast', 'unknown', 'complete', 'report' as const), tx: fc.nat(2) }),
  fc.record({ op: fc.constant('replace' as const), tx: fc.nat(2), variant: fc.nat(2) }),
);

/** Spend pool: EVM nonces 0–1 of one address and two UTXO outpoints; ids 0–2 overlap on them. */
function payload(run: string, spend: number, variant: number, chain: string): SignedPayload {
  const raw = `0x${run}${spend}${variant}`;
  const key =
    chain === 'ETH' ? evmNonceSpendKey(1n, `0x${run.padEnd(40, '0')}`, spend % 2) : utxoOutpointSpendKey('BTC', run.padEnd(64, '0'), spend % 2);
  return { raw, hash: `h-${raw}`, spends: [key] };
}

function heldSpends(): Map<string, string> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, pending_id FROM ledger_spend').all() as Array<{ key: string; pending_id: string }>;
    return new Map(rows.map((row) => [row.key, row.pending_id]));
  } finally {
    db.close();
  }
}

async function step(ids: readonly string[], chains: readonly string[], run: string, given: Op): Promise<void> {
  let op = given;
  const id = ids[op.tx]!;
  const chain = chains[op.tx]!;
  const owner = 'owner' in op ? `w${op.owner}` : 'w0';
  if ('fence' in op && op.fence === 0) op = { ...op, fence: (await ledger.get(id))?.fence ?? 1 };
  switch (op.op) {
    case 'claim':
      now += op.dt;
      await ledger.claim(pendingFor(id, chain), owner, now, LEASE);
      return;
    case 'prepare':
      await ledger.markPrepared(id, op.fence, '{"nonce":1}', summary);
      return;
    case 'approve':
      await ledger.markApproved(id, op.fence, { releaseLease: op.owner === 1 });
      return;
    case 'deny':
      await ledger.markApprovalDenied(id, op.fence, now + 10, 'denied');
      return;
    case 'reject':
      await ledger.markRejected(id, op.fence, 'policy');
      return;
    case 'fail':
      await ledger.markFailed(id, op.fence, 'failed');
      return;
    case 'release':
      await ledger.releaseLease(id, owner, op.fence);
      return;
    case 'renew':
      await ledger.renewLease(id, owner, op.fence, now, LEASE);
      return;
    case 'sign':
      await ledger.markSigned(id, op.fence, payload(run, op.spend, op.variant, chain));
      return;
    case 'attempt':
      await ledger.markBroadcastAttempt(id);
      return;
    case 'broadcast':
      await ledger.markBroadcast(id, `tx-${id}`);
      return;
    case 'unknown':
      await ledger.markBroadcastUnknown(id, 'timeout');
      return;
    case 'complete':
      await ledger.markCompleted(id, `tx-${id}`);
      return;
    case 'report':
      await ledger.recordFailureReported(id);
      return;
    case 'advance': {
      const current = await ledger.get(id);
      if (!current) return void (await ledger.claim(pendingFor(id, chain), owner, now, LEASE));
      const next: Partial<Record<LedgerRecord['state'], () => Promise<unknown>>> = {
        CLAIMED: () => ledger.markPrepared(id, current.fence, '{"nonce":1}', summary),
        PREPARED: () => ledger.markApproved(id, current.fence),
        APPROVED: () => ledger.markSigned(id, current.fence, payload(run, op.spend, 0, chain)),
        SIGNED: () =>
          current.broadcastAttempts === 0 ? ledger.markBroadcastAttempt(id) : op.spend % 2 === 0 ? ledger.markBroadcast(id, `tx-${id}`) : ledger.markBroadcastUnknown(id, 'timeout'),
        BROADCAST: () => ledger.markCompleted(id, `tx-${id}`),
        BROADCAST_UNKNOWN: () => ledger.markCompleted(id, `tx-${id}`),
      };
      await next[current.state]?.();
      return;
    }
    case 'replace': {
      const current = await ledger.get(id);
      const spend = current?.spends[0];
      await ledger.replaceSigned(id, { raw: `0x${run}r${op.variant}`, hash: `h-r${op.variant}`, spends: spend ? [spend] : [] }, 'bump', 'op');
      return;
    }
  }
}

describe('ledger state machine (property)', () => {
  it('keeps its invariants over random operation sequences', async () => {
    const statesSeen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
        const ids = [newId(), newId(), newId()];
        const chains = ['ETH', 'ETH', 'BTC'];
        const run = newId().slice(0, 8);
        const before = new Map<string, LedgerRecord | undefined>();
        const reached = new Set<string>();
        for (const op of ops) {
          for (const id of ids) before.set(id, await ledger.get(id));
          let refused = false;
          try {
            await step(ids, chains, run, op);
          } catch (error) {
            if (!(error instanceof LedgerError) && !(error instanceof InvalidInputError)) throw error;
            refused = true;
          }
          const held = heldSpends();
          for (const id of ids) {
            const old = before.get(id);
            const record = await ledger.get(id);
            if (refused || id !== ids[op.tx]) expect(record).toStrictEqual(old);
            if (!record) continue;
            reached.add(record.state);
            if (!old) expect(record.state).toBe('CLAIMED');
            if (old && old.state !== record.state) expect(ALLOWED[old.state], `${old.state} → ${record.state}`).toContain(record.state);
            if (old) {
              expect(record.fence).toBeGreaterThanOrEqual(old.fence);
              expect(record.revision - old.revision).toBeLessThanOrEqual(1);
              if (old.raw !== null && record.raw !== old.raw) {
                expect(op.op).toBe('replace');
                expect(record.history.at(-1)?.raw).toBe(old.raw);
              }
              if (old.broadcastAttempts > 0) expect(record.state).not.toBe('FAILED');
            }
            expect(record.expiresAt !== null).toBe(record.state === 'COMPLETED');
            if (SIGNED_STATES.includes(record.state)) {
              expect(record.raw).not.toBeNull();
              for (const key of record.spends) expect(held.get(key)).toBe(id);
            }
          }
          // Every claimed key belongs to a record that lists it.
          for (const [key, holder] of held) {
            if (!ids.includes(holder)) continue;
            expect((await ledger.get(holder))!.spends).toContain(key);
          }
        }
        for (const state of reached) statesSeen.set(state, (statesSeen.get(state) ?? 0) + 1);
      }),
      // A fixed seed: the coverage check below is about the generator, not luck (a random seed missed
      // APPROVAL_DENIED once in a CI run); SIGIL_FC_SEED overrides it to explore other sequences.
      { numRuns: 200, seed: Number(process.env.SIGIL_FC_SEED ?? 20261125) },
    );
    // The generator must reach every state, or the invariants above were checked on shallow records only.
    expect([...statesSeen.keys()].sort()).toStrictEqual(
      ['APPROVAL_DENIED', 'APPROVED', 'BROADCAST', 'BROADCAST_UNKNOWN', 'CLAIMED', 'COMPLETED', 'FAILED', 'PREPARED', 'REJECTED', 'SIGNED'].sort(),
    );
  }, 60_000);
});
