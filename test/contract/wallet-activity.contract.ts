/**
 * The contract every WalletActivity adapter passes (lib/store/wallet-activity.ts): SQLite and DynamoDB.
 *
 * First-time destinations (per wallet, once ever, also under races), idempotence on (wallet, pendingId)
 * (a retry with another `at` changes nothing; other content is a CONFLICT), `since` (strictly after
 * sinceMs, newest first in the total order (at, pendingId), exclusion, limit), `hasSentTo` with exclusion,
 * and argument checks. Each test uses fresh wallet ids, so adapters may share one storage.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.js';
import { StoreError } from '../../lib/store/store-error.js';
import type { ActivityEntry, WalletActivity } from '../../lib/store/wallet-activity.js';

export interface WalletActivityFixture {
  readonly name: string;
  /** An activity store on the adapter's shared storage; stores from one fixture see the same data. */
  create(): WalletActivity | Promise<WalletActivity>;
}

const pid = () => randomBytes(12).toString('hex');
const T0 = 1_750_000_000_000;
const A = '0x45ed61920025dbb877f385dedd192a2408a8561c';
const B = 'bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl';
const C = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT';

function entry(wallet: string, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return { wallet, pendingId: pid(), chain: 'ETH', at: T0, amount: '1000000000000000000', destinations: [A], ...overrides };
}

