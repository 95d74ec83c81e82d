/**
 * Schemas of Tatum's answers other than the pending transaction (pending-transaction.ts):
 *
 * - chain broadcast `{txId: string, failed?: boolean}` — `failed: true` means the transaction was broadcast
 *   but Tatum could not mark the pending KMS transaction completed;
 * - withdrawal broadcast `{txId: string, completed?: boolean}` — whether Tatum completed the ledger withdrawal;
 * - JSON-RPC 2.0 `{jsonrpc: "2.0", id, result}` or `{jsonrpc: "2.0", id, error: {code, message}}`.
 *
 * Extra fields are tolerated (Tatum adds fields); required ones are checked strictly. Every failure is a
 * TatumResponseError with `path` set, i.e. `mayHaveReached: true`: a broadcast answered with a body we
 * cannot read may well have gone out.
 */
import { TatumResponseError, TatumRpcError } from './tatum-errors.js';

export interface BroadcastResult {
  /** The chain's transaction id. */
  readonly txId: string;
  /** Tatum's `failed`: broadcast, but completing the pending KMS transaction failed (settle it later). */
  readonly completionFailed: boolean;
}

export interface WithdrawalBroadcastResult {
  readonly txId: string;
  /** Tatum's `completed` (null when absent). */
  readonly completed: boolean | null;
}

const TX_ID = /^[\x21-\x7e]{1,256}$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TatumResponseError(`${path} answered ${describe(value)}, expected a JSON object`, { field: '(body)', path });
  }
  return value as Record<string, unknown>;
}

function own(r: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(r, key) ? r[key] : undefined;
}

function txIdOf(body: Record<string, unknown>, path: string): string {
  const txId = own(body, 'txId');
  if (typeof txId !== 'string' || !TX_ID.test(txId)) {
    throw new TatumResponseError(`${path} answered field "txId" as ${describe(txId)}, expected 1 to 256 printable characters`, { field: 'txId', path });
  }
  return txId;
}

function optionalBoolean(body: Record<string, unknown>, field: string, path: string): boolean | null {
  const value = own(body, field);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new TatumResponseError(`${path} answered field "${field}" as ${describe(value)}, expected a boolean`, { field, path });
  return value;
}

export function parseBroadcastAnswer(value: unknown, path: string): BroadcastResult {
  const body = record(value, path);
  return { txId: txIdOf(body, path), completionFailed: optionalBoolean(body, 'failed', path) === true };
}

export function parseWithdrawalAnswer(value: unknown, path: string): WithdrawalBroadcastResult {
  const body = record(value, path);
  return { txId: txIdOf(body, path), completed: optionalBoolean(body, 'completed', path) };
}

/**
 * The `result` of a JSON-RPC answer to request `id`; a JSON-RPC error object → TatumRpcError, its message
 * passed through `scrub` (the caller's key scrubber).
 */
export function parseRpcAnswer(value: unknown, id: number, method: string, path: string, scrub: (text: string) => string): unknown {
  const body = record(value, path);
  if (own(body, 'jsonrpc') !== '2.0') throw new TatumResponseError(`${path} answered ${method} without "jsonrpc": "2.0"`, { field: 'jsonrpc', path });
  if (own(body, 'id') !== id) throw new TatumResponseError(`${path} answered ${method} with another request id`, { field: 'id', path });
  const error = own(body, 'error');
  const hasResult = Object.prototype.hasOwnProperty.call(body, 'result');
  if (error !== undefined && error !== null) {
    const e = record(error, path);
    const code = own(e, 'code');
    const message = own(e, 'message');
    if (typeof code !== 'number' || !Number.isInteger(code)) throw new TatumResponseError(`${path} answered ${method} with an error object without an integer code`, { field: 'error.code', path });
    throw new TatumRpcError(method, path, code, typeof message === 'string' ? scrub(message) : '(no message)');
  }
  if (!hasResult) throw new TatumResponseError(`${path} answered ${method} with neither "result" nor "error"`, { field: 'result', path });
  return body.result;
}
