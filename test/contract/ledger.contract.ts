/**
 * The Ledger contract (lib/store/ledger.ts): one suite that every adapter runs. Time is the test's: claim
 * and listStale take `now`, every other write reads the adapter clock the harness was built with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.js';
import {
  DoubleSpendError,
  LedgerError,
  evmNonceSpendKey,
  utxoOutpointSpendKey,
  type ClaimRequest,
  type Ledger,
  type LedgerRecord,
  type LedgerSummary,
  type SignedPayload,
} from '../../lib/store/ledger.js';
import { StoreError } from '../../lib/store/store-error.js';

export interface LedgerHarness {
  readonly ledger: Ledger;
  /** The stored TTL of a tx record, read behind the adapter's back (DynamoDB attribute / SQLite column). */
  storedExpiry(id: string): Promise<number | null>;
  /** Make the stored record of `id` look written by a newer Sigil (schema 2). */
  makeNewer(id: string): Promise<void>;
}

export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
export const LEASE = 60_000;
export const RETENTION = 7 * 24 * 3600 * 1000;

export const newId = (): string => randomBytes(12).toString('hex');

export function pendingFor(id: string, chain = 'ETH', network = 'mainnet'): ClaimRequest {
  return { id, chain, network, pending: JSON.stringify({ id, chain, serializedTransaction: '{"to":"0x00","value":"1"}', hashes: ['w'] }) };
}

export const summary: LedgerSummary = { outputs: [{ to: '0x' + '11'.repeat(20), amount: '1000' }], maxFee: '21000000000000' };
export const FROM = '0x' + 'ab'.repeat(20);

export function evmSigned(nonce: number, tag = 'a', from = FROM): SignedPayload {
  const raw = '0x02f8' + createHash('sha256').update(`${from}:${nonce}:${tag}`).digest('hex');
  return { raw, hash: '0x' + createHash('sha256').update(raw).digest('hex'), spends: [evmNonceSpendKey(1n, from, nonce)] };
}

export function utxoSigned(outpoints: ReadonlyArray<readonly [string, number]>, tag = 'a'): SignedPayload {
  const raw = '0200' + createHash('sha256').update(JSON.stringify(outpoints) + tag).digest('hex');
  return { raw, hash: createHash('sha256').update(raw).digest('hex'), spends: outpoints.map(([txid, vout]) => utxoOutpointSpendKey('BTC', txid, vout)) };
}

const txid = (): string => randomBytes(32).toString('hex');

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LedgerError || error instanceof StoreError || error instanceof InvalidInputError) return error.code;
    throw error;
  }
  return 'resolved';
}

