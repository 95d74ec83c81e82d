/**
 * A Tatum API simulator over node:http, listening on 127.0.0.1 only, for tests and `sigil sandbox`.
 *
 * Endpoints (TATUM-COMPAT §2), all requiring `x-api-key` (401 otherwise):
 * - POST /v3/kms/pending/{chain} {signatureIds} (at most 25,000 ids, else 400) and the legacy
 *   GET /v3/kms/pending/{chain}?signatures=<csv>: the pending transactions of that chain naming any of the
 *   ids in `hashes` or `signatures[].id`;
 * - GET /v3/kms/{id} (404 unknown), PUT /v3/kms/{id}/{txId} (204; 403 when completed with another txId),
 *   DELETE /v3/kms/{id}?revert=true|false (204);
 * - POST /v3/{path}/broadcast for every path of §2.6: records {path, txData, signatureId}, completes the
 *   pending transaction with txId = simulatedTxId(txData) or the broadcast hook's answer (a hook that throws
 *   → 400 `broadcast.failed`); answers {txId, failed} (failed: the signatureId named no pending tx);
 * - POST /v3/offchain/withdrawal/broadcast: the same for ledger withdrawals, answers {txId, completed};
 * - POST /v3/tatum/kms/batch {errors}: recorded in `state.errorsReported`, 204;
 * - POST /v3/blockchain/node/{CHAIN}: JSON-RPC over rpc-gateway.ts (fixed state, optional hook);
 * - whatever the `extraRoutes` option serves (the sandbox mounts Tatum's app-side transfer calls there).
 *
 * Run-time controls: `setFaults` (faults.ts), `setLatency`, `setRateLimit` (a token bucket answering 429
 * with Retry-After above it — what Sigil's own limiter must never trigger). Hanging requests end when the
 * client gives up or at `close()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planReservation, rateLimitConfig, type RateLimitConfig } from '../../lib/tatum/rate-limiter.js';
import { FaultPlan, type SimulatorFaults } from './faults.js';
import { createRoutes, isObject, tatumError, type Answer, type BroadcastHook } from './routes.js';
import { RpcGateway, type RpcHook } from './rpc-gateway.js';
import { SimulatorState, type RequestRecord } from './simulator-state.js';

export { BROADCAST_PATHS, tatumError, type Answer, type BroadcastHook, type BroadcastRequest } from './routes.js';
export type { FaultRule, SimulatorFaults } from './faults.js';
export type { RpcCall, RpcChainState, RpcHook, RpcOutcome } from './rpc-gateway.js';
export type { SimulatedTransaction, SimulatorState } from './simulator-state.js';

export interface SimulatorRateLimit {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export interface TatumSimulatorOptions {
  readonly apiKey: string;
  /** Default 0: a free port. */
  readonly port?: number;
  readonly latencyMs?: number;
  readonly faults?: SimulatorFaults;
  readonly rateLimit?: SimulatorRateLimit | null;
  /** The network whose chain ids the RPC gateway reports by default. */
  readonly network?: 'mainnet' | 'testnet';
  readonly maxSignatureIdsPerCall?: number;
  /** The fault probabilities' random source. */
  readonly random?: () => number;
  readonly broadcastHook?: BroadcastHook;
  readonly rpcHook?: RpcHook;
  /**
   * Endpoints beyond Tatum's KMS ones (the sandbox's app-side calls): asked first, behind the same
   * authentication, rate limit and faults; undefined falls through to the simulator's own routes.
   */
  readonly extraRoutes?: ExtraRoutes;
}

/** An extra router: an Answer for the requests it serves, undefined for the rest. */
export type ExtraRoutes = (method: string, url: URL, body: unknown) => Answer | undefined | Promise<Answer | undefined>;

