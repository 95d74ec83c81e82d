/**
 * The Tatum transport's metrics over real HTTP (a local server): TatumCalls once per attempt by outcome,
 * TatumThrottled per 429, nothing for a configured RPC URL, and no metrics option = no counting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../../lib/metrics/metrics.js';
import { HttpTatumApi } from '../../../lib/tatum/client.js';
import { UnlimitedRateLimiter } from '../../../lib/tatum/rate-limiter.js';
import { TatumHttpError } from '../../../lib/tatum/tatum-errors.js';
import { API_KEY, call, failureOf, startStatusServer, transportWith, type StatusServer } from './emitters.js';

let server: StatusServer;
beforeAll(async () => {
  server = await startStatusServer();
});
afterAll(async () => {
  await server.close();
});

/** TatumCalls per outcome, and the TatumThrottled total. */
function summary(metrics: MemoryMetrics) {
  const outcomes: Record<string, number> = {};
  for (const p of metrics.points.filter((p) => p.name === 'TatumCalls')) outcomes[p.dimensions.Outcome!] = (outcomes[p.dimensions.Outcome!] ?? 0) + p.value;
  return { outcomes, throttled: metrics.total('TatumThrottled') };
}

describe('Tatum transport metrics', () => {
  it.each([
    [200, { ok: 1 }, 0],
    [201, { ok: 1 }, 0],
    [400, { 'client-error': 1 }, 0],
    [404, { 'client-error': 1 }, 0],
    [429, { 'client-error': 1 }, 1],
    [500, { 'server-error': 1 }, 0],
    [501, { 'server-error': 1 }, 0],
    [302, { 'client-error': 1 }, 0],
  ])('a single attempt answered %i counts as %o, throttled %i', async (status, outcomes, throttled) => {
    const metrics = new MemoryMetrics();
    await failureOf(transportWith(metrics, { maxAttempts: 1 }).send(call(`${server.url}/status/${status}`)));
    expect(summary(metrics)).toEqual({ outcomes, throttled });
  });

  it('an accepted non-2xx status (getPendingTransaction 404 → null) is ok', async () => {
    const metrics = new MemoryMetrics();
    const answer = await transportWith(metrics).send(call(`${server.url}/status/404`, { accept: (s) => s === 404 || (s >= 200 && s < 300) }));
    expect(answer.status).toBe(404);
    expect(summary(metrics)).toEqual({ outcomes: { ok: 1 }, throttled: 0 });
  });

  it('counts every attempt of a retried call: 429, 503, 500, then 200', async () => {
    const metrics = new MemoryMetrics();
    const path = '/sequence/429,503,500,200';
    const answer = await transportWith(metrics, { maxAttempts: 4 }).send(call(`${server.url}${path}`));
    expect(answer.status).toBe(200);
    expect(server.hits.get(path)).toBe(4);
    expect(summary(metrics)).toEqual({ outcomes: { 'client-error': 1, 'server-error': 2, ok: 1 }, throttled: 1 });
  });

  it('a refused connection and a timeout count as network', async () => {
    const metrics = new MemoryMetrics();
    const refused = await failureOf(transportWith(metrics, { maxAttempts: 2 }).send(call('http://127.0.0.1:1/v3/kms/x')));
    expect(refused).toBeInstanceOf(TatumHttpError);
    /** A fetch that never answers: only the per-attempt timeout ends it. */
    const silent = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch;
    const timedOut = await failureOf(transportWith(metrics, { maxAttempts: 1, timeoutMs: 20, fetch: silent }).send(call(`${server.url}/status/200`)));
    expect(timedOut).toMatchObject({ context: expect.objectContaining({ kind: 'timeout' }) });
    expect(summary(metrics)).toEqual({ outcomes: { network: 3 }, throttled: 0 });
  });

  it('a Metrics adapter that throws changes no outcome', async () => {
    const broken = { emit: () => { throw new Error('metrics down'); }, flush: async () => {} } as unknown as MemoryMetrics;
    const answer = await transportWith(broken).send(call(`${server.url}/status/200`));
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    const error = await failureOf(transportWith(broken, { maxAttempts: 1 }).send(call(`${server.url}/status/500`)));
    expect(error).toBeInstanceOf(TatumHttpError);
  });

  it('a configured RPC URL is not Tatum: not counted', async () => {
    const metrics = new MemoryMetrics();
    await transportWith(metrics).send(call(`${server.url}/status/200`, { target: 'external', path: 'rpc:ETH' }));
    await failureOf(transportWith(metrics, { maxAttempts: 1 }).send(call(`${server.url}/status/429`, { target: 'external', path: 'rpc:ETH' })));
    expect(metrics.points).toEqual([]);
  });

  it('HttpTatumApi hands its metrics option to the transport', async () => {
    const metrics = new MemoryMetrics();
    const api = new HttpTatumApi({ baseUrl: server.url, apiKey: API_KEY, rateLimiter: new UnlimitedRateLimiter(), metrics, maxAttempts: 1, sleep: async () => {} });
    await failureOf(api.completePendingTransaction('0123456789abcdef01234567', '0xabc'));
    expect(metrics.total('TatumCalls')).toBe(1);
    expect(metrics.points).toEqual([{ name: 'TatumCalls', value: 1, dimensions: { Outcome: 'client-error' } }]);
  });
});
