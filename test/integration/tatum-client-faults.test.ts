/**
 * HttpTatumApi's failure policy against the simulator's fault injection over real HTTP: retries with
 * backoff and Retry-After (waits asserted through an injected sleep), bounded attempts and total time,
 * timeouts, malformed bodies, the broadcast that went through but answered 5xx, `mayHaveReached`, the
 * shared rate limiter (zero 429s), and the API key absent from every error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import vectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { HttpTatumApi, type HttpTatumApiOptions } from '../../lib/tatum/client.js';
import { MemoryRateLimiter, RateLimitWaitError, UnlimitedRateLimiter, type RateLimiter } from '../../lib/tatum/rate-limiter.js';
import { TatumHttpError, TatumResponseError, TatumRpcError } from '../../lib/tatum/tatum-errors.js';
import { startTatumSimulator, type TatumSimulator } from '../../sandbox/tatum/simulator.js';

const API_KEY = 'sim-key-2b9e4c7a1f3d5e6a8b0c2d4e6f8a0b1c';
const W1 = '6f2c1a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
const evm = vectors.signing.find((v) => v.name === 'evm-eth')!;
/** Whole second, so an HTTP-date Retry-After gives an exact wait. */
const T0 = Date.parse('2026-11-25T12:00:00Z');

let sim: TatumSimulator;
let time: { now: number; sleeps: number[] };

beforeEach(async () => {
  sim = await startTatumSimulator({ apiKey: API_KEY });
  time = { now: T0, sleeps: [] };
});

afterEach(async () => {
  await sim.close();
});

