/**
 * The AWS hand-over, as the poll, sign and broadcast functions use it: runPass in mode 'approve' stops at
 * APPROVED (no secret opened, the lease released, `Pending Transaction Approved` sent); signPendingById
 * and broadcastPendingById take only an id from their event and load everything else from the ledger:
 * - a message that lies about the transaction (and a pending tx changed at Tatum after approval) still
 *   signs exactly the ledger's prepared tx;
 * - duplicate and concurrent deliveries of Approved and Signed sign once and broadcast one payload;
 * - an id in an invalid format is refused before anything is read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import vectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { SigilError } from '../../lib/errors.js';
import { broadcastPendingById, signPendingById } from '../../lib/pipeline/handoff.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const evm = vectors.signing.find((v) => v.name === 'evm-eth')!;
const GWEI = 1_000_000_000n;

let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The upstream ETH vector, approved by a poll pass in mode 'approve'. */
async function approvedVector(): Promise<{ h: PipelineHarness; id: string; wallet: string }> {
  const h = (harness = await startPipelineHarness());
  const wallet = await h.storePrivateKey('ETH', evm.key.privateKey);
  const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evm.serializedTransaction });
  const summary = await runPass(h.deps, {}, 'approve');
  expect(summary.outcomes.approved).toBe(1);
  return { h, id, wallet };
}

describe('mode approve', () => {
  it('stops at APPROVED: lease released, the hand-over event sent, no secret opened, nothing broadcast', async () => {
    const { h, id } = await approvedVector();
    const record = await h.record(id);
    expect(record).toMatchObject({ state: 'APPROVED', owner: null, leaseExpiresAt: 0, raw: null });
    expect(h.events.of('Pending Transaction Approved')).toContainEqual({ pendingId: id, chain: 'ETH', network: 'mainnet' });
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
    // A later poll (the hand-over may have been lost) sends the event again rather than signing itself.
    const before = h.events.count('Pending Transaction Approved', id);
    await runPass(h.deps, {}, 'approve');
    expect(h.events.count('Pending Transaction Approved', id)).toBeGreaterThan(before);
    expect((await h.record(id)).state).toBe('APPROVED');
    expect(h.keys.decrypts).toEqual([]);
  });
});

describe('sign and broadcast by id', () => {
  it('a message that lies about the tx changes nothing: the ledger prepared tx is signed and broadcast, byte for byte', async () => {
    const { h, id } = await approvedVector();
    const evil = evmTransfer({ to: `0x${'ee'.repeat(20)}`, value: 10n ** 21n, nonce: 5, gas: 21_000, gasPrice: 20n * GWEI });
    // Tatum's copy changes after approval, and the queue message claims the evil tx too.
    h.sim.state.transactions.get(id)!.serializedTransaction = evil;
    const message = { detail: { pendingId: id, chain: 'ETH', serializedTransaction: evil, hashes: ['00000000-0000-4000-8000-000000000000'] } };
    const signer = h.worker('sign-lambda');
    expect(await signPendingById(signer.deps, message.detail.pendingId)).toBe('signed');
    const signed = await h.record(id);
    expect(signed).toMatchObject({ state: 'SIGNED', raw: evm.signed });
    expect(h.events.of('Transaction Signed')).toEqual([{ pendingId: id, chain: 'ETH', network: 'mainnet', hash: signed.hash }]);

    const broadcaster = h.worker('broadcast-lambda');
    const final = await broadcastPendingById(broadcaster.deps, id);
    expect(final).toMatchObject({ state: 'COMPLETED', raw: evm.signed });
    expect(h.broadcastsOf(id)).toEqual([{ path: evm.broadcastPath, txData: evm.signed }]);
    expect(h.keys.decrypts).toHaveLength(1);
  });

  it('duplicate and concurrent deliveries of Approved and Signed: one signature, one payload, no error', async () => {
    const { h, id } = await approvedVector();
    const signers = [h.worker('sign-a'), h.worker('sign-b'), h.worker('sign-c')];
    const outcomes = await Promise.all(signers.map((s) => signPendingById(s.deps, id)));
    expect(outcomes.sort()).toEqual(['signed', 'skipped', 'skipped']);
    expect(await signPendingById(signers[0]!.deps, id)).toBe('skipped'); // a late redelivery
    expect(h.keys.decrypts.length).toBe(1);
    expect(h.events.count('Transaction Signed', id)).toBe(1);

    const broadcasters = [h.worker('broadcast-a'), h.worker('broadcast-b'), h.worker('broadcast-c')];
    const results = await Promise.allSettled(broadcasters.map((b) => broadcastPendingById(b.deps, id)));
    results.push(...(await Promise.allSettled([broadcastPendingById(broadcasters[0]!.deps, id)])));
    const record = await h.record(id);
    expect(record.state).toBe('COMPLETED');
    const sent = h.broadcastsOf(id);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(new Set(sent.map((s) => s.txData))).toEqual(new Set([evm.signed]));
    expect(h.sim.state.transactions.get(id)!.txId).toBe(record.txId);
    expect(h.sim.state.errorsReported).toEqual([]);
    for (const result of results) expect(result.status).toBe('fulfilled');
  });

  it('records that are not APPROVED are never signed: unknown, rejected, denied, already signed', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await h.storePrivateKey('ETH', evm.key.privateKey);
    const rejected = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 1, gas: 21_000, gasPrice: 5_000n * GWEI }) });
    await runPass(h.deps, {}, 'approve');
    expect((await h.record(rejected)).state).toBe('REJECTED');
    expect(await signPendingById(h.deps, rejected)).toBe('skipped');
    expect(await signPendingById(h.deps, 'abcdefabcdefabcdefabcdef')).toBe('skipped');
    expect(await broadcastPendingById(h.deps, 'abcdefabcdefabcdefabcdef')).toBeUndefined();
    expect((await broadcastPendingById(h.deps, rejected))!.state).toBe('REJECTED');
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
  });

  it.each([
    ['an empty string', ''],
    ['too short', 'abcdef'],
    ['upper case', 'ABCDEFABCDEFABCDEFABCDEF'],
    ['25 characters', 'abcdefabcdefabcdefabcdef0'],
    ['a trailing newline', 'abcdefabcdefabcdefabcdef\n'],
    ['a path', '../../v3/kms/abcdefabcdef'],
    ['a number', 42],
    ['null', null],
    ['an object carrying the id', { id: 'abcdefabcdefabcdefabcdef' }],
  ])('an id that is %s is refused before anything is read', async (_what, badId) => {
    const h = (harness ??= await startPipelineHarness());
    for (const call of [signPendingById, broadcastPendingById]) {
      const error = await call(h.deps, badId).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SigilError);
      expect((error as SigilError).code).toBe('INVALID_EVENT');
    }
    expect(await h.allRecords()).toEqual([]);
  });
});
