/**
 * The TatumApi port and its HTTP adapter: every call of TATUM-COMPAT §2 plus the RPC gateway.
 *
 * | method | request | retried inside the client |
 * | --- | --- | --- |
 * | pendingTransactions(chain, ids) | POST /v3/kms/pending/{chain} {signatureIds}, ids de-duplicated and chunked at 25,000 | yes |
 * | getPendingTransaction(id) | GET /v3/kms/{id} → the tx, or null on 404 | yes |
 * | completePendingTransaction(id, txId) | PUT /v3/kms/{id}/{txId} | yes |
 * | deletePendingTransaction(id, revert) | DELETE /v3/kms/{id}?revert=true|false | yes |
 * | broadcast(path, txData, signatureId) | POST /v3/{path}/broadcast {txData, signatureId} → {txId, failed?} | only when surely not sent |
 * | withdrawalBroadcast(request) | POST /v3/offchain/withdrawal/broadcast {currency, txData, withdrawalId, signatureId} → {txId, completed?} | only when surely not sent |
 * | reportErrors(errors) | POST /v3/tatum/kms/batch {errors:[{signatureId, error}]} | only when surely not sent |
 * | rpc(chain, method, params) | JSON-RPC 2.0 to POST /v3/blockchain/node/{CHAIN}, or a configured RPC URL | yes, except eth_sendRawTransaction/eth_sendTransaction |
 *
 * Every Tatum request carries `x-api-key`, `x-ttm-kms-client-version` and passes the RateLimiter first
 * (poll, RPC and broadcast traffic share one bucket per API key). A configured RPC URL gets neither the
 * key nor a token: it is not Tatum traffic, and errors name it `rpc:<CHAIN>` (such URLs often embed a
 * provider key). Failures: TatumHttpError (with `mayHaveReached`), TatumResponseError (a body that breaks
 * its schema), TatumRpcError, InvalidInputError (bad arguments, nothing sent). See docs/tatum-client.md.
 * With the `metrics` option, every attempt to Tatum counts as TatumCalls by outcome, and every 429 as
 * TatumThrottled (http-transport.ts); RPC URLs are not counted.
 */
import pkg from '../../package.json' with { type: 'json' };
import { InvalidInputError } from '../errors.js';
import { TatumTransport, type TransportOptions } from './http-transport.js';
import { TatumResponseError } from './tatum-errors.js';
import {
  parsePendingTransaction,
  parsePendingTransactionList,
  PENDING_ID,
  type PendingTransaction,
  type RejectedPendingTransaction,
} from './pending-transaction.js';
import { parseBroadcastAnswer, parseRpcAnswer, parseWithdrawalAnswer, type BroadcastResult, type WithdrawalBroadcastResult } from './responses.js';

export type { BroadcastResult, WithdrawalBroadcastResult } from './responses.js';

/** Sent as `x-ttm-kms-client-version` unless configured otherwise. */
export const SIGIL_CLIENT_VERSION = `sigil/${pkg.version}`;
/** Tatum's limit of signature ids per pending call (upstream skips a chain above it; Sigil chunks). */
export const MAX_SIGNATURE_IDS_PER_CALL = 25_000;

export interface PendingTransactionBatch {
  /** Merged over the chunks, de-duplicated by id, in order of first appearance. */
  readonly transactions: readonly PendingTransaction[];
  /** Items that failed the schema; they never block the valid ones. */
  readonly rejected: readonly RejectedPendingTransaction[];
}

export interface WithdrawalBroadcastRequest {
  /** The chain code (Tatum's `currency`). */
  readonly currency: string;
  readonly txData: string;
  readonly withdrawalId: string;
  /** The pending transaction's id. */
  readonly signatureId: string;
}

export interface PendingTransactionError {
  /** The pending transaction's id. */
  readonly signatureId: string;
  /** Text for Tatum's KMS_FAILED_TX webhook; never a secret. */
  readonly error: string;
}

export interface TatumApi {
  pendingTransactions(chain: string, signatureIds: readonly string[]): Promise<PendingTransactionBatch>;
  getPendingTransaction(id: string): Promise<PendingTransaction | null>;
  completePendingTransaction(id: string, txId: string): Promise<void>;
  deletePendingTransaction(id: string, revert: boolean): Promise<void>;
  broadcast(broadcastPath: string, txData: string, signatureId: string): Promise<BroadcastResult>;
  withdrawalBroadcast(request: WithdrawalBroadcastRequest): Promise<WithdrawalBroadcastResult>;
  reportErrors(errors: readonly PendingTransactionError[]): Promise<void>;
  rpc(chain: string, method: string, params: readonly unknown[]): Promise<unknown>;
}

