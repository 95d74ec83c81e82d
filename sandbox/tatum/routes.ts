/**
 * The simulator's endpoints (TATUM-COMPAT §2) as a function from request to answer, over the
 * SimulatorState; authentication, rate limiting and faults are applied around it by simulator.ts.
 */
import type { RpcHook } from './rpc-gateway.js';
import type { SimulatorState } from './simulator-state.js';
import { simulatedTxId } from './txid.js';

/** TATUM-COMPAT §2.6: the chain broadcast paths. */
export const BROADCAST_PATHS: readonly string[] = [
  'bitcoin', 'litecoin', 'dogecoin', 'bcash', 'ethereum', 'bsc', 'polygon', 'klaytn', 'one', 'xdc', 'celo',
  'tron', 'xrp', 'xlm', 'solana', 'algorand', 'egld', 'vet', 'flow', 'ada', 'kcs',
];

export interface BroadcastRequest {
  readonly path: string;
  readonly txData: string;
  readonly signatureId: string | null;
}

/** Returns the txId (undefined: the simulator's own), or throws to refuse the broadcast (400). */
export type BroadcastHook = (request: BroadcastRequest) => string | undefined | Promise<string | undefined>;

export interface RouteOptions {
  readonly maxSignatureIdsPerCall: number;
  readonly broadcastHook?: BroadcastHook;
  readonly rpcHook?: RpcHook;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  /** Sent as is instead of JSON (malformed bodies). */
  readonly raw?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function tatumError(status: number, errorCode: string, message: string): Answer {
  return { status, body: { statusCode: status, errorCode, message } };
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The router of one simulator: `route(method, url, parsedBody)`. */
export function createRoutes(state: SimulatorState, options: RouteOptions): (method: string, url: URL, body: unknown) => Promise<Answer> {
  const maxIds = options.maxSignatureIdsPerCall;
  const completeIfNamed = (signatureId: string | null, txId: string): boolean => {
    if (signatureId === null) return true;
    const result = state.complete(signatureId, txId);
    return result === 'completed' || result === 'already';
  };

  async function broadcast(path: string, body: unknown): Promise<Answer> {
    if (!isObject(body) || typeof body.txData !== 'string' || body.txData === '' || (body.signatureId !== undefined && typeof body.signatureId !== 'string')) {
      return tatumError(400, 'validation.failed', 'body must be {txData: string, signatureId?: string}');
    }
    const request: BroadcastRequest = { path, txData: body.txData, signatureId: (body.signatureId as string | undefined) ?? null };
    let txId: string;
    try {
      txId = (await options.broadcastHook?.(request)) ?? simulatedTxId(request.txData);
    } catch (error) {
      return tatumError(400, 'broadcast.failed', error instanceof Error ? error.message : 'broadcast refused');
    }
    state.broadcasts.push({ ...request, txId });
    return { status: 200, body: { txId, failed: !completeIfNamed(request.signatureId, txId) } };
  }

  function withdrawalBroadcast(body: unknown): Answer {
    if (!isObject(body) || typeof body.currency !== 'string' || typeof body.txData !== 'string' || typeof body.withdrawalId !== 'string') {
      return tatumError(400, 'validation.failed', 'body must be {currency, txData, withdrawalId, signatureId?}');
    }
    const signatureId = typeof body.signatureId === 'string' ? body.signatureId : null;
    const txId = simulatedTxId(body.txData);
    state.withdrawalBroadcasts.push({ currency: body.currency, txData: body.txData, withdrawalId: body.withdrawalId, signatureId, txId });
    return { status: 200, body: { txId, completed: completeIfNamed(signatureId, txId) } };
  }

  function pendingList(chain: string, ids: unknown): Answer {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) return tatumError(400, 'validation.failed', 'signatureIds must be an array of strings');
    if (ids.length > maxIds) return tatumError(400, 'validation.failed', `signatureIds must contain at most ${maxIds} items`);
    return { status: 200, body: state.pendingFor(chain, new Set(ids as string[])) };
  }

  async function route(method: string, url: URL, body: unknown): Promise<Answer> {
    const p = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && (m = p.match(/^\/v3\/kms\/pending\/([A-Z0-9_]+)$/))) return pendingList(m[1]!, isObject(body) ? body.signatureIds : undefined);
    if (method === 'GET' && (m = p.match(/^\/v3\/kms\/pending\/([A-Z0-9_]+)$/))) return pendingList(m[1]!, (url.searchParams.get('signatures') ?? '').split(',').filter(Boolean));
    if (method === 'GET' && (m = p.match(/^\/v3\/kms\/([^/]+)$/))) {
      const tx = state.transactions.get(m[1]!);
      return tx ? { status: 200, body: tx } : tatumError(404, 'kms.transaction.not.found', 'no such pending transaction');
    }
    if (method === 'PUT' && (m = p.match(/^\/v3\/kms\/([^/]+)\/([^/]+)$/))) {
      const [id, txId] = [m[1]!, decodeURIComponent(m[2]!)];
      const result = state.complete(id, txId);
      if (result === 'unknown') return tatumError(404, 'kms.transaction.not.found', 'no such pending transaction');
      if (result === 'conflict') return tatumError(403, 'kms.transaction.completed', 'transaction already completed with another txId');
      if (result === 'completed') state.completions.push({ id, txId });
      return { status: 204 };
    }
    if (method === 'DELETE' && (m = p.match(/^\/v3\/kms\/([^/]+)$/))) {
      const revert = url.searchParams.get('revert') !== 'false';
      if (!state.transactions.delete(m[1]!)) return tatumError(404, 'kms.transaction.not.found', 'no such pending transaction');
      state.deletions.push({ id: m[1]!, revert });
      return { status: 204 };
    }
    if (method === 'POST' && p === '/v3/offchain/withdrawal/broadcast') return withdrawalBroadcast(body);
    if (method === 'POST' && (m = p.match(/^\/v3\/([a-z]+)\/broadcast$/)) && BROADCAST_PATHS.includes(m[1]!)) return broadcast(m[1]!, body);
    if (method === 'POST' && p === '/v3/tatum/kms/batch') {
      const errors = isObject(body) ? body.errors : undefined;
      if (!Array.isArray(errors) || !errors.every((e) => isObject(e) && typeof e.signatureId === 'string' && typeof e.error === 'string')) {
        return tatumError(400, 'validation.failed', 'body must be {errors: [{signatureId, error}]}');
      }
      for (const e of errors as Array<{ signatureId: string; error: string }>) state.errorsReported.push({ signatureId: e.signatureId, error: e.error });
      return { status: 204 };
    }
    if (method === 'POST' && (m = p.match(/^\/v3\/blockchain\/node\/([A-Z0-9_]+)$/))) {
      if (body === undefined) return tatumError(400, 'validation.failed', 'body must be a JSON-RPC request');
      return { status: 200, body: await state.rpc.answer(m[1]!, body, options.rpcHook) };
    }
    return tatumError(404, 'route.not.found', `${method} ${p} is not simulated`);
  }

  return route;
}
