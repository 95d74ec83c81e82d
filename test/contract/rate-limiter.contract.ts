/**
 * The contract every RateLimiter adapter passes (lib/tatum/rate-limiter.ts): memory, SQLite, DynamoDB.
 *
 * Exact behaviour with a fake clock (burst, spacing, reservation order, separate keys, several tokens,
 * maxWaitMs refusing without reserving, shared buckets between instances, argument checks), then the
 * bound with real time: over a window W, at most r·W + b admissions even with 4 concurrent acquirers
 * (and, where the fixture can, acquirers in other processes on the same storage), and every waiting
 * acquirer proceeds.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.js';
import { RateLimitWaitError, type RateLimiter, type RateLimitOptions } from '../../lib/tatum/rate-limiter.js';

export interface ExternalAcquirersSetup {
  readonly key: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Concurrent acquirers per process. */
  readonly acquirers: number;
}

/** Processes that are loaded and waiting; `run` starts them all at `startAt` (wall-clock ms). */
export interface ExternalAcquirers {
  /** Acquire from startAt until stopAt; resolves with each process's admission times. */
  run(startAt: number, stopAt: number): Promise<number[][]>;
}

export interface RateLimiterFixture {
  readonly name: string;
  /**
   * A limiter on the adapter's shared storage. Limiters created with the same options object must share
   * their buckets (the memory adapter returns one instance per options object).
   */
  create(options: RateLimitOptions): RateLimiter | Promise<RateLimiter>;
  /** Starts acquirers in other processes on the same storage, resolving once they are ready. */
  readonly external?: (setup: ExternalAcquirersSetup) => Promise<ExternalAcquirers>;
}

/** Slack for timer and clock granularity (Date.now() is whole ms; timers may fire a ms early). */
const SLACK_MS = 5;

function fakeTime(start = 1_700_000_000_000) {
  const t = { now: start, sleeps: [] as number[] };
  return {
    t,
    clock: () => t.now,
    sleep: async (ms: number) => {
      t.sleeps.push(Math.round(ms * 1000) / 1000);
    },
  };
}

function countUpTo(times: readonly number[], end: number): number {
  return times.filter((time) => time <= end).length;
}

async function acquireUntil(limiter: RateLimiter, key: string, stopAt: number, into: number[]): Promise<void> {
  while (Date.now() < stopAt) {
    await limiter.acquire(key);
    into.push(Date.now());
  }
}

