/**
 * An event sink that fails (EventBridge PutEvents refused or unreachable: EventDeliveryError) after the
 * ledger write it announces: the write stands, the transaction is not failed for it, and a later pass
 * finishes the job or sends the event again.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DetailType, EventDetail } from '../../lib/events/catalogue.js';
import type { EventSink } from '../../lib/events/event-sink.js';
import { EventDeliveryError } from '../../lib/events/eventbridge-sink.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;

let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The harness's sink, refusing the next `times` events of `type` as EventBridge would. */
function failingOnce(inner: EventSink, type: DetailType, times = 1): EventSink {
  let left = times;
  return {
    emit: async (detailType: DetailType, detail: EventDetail) => {
      if (detailType === type && left > 0) {
        left--;
        throw new EventDeliveryError(`EventBridge PutEvents failed for "${detailType}"`, { detailType });
      }
      return inner.emit(detailType, detail);
    },
  };
}

async function ethTx(h: PipelineHarness): Promise<string> {
  const wallet = await h.storePrivateKey('ETH', `0x${randomBytes(32).toString('hex')}`);
  return h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: GWEI }) });
}

describe('a failing event sink never fails a transaction', () => {
  it('"Transaction Signed" refused after the raw tx was stored: not FAILED, not reported; broadcast by the next pass', async () => {
    const h = (harness = await startPipelineHarness());
    const id = await ethTx(h);
    const deps = { ...h.deps, events: failingOnce(h.events, 'Transaction Signed') };
    const first = await runPass(deps, {}, 'all');
    expect(first.errors).toEqual([expect.stringContaining('EVENT_DELIVERY')]);
    const signed = await h.record(id);
    expect(signed.state).toBe('SIGNED');
    expect(h.sim.state.errorsReported).toEqual([]);

    await runPass(deps, {}, 'all');
    const done = await h.record(id);
    expect(done.state).toBe('COMPLETED');
    expect(h.broadcastsOf(id)).toEqual([{ path: '/v3/ethereum/broadcast', txData: signed.raw }]);
    expect(h.sim.state.errorsReported).toEqual([]);
    expect(h.events.count('Transaction Failed')).toBe(0);
  });

  it('"Transaction Signed" refused in the AWS signer: the poller announces the signed tx again once it is due', async () => {
    const h = (harness = await startPipelineHarness());
    const id = await ethTx(h);
    await runPass(h.deps, {}, 'approve');
    const { signPendingById } = await import('../../lib/pipeline/handoff.js');
    const signer = { ...h.worker('sign-lambda').deps, events: failingOnce(h.events, 'Transaction Signed') };
    await expect(signPendingById(signer, id)).rejects.toThrow(EventDeliveryError);
    expect((await h.record(id)).state).toBe('SIGNED');
    expect(await signPendingById(signer, id)).toBe('skipped'); // the queue's redelivery: nothing signed twice
    h.clock.advance(h.deps.config.settleAfterMs + 1);
    await runPass(h.deps, {}, 'approve');
    expect(h.events.count('Transaction Signed', id)).toBe(1);
    expect(h.sim.state.errorsReported).toEqual([]);
  });

  it('"Transaction Broadcast" refused after the broadcast: settled to COMPLETED from Tatum, never re-sent', async () => {
    const h = (harness = await startPipelineHarness());
    const id = await ethTx(h);
    const deps = { ...h.deps, events: failingOnce(h.events, 'Transaction Broadcast') };
    await runPass(deps, {}, 'all');
    expect((await h.record(id)).state).toBe('BROADCAST');
    h.clock.advance(h.deps.config.settleAfterMs + 1);
    await runPass(deps, {}, 'all');
    expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.broadcastsOf(id)).toHaveLength(1);
    expect(h.sim.state.errorsReported).toEqual([]);
  });

  it('"Pending Transaction Approved" refused: the record stays APPROVED and the hand-over is sent again', async () => {
    const h = (harness = await startPipelineHarness());
    const id = await ethTx(h);
    const deps = { ...h.deps, events: failingOnce(h.events, 'Pending Transaction Approved', 2) };
    await runPass(deps, {}, 'approve');
    expect((await h.record(id)).state).toBe('APPROVED');
    // A fresh hand-over is not re-announced at once; each later pass past settleAfterMs announces it again.
    for (let pass = 0; pass < 2; pass++) {
      h.clock.advance(h.deps.config.settleAfterMs + 1);
      await runPass(deps, {}, 'approve');
    }
    expect(h.events.count('Pending Transaction Approved', id)).toBeGreaterThanOrEqual(1);
    expect(h.keys.decrypts).toEqual([]);
  });
});
