/**
 * The contract every FoldStore adapter passes (lib/alerts/fold.ts): memory (test/unit/alerts/fold.test.ts)
 * and DynamoDB on moto (test/integration/alert-fold-dynamodb.test.ts). Driven through AlertFolder with a fake
 * clock, so the folding rules themselves are checked on each adapter: first alert sent, repeats within the
 * window counted, the next alert after the window carries the count, a flush reports a closed window once,
 * a redelivered event id is never counted twice and keeps its delivered channels.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertOf, type Alert } from '../../../lib/alerts/alert.js';
import { AlertFolder, type FoldStore } from '../../../lib/alerts/fold.js';

export interface FoldStoreFixture {
  readonly name: string;
  /** A fresh store (its own namespace) reading the given clock. */
  create(clock: () => number): FoldStore | Promise<FoldStore>;
  /**
   * Whether the backend survives truly parallel requests. moto's DynamoDB rolls a cancelled transaction back
   * by restoring a copy of the whole table, erasing writes that other requests made meanwhile, so on moto
   * the races are played by deterministic interleaving instead (test/integration/alert-fold-dynamodb.test.ts).
   */
  readonly parallel: boolean;
}

const W = 60_000;

/** A chain code of its own per test: stores may be shared between tests, and the chain is part of the fold key. */
export function uniqueChain(): string {
  return `Z${randomUUID().replace(/[^a-f]/g, '').toUpperCase().slice(0, 10)}`;
}

export function failedAlert(reason = 'fee 1200 above the cap 1000', chain = 'BTC', pendingId = randomUUID().replace(/-/g, '').slice(0, 24)): Alert {
  return alertOf({ detailType: 'Transaction Failed', detail: { pendingId, chain, reason }, time: '2026-01-01T00:00:00.000Z' });
}

export function foldStoreContract(fixture: FoldStoreFixture): void {
  describe(`FoldStore contract: ${fixture.name}`, () => {
    async function setup() {
      let now = 1_700_000_000_000;
      const clock = () => now;
      const store = await fixture.create(clock);
      const folder = new AlertFolder(store, { windowMs: W, clock });
      return { store, folder, advance: (ms: number) => (now += ms), now: () => now };
    }
    const id = () => randomUUID();

    it('sends the first alert of a key at once and folds its repeats within the window', async () => {
      const { folder, advance } = await setup();
      const chain = uniqueChain();
      expect((await folder.admit(id(), failedAlert('fee 1 above the cap 1000', chain))).decision).toBe('send');
      for (let i = 0; i < 5; i++) {
        advance(1_000);
        expect((await folder.admit(id(), failedAlert(`fee ${i + 2} above the cap 1000`, chain))).decision).toBe('fold');
      }
      // Another chain or another reason is not folded with it.
      expect((await folder.admit(id(), failedAlert('fee 1 above the cap 1000', uniqueChain()))).decision).toBe('send');
      expect((await folder.admit(id(), failedAlert('Tatum refused the broadcast', chain))).decision).toBe('send');
    });

    it('the first alert after the window closes is sent and carries the count and the time of the first repeat', async () => {
      const { folder, advance, now } = await setup();
      const chain = uniqueChain();
      await folder.admit(id(), failedAlert(undefined, chain));
      advance(5_000);
      const firstRepeat = now();
      await folder.admit(id(), failedAlert(undefined, chain));
      advance(1_000);
      await folder.admit(id(), failedAlert(undefined, chain));
      advance(W);
      const next = await folder.admit(id(), failedAlert(undefined, chain));
      expect(next).toMatchObject({ decision: 'send', carried: { count: 2, since: firstRepeat } });
      // The new window starts empty: its own repeats are counted from zero.
      advance(1_000);
      expect((await folder.admit(id(), failedAlert(undefined, chain))).decision).toBe('fold');
      advance(W);
      expect(await folder.admit(id(), failedAlert(undefined, chain))).toMatchObject({ decision: 'send', carried: { count: 1 } });
    });

    it('an alert after a quiet window carries nothing', async () => {
      const { folder, advance } = await setup();
      const chain = uniqueChain();
      await folder.admit(id(), failedAlert(undefined, chain));
      advance(W + 1);
      const next = await folder.admit(id(), failedAlert(undefined, chain));
      expect(next.decision).toBe('send');
      expect('carried' in next && next.carried).toBeFalsy();
    });

    it('a redelivered event id gets its first decision and is never counted twice', async () => {
      const { folder, advance } = await setup();
      const chain = uniqueChain();
      const first = id();
      await folder.admit(first, failedAlert(undefined, chain));
      expect(await folder.admit(first, failedAlert(undefined, chain))).toMatchObject({ decision: 'send', duplicate: true });
      const repeat = id();
      advance(1_000);
      await folder.admit(repeat, failedAlert(undefined, chain));
      for (let i = 0; i < 3; i++) expect(await folder.admit(repeat, failedAlert(undefined, chain))).toMatchObject({ decision: 'fold', duplicate: true });
      advance(W);
      expect(await folder.admit(id(), failedAlert(undefined, chain))).toMatchObject({ decision: 'send', carried: { count: 1 } });
    });

    it('records delivered channels per event id, so a retry skips them', async () => {
      const { folder } = await setup();
      const event = id();
      await folder.admit(event, failedAlert(undefined, uniqueChain()));
      await folder.markDelivered(event, 'sns');
      await folder.markDelivered(event, 'sns');
      const again = await folder.admit(event, failedAlert('ignored: the first decision stands', 'BTC'));
      expect(again).toMatchObject({ decision: 'send', duplicate: true, delivered: ['sns'] });
    });

    it('a flush reports a closed window with folded alerts once; open and empty windows are not due', async () => {
      const { folder, advance } = await setup();
      const chain = uniqueChain();
      const quiet = uniqueChain();
      await folder.admit(id(), failedAlert(undefined, chain));
      await folder.admit(id(), failedAlert(undefined, quiet));
      advance(10);
      await folder.admit(id(), failedAlert(undefined, chain));
      await folder.admit(id(), failedAlert(undefined, chain));
      const mine = async () => (await folder.dueSummaries(1000)).filter((s) => s.alert.fields.chain === chain || s.alert.fields.chain === quiet);
      expect(await mine()).toEqual([]); // still open
      advance(W);
      const due = await mine();
      expect(due.map((s) => s.carried.count)).toEqual([2]);
      expect(due[0]!.alert.summary).toContain('Transaction Failed');
      expect(await folder.settleSummary(due[0]!)).toBe(true);
      expect(await folder.settleSummary(due[0]!)).toBe(false); // moved: settled once
      expect(await mine()).toEqual([]);
      // The count was reported: the next alert carries nothing.
      const next = await folder.admit(id(), failedAlert(undefined, chain));
      expect(next.decision === 'send' && next.carried).toBeFalsy();
    });

    it.runIf(fixture.parallel)('concurrent admissions of one key: exactly one is sent, the others are all counted', async () => {
      const { folder, advance } = await setup();
      const chain = uniqueChain();
      const results = await Promise.all(Array.from({ length: 8 }, () => folder.admit(id(), failedAlert(undefined, chain))));
      expect(results.filter((r) => r.decision === 'send')).toHaveLength(1);
      advance(W);
      expect(await folder.admit(id(), failedAlert(undefined, chain))).toMatchObject({ decision: 'send', carried: { count: 7 } });
    });
  });
}