export interface HttpTatumApiOptions extends Omit<TransportOptions, 'clientVersion'> {
  /** e.g. https://api.tatum.io (TATUM_API_URL). http only on loopback. */
  readonly baseUrl: string;
  readonly clientVersion?: string;
  /** Chain code → JSON-RPC URL used instead of Tatum's gateway for that chain. */
  readonly rpcUrls?: Readonly<Record<string, string>>;
  /** Ids per pending call; at most (and by default) 25,000. */
  readonly pendingChunkSize?: number;
}

const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
const SIGNATURE_ID_ARG = /^[\x21-\x7e]{1,128}$/;
const TX_ID_ARG = /^[A-Za-z0-9._:-]{1,256}$/;
const BROADCAST_PATH = /^[a-z0-9-]{1,32}(?:\/[a-z0-9-]{1,32}){0,3}$/;
const RPC_METHOD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_TX_DATA = 4_000_000;
const MAX_ERROR_TEXT = 1_000;
/** JSON-RPC methods that change chain state: sent at most once, like a broadcast. */
const RPC_SENDS = new Set(['eth_sendRawTransaction', 'eth_sendTransaction']);

function check(ok: boolean, field: string, expected: string): void {
  if (!ok) throw new InvalidInputError(`Tatum client argument ${field} must be ${expected}`, { field });
}

function str(value: unknown, pattern: RegExp): value is string {
  return typeof value === 'string' && pattern.test(value);
}

/** Parse a URL option: https (http only to a loopback host), no credentials, no fragment. */
function parseEndpoint(field: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError(`${field} must be an absolute http(s) URL`, { field });
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InvalidInputError(`${field} must use https (http is allowed on loopback only)`, { field, protocol: url.protocol });
  }
  if (url.username || url.password || url.hash) throw new InvalidInputError(`${field} must not hold credentials or a fragment`, { field });
  return url.href.replace(/\/+$/, '');
}

export class HttpTatumApi implements TatumApi {
  readonly #transport: TatumTransport;
  readonly #base: string;
  readonly #rpcUrls: ReadonlyMap<string, string>;
  readonly #chunkSize: number;
  #rpcId = 0;

  constructor(options: HttpTatumApiOptions) {
    this.#base = parseEndpoint('baseUrl', options.baseUrl);
    if (new URL(this.#base).search) throw new InvalidInputError('baseUrl must not hold a query', { field: 'baseUrl' });
    const rpcUrls = new Map<string, string>();
    for (const [chain, url] of Object.entries(options.rpcUrls ?? {})) {
      check(CHAIN_CODE.test(chain), 'rpcUrls', 'keyed by chain codes');
      rpcUrls.set(chain, parseEndpoint(`rpcUrls.${chain}`, url));
    }
    this.#rpcUrls = rpcUrls;
    const chunk = options.pendingChunkSize ?? MAX_SIGNATURE_IDS_PER_CALL;
    check(Number.isInteger(chunk) && chunk >= 1 && chunk <= MAX_SIGNATURE_IDS_PER_CALL, 'pendingChunkSize', `an integer from 1 to ${MAX_SIGNATURE_IDS_PER_CALL}`);
    this.#chunkSize = chunk;
    this.#transport = new TatumTransport({ ...options, clientVersion: options.clientVersion ?? SIGIL_CLIENT_VERSION });
  }

  async pendingTransactions(chain: string, signatureIds: readonly string[]): Promise<PendingTransactionBatch> {
    check(str(chain, CHAIN_CODE), 'chain', 'a chain code');
    check(Array.isArray(signatureIds) && signatureIds.every((id) => str(id, SIGNATURE_ID_ARG)), 'signatureIds', 'an array of printable ids');
    const ids = [...new Set(signatureIds)];
    const transactions = new Map<string, PendingTransaction>();
    const rejected: RejectedPendingTransaction[] = [];
    const path = `/v3/kms/pending/${chain}`;
    for (let start = 0; start < ids.length; start += this.#chunkSize) {
      const answer = await this.#tatum('POST', path, 'idempotent', { signatureIds: ids.slice(start, start + this.#chunkSize) });
      const list = parsePendingTransactionList(answer, chain, path);
      for (const tx of list.transactions) if (!transactions.has(tx.id)) transactions.set(tx.id, tx);
      rejected.push(...list.rejected);
    }
    // A tx valid in one chunk is not also reported rejected (a repeat inside a chunk); one rejected id once.
    const reported = new Set<string>();
    const uniqueRejected = rejected.filter((r) => {
      if (r.id === null) return true;
      if (transactions.has(r.id) || reported.has(r.id)) return false;
      reported.add(r.id);
      return true;
    });
    return { transactions: [...transactions.values()], rejected: uniqueRejected };
  }

  async getPendingTransaction(id: string): Promise<PendingTransaction | null> {
    check(str(id, PENDING_ID), 'id', 'a 24-character lower-case hex id');
    const path = `/v3/kms/${id}`;
    const answer = await this.#transport.send({
      method: 'GET',
      url: this.#base + path,
      path,
      mode: 'idempotent',
      target: 'tatum',
      accept: (status) => (status >= 200 && status < 300) || status === 404,
    });
    if (answer.status === 404) return null;
    const tx = parsePendingTransaction(answer.body, path);
    if (tx.id !== id) throw new TatumResponseError(`GET ${path} answered another transaction (${tx.id})`, { field: 'id', path });
    return tx;
  }

