/**
 * Storm folding with a fake clock over the daemon's MemoryFoldStore: the FoldStore contract, a storm of 500
 * failures becoming one message per window with the count, and the dispatcher's channel bookkeeping (a
 * failing channel does not stop the others; a retry sends only to the channels that failed).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertDeliveryError, AlertDispatcher, type AlertChannel } from '../../../lib/alerts/dispatch.js';
import { AlertFolder, MemoryFoldStore } from '../../../lib/alerts/fold.js';
import type { AlertMessage } from '../../../lib/alerts/message.js';
import { failedAlert, foldStoreContract } from './fold-store.contract.js';

foldStoreContract({ name: 'memory', create: (clock) => new MemoryFoldStore(clock), parallel: true });

class RecordingChannel implements AlertChannel {
  readonly messages: AlertMessage[] = [];
  failing = false;
  constructor(readonly name: string) {}
  async deliver(message: AlertMessage): Promise<void> {
    if (this.failing) throw new Error(`${this.name} is down`);
    this.messages.push(message);
  }
}

function rig(windowMs = 300_000) {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const clock = () => now;
  const sns = new RecordingChannel('sns');
  const webhook = new RecordingChannel('webhook');
  const dispatcher = new AlertDispatcher(new AlertFolder(new MemoryFoldStore(clock), { windowMs, clock }), [sns, webhook]);
  return { dispatcher, sns, webhook, advance: (ms: number) => (now += ms) };
}

describe('a storm', () => {
  it('500 failures of one kind within 10 minutes: one message per 5-minute window, and every one is counted', async () => {
    const { dispatcher, sns, advance } = rig();
    for (let i = 0; i < 500; i++) {
      await dispatcher.dispatch(randomUUID(), failedAlert(`fee ${1000 + i} above the cap 1000`, 'BTC'));
      advance(1_000); // 500 s
    }
    await dispatcher.dispatch(randomUUID(), failedAlert('fee 7 above the cap 1000', 'BTC'));
    // t=0 sent; 1..299 folded; t=300 s sent carrying 299; 301..499 folded (199); t=500 s folded (window until 600 s).
    expect(sns.messages).toHaveLength(2);
    expect(sns.messages[1]!.body).toContain('and 299 more like the previous one since 2026-03-01T12:00:01.000Z');
    advance(100_000);
    expect(await dispatcher.flush()).toBe(1);
    expect(sns.messages).toHaveLength(3);
    expect(sns.messages[2]!.subject).toBe('Sigil HIGH: 200 more Transaction Failed');
    expect(sns.messages[2]!.text).toContain('200 more like this since 2026-03-01T12:05:01.000Z');
    const counted = sns.messages.reduce((sum, m) => sum + Number((m.json as { folded?: { count: number } }).folded?.count ?? 0), 0);
    expect(counted + 2).toBe(501);
    expect(await dispatcher.flush()).toBe(0);
  });

  it('different chains or reasons are heard at once, each', async () => {
    const { dispatcher, sns } = rig();
    await dispatcher.dispatch(randomUUID(), failedAlert('fee 1 above the cap 1000', 'BTC'));
    await dispatcher.dispatch(randomUUID(), failedAlert('fee 2 above the cap 1000', 'ETH'));
    await dispatcher.dispatch(randomUUID(), failedAlert('Tatum refused the broadcast', 'BTC'));
    await dispatcher.dispatch(randomUUID(), failedAlert('fee 3 above the cap 1000', 'BTC'));
    expect(sns.messages).toHaveLength(3);
  });
});

describe('channels', () => {
  it('a failing webhook does not stop SNS; the retry of the event sends only the webhook, once', async () => {
    const { dispatcher, sns, webhook } = rig();
    const event = randomUUID();
    webhook.failing = true;
    const error = await dispatcher.dispatch(event, failedAlert()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as AlertDeliveryError).message).toBe('alert not delivered on webhook (webhook is down)');
    expect(sns.messages).toHaveLength(1);
    webhook.failing = false;
    await expect(dispatcher.dispatch(event, failedAlert())).resolves.toMatchObject({ decision: 'send', duplicate: true, sent: ['webhook'], skipped: ['sns'] });
    expect(sns.messages).toHaveLength(1);
    expect(webhook.messages).toHaveLength(1);
    await expect(dispatcher.dispatch(event, failedAlert())).resolves.toMatchObject({ sent: [], skipped: ['sns', 'webhook'] });
  });

  it('a failing SNS does not stop the webhook', async () => {
    const { dispatcher, sns, webhook } = rig();
    sns.failing = true;
    await expect(dispatcher.dispatch(randomUUID(), failedAlert())).rejects.toThrow('alert not delivered on sns');
    expect(webhook.messages).toHaveLength(1);
  });

  it('a flush whose delivery failed is tried again by the next flush', async () => {
    const { dispatcher, sns, advance } = rig(1_000);
    await dispatcher.dispatch(randomUUID(), failedAlert());
    await dispatcher.dispatch(randomUUID(), failedAlert());
    advance(2_000);
    sns.failing = true;
    await expect(dispatcher.flush()).rejects.toThrow(AlertDeliveryError);
    sns.failing = false;
    expect(await dispatcher.flush()).toBe(1);
    expect(sns.messages.at(-1)!.text).toContain('1 more like this since');
  });

  it('a window of 0 folds nothing', async () => {
    const { dispatcher, sns } = rig(0);
    for (let i = 0; i < 3; i++) await dispatcher.dispatch(randomUUID(), failedAlert());
    expect(sns.messages).toHaveLength(3);
  });
});
