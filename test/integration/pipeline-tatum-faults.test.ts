/**
 * Tatum's faults seen from the pipeline (the simulator's fault injection over real HTTP):
 * - 5xx and 429 on the pending list and on the RPC gateway are retried within the client's limits; past
 *   them the pass reports an error and a later pass finishes the job; nothing fails for a transient fault;
 * - a failure before any broadcast → FAILED, reported once to the batch endpoint however many passes run
 *   (even when the batch endpoint itself failed once);
 * - a broadcast that may have gone out (recorded then 5xx, 429, a hang, an unreadable answer) →
 *   BROADCAST_UNKNOWN, settled by a later pass from `GET /v3/kms/{id}` or by the same bytes again →
 *   COMPLETED, and never reported as failed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runPass } from '../../lib/pipeline/pass.js';
import type { TatumApi } from '../../lib/tatum/client.js';
import { evmTransfer, interpose, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;

let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function ethWallet(h: PipelineHarness): Promise<string> {
  return h.storePrivateKey('ETH', `0x${randomBytes(32).toString('hex')}`);
}

function requestsTo(h: PipelineHarness, path: string): Array<number | 'hang'> {
  return h.sim.state.requests.filter((r) => r.path === path).map((r) => r.status);
}

describe('transient faults before broadcast are retried', () => {
  it('503 on the pending list and 429 (Retry-After) on the RPC gateway: retried, and the pass completes the tx', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({}) }); // nonce, gas, fee open
    h.sim.setFaults({
      serverError: { match: 'POST /v3/kms/pending/ETH', times: 2, status: 503 },
      tooManyRequests: { match: 'POST /v3/blockchain/node/ETH', times: 2, retryAfter: '2' },
    });
    const summary = await runPass(h.deps, {}, 'all');
    expect(summary.errors).toEqual([]);
    expect((await h.record(id)).state).toBe('COMPLETED');
    expect(requestsTo(h, '/v3/kms/pending/ETH')).toEqual([503, 503, 200]);
    expect(requestsTo(h, '/v3/blockchain/node/ETH').slice(0, 3)).toEqual([429, 429, 200]);
    expect(h.main.sleeps.filter((ms) => ms === 2_000)).toHaveLength(2); // Retry-After honoured
    expect(h.sim.state.errorsReported).toEqual([]);
  });

  it('a pending list that keeps failing: four attempts, an error in the pass, nothing claimed; the next pass does it', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    h.sim.setFaults({ serverError: { match: 'POST /v3/kms/pending/ETH', status: 502 } });
    const failed = await runPass(h.deps, {}, 'all');
    expect(failed.errors).toEqual([expect.stringMatching(/^poll ETH: .*502/)]);
    expect(requestsTo(h, '/v3/kms/pending/ETH')).toEqual([502, 502, 502, 502]);
    expect(await h.main.ledger.get(id)).toBeUndefined();

    h.sim.setFaults({});
    expect((await runPass(h.deps, {}, 'all')).errors).toEqual([]);
    expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.sim.state.errorsReported).toEqual([]);
  });

  it('an RPC gateway that keeps answering 429: the tx waits in its claim (not FAILED, not reported) and completes after the fault', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({}) });
    h.sim.setFaults({ tooManyRequests: { match: 'POST /v3/blockchain/node/ETH', retryAfter: '1' } });
    const first = await runPass(h.deps, {}, 'all');
    expect(first.errors).toEqual([expect.stringContaining(id)]);
    expect(requestsTo(h, '/v3/blockchain/node/ETH')).toEqual([429, 429, 429, 429]);
    expect((await h.record(id)).state).toBe('CLAIMED');
    // Still held by the lease: a pass before it runs out leaves the claim alone.
    await runPass(h.deps, {}, 'all');
    expect(requestsTo(h, '/v3/blockchain/node/ETH')).toHaveLength(4);

    h.sim.setFaults({});
    h.clock.advance(h.deps.config.leaseMs + 1);
    expect((await runPass(h.deps, {}, 'all')).errors).toEqual([]);
    expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.sim.state.errorsReported).toEqual([]);
    expect(h.keys.decrypts).toHaveLength(1);
  });
});

describe('failures before broadcast are reported once', () => {
  it('FAILED (the key is not the sender) is reported once over many passes, even when the first report got a 503', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const tx = JSON.parse(evmTransfer({ nonce: 0, gas: 21_000, gasPrice: GWEI })) as Record<string, unknown>;
    tx.from = `0x${'ab'.repeat(20)}`; // not the wallet's address: refused at signing, before any broadcast
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: JSON.stringify(tx) });
    h.sim.setFaults({ serverError: { match: 'POST /v3/tatum/kms/batch', times: 1, status: 503 } });
    const first = await runPass(h.deps, {}, 'all');
    expect(first.errors).toEqual([expect.stringMatching(/^report: /)]);
    const record = await h.record(id);
    expect(record.state).toBe('FAILED');
    // The report was claimed (so no other worker sends it too) and is re-sent by this process's next pass.
    expect(record.failureReportedAt).not.toBeNull();
    expect(h.sim.state.errorsReported).toEqual([]);
    for (let pass = 0; pass < 4; pass++) {
      h.clock.advance(60_000);
      expect((await runPass(h.deps, {}, 'all')).errors).toEqual([]);
    }
    expect(h.sim.state.errorsReported).toEqual([{ signatureId: id, error: record.reason }]);
    expect((await h.record(id)).failureReportedAt).not.toBeNull();
    expect(h.sim.state.broadcasts).toEqual([]);
    expect(requestsTo(h, '/v3/tatum/kms/batch')).toEqual([503, 204]);
  });
});

describe('a broadcast that may have gone out is BROADCAST_UNKNOWN, settled later, never reported as failed', () => {
  /**
   * `executed`: Tatum recorded the broadcast and completed the pending tx, so only the settle of stale
   * records (after settleAfterMs) finds it; otherwise the tx is still in the pending list and the next
   * poll settles it at once.
   */
  async function broadcastUnknownThenSettled(h: PipelineHarness, fault: Parameters<PipelineHarness['sim']['setFaults']>[0], executed: boolean) {
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 3, gas: 21_000, gasPrice: GWEI }) });
    h.sim.setFaults(fault);
    await runPass(h.deps, {}, 'all');
    const unknown = await h.record(id);
    expect(unknown.state).toBe('BROADCAST_UNKNOWN');
    expect(unknown.reason).toMatch(/^broadcast not confirmed: /);
    h.sim.setFaults({});
    if (executed) {
      // No longer listed by Tatum: nothing touches it before settleAfterMs.
      await runPass(h.deps, {}, 'all');
      expect((await h.record(id)).state).toBe('BROADCAST_UNKNOWN');
      h.clock.advance(h.deps.config.settleAfterMs + 1);
    }
    expect((await runPass(h.deps, {}, 'all')).errors).toEqual([]);
    const settled = await h.record(id);
    expect(settled.state).toBe('COMPLETED');
    expect(settled.raw).toBe(unknown.raw);
    expect(h.sim.state.transactions.get(id)!.txId).toBe(settled.txId);
    for (const sent of h.broadcastsOf(id)) expect(sent).toEqual({ path: '/v3/ethereum/broadcast', txData: unknown.raw });
    expect(h.sim.state.errorsReported).toEqual([]);
    expect(h.events.count('Transaction Failed')).toBe(0);
    expect(h.keys.decrypts).toHaveLength(1); // settling never signs again
    return { id, settled };
  }

  it('recorded by Tatum, then answered 502: settled from GET /v3/kms/{id} without a second broadcast', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await broadcastUnknownThenSettled(h, { broadcastRecordedThenError: { match: '/broadcast', times: 1, status: 502 } }, true);
    expect(h.broadcastsOf(id)).toHaveLength(1);
    expect(requestsTo(h, `/v3/kms/${id}`)).toEqual([200]);
  });

  it('answered 429 (never executed): the same bytes are sent again', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await broadcastUnknownThenSettled(h, { tooManyRequests: { match: '/broadcast', times: 1, retryAfter: '1' } }, false);
    expect(requestsTo(h, '/v3/ethereum/broadcast')).toEqual([429, 200]);
    expect(h.broadcastsOf(id)).toHaveLength(1);
  });

  it('executed, then answered with an unreadable body: settled from Tatum', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await broadcastUnknownThenSettled(h, { malformed: { match: '/broadcast', times: 1 } }, true);
    expect(h.broadcastsOf(id)).toHaveLength(1);
  });

  it('a broadcast that hangs past the timeout: the same bytes are sent again', async () => {
    const h = (harness = await startPipelineHarness({ tatum: { timeoutMs: 300 } }));
    const { id } = await broadcastUnknownThenSettled(h, { hang: { match: '/broadcast', times: 1 } }, false);
    expect(requestsTo(h, '/v3/ethereum/broadcast')).toEqual(['hang', 200]);
    expect(h.broadcastsOf(id)).toHaveLength(1);
  });

  it('Tatum unreachable while settling: the record waits, and a later pass settles it', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    h.sim.setFaults({ broadcastRecordedThenError: { match: '/broadcast', times: 1 } });
    await runPass(h.deps, {}, 'all');
    h.sim.setFaults({ serverError: { match: `GET /v3/kms/${id}`, status: 503 } });
    h.clock.advance(h.deps.config.settleAfterMs + 1);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('BROADCAST_UNKNOWN');
    expect(h.broadcastsOf(id)).toHaveLength(1); // not re-sent blindly while Tatum cannot say
    h.sim.setFaults({});
    h.clock.advance(h.deps.config.settleAfterMs + 1);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.sim.state.errorsReported).toEqual([]);
  });

  it('broadcast, but Tatum could not complete its pending tx ({failed: true}): a later pass completes it with the txId', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    // Tatum broadcast the tx but its pending KMS tx stayed open, and it says so.
    const worker = h.worker('worker-1', {
      wrapTatum: (tatum) =>
        interpose<TatumApi>(tatum, {
          broadcast: async (path, txData, signatureId) => {
            const result = await tatum.broadcast(path, txData, signatureId);
            delete h.sim.state.transactions.get(signatureId)!.txId;
            return { ...result, completionFailed: true };
          },
        }),
    });
    await runPass(worker.deps, {}, 'all');
    const broadcast = await h.record(id);
    expect(broadcast.state).toBe('BROADCAST');
    for (let pass = 0; pass < 2; pass++) {
      h.clock.advance(h.deps.config.settleAfterMs + 1);
      expect((await runPass(worker.deps, {}, 'all')).errors).toEqual([]);
    }
    expect(await h.record(id)).toMatchObject({ state: 'COMPLETED', txId: broadcast.txId });
    expect(h.sim.state.transactions.get(id)!.txId).toBe(broadcast.txId);
    expect(h.sim.state.completions).toEqual([{ id, txId: broadcast.txId }]);
    expect(h.broadcastsOf(id)).toHaveLength(1);
    expect(h.sim.state.errorsReported).toEqual([]);
  });
});
