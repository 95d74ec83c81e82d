import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryRateLimiter,
  planReservation,
  rateLimitConfig,
  rateLimitKeyForApiKey,
  RateLimitWaitError,
  type RateLimitOptions,
} from '../../../lib/tatum/rate-limiter.js';
import { describeRateLimiterContract } from '../../contract/rate-limiter.contract.js';

const shared = new WeakMap<RateLimitOptions, MemoryRateLimiter>();

describeRateLimiterContract({
  name: 'memory',
  create(options) {
    let limiter = shared.get(options);
    if (!limiter) {
      limiter = new MemoryRateLimiter(options);
      shared.set(options, limiter);
    }
    return limiter;
  },
});

describe('GCRA reservation (planReservation)', () => {
  it('never admits more than r·W + b tokens in any window, whatever the arrival pattern', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), tokens: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 200 }),
        (rate, burst, arrivals) => {
          const config = rateLimitConfig({ ratePerSecond: rate, burst, maxWaitMs: Number.POSITIVE_INFINITY });
          let tat: number | null = null;
          let now = 0;
          const admitted: Array<{ at: number; tokens: number }> = [];
          for (const { gap, tokens } of arrivals) {
            now += gap;
            const plan = planReservation('k', tat, now, tokens, config);
            tat = plan.tat;
            admitted.push({ at: now + plan.waitMs, tokens });
          }
          // Every window [s, s + w] starting at an admission holds at most r·w/1000 + b tokens.
          for (const first of admitted) {
            for (const w of [0, 50, 1000, 5000]) {
              const inWindow = admitted.filter((a) => a.at >= first.at && a.at <= first.at + w).reduce((sum, a) => sum + a.tokens, 0);
              // A single reservation larger than the burst is admitted whole once its tokens are earned.
              const largest = Math.max(...admitted.map((a) => a.tokens));
              expect(inWindow).toBeLessThanOrEqual((rate * w) / 1000 + Math.max(burst, largest) + 1e-6);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('admits immediately while tokens remain and waits exactly for the missing ones', () => {
    const config = rateLimitConfig({ ratePerSecond: 2, burst: 2 });
    const a = planReservation('k', null, 0, 1, config);
    const b = planReservation('k', a.tat, 0, 1, config);
    const c = planReservation('k', b.tat, 0, 1, config);
    expect([a.waitMs, b.waitMs, c.waitMs]).toEqual([0, 0, 500]);
    // Half a second later one token has come back: the next waits for the reservation before it.
    expect(planReservation('k', c.tat, 500, 1, config).waitMs).toBe(500);
  });

  it('refuses beyond maxWaitMs with the wait it would have needed', () => {
    const config = rateLimitConfig({ ratePerSecond: 1, burst: 1, maxWaitMs: 999 });
    const first = planReservation('k', null, 0, 1, config);
    expect(() => planReservation('k', first.tat, 0, 1, config)).toThrow(RateLimitWaitError);
  });

  it('derives the bucket key from the API key without containing it', () => {
    const apiKey = 't-66a8b1c0d9e2f3a4b5c6d7e8-0123456789abcdef';
    const bucket = rateLimitKeyForApiKey(apiKey);
    expect(bucket).toMatch(/^tatum-api:[0-9a-f]{32}$/);
    expect(bucket).not.toContain(apiKey.slice(2, 12));
    expect(rateLimitKeyForApiKey(apiKey)).toBe(bucket);
    expect(rateLimitKeyForApiKey(`${apiKey}x`)).not.toBe(bucket);
  });
});
