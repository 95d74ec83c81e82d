/**
 * Runs the real metric emitters and returns what they recorded, for the emitter tests and the dashboard
 * coverage test: the Tatum transport against a local HTTP server (200, 404, 429, 500), and the AWS KMS
 * key provider against a KMS API (moto_server) — a seal and an open.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsKeyProvider } from '../../../lib/custody/aws-kms-key-provider.js';
import { openSecret, sealSecret } from '../../../lib/custody/envelope.js';
import type { MemoryMetrics } from '../../../lib/metrics/metrics.js';
import { UnlimitedRateLimiter } from '../../../lib/tatum/rate-limiter.js';
import { TatumTransport, type HttpCall, type TransportOptions } from '../../../lib/tatum/http-transport.js';
import { contextFor, MNEMONIC } from '../../contract/key-provider.contract.js';

export const API_KEY = 'metrics-test-key-0123456789abcdef';

export interface StatusServer {
  readonly url: string;
  /** Requests seen, by path. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Answers `/status/<code>` with that status; `/sequence/<a>,<b>,…` answers the codes in turn (the last one
 * repeats). 429 and 503 carry `Retry-After: 0`.
 */
export async function startStatusServer(): Promise<StatusServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const seen = hits.get(path) ?? 0;
    hits.set(path, seen + 1);
    const [, kind, arg = ''] = path.split('/');
    const codes = arg.split(',').map(Number);
    const status = kind === 'sequence' ? codes[Math.min(seen, codes.length - 1)]! : Number(arg);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (status === 429 || status === 503) headers['retry-after'] = '0';
    response.writeHead(Number.isInteger(status) && status >= 200 ? status : 400, headers);
    response.end(status >= 200 && status < 300 ? '{"ok":true}' : '{"statusCode":1,"errorCode":"test.error","message":"refused"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

export function transportWith(metrics: MemoryMetrics | undefined, overrides: Partial<TransportOptions> = {}): TatumTransport {
  return new TatumTransport({
    apiKey: API_KEY,
    clientVersion: 'sigil/test',
    rateLimiter: new UnlimitedRateLimiter(),
    sleep: async () => {},
    ...(metrics ? { metrics } : {}),
    ...overrides,
  });
}

export function call(url: string, overrides: Partial<HttpCall> = {}): HttpCall {
  return { method: 'GET', url, path: new URL(url).pathname, mode: 'idempotent', target: 'tatum', ...overrides };
}

/** Settles a promise to its error (or null). */
export const failureOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => null, (e: unknown) => e);

/** One attempt per answer: 200, 429, 500, and a 404 not accepted. */
export async function runTatumEmitter(server: StatusServer, metrics: MemoryMetrics): Promise<void> {
  const transport = transportWith(metrics, { maxAttempts: 1 });
  await transport.send(call(`${server.url}/status/200`));
  for (const status of [429, 500, 404]) await failureOf(transport.send(call(`${server.url}/status/${status}`)));
}

/** A seal (GenerateDataKey) and an open (Decrypt) on a fresh key of `client`'s KMS. */
export async function runKmsEmitter(client: KMSClient, metrics: MemoryMetrics): Promise<void> {
  const created = await client.send(new CreateKeyCommand({ Description: 'sigil-metrics-test' }));
  const provider = new AwsKmsKeyProvider({ client, keyId: created.KeyMetadata!.Arn!, metrics });
  const context = contextFor();
  const envelope = await sealSecret(provider, new TextEncoder().encode(MNEMONIC), context);
  (await openSecret(provider, envelope, context)).fill(0);
}
