/**
 * The RateLimiter port: one token bucket per key (the hash of a Tatum API key, never the key), shared by
 * every process and container that uses that key, so that poll, RPC and broadcast traffic together stay
 * under Tatum's limit and Sigil never causes a 429 itself. Adapters: `MemoryRateLimiter` here (one
 * process), `SqliteRateLimiter` (lib/store/rate-limit-sqlite.ts: several daemons on one file) and
 * `DynamoDbRateLimiter` (lib/store/rate-limit-dynamodb.ts: Lambdas); all pass
 * test/contract/rate-limiter.contract.ts.
 *
 * Algorithm: GCRA, the "virtual scheduling" form of a token bucket of rate r tokens/s and capacity b. The
 * whole state of a bucket is one number, its theoretical arrival time `tat` (ms since the epoch). With
 * T = 1000 / r ms per token and τ = b·T, an acquisition of n tokens at time `now` RESERVES them:
 *
 *     tat' = max(tat, now) + n·T        allowedAt = tat' − τ        wait = max(0, allowedAt − now)
 *
 * stores tat' (one atomic read-modify-write: a JS turn, a `BEGIN IMMEDIATE` transaction, a conditional
 * DynamoDB update) and then sleeps `wait`. The k-th token reserved after a bucket was idle is allowed at
 * ≥ t0 + (k − b)·T, so over any window W at most r·W + b tokens are admitted, however many acquirers
 * race; and since every acquirer holds a reservation, each proceeds after a bounded wait in arrival
 * order (no retry loop, no starvation). Tokens available at `now` are (now + τ − tat) / T, capped at b.
 *
 * A reservation that would wait longer than `maxWaitMs` is not made: RateLimitWaitError, the bucket
 * unchanged. Clock skew between hosts only makes a fast host's reservations look later to the others:
 * it lowers throughput, never raises it above the bound.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError, SigilError } from '../errors.js';

export interface RateLimiter {
  /** Wait until `tokens` (default 1) of the bucket `key` are available, and take them. */
  acquire(key: string, tokens?: number): Promise<void>;
}

export interface RateLimitOptions {
  /** Sustained rate, tokens per second (> 0). */
  readonly ratePerSecond: number;
  /** Bucket capacity: how many tokens an idle bucket grants at once (≥ 1). */
  readonly burst: number;
  /** Refuse (RateLimitWaitError) rather than wait longer than this. Default 60,000 ms. */
  readonly maxWaitMs?: number;
  /** Milliseconds since the epoch; shared buckets need a wall clock every process agrees on. */
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RateLimitConfig {
  readonly msPerToken: number;
  readonly toleranceMs: number;
  readonly maxWaitMs: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface Reservation {
  /** The bucket's new theoretical arrival time, to store. */
  readonly tat: number;
  /** How long the acquirer waits before its tokens are allowed. */
  readonly waitMs: number;
}

/** The wait a reservation would need exceeds `maxWaitMs`; nothing was reserved. */
export class RateLimitWaitError extends SigilError {
  readonly waitMs: number;
  constructor(key: string, waitMs: number, maxWaitMs: number) {
    super('RATE_LIMIT_WAIT', `rate limit bucket ${key} would make this request wait ${Math.ceil(waitMs)} ms, more than the allowed ${maxWaitMs} ms`, {
      key,
      waitMs: Math.ceil(waitMs),
      maxWaitMs,
    });
    this.waitMs = waitMs;
  }
}

const DEFAULT_MAX_WAIT_MS = 60_000;
const BUCKET_KEY = /^[\x21-\x7e]{1,200}$/;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Validate limiter options once, at construction. */
export function rateLimitConfig(options: RateLimitOptions): RateLimitConfig {
  const { ratePerSecond, burst } = options;
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new InvalidInputError('rate limit ratePerSecond must be a finite number > 0', { field: 'ratePerSecond' });
  }
  if (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1) {
    throw new InvalidInputError('rate limit burst must be a finite number >= 1', { field: 'burst' });
  }
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  if (typeof maxWaitMs !== 'number' || Number.isNaN(maxWaitMs) || maxWaitMs < 0) {
    throw new InvalidInputError('rate limit maxWaitMs must be a number >= 0', { field: 'maxWaitMs' });
  }
  const msPerToken = 1000 / ratePerSecond;
  return { msPerToken, toleranceMs: burst * msPerToken, maxWaitMs, clock: options.clock ?? Date.now, sleep: options.sleep ?? realSleep };
}

/** Check the arguments of `acquire` (the boundary: a key is never a raw API key, tokens a positive number). */
export function checkAcquire(key: unknown, tokens: unknown): asserts key is string {
  if (typeof key !== 'string' || !BUCKET_KEY.test(key)) {
    throw new InvalidInputError('rate limit key must be 1 to 200 printable ASCII characters', { field: 'key' });
  }
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens <= 0) {
    throw new InvalidInputError('rate limit tokens must be a finite number > 0', { field: 'tokens' });
  }
}

/**
 * The GCRA step (see the header). `previousTat` null: a bucket never used, i.e. full. Throws
 * RateLimitWaitError when the wait would exceed `maxWaitMs` (the caller then writes nothing).
 */
export function planReservation(key: string, previousTat: number | null, now: number, tokens: number, config: RateLimitConfig): Reservation {
  const start = previousTat === null || previousTat < now ? now : previousTat;
  const tat = start + tokens * config.msPerToken;
  const waitMs = Math.max(0, tat - config.toleranceMs - now);
  if (waitMs > config.maxWaitMs) throw new RateLimitWaitError(key, waitMs, config.maxWaitMs);
  return { tat, waitMs };
}

/** The bucket key of a Tatum API key: a truncated sha256, so stores and logs never hold the key. */
export function rateLimitKeyForApiKey(apiKey: string): string {
  return `tatum-api:${createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Buckets in this process's memory: correct for one process only (a daemon alone, tests). */
export class MemoryRateLimiter implements RateLimiter {
  readonly #config: RateLimitConfig;
  readonly #tats = new Map<string, number>();

  constructor(options: RateLimitOptions) {
    this.#config = rateLimitConfig(options);
  }

  async acquire(key: string, tokens = 1): Promise<void> {
    checkAcquire(key, tokens);
    const reservation = planReservation(key, this.#tats.get(key) ?? null, this.#config.clock(), tokens, this.#config);
    this.#tats.set(key, reservation.tat);
    if (reservation.waitMs > 0) await this.#config.sleep(reservation.waitMs);
  }
}

/** A limiter that never waits (tests; a deployment that knowingly opts out). */
export class UnlimitedRateLimiter implements RateLimiter {
  async acquire(key: string, tokens = 1): Promise<void> {
    checkAcquire(key, tokens);
  }
}

/**
 * The burst Sigil grants its own bucket for a configured rate: a tenth of a second's worth (at least 1). A
 * full second's burst would let a clump of requests, bunched further by network jitter, reach Tatum above
 * its own limit (measured: 20 429s per 1,000 txs at 50 req/s with burst 50, none with burst 5).
 */
export function defaultBurstFor(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond / 10));
}