export function describeWalletActivityContract(fixture: WalletActivityFixture): void {
  describe(`WalletActivity contract: ${fixture.name}`, () => {
    it('reports each destination first-time once per wallet, and independently per wallet', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      expect((await store.record(entry(w, { destinations: [A, B] }))).firstTimeDestinations).toEqual([A, B]);
      expect((await store.record(entry(w, { destinations: [B, C, A], at: T0 + 1 }))).firstTimeDestinations).toEqual([C]);
      expect((await store.record(entry(w, { destinations: [C], at: T0 + 2 }))).firstTimeDestinations).toEqual([]);
      expect((await store.record(entry(randomUUID(), { destinations: [A] }))).firstTimeDestinations).toEqual([A]);
      // A wallet is one UUID whatever its case.
      expect((await store.record(entry(w.toUpperCase(), { destinations: [A, 'contract-creation'] }))).firstTimeDestinations).toEqual(['contract-creation']);
      // Duplicates in one entry count once; no destinations at all (all change) is a valid entry.
      expect((await store.record(entry(randomUUID(), { destinations: [B, B] }))).firstTimeDestinations).toEqual([B]);
      expect((await store.record(entry(randomUUID(), { destinations: [] }))).firstTimeDestinations).toEqual([]);
      await store.close();
    });

    it('is idempotent on (wallet, pendingId): a retry returns the same answer, keeps the first at, adds nothing', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      const first = entry(w, { destinations: [A, B] });
      expect((await store.record(first)).firstTimeDestinations).toEqual([A, B]);
      const later = entry(w, { destinations: [B], at: T0 + 10 });
      expect((await store.record(later)).firstTimeDestinations).toEqual([]);
      expect((await store.record(first)).firstTimeDestinations).toEqual([A, B]);
      expect((await store.record({ ...first, at: T0 + 999 })).firstTimeDestinations).toEqual([A, B]);
      expect((await store.record(later)).firstTimeDestinations).toEqual([]);
      const all = await store.since(w, 0);
      expect(all.map((e) => [e.pendingId, e.at])).toEqual([
        [later.pendingId, T0 + 10],
        [first.pendingId, T0],
      ]);
      expect(all[1]).toEqual(first);
      await store.close();
    });

    it('refuses the same (wallet, pendingId) with another amount, chain or destinations as CONFLICT, and keeps the first', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      const first = entry(w, { destinations: [A] });
      await store.record(first);
      for (const change of [{ amount: '1' }, { chain: 'BSC' }, { destinations: [A, B] }, { destinations: [B] }]) {
        const error = await store.record({ ...first, ...change }).catch((e: unknown) => e);
        expect(error, JSON.stringify(change)).toBeInstanceOf(StoreError);
        expect((error as StoreError).code).toBe('CONFLICT');
      }
      expect(await store.since(w, 0)).toEqual([first]);
      expect(await store.hasSentTo(w, B)).toBe(false);
      await store.close();
    });

    it('since: strictly after sinceMs, newest first (ties by pendingId, descending), excluding and limiting', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      const other = randomUUID();
      const ids = Array.from({ length: 6 }, pid);
      const ats = [T0, T0 + 5, T0 + 5, T0 + 10, T0 + 20, T0 + 30];
      for (let i = 0; i < ids.length; i++) await store.record(entry(w, { pendingId: ids[i]!, at: ats[i]!, amount: String(i) }));
      await store.record(entry(other, { at: T0 + 15 }));
      const expected = ids.map((id, i) => ({ id, at: ats[i]! })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
      const got = (await store.since(w, T0 - 1)).map((e) => e.pendingId);
      expect(got).toEqual(expected.map((e) => e.id));
      // Strictly after: the entries at T0 + 5 are out when sinceMs is T0 + 5.
      expect((await store.since(w, T0 + 5)).map((e) => e.at)).toEqual([T0 + 30, T0 + 20, T0 + 10]);
      expect((await store.since(w, T0 + 4.5)).map((e) => e.at)).toEqual([T0 + 30, T0 + 20, T0 + 10, T0 + 5, T0 + 5]);
      expect(await store.since(w, T0 + 30)).toEqual([]);
      expect((await store.since(w, Number.NEGATIVE_INFINITY)).length).toBe(6);
      expect((await store.since(w, -5)).length).toBe(6);
      expect((await store.since(w, 0, { limit: 2 })).map((e) => e.pendingId)).toEqual(expected.slice(0, 2).map((e) => e.id));
      const newest = expected[0]!.id;
      expect((await store.since(w, 0, { limit: 2, excludePendingId: newest })).map((e) => e.pendingId)).toEqual(expected.slice(1, 3).map((e) => e.id));
      expect((await store.since(w, 0, { excludePendingId: expected[3]!.id })).map((e) => e.pendingId)).toEqual(expected.filter((_, i) => i !== 3).map((e) => e.id));
      expect((await store.since(w.toUpperCase(), 0)).length).toBe(6);
      expect(await store.since(randomUUID(), 0)).toEqual([]);
      // Entries come back whole.
      expect((await store.since(w, T0 + 25))[0]).toEqual(entry(w, { pendingId: ids[5]!, at: T0 + 30, amount: '5' }));
      await store.close();
    });

    it('hasSentTo: false before, true after, and false when only the excluded entry sent there', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      expect(await store.hasSentTo(w, A)).toBe(false);
      const one = entry(w, { destinations: [A] });
      await store.record(one);
      expect(await store.hasSentTo(w, A)).toBe(true);
      expect(await store.hasSentTo(w.toUpperCase(), A)).toBe(true);
      expect(await store.hasSentTo(randomUUID(), A)).toBe(false);
      expect(await store.hasSentTo(w, B)).toBe(false);
      expect(await store.hasSentTo(w, A, { excludePendingId: one.pendingId })).toBe(false);
      expect(await store.hasSentTo(w, A, { excludePendingId: pid() })).toBe(true);
      const two = entry(w, { destinations: [A], at: T0 + 1 });
      await store.record(two);
      expect(await store.hasSentTo(w, A, { excludePendingId: one.pendingId })).toBe(true);
      expect(await store.hasSentTo(w, A, { excludePendingId: two.pendingId })).toBe(true);
      // A long non-standard output script is a destination like any other.
      const script = `script:${'ab'.repeat(1500)}`;
      expect((await store.record(entry(w, { destinations: [script], at: T0 + 2 }))).firstTimeDestinations).toEqual([script]);
      expect(await store.hasSentTo(w, script)).toBe(true);
      expect(await store.hasSentTo(w, `script:${'ab'.repeat(1499)}cd`)).toBe(false);
      await store.close();
    });

    it('concurrent records of one entry all see the same first-time destinations; one entry is stored', async () => {
      const [a, b] = [await fixture.create(), await fixture.create()];
      const w = randomUUID();
      const e = entry(w, { destinations: [A, B, C] });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).record(e)));
      for (const r of results) expect(r.firstTimeDestinations).toEqual([A, B, C]);
      expect(await a.since(w, 0)).toEqual([e]);
      await a.close();
      await b.close();
    });

    it('concurrent records of different entries to a new destination: exactly one finds it first-time', async () => {
      const [a, b] = [await fixture.create(), await fixture.create()];
      const w = randomUUID();
      const entries = Array.from({ length: 6 }, (_, i) => entry(w, { destinations: [A], at: T0 + i }));
      const results = await Promise.all(entries.map((e, i) => (i % 2 === 0 ? a : b).record(e)));
      const firsts = results.map((r, i) => (r.firstTimeDestinations.length > 0 ? entries[i]!.pendingId : null)).filter((x) => x !== null);
      expect(firsts).toHaveLength(1);
      expect(results.flatMap((r) => r.firstTimeDestinations)).toEqual([A]);
      expect((await a.since(w, 0)).length).toBe(6);
      // Excluding the first sender still finds the others.
      expect(await a.hasSentTo(w, A, { excludePendingId: firsts[0]! })).toBe(true);
      await a.close();
      await b.close();
    });

    it('refuses malformed entries and arguments with InvalidInputError, storing nothing', async () => {
      const store = await fixture.create();
      const w = randomUUID();
      const bad: Array<Partial<Record<keyof ActivityEntry, unknown>>> = [
        { wallet: 'not-a-uuid' },
        { pendingId: 'ABCDEF0123456789ABCDEF01' },
        { pendingId: 'abc' },
        { chain: 'eth' },
        { at: -1 },
        { at: 1.5 },
        { at: Number.NaN },
        { amount: '-1' },
        { amount: '01' },
        { amount: '1.5' },
        { amount: 5 },
        { destinations: 'x' },
        { destinations: ['has space'] },
        { destinations: [''] },
        { destinations: [A, 7] },
      ];
      for (const change of bad) {
        await expect(store.record({ ...entry(w), ...change } as ActivityEntry), JSON.stringify(change)).rejects.toBeInstanceOf(InvalidInputError);
      }
      expect(await store.since(w, 0)).toEqual([]);
      for (const limit of [0, -1, 1.5, 10_001]) await expect(store.since(w, 0, { limit })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.since(w, Number.NaN)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.since('x', 0)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.since(w, 0, { excludePendingId: 'x' })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.hasSentTo(w, 'a b')).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.hasSentTo(w, A, { excludePendingId: 'nope' })).rejects.toBeInstanceOf(InvalidInputError);
      await store.close();
    });
  });
}