export function ledgerContract(name: string, makeHarness: (clock: () => number) => Promise<LedgerHarness>): void {
  describe(`Ledger contract: ${name}`, () => {
    const clock = { now: T0 };
    let h: LedgerHarness;
    let ledger: Ledger;

    beforeEach(async () => {
      clock.now = T0;
      h = await makeHarness(() => clock.now);
      ledger = h.ledger;
    });
    afterEach(async () => {
      await ledger.close();
    });

    /** A record driven to `state` by owner 'w1'; returns it. */
    async function drive(state: 'CLAIMED' | 'PREPARED' | 'APPROVED' | 'SIGNED' | 'BROADCAST_UNKNOWN', id = newId(), signed = evmSigned(Number.parseInt(id.slice(0, 6), 16))) {
      const claimed = await ledger.claim(pendingFor(id, signed.spends[0]?.startsWith('utxo') ? 'BTC' : 'ETH'), 'w1', clock.now, LEASE);
      expect(claimed.outcome).toBe('claimed');
      if (state === 'CLAIMED') return claimed.record;
      let record = await ledger.markPrepared(id, 1, '{"to":"0x00","value":"1","nonce":7}', summary);
      if (state === 'PREPARED') return record;
      record = await ledger.markApproved(id, 1);
      if (state === 'APPROVED') return record;
      record = await ledger.markSigned(id, 1, signed);
      if (state === 'SIGNED') return record;
      await ledger.markBroadcastAttempt(id);
      return ledger.markBroadcastUnknown(id, 'timeout after 10 s');
    }

    it('claim creates CLAIMED with fence 1 and a lease; get reads it back', async () => {
      const id = newId();
      const result = await ledger.claim(pendingFor(id), 'worker-a', T0, LEASE);
      expect(result.outcome).toBe('claimed');
      expect(result.record).toMatchObject({ id, chain: 'ETH', network: 'mainnet', state: 'CLAIMED', fence: 1, owner: 'worker-a', leaseExpiresAt: T0 + LEASE, schema: 1 });
      expect(result.record).toMatchObject({ raw: null, txId: null, expiresAt: null, spends: [], history: [], broadcastAttempts: 0 });
      expect(result.record.pending).toBe(pendingFor(id).pending);
      expect(await ledger.get(id)).toStrictEqual(result.record);
      expect(await ledger.get(newId())).toBeUndefined();
    });

    it('walks the happy path; only COMPLETED sets expiresAt', async () => {
      const id = newId();
      const signed = evmSigned(3);
      await ledger.claim(pendingFor(id), 'w1', T0, LEASE);
      clock.now = T0 + 10;
      const prepared = await ledger.markPrepared(id, 1, '{"nonce":3}', summary);
      expect(prepared).toMatchObject({ state: 'PREPARED', prepared: '{"nonce":3}', summary, updatedAt: T0 + 10, owner: 'w1' });
      const approved = await ledger.markApproved(id, 1);
      expect(approved).toMatchObject({ state: 'APPROVED', owner: 'w1' });
      const signedRecord = await ledger.markSigned(id, 1, signed);
      expect(signedRecord).toMatchObject({ state: 'SIGNED', raw: signed.raw, hash: signed.hash, spends: signed.spends, owner: null, leaseExpiresAt: 0 });
      const attempted = await ledger.markBroadcastAttempt(id);
      expect(attempted).toMatchObject({ state: 'SIGNED', broadcastAttempts: 1, lastBroadcastAt: T0 + 10 });
      const broadcast = await ledger.markBroadcast(id, signed.hash);
      expect(broadcast).toMatchObject({ state: 'BROADCAST', txId: signed.hash });
      for (const record of [prepared, approved, signedRecord, attempted, broadcast]) {
        expect(record.expiresAt).toBeNull();
        expect(await h.storedExpiry(id)).toBeNull();
      }
      clock.now = T0 + 20_000;
      const completed = await ledger.markCompleted(id, signed.hash);
      expect(completed).toMatchObject({ state: 'COMPLETED', expiresAt: Math.ceil((T0 + 20_000 + RETENTION) / 1000) });
      expect(await h.storedExpiry(id)).toBe(completed.expiresAt);
      expect(completed.revision).toBe(7);
      expect(await ledger.get(id)).toStrictEqual(completed);
    });

    it('refuses invalid transitions and leaves the record unchanged', async () => {
      const claimed = await drive('CLAIMED');
      const id = claimed.id;
      const refused = [
        () => ledger.markApproved(id, 1),
        () => ledger.markApprovalDenied(id, 1, T0 + 1, 'no'),
        () => ledger.markSigned(id, 1, evmSigned(1)),
        () => ledger.markBroadcastAttempt(id),
        () => ledger.markBroadcast(id, '0x' + '1'.repeat(64)),
        () => ledger.markBroadcastUnknown(id, 'x'),
        () => ledger.markCompleted(id, '0x' + '1'.repeat(64)),
        () => ledger.recordFailureReported(id),
        () => ledger.replaceSigned(id, evmSigned(1), 'stuck', 'operator'),
      ];
      for (const attempt of refused) expect(await code(attempt())).toBe('INVALID_TRANSITION');
      expect(await ledger.get(id)).toStrictEqual(claimed);

      const signed = await drive('SIGNED');
      for (const attempt of [
        () => ledger.markPrepared(signed.id, 1, '{}', summary),
        () => ledger.markApproved(signed.id, 1),
        () => ledger.markRejected(signed.id, 1, 'policy'),
        () => ledger.renewLease(signed.id, 'w1', 1, T0, LEASE),
        // A broadcast result needs an attempt on record first: a crash after sending must never look unsent.
        () => ledger.markBroadcast(signed.id, signed.hash!),
        () => ledger.markBroadcastUnknown(signed.id, 'timeout'),
      ]) {
        expect(await code(attempt())).toBe('INVALID_TRANSITION');
      }
      expect(await ledger.get(signed.id)).toStrictEqual(signed);
      expect(await code(ledger.markPrepared(newId(), 1, '{}', summary))).toBe('NOT_FOUND');
      expect(await code(ledger.markBroadcastAttempt(newId()))).toBe('NOT_FOUND');
    });

    it('FAILED only before any broadcast attempt; a confirmed broadcast is never downgraded', async () => {
      const signed = await drive('SIGNED');
      expect((await ledger.markFailed(signed.id, 1, 'node refused the tx before sending')).state).toBe('FAILED');

      const other = await drive('SIGNED');
      await ledger.markBroadcastAttempt(other.id);
      expect(await code(ledger.markFailed(other.id, 1, 'timeout'))).toBe('INVALID_TRANSITION');
      await ledger.markBroadcast(other.id, other.hash!);
      expect(await code(ledger.markBroadcastUnknown(other.id, 'late timeout'))).toBe('INVALID_TRANSITION');
      expect(await code(ledger.markFailed(other.id, 1, 'x'))).toBe('INVALID_TRANSITION');
      expect((await ledger.get(other.id))!.state).toBe('BROADCAST');

      const unknown = await drive('BROADCAST_UNKNOWN');
      expect(await code(ledger.markFailed(unknown.id, 1, 'x'))).toBe('INVALID_TRANSITION');
      expect((await ledger.markBroadcastAttempt(unknown.id)).broadcastAttempts).toBe(2);
      expect((await ledger.markCompleted(unknown.id, unknown.hash!)).state).toBe('COMPLETED');
    });

    it('a live lease makes other claims skip; an expired one is taken over with a new fence, and the stale owner gets LEASE_LOST', async () => {
      const id = newId();
      await ledger.claim(pendingFor(id), 'A', T0, LEASE);
      await ledger.markPrepared(id, 1, '{"nonce":1}', summary);
      const skipped = await ledger.claim(pendingFor(id), 'B', T0 + LEASE - 1, LEASE);
      expect(skipped.outcome).toBe('skip');
      expect(skipped.record).toMatchObject({ owner: 'A', fence: 1 });

      const taken = await ledger.claim(pendingFor(id), 'B', T0 + LEASE, LEASE);
      expect(taken.outcome).toBe('claimed');
      expect(taken.record).toMatchObject({ state: 'PREPARED', prepared: '{"nonce":1}', owner: 'B', fence: 2, leaseExpiresAt: T0 + 2 * LEASE });

      const stale = [
        () => ledger.markApproved(id, 1),
        () => ledger.renewLease(id, 'A', 1, T0 + LEASE, LEASE),
        () => ledger.releaseLease(id, 'A', 1),
        () => ledger.markFailed(id, 1, 'x'),
      ];
      for (const attempt of stale) expect(await code(attempt())).toBe('LEASE_LOST');
      expect(await ledger.get(id)).toStrictEqual(taken.record);
      expect((await ledger.markApproved(id, 2)).state).toBe('APPROVED');
      expect(await code(ledger.markSigned(id, 1, evmSigned(1)))).toBe('LEASE_LOST');
      expect((await ledger.markSigned(id, 2, evmSigned(1))).state).toBe('SIGNED');
    });

    it('renewLease extends the lease; releaseLease makes the record claimable at once', async () => {
      const id = newId();
      await ledger.claim(pendingFor(id), 'A', T0, LEASE);
      expect((await ledger.renewLease(id, 'A', 1, T0 + 50_000, LEASE)).leaseExpiresAt).toBe(T0 + 50_000 + LEASE);
      expect(await code(ledger.renewLease(id, 'B', 1, T0, LEASE))).toBe('LEASE_LOST');
      expect((await ledger.claim(pendingFor(id), 'B', T0 + LEASE, LEASE)).outcome).toBe('skip');
      const released = await ledger.releaseLease(id, 'A', 1);
      expect(released).toMatchObject({ state: 'CLAIMED', owner: null, leaseExpiresAt: 0, fence: 1 });
      expect(await ledger.releaseLease(id, 'A', 1)).toStrictEqual(released);
      const taken = await ledger.claim(pendingFor(id), 'B', T0 + 1, LEASE);
      expect(taken).toMatchObject({ outcome: 'claimed', record: { owner: 'B', fence: 2 } });
    });

    it('markApproved can hand the record to the signer in the same write', async () => {
      const prepared = await drive('PREPARED');
      const approved = await ledger.markApproved(prepared.id, 1, { releaseLease: true });
      expect(approved).toMatchObject({ state: 'APPROVED', owner: null, leaseExpiresAt: 0 });
      const signer = await ledger.claim(pendingFor(prepared.id), 'signer', T0, LEASE);
      expect(signer).toMatchObject({ outcome: 'claimed', record: { state: 'APPROVED', owner: 'signer', fence: 2 } });
    });

    it('APPROVAL_DENIED is claimed again only from retryAt, and resumes at PREPARED with the prepared tx kept', async () => {
      const prepared = await drive('PREPARED');
      const denied = await ledger.markApprovalDenied(prepared.id, 1, T0 + 30_000, 'four-eye service answered 403');
      expect(denied).toMatchObject({ state: 'APPROVAL_DENIED', retryAt: T0 + 30_000, reason: 'four-eye service answered 403', owner: null });
      expect(await ledger.markApprovalDenied(prepared.id, 1, T0 + 30_000, 'four-eye service answered 403')).toStrictEqual(denied);
      expect((await ledger.claim(pendingFor(prepared.id), 'B', T0 + 29_999, LEASE)).outcome).toBe('skip');
      const again = await ledger.claim(pendingFor(prepared.id), 'B', T0 + 30_000, LEASE);
      expect(again.outcome).toBe('claimed');
      expect(again.record).toMatchObject({ state: 'PREPARED', prepared: prepared.prepared, summary, retryAt: null, reason: null, fence: 2, owner: 'B' });
    });

    it('REJECTED and FAILED are never re-evaluated; SIGNED and BROADCAST_UNKNOWN come back for re-broadcast, never re-signing', async () => {
      const rejected = await ledger.markRejected((await drive('APPROVED')).id, 1, 'gas price above the cap');
      const failed = await ledger.markFailed((await drive('CLAIMED')).id, 1, 'no wallet for index');
      for (const record of [rejected, failed]) {
        const later = await ledger.claim(pendingFor(record.id), 'B', T0 + 365 * 86_400_000, LEASE);
        expect(later).toStrictEqual({ outcome: 'skip', record });
      }
      for (const record of [await drive('SIGNED'), await drive('BROADCAST_UNKNOWN')]) {
        const later = await ledger.claim(pendingFor(record.id), 'B', T0 + 365 * 86_400_000, LEASE);
        expect(later).toStrictEqual({ outcome: 'skip', record });
        expect(later.record.raw).toBe(record.raw);
        expect(await code(ledger.markSigned(record.id, 1, evmSigned(99, 'other')))).toBe('CONFLICT');
      }
    });

    it('re-marking with identical content is idempotent; other content is CONFLICT', async () => {
      const id = newId();
      const signed = evmSigned(11);
      await ledger.claim(pendingFor(id), 'w1', T0, LEASE);
      const prepared = await ledger.markPrepared(id, 1, '{"nonce":11}', summary);
      expect(await ledger.markPrepared(id, 1, '{"nonce":11}', summary)).toStrictEqual(prepared);
      expect(await code(ledger.markPrepared(id, 1, '{"nonce":12}', summary))).toBe('CONFLICT');
      const approved = await ledger.markApproved(id, 1);
      expect(await ledger.markApproved(id, 1)).toStrictEqual(approved);
      const signedRecord = await ledger.markSigned(id, 1, signed);
      expect(await ledger.markSigned(id, 1, signed)).toStrictEqual(signedRecord);
      expect(await code(ledger.markSigned(id, 1, { ...signed, raw: signed.raw + '00' }))).toBe('CONFLICT');
      await ledger.markBroadcastAttempt(id);
      const broadcast = await ledger.markBroadcast(id, signed.hash);
      expect(await ledger.markBroadcast(id, signed.hash)).toStrictEqual(broadcast);
      expect(await code(ledger.markBroadcast(id, '0x' + 'f'.repeat(64)))).toBe('CONFLICT');
      const completed = await ledger.markCompleted(id, signed.hash);
      expect(await ledger.markCompleted(id, signed.hash)).toStrictEqual(completed);
      expect(await code(ledger.markCompleted(id, '0x' + 'f'.repeat(64)))).toBe('CONFLICT');
      const rejected = await ledger.markRejected((await drive('PREPARED')).id, 1, 'amount above the cap');
      expect(await ledger.markRejected(rejected.id, 1, 'amount above the cap')).toStrictEqual(rejected);
      expect(await code(ledger.markRejected(rejected.id, 1, 'another reason'))).toBe('CONFLICT');
    });

    it('two pending ids spending one EVM nonce: one SIGNED, the other DoubleSpendError and unchanged, with nothing claimed', async () => {
      const first = await drive('APPROVED');
      const second = await drive('APPROVED');
      const spend = evmSigned(42, 'first');
      await ledger.markSigned(first.id, 1, spend);
      const freshKey = evmNonceSpendKey(1n, FROM, 43);
      const conflicting: SignedPayload = { ...evmSigned(42, 'second'), spends: [freshKey, spend.spends[0]!] };
      let caught: unknown;
      try {
        await ledger.markSigned(second.id, 1, conflicting);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DoubleSpendError);
      expect(caught).toMatchObject({ code: 'DOUBLE_SPEND', spendKey: spend.spends[0], otherPendingId: first.id });
      expect((caught as Error).message).toContain(first.id);
      expect(await ledger.get(second.id)).toStrictEqual(second);
      // freshKey was not claimed by the refused write: a third id may take it.
      const third = await drive('APPROVED');
      expect((await ledger.markSigned(third.id, 1, { ...evmSigned(43, 'third'), spends: [freshKey] })).state).toBe('SIGNED');
    });

    it('two pending ids spending one UTXO outpoint: one SIGNED, the other refused; many inputs are claimed atomically', async () => {
      const shared: [string, number] = [txid(), 1];
      const many = Array.from({ length: 150 }, (_, i) => [txid(), i] as [string, number]);
      const first = await drive('APPROVED', newId(), utxoSigned([shared]));
      const second = await drive('APPROVED', newId(), utxoSigned([shared]));
      await ledger.markSigned(first.id, 1, utxoSigned([shared]));
      const refused = ledger.markSigned(second.id, 1, utxoSigned([...many, shared], 'second'));
      await expect(refused).rejects.toMatchObject({ code: 'DOUBLE_SPEND', otherPendingId: first.id });
      expect(await ledger.get(second.id)).toStrictEqual(second);
      const third = await drive('APPROVED', newId(), utxoSigned(many, 'third'));
      const signed = await ledger.markSigned(third.id, 1, utxoSigned(many, 'third'));
      expect(signed.spends).toHaveLength(150);
      expect(await ledger.markSigned(third.id, 1, utxoSigned(many, 'third'))).toStrictEqual(signed);
      await expect(ledger.markSigned(second.id, 1, utxoSigned([many[149]!], 'second'))).rejects.toMatchObject({ code: 'DOUBLE_SPEND', otherPendingId: third.id });
    });

    it('refuses spend keys of another chain and malformed ones before writing', async () => {
      const approved = await drive('APPROVED');
      const foreign = { ...evmSigned(1), spends: [utxoOutpointSpendKey('BTC', txid(), 0)] };
      expect(await code(ledger.markSigned(approved.id, 1, foreign))).toBe('INVALID_INPUT');
      expect(await code(ledger.markSigned(approved.id, 1, { ...evmSigned(1), spends: ['nonce:1'] }))).toBe('INVALID_INPUT');
      expect(await code(ledger.markSigned(approved.id, 1, { ...evmSigned(1), spends: [evmSigned(1).spends[0]!, evmSigned(1).spends[0]!] }))).toBe('INVALID_INPUT');
      expect(await ledger.get(approved.id)).toStrictEqual(approved);
    });

    it('reports each FAILED or REJECTED once', async () => {
      const failed = await ledger.markFailed((await drive('CLAIMED')).id, 1, 'wallet not found');
      clock.now = T0 + 1;
      const rejected = await ledger.markRejected((await drive('PREPARED')).id, 1, 'policy');
      await drive('SIGNED');
      const unreported = await ledger.listUnreported();
      expect(unreported.map((r) => r.id)).toStrictEqual([failed.id, rejected.id]);
      clock.now = T0 + 5;
      expect((await ledger.recordFailureReported(failed.id)).failureReportedAt).toBe(T0 + 5);
      expect(await code(ledger.recordFailureReported(failed.id))).toBe('CONFLICT');
      expect((await ledger.listUnreported()).map((r) => r.id)).toStrictEqual([rejected.id]);
    });

    it('replaceSigned swaps an EVM raw at the same nonce, keeps the old one, and moves the spend claim', async () => {
      const first = evmSigned(5, 'v1');
      const unknown = await drive('BROADCAST_UNKNOWN', newId(), first);
      clock.now = T0 + 100;
      const v2 = evmSigned(5, 'v2');
      const replaced = await ledger.replaceSigned(unknown.id, v2, 'stuck: fee bump', 'alice');
      expect(replaced).toMatchObject({ state: 'SIGNED', raw: v2.raw, hash: v2.hash, txId: null, broadcastAttempts: 1 });
      expect(replaced.history).toStrictEqual([{ raw: first.raw, hash: first.hash, txId: null, replacedAt: T0 + 100, reason: 'stuck: fee bump', operator: 'alice' }]);
      expect(await ledger.replaceSigned(unknown.id, v2, 'stuck: fee bump', 'alice')).toStrictEqual(replaced);
      // The old raw may be out there: FAILED stays impossible; a result needs an attempt for the new raw.
      expect(await code(ledger.markFailed(unknown.id, 1, 'x'))).toBe('INVALID_TRANSITION');
      expect(await code(ledger.markBroadcast(unknown.id, v2.hash))).toBe('INVALID_TRANSITION');
      clock.now = T0 + 200;
      await ledger.markBroadcastAttempt(unknown.id);
      await ledger.markBroadcast(unknown.id, v2.hash);
      // The claim now holds v2's content: a second replacement (which checks it) goes through.
      const v3 = evmSigned(5, 'v3');
      expect((await ledger.replaceSigned(unknown.id, v3, 'stuck again', 'bob')).history).toHaveLength(2);
      expect(await code(ledger.replaceSigned(unknown.id, evmSigned(6, 'v4'), 'other nonce', 'bob'))).toBe('CONFLICT');
      // Another id still cannot sign that nonce.
      const other = await drive('APPROVED');
      expect(await code(ledger.markSigned(other.id, 1, v3))).toBe('DOUBLE_SPEND');

      const utxo = await drive('SIGNED', newId(), utxoSigned([[txid(), 0]]));
      expect(await code(ledger.replaceSigned(utxo.id, utxoSigned([[txid(), 0]], 'b'), 'x', 'bob'))).toBe('INVALID_TRANSITION');
      const approved = await drive('APPROVED');
      expect(await code(ledger.replaceSigned(approved.id, evmSigned(1), 'x', 'bob'))).toBe('INVALID_TRANSITION');
    });

    it('allocates consecutive nonces from the chain pending count, per (chainId, from)', async () => {
      const from = '0x' + randomBytes(20).toString('hex');
      const sequential: number[] = [];
      for (let i = 0; i < 10; i++) sequential.push(await ledger.allocateNonce(1n, from, 7));
      expect(sequential).toStrictEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
      expect(await ledger.allocateNonce(1n, from.toUpperCase().replace('0X', '0x'), 3)).toBe(17);
      expect(await ledger.allocateNonce(1n, from, 40)).toBe(40);
      expect(await ledger.allocateNonce(1n, from, 0)).toBe(41);
      expect(await ledger.allocateNonce(56n, from, 0)).toBe(0);
    });

    it('20 concurrent allocations get distinct consecutive nonces', async () => {
      const from = '0x' + randomBytes(20).toString('hex');
      await ledger.allocateNonce(137n, from, 100);
      const nonces = await Promise.all(Array.from({ length: 20 }, () => ledger.allocateNonce(137n, from, 90)));
      expect([...nonces].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
      const fresh = '0x' + randomBytes(20).toString('hex');
      const first = await Promise.all(Array.from({ length: 20 }, () => ledger.allocateNonce(137n, fresh, 5)));
      expect([...first].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 20 }, (_, i) => 5 + i));
    });

    it('20 concurrent claims of one id: exactly one is claimed', async () => {
      const id = newId();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.claim(pendingFor(id), `w${i}`, T0, LEASE)));
      const winners = results.filter((r) => r.outcome === 'claimed');
      expect(winners).toHaveLength(1);
      expect((await ledger.get(id))!).toMatchObject({ fence: 1, owner: winners[0]!.record.owner });
    });

    it('lists by state and chain, page by page, each record once', async () => {
      const eth = await Promise.all(Array.from({ length: 7 }, () => drive('CLAIMED')));
      const btc = await drive('SIGNED', newId(), utxoSigned([[txid(), 0]]));
      const seen: LedgerRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await ledger.list({ chain: 'ETH', state: 'CLAIMED', limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.records.length).toBeLessThanOrEqual(3);
        seen.push(...page.records);
        cursor = page.cursor;
      } while (cursor);
      expect(seen.map((r) => r.id).sort()).toStrictEqual(eth.map((r) => r.id).sort());
      expect((await ledger.list({ chain: 'BTC' })).records.map((r) => r.id)).toContain(btc.id);
      expect((await ledger.list({ state: 'SIGNED', chain: 'ETH' })).records.map((r) => r.id)).not.toContain(btc.id);
      expect(await code(ledger.list({ limit: 0 }))).toBe('INVALID_INPUT');
      expect(await code(ledger.list({ stat: 'SIGNED' } as never))).toBe('INVALID_INPUT');
    });

    it('listStale: expired leases, due denials, and signed records untouched for the settle delay', async () => {
      const expired = await drive('CLAIMED');
      const released = await ledger.releaseLease((await drive('PREPARED')).id, 'w1', 1);
      const denied = await ledger.markApprovalDenied((await drive('PREPARED')).id, 1, T0 + 5_000, 'no');
      const signed = await drive('SIGNED');
      clock.now = T0 + 50_000;
      const fresh = await drive('BROADCAST_UNKNOWN');
      const ids = (records: LedgerRecord[]) => records.map((r) => r.id);
      expect(ids(await ledger.listStale(T0 + 1_000, { settleAfterMs: 30_000 }))).toStrictEqual([released.id]);
      const later = await ledger.listStale(T0 + LEASE, { settleAfterMs: 30_000 });
      expect(ids(later)).toEqual(expect.arrayContaining([expired.id, released.id, denied.id, signed.id]));
      expect(ids(later)).not.toContain(fresh.id);
      expect(ids(await ledger.listStale(T0 + 80_000, { settleAfterMs: 30_000 }))).toContain(fresh.id);
    });

    it('refuses a record written by a newer Sigil, and never overwrites it', async () => {
      const claimed = await drive('CLAIMED');
      await h.makeNewer(claimed.id);
      expect(await code(ledger.get(claimed.id))).toBe('UNSUPPORTED_SCHEMA');
      expect(await code(ledger.claim(pendingFor(claimed.id), 'B', T0 + 10 * LEASE, LEASE))).toBe('UNSUPPORTED_SCHEMA');
      expect(await code(ledger.markPrepared(claimed.id, 1, '{}', summary))).toBe('UNSUPPORTED_SCHEMA');
      expect(await code(ledger.get(claimed.id))).toBe('UNSUPPORTED_SCHEMA');
    });

    it('validates its arguments', async () => {
      const id = newId();
      expect(await code(ledger.claim({ ...pendingFor(id), id: id.toUpperCase() }, 'w', T0, LEASE))).toBe('INVALID_INPUT');
      expect(await code(ledger.claim({ ...pendingFor(id), pending: JSON.stringify({ id: newId() }) }, 'w', T0, LEASE))).toBe('INVALID_INPUT');
      expect(await code(ledger.claim({ ...pendingFor(id), pending: '{' }, 'w', T0, LEASE))).toBe('INVALID_INPUT');
      expect(await code(ledger.claim(pendingFor(id), 'has space', T0, LEASE))).toBe('INVALID_INPUT');
      expect(await code(ledger.claim(pendingFor(id), 'w', T0, 0))).toBe('INVALID_INPUT');
      expect(await code(ledger.markPrepared(id, 0, '{}', summary))).toBe('INVALID_INPUT');
      expect(await code(ledger.markPrepared(id, 1, '{}', { outputs: [{ to: 'x', amount: '-1' }], maxFee: null }))).toBe('INVALID_INPUT');
      expect(await code(ledger.allocateNonce(1n, 'xdc' + 'a'.repeat(40), 0))).toBe('INVALID_INPUT');
      expect(await ledger.get(id)).toBeUndefined();
      await ledger.claim(pendingFor(id), 'w', T0, LEASE);
      expect(await code(ledger.claim(pendingFor(id, 'BSC'), 'w', T0 + 2 * LEASE, LEASE))).toBe('CONFLICT');
      // Reasons are stored as one trimmed line.
      const failed = await ledger.markFailed(id, 1, '  broadcast refused:\n  nonce too low\t ');
      expect(failed.reason).toBe('broadcast refused: nonce too low');
    });
  });
}