export function describeRateLimiterContract(fixture: RateLimiterFixture): void {
  describe(`RateLimiter contract: ${fixture.name}`, () => {
    const key = () => `test:${randomUUID()}`;

    it('grants an idle bucket its burst at once, then reserves one token per 1/r s in arrival order', async () => {
      const f = fakeTime();
      const limiter = await fixture.create({ ratePerSecond: 10, burst: 3, clock: f.clock, sleep: f.sleep });
      const k = key();
      for (let i = 0; i < 3; i++) await limiter.acquire(k);
      expect(f.t.sleeps).toEqual([]);
      await limiter.acquire(k);
      await limiter.acquire(k);
      await limiter.acquire(k);
      // Each later acquirer holds a reservation behind the earlier ones.
      expect(f.t.sleeps).toEqual([100, 200, 300]);
      // After a long idle time the bucket is full again, never fuller.
      f.t.now += 10_000;
      f.t.sleeps.length = 0;
      for (let i = 0; i < 4; i++) await limiter.acquire(k);
      expect(f.t.sleeps).toEqual([100]);
    });

    it('keeps buckets of different keys apart', async () => {
      const f = fakeTime();
      const limiter = await fixture.create({ ratePerSecond: 1, burst: 1, clock: f.clock, sleep: f.sleep });
      await limiter.acquire(key());
      await limiter.acquire(key());
      expect(f.t.sleeps).toEqual([]);
    });

    it('takes several tokens at once, and more than the burst by waiting for them', async () => {
      const f = fakeTime();
      const limiter = await fixture.create({ ratePerSecond: 10, burst: 5, clock: f.clock, sleep: f.sleep });
      const k = key();
      await limiter.acquire(k, 5);
      await limiter.acquire(k, 2);
      expect(f.t.sleeps).toEqual([200]);
      const big = key();
      await limiter.acquire(big, 8);
      expect(f.t.sleeps).toEqual([200, 300]);
    });

    it('refuses a reservation that would wait beyond maxWaitMs, and reserves nothing then', async () => {
      const f = fakeTime();
      const limiter = await fixture.create({ ratePerSecond: 10, burst: 1, maxWaitMs: 150, clock: f.clock, sleep: f.sleep });
      const k = key();
      await limiter.acquire(k);
      await limiter.acquire(k);
      const error = await limiter.acquire(k).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitWaitError);
      expect((error as RateLimitWaitError).waitMs).toBe(200);
      // Had the refused call reserved its token, this one would wait 200 ms and be refused too.
      f.t.now += 100;
      await limiter.acquire(k);
      expect(f.t.sleeps).toEqual([100, 100]);
    });

    it('shares one bucket between limiter instances on the same storage', async () => {
      const f = fakeTime();
      const options: RateLimitOptions = { ratePerSecond: 4, burst: 2, clock: f.clock, sleep: f.sleep };
      const a = await fixture.create(options);
      const b = await fixture.create(options);
      const k = key();
      await a.acquire(k);
      await b.acquire(k);
      await a.acquire(k);
      await b.acquire(k);
      expect(f.t.sleeps).toEqual([250, 500]);
    });

    it('rejects bad arguments with InvalidInputError and never a raw key-like value', async () => {
      const limiter = await fixture.create({ ratePerSecond: 10, burst: 1 });
      for (const tokens of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(limiter.acquire(key(), tokens)).rejects.toBeInstanceOf(InvalidInputError);
      }
      for (const bad of ['', 'has space', 'x'.repeat(201)]) await expect(limiter.acquire(bad)).rejects.toBeInstanceOf(InvalidInputError);
      const create = (options: RateLimitOptions) => Promise.resolve().then(() => fixture.create(options));
      await expect(create({ ratePerSecond: 0, burst: 1 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(create({ ratePerSecond: 1, burst: 0.5 })).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('admits at most r·W + b over a window with 4 concurrent acquirers, and keeps admitting', async () => {
      const rate = 40;
      const burst = 5;
      const windowMs = 1000;
      const options: RateLimitOptions = { ratePerSecond: rate, burst };
      const limiters = [await fixture.create(options), await fixture.create(options)];
      const k = key();
      const times: number[][] = [[], [], [], []];
      const start = Date.now();
      const stopAt = start + windowMs + 200;
      await Promise.all(times.map((into, i) => acquireUntil(limiters[i % 2]!, k, stopAt, into)));
      const all = times.flat();
      const bound = Math.floor((rate * (windowMs + SLACK_MS)) / 1000 + burst);
      expect(countUpTo(all, start + windowMs)).toBeLessThanOrEqual(bound);
      // Throughput close to the limit, and no acquirer starved.
      expect(countUpTo(all, start + windowMs)).toBeGreaterThanOrEqual(Math.floor(0.6 * ((rate * windowMs) / 1000)));
      for (const own of times) expect(own.length).toBeGreaterThan(3);
    });

    it('lets every waiting acquirer proceed, in bounded time', async () => {
      const limiter = await fixture.create({ ratePerSecond: 50, burst: 1 });
      const k = key();
      const start = Date.now();
      const done = await Promise.all(Array.from({ length: 20 }, () => limiter.acquire(k).then(() => Date.now() - start)));
      expect(done).toHaveLength(20);
      // 19 tokens beyond the burst at 50/s: 380 ms, plus storage latency.
      expect(Math.max(...done)).toBeGreaterThanOrEqual(380 - SLACK_MS);
      expect(Math.max(...done)).toBeLessThan(3000);
    });

    if (fixture.external) {
      const external = fixture.external;
      it('holds the bound with acquirers in two other processes on the same storage', async () => {
        const rate = 40;
        const burst = 5;
        const windowMs = 1500;
        const k = key();
        const others = await external({ key: k, ratePerSecond: rate, burst, acquirers: 2 });
        const limiter = await fixture.create({ ratePerSecond: rate, burst });
        const startAt = Date.now() + 100;
        const stopAt = startAt + windowMs + 200;
        const local: number[][] = [[], []];
        const [children] = await Promise.all([
          others.run(startAt, stopAt),
          (async () => {
            await new Promise((r) => setTimeout(r, startAt - Date.now()));
            await Promise.all(local.map((into) => acquireUntil(limiter, k, stopAt, into)));
          })(),
        ]);
        expect(children.length).toBeGreaterThanOrEqual(2);
        const all = [...children.flat(), ...local.flat()];
        const bound = Math.floor((rate * (windowMs + SLACK_MS)) / 1000 + burst);
        expect(countUpTo(all, startAt + windowMs)).toBeLessThanOrEqual(bound);
        expect(countUpTo(all, startAt + windowMs)).toBeGreaterThanOrEqual(Math.floor(0.6 * ((rate * windowMs) / 1000)));
        for (const process of children) expect(process.length).toBeGreaterThan(3);
      });
    }
  });
}