export interface TatumSimulator {
  /** http://127.0.0.1:<port>, to use as TATUM_API_URL. */
  readonly url: string;
  readonly state: SimulatorState;
  setFaults(faults: SimulatorFaults): void;
  setLatency(ms: number): void;
  setRateLimit(limit: SimulatorRateLimit | null): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonOrUndefined(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

export async function startTatumSimulator(options: TatumSimulatorOptions): Promise<TatumSimulator> {
  if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new TypeError('the simulator needs an apiKey');
  const random = options.random ?? Math.random;
  const state = new SimulatorState(new RpcGateway(options.network ?? 'testnet'));
  const faults = new FaultPlan(random, options.faults ?? {});
  const route = createRoutes(state, {
    maxSignatureIdsPerCall: options.maxSignatureIdsPerCall ?? 25_000,
    ...(options.broadcastHook ? { broadcastHook: options.broadcastHook } : {}),
    ...(options.rpcHook ? { rpcHook: options.rpcHook } : {}),
  });
  let latencyMs = options.latencyMs ?? 0;
  let limit: { config: RateLimitConfig; tat: number | null } | null = null;
  const setRateLimit = (l: SimulatorRateLimit | null): void => {
    limit = l ? { config: rateLimitConfig({ ...l, maxWaitMs: Number.POSITIVE_INFINITY }), tat: null } : null;
  };
  setRateLimit(options.rateLimit ?? null);

  /** The simulator's own limit: admit only when a token is available now. */
  const overLimit = (): number | null => {
    if (!limit) return null;
    const plan = planReservation('simulator', limit.tat, Date.now(), 1, limit.config);
    if (plan.waitMs > 0) return plan.waitMs;
    limit.tat = plan.tat;
    return null;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(req);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const header = (name: string): string | null => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
    const body = text === null ? undefined : jsonOrUndefined(text);
    const authenticated = header('x-api-key') === options.apiKey;
    const record = (status: number | 'hang'): void => {
      const ids = isObject(body) && Array.isArray(body.signatureIds) ? { signatureIds: body.signatureIds.length } : {};
      const entry: RequestRecord = { method, path: url.pathname + url.search, status, clientVersion: header('x-ttm-kms-client-version'), contentType: header('content-type'), authenticated, ...ids };
      state.requests.push(entry);
    };
    const send = (answer: Answer): void => {
      record(answer.status);
      const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status, { ...(payload ? { 'content-type': 'application/json' } : {}), ...answer.headers });
      res.end(payload);
    };
    const request = `${method} ${url.pathname}`;

    if (text === null) return send(tatumError(413, 'payload.too.large', `body exceeds ${MAX_BODY_BYTES} bytes`));
    if (!authenticated) return send(tatumError(401, 'unauthorized', 'x-api-key is missing or wrong'));
    const wait = overLimit();
    if (wait !== null) {
      state.stats.tooManyRequests++;
      state.stats.rateLimited++;
      return send({ ...tatumError(429, 'too.many.requests', 'rate limit exceeded'), headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) } });
    }
    if (faults.fire('hang', request)) {
      state.stats.hangs++;
      record('hang');
      return;
    }
    const tooMany = faults.fire('tooManyRequests', request);
    if (tooMany) {
      state.stats.tooManyRequests++;
      const retryAfter = tooMany.retryAfter === undefined ? '1' : tooMany.retryAfter;
      return send({ ...tatumError(429, 'too.many.requests', 'rate limit exceeded'), ...(retryAfter !== null ? { headers: { 'retry-after': retryAfter } } : {}) });
    }
    const serverError = faults.fire('serverError', request);
    if (serverError) {
      state.stats.serverErrors++;
      const status = serverError.status ?? 503;
      return send(serverError.body !== undefined ? { status, raw: serverError.body } : tatumError(status, 'service.unavailable', 'simulated server error'));
    }
    const answer = (await options.extraRoutes?.(method, url, body)) ?? (await route(method, url, body));
    const isBroadcast = /^POST \/v3\/(?:[a-z]+\/broadcast|offchain\/withdrawal\/broadcast)$/.test(request);
    const recordedThenError = isBroadcast && answer.status === 200 ? faults.fire('broadcastRecordedThenError', request) : undefined;
    if (recordedThenError) {
      state.stats.serverErrors++;
      return send(tatumError(recordedThenError.status ?? 502, 'bad.gateway', 'simulated failure after the broadcast was recorded'));
    }
    const malformed = answer.status < 300 ? faults.fire('malformed', request) : undefined;
    if (malformed) return send({ status: 200, raw: malformed.body ?? '{"txId": [1, 2,' });
    send(answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, errorCode: 'simulator.error', message: error instanceof Error ? error.message : 'error' }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    setFaults: (f) => faults.set(f),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setRateLimit,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