/** A client whose waits are recorded (and advance its clock) instead of slept; jitter fixed at 0.5. */
function client(overrides: Partial<HttpTatumApiOptions> = {}): HttpTatumApi {
  return new HttpTatumApi({
    baseUrl: sim.url,
    apiKey: API_KEY,
    rateLimiter: new UnlimitedRateLimiter(),
    clock: () => time.now,
    sleep: async (ms) => {
      time.sleeps.push(ms);
      time.now += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
}

function pendingTx() {
  return sim.state.addPending({ chain: 'ETH', serializedTransaction: evm.serializedTransaction, hashes: [W1] });
}

async function failure<T extends Error>(promise: Promise<unknown>): Promise<T> {
  const outcome = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (outcome === null) throw new Error('expected a failure');
  return outcome as T;
}

describe('retries', () => {
  it('retries a read after 5xx with exponential backoff and full jitter', async () => {
    pendingTx();
    sim.setFaults({ serverError: { times: 2, status: 503 } });
    const batch = await client().pendingTransactions('ETH', [W1]);
    expect(batch.transactions).toHaveLength(1);
    // random 0.5 × min(8000, 250 × 2^(n−1))
    expect(time.sleeps).toEqual([125, 250]);
    expect(sim.state.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('honours Retry-After in seconds on 429', async () => {
    sim.setFaults({ tooManyRequests: { times: 2, retryAfter: '3' } });
    await client().pendingTransactions('ETH', [W1]);
    expect(time.sleeps).toEqual([3000, 3000]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    sim.setFaults({ tooManyRequests: { times: 1, retryAfter: new Date(T0 + 7000).toUTCString() } });
    await client().rpc('ETH', 'eth_chainId', []);
    expect(time.sleeps).toEqual([7000]);
  });

  it('stops after maxAttempts with a retryable error that may have reached Tatum', async () => {
    sim.setFaults({ serverError: {} });
    const error = await failure<TatumHttpError>(client({ maxAttempts: 4 }).getPendingTransaction('aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(error).toBeInstanceOf(TatumHttpError);
    expect(error).toMatchObject({ kind: 'status', status: 503, retryable: true, mayHaveReached: true, attempts: 4 });
    expect(sim.state.requests).toHaveLength(4);
    expect(time.sleeps).toEqual([125, 250, 500]);
  });

  it('does not start a wait that would end past maxElapsedMs, and says how long Tatum asked to wait', async () => {
    sim.setFaults({ tooManyRequests: { retryAfter: '120' } });
    const error = await failure<TatumHttpError>(client({ maxElapsedMs: 60_000 }).pendingTransactions('ETH', [W1]));
    expect(error).toMatchObject({ status: 429, attempts: 1, retryable: true, retryAfterMs: 120_000 });
    expect(time.sleeps).toEqual([]);
    // Backoff waits are bounded by the same budget.
    sim.setFaults({ serverError: {} });
    time.sleeps = [];
    const again = await failure<TatumHttpError>(client({ maxAttempts: 10, maxElapsedMs: 1000, random: () => 0.99 }).pendingTransactions('ETH', [W1]));
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
    expect(again.attempts).toBe(time.sleeps.length + 1);
  });

  it('does not retry a refusal (4xx): it did not reach processing', async () => {
    sim.setFaults({ serverError: { status: 400, body: '{"statusCode":400,"errorCode":"validation.failed","message":"bad body"}' } });
    const error = await failure<TatumHttpError>(client().pendingTransactions('ETH', [W1]));
    expect(error).toMatchObject({ status: 400, retryable: false, mayHaveReached: false, attempts: 1, tatumErrorCode: 'validation.failed', tatumMessage: 'bad body' });
  });

  it('acquires a rate-limit token before every attempt, retries included', async () => {
    const keys: string[] = [];
    sim.setFaults({ serverError: { times: 2 } });
    await client({ rateLimiter: { acquire: async (key) => void keys.push(key) } }).pendingTransactions('ETH', [W1]);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^tatum-api:[0-9a-f]{32}$/);
  });
});

describe('broadcast is sent at most once unless it surely did not arrive', () => {
  it('does not retry a 5xx: the error may have reached Tatum', async () => {
    const tx = pendingTx();
    sim.setFaults({ serverError: { match: '/broadcast' } });
    const error = await failure<TatumHttpError>(client().broadcast('ethereum', evm.signed, tx.id as string));
    expect(error).toMatchObject({ status: 503, mayHaveReached: true, retryable: true, attempts: 1 });
    expect(sim.state.requests).toHaveLength(1);
  });

  it('reports a broadcast that was recorded but answered 5xx as mayHaveReached', async () => {
    const tx = pendingTx();
    sim.setFaults({ broadcastRecordedThenError: { status: 502 } });
    const error = await failure<TatumHttpError>(client().broadcast('ethereum', evm.signed, tx.id as string));
    expect(error).toMatchObject({ status: 502, mayHaveReached: true, attempts: 1 });
    expect(sim.state.broadcasts).toHaveLength(1);
    expect(sim.state.broadcasts[0]!.txData).toBe(evm.signed);
    // What the pipeline's settle step will see:
    expect((await client().getPendingTransaction(tx.id as string))?.txId).toBe(sim.state.broadcasts[0]!.txId);
  });

  it('retries a broadcast while the connection is refused, and says it never reached Tatum', async () => {
    const url = sim.url;
    await sim.close();
    const error = await failure<TatumHttpError>(client({ baseUrl: url, maxAttempts: 3 }).broadcast('ethereum', evm.signed, 'aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(error).toMatchObject({ kind: 'network', status: null, mayHaveReached: false, retryable: true, attempts: 3 });
    expect(error.context.networkCode).toBe('ECONNREFUSED');
    sim = await startTatumSimulator({ apiKey: API_KEY }); // for afterEach
  });

  it('sends the batch error report at most once too', async () => {
    sim.setFaults({ serverError: { match: '/v3/tatum/kms/batch' } });
    const error = await failure<TatumHttpError>(client().reportErrors([{ signatureId: 'aaaaaaaaaaaaaaaaaaaaaaaa', error: 'x' }]));
    expect(error.attempts).toBe(1);
  });

  it('reports a rate limiter refusal as not sent', async () => {
    const limiter = new MemoryRateLimiter({ ratePerSecond: 0.001, burst: 1, maxWaitMs: 0 });
    const api = client({ rateLimiter: limiter });
    await api.rpc('ETH', 'eth_chainId', []);
    const error = await failure<TatumHttpError>(api.broadcast('ethereum', evm.signed, 'aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(error).toMatchObject({ kind: 'rate-limiter', mayHaveReached: false, attempts: 0 });
    expect(error.cause).toBeInstanceOf(RateLimitWaitError);
    expect(sim.state.requests).toHaveLength(1);
  });
});

describe('timeouts and malformed answers', () => {
  it('times out a hanging read on every attempt: mayHaveReached, retryable', async () => {
    sim.setFaults({ hang: {} });
    const error = await failure<TatumHttpError>(client({ timeoutMs: 150, maxAttempts: 2 }).pendingTransactions('ETH', [W1]));
    expect(error).toMatchObject({ kind: 'timeout', status: null, mayHaveReached: true, retryable: true, attempts: 2 });
    expect(sim.state.stats.hangs).toBe(2);
  });

  it('times out a hanging broadcast once, and leaves the decision to the pipeline', async () => {
    sim.setFaults({ hang: { match: '/broadcast' } });
    const error = await failure<TatumHttpError>(client({ timeoutMs: 150 }).broadcast('ethereum', evm.signed, 'aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(error).toMatchObject({ kind: 'timeout', mayHaveReached: true, attempts: 1 });
  });

  it('counts slow answers against the same timeout', async () => {
    sim.setLatency(400);
    const error = await failure<TatumHttpError>(client({ timeoutMs: 100, maxAttempts: 1 }).rpc('ETH', 'eth_chainId', []));
    expect(error.kind).toBe('timeout');
  });

  it('turns a body that is not JSON into TatumResponseError', async () => {
    pendingTx();
    sim.setFaults({ malformed: {} });
    const error = await failure<TatumResponseError>(client().pendingTransactions('ETH', [W1]));
    expect(error).toBeInstanceOf(TatumResponseError);
    expect(error).toMatchObject({ field: '(body)', path: '/v3/kms/pending/ETH', mayHaveReached: true });
  });

  it('turns JSON of the wrong shape into TatumResponseError naming the field', async () => {
    const tx = pendingTx();
    sim.setFaults({ malformed: { body: '{"txId": 5}' } });
    const error = await failure<TatumResponseError>(client().broadcast('ethereum', evm.signed, tx.id as string));
    expect(error).toMatchObject({ field: 'txId', mayHaveReached: true });
    // The malformed answer came after the broadcast went out.
    expect(sim.state.broadcasts).toHaveLength(1);
    sim.setFaults({ malformed: { body: '{"pending": []}' } });
    expect(await failure(client().pendingTransactions('ETH', [W1]))).toBeInstanceOf(TatumResponseError);
    sim.setFaults({ malformed: { body: '{"jsonrpc":"2.0","id":999,"result":"0x1"}' } });
    expect(await failure(client().rpc('ETH', 'eth_chainId', []))).toMatchObject({ field: 'id' });
  });
});

describe('the API key never appears in an error', () => {
  it('holds for every failure path, including Tatum echoing the key back', async () => {
    const errors: unknown[] = [];
    const collect = async (promise: Promise<unknown>) => errors.push(await failure(promise));
    const tx = pendingTx();
    const echo = `{"statusCode":400,"errorCode":"api.key.invalid","message":"api key ${API_KEY} is not allowed"}`;
    sim.setFaults({ serverError: { times: 1, status: 400, body: echo } });
    await collect(client().pendingTransactions('ETH', [W1]));
    sim.setFaults({ serverError: { times: 1, status: 503, body: `upstream said ${API_KEY}` } });
    await collect(client({ maxAttempts: 1 }).getPendingTransaction(tx.id as string));
    sim.setFaults({ malformed: { times: 1, body: `not json ${API_KEY}` } });
    await collect(client().pendingTransactions('ETH', [W1]));
    sim.setFaults({ broadcastRecordedThenError: { times: 1 } });
    await collect(client().broadcast('ethereum', evm.signed, tx.id as string));
    sim.setFaults({ hang: { times: 1 } });
    await collect(client({ timeoutMs: 100, maxAttempts: 1 }).rpc('ETH', 'eth_chainId', []));
    sim.setFaults({});
    await collect(client({ maxAttempts: 1, baseUrl: 'http://127.0.0.1:1' }).rpc('ETH', 'eth_chainId', []));
    const refusing: RateLimiter = { acquire: async () => Promise.reject(new RateLimitWaitError('bucket', 10, 0)) };
    await collect(client({ rateLimiter: refusing }).rpc('ETH', 'eth_chainId', []));
    await sim.close();
    sim = await startTatumSimulator({ apiKey: API_KEY, rpcHook: () => ({ error: { code: -32000, message: `key ${API_KEY} rejected` } }) });
    await collect(client().rpc('ETH', 'eth_chainId', []));
    await collect(client({ apiKey: `${API_KEY}-wrong` }).rpc('ETH', 'eth_chainId', []));

    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      'TatumHttpError',
      'TatumHttpError',
      'TatumResponseError',
      'TatumHttpError',
      'TatumHttpError',
      'TatumHttpError',
      'TatumHttpError',
      'TatumRpcError',
      'TatumHttpError',
    ]);
    const keyPart = API_KEY.slice(8, 24);
    for (const error of errors) {
      const e = error as Error & { context?: unknown; cause?: unknown };
      const text = [e.message, e.stack, JSON.stringify(e.context), JSON.stringify(e), String(e.cause), JSON.stringify(e.cause ?? null)].join('\n');
      expect(text).not.toContain(keyPart);
    }
    // The echoes were there and were scrubbed, not merely absent.
    expect((errors[0] as TatumHttpError).tatumMessage).toBe('api key [redacted] is not allowed');
    expect((errors[1] as TatumHttpError).tatumMessage).toBe('upstream said [redacted]');
    expect((errors[7] as TatumRpcError).message).toContain('[redacted]');
  });
});

describe('the shared rate limiter', () => {
  it('keeps poll, RPC and broadcast traffic under Tatum\'s limit: zero 429s', async () => {
    await sim.close();
    // The simulator's burst leaves room for scheduling jitter between the client's timers and its socket.
    sim = await startTatumSimulator({ apiKey: API_KEY, rateLimit: { ratePerSecond: 50, burst: 20 } });
    const txs = Array.from({ length: 20 }, () => pendingTx());
    const api = new HttpTatumApi({ baseUrl: sim.url, apiKey: API_KEY, rateLimiter: new MemoryRateLimiter({ ratePerSecond: 40, burst: 5 }), maxAttempts: 1 });
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 30 }, () => api.pendingTransactions('ETH', [W1])),
      ...Array.from({ length: 30 }, () => api.rpc('ETH', 'eth_gasPrice', [])),
      ...txs.map((tx) => api.broadcast('ethereum', evm.signed, tx.id as string)),
    ]);
    const elapsed = Date.now() - started;
    expect(sim.state.stats.rateLimited).toBe(0);
    expect(sim.state.requests).toHaveLength(80);
    // 75 tokens beyond the burst at 40/s: the limiter did pace the traffic.
    expect(elapsed).toBeGreaterThanOrEqual(1800);
  });

  it('control: the same traffic without the limiter does draw 429s', async () => {
    await sim.close();
    sim = await startTatumSimulator({ apiKey: API_KEY, rateLimit: { ratePerSecond: 50, burst: 20 } });
    const api = new HttpTatumApi({ baseUrl: sim.url, apiKey: API_KEY, rateLimiter: new UnlimitedRateLimiter(), maxAttempts: 1 });
    await Promise.allSettled(Array.from({ length: 80 }, () => api.rpc('ETH', 'eth_gasPrice', [])));
    expect(sim.state.stats.rateLimited).toBeGreaterThan(0);
  });
});