  async completePendingTransaction(id: string, txId: string): Promise<void> {
    check(str(id, PENDING_ID), 'id', 'a 24-character lower-case hex id');
    check(str(txId, TX_ID_ARG), 'txId', 'a transaction id (letters, digits, . _ : -)');
    await this.#tatum('PUT', `/v3/kms/${id}/${encodeURIComponent(txId)}`, 'idempotent');
  }

  async deletePendingTransaction(id: string, revert: boolean): Promise<void> {
    check(str(id, PENDING_ID), 'id', 'a 24-character lower-case hex id');
    check(typeof revert === 'boolean', 'revert', 'a boolean');
    await this.#tatum('DELETE', `/v3/kms/${id}?revert=${revert}`, 'idempotent');
  }

  async broadcast(broadcastPath: string, txData: string, signatureId: string): Promise<BroadcastResult> {
    check(str(broadcastPath, BROADCAST_PATH), 'broadcastPath', 'a registry broadcast path such as "bitcoin"');
    check(typeof txData === 'string' && txData.length > 0 && txData.length <= MAX_TX_DATA, 'txData', 'a non-empty string');
    check(str(signatureId, PENDING_ID), 'signatureId', 'the pending transaction id (24 hex)');
    const path = `/v3/${broadcastPath}/broadcast`;
    return parseBroadcastAnswer(await this.#tatum('POST', path, 'at-most-once', { txData, signatureId }), path);
  }

  async withdrawalBroadcast(request: WithdrawalBroadcastRequest): Promise<WithdrawalBroadcastResult> {
    const { currency, txData, withdrawalId, signatureId } = request;
    check(str(currency, CHAIN_CODE), 'currency', 'a chain code');
    check(typeof txData === 'string' && txData.length > 0 && txData.length <= MAX_TX_DATA, 'txData', 'a non-empty string');
    check(str(withdrawalId, SIGNATURE_ID_ARG), 'withdrawalId', 'a printable id');
    check(str(signatureId, PENDING_ID), 'signatureId', 'the pending transaction id (24 hex)');
    const path = '/v3/offchain/withdrawal/broadcast';
    return parseWithdrawalAnswer(await this.#tatum('POST', path, 'at-most-once', { currency, txData, withdrawalId, signatureId }), path);
  }

  async reportErrors(errors: readonly PendingTransactionError[]): Promise<void> {
    check(Array.isArray(errors), 'errors', 'an array');
    if (errors.length === 0) return;
    const body = errors.map((e, i) => {
      check(str(e?.signatureId, PENDING_ID), `errors[${i}].signatureId`, 'the pending transaction id (24 hex)');
      check(typeof e.error === 'string' && e.error.length > 0, `errors[${i}].error`, 'a non-empty string');
      return { signatureId: e.signatureId, error: e.error.length > MAX_ERROR_TEXT ? `${e.error.slice(0, MAX_ERROR_TEXT)}…` : e.error };
    });
    await this.#tatum('POST', '/v3/tatum/kms/batch', 'at-most-once', { errors: body });
  }

  async rpc(chain: string, method: string, params: readonly unknown[]): Promise<unknown> {
    check(str(chain, CHAIN_CODE), 'chain', 'a chain code');
    check(str(method, RPC_METHOD), 'method', 'a JSON-RPC method name');
    check(Array.isArray(params), 'params', 'an array');
    const id = ++this.#rpcId;
    const external = this.#rpcUrls.get(chain);
    const path = external ? `rpc:${chain}` : `/v3/blockchain/node/${chain}`;
    const answer = await this.#transport.send({
      method: 'POST',
      url: external ?? this.#base + path,
      path,
      body: { jsonrpc: '2.0', id, method, params },
      mode: RPC_SENDS.has(method) ? 'at-most-once' : 'idempotent',
      target: external ? 'external' : 'tatum',
    });
    return parseRpcAnswer(answer.body, id, method, path, (text) => this.#transport.scrub(text));
  }

  async #tatum(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, mode: 'idempotent' | 'at-most-once', body?: unknown): Promise<unknown> {
    const answer = await this.#transport.send({ method, url: this.#base + path, path, mode, target: 'tatum', ...(body !== undefined ? { body } : {}) });
    return answer.body;
  }
}
