/**
 * Errors of the Tatum client (lib/tatum). Same rules as lib/errors.ts, plus one of this part: the API key
 * never appears in a message, a context or a cause — paths are relative to the API base URL, a configured
 * RPC URL (it may carry a provider key) is named `rpc:<CHAIN>`, and text that Tatum sends back is scrubbed of
 * the key and cut short before it is kept.
 *
 * `mayHaveReached` is what the pipeline reads to choose BROADCAST_UNKNOWN over FAILED (ARCHITECTURE
 * §Ledger): it is false only when the request surely was not processed by Tatum (never sent: bad argument,
 * rate limiter, connection refused, DNS failure; or refused: a 4xx other than 408/429), true otherwise.
 * `requestMayHaveReachedTatum(error)` applies that rule to any thrown value (unknown errors count as true).
 */
import { InvalidInputError, SigilError, type ErrorContext } from '../errors.js';

/** How a request failed: an HTTP status, the per-attempt timeout, the network, or the rate limiter before sending. */
export type TatumFailureKind = 'status' | 'timeout' | 'network' | 'rate-limiter';

export interface TatumHttpErrorDetails {
  readonly kind: TatumFailureKind;
  readonly method: string;
  /** Relative to the API base URL (e.g. `/v3/kms/pending/BTC`), or `rpc:<CHAIN>` for a configured RPC URL. */
  readonly path: string;
  /** The HTTP status of the last attempt; null when no answer came. */
  readonly status: number | null;
  /** Whether trying again later could succeed (network, timeout, 408, 429, most 5xx). */
  readonly retryable: boolean;
  readonly mayHaveReached: boolean;
  readonly attempts: number;
  /** What the last answer's Retry-After asked for, in ms. */
  readonly retryAfterMs?: number | null;
  /** Tatum's `errorCode` and `message` of an error body, scrubbed of the API key and cut short. */
  readonly tatumErrorCode?: string | null;
  readonly tatumMessage?: string | null;
  /** The low-level code of a network failure (ECONNREFUSED, UND_ERR_SOCKET, TimeoutError…). */
  readonly networkCode?: string | null;
}

function describeFailure(d: TatumHttpErrorDetails): string {
  switch (d.kind) {
    case 'status': {
      const tatum = d.tatumErrorCode ? ` (${d.tatumErrorCode}${d.tatumMessage ? `: ${d.tatumMessage}` : ''})` : d.tatumMessage ? ` (${d.tatumMessage})` : '';
      return `answered HTTP ${d.status}${tatum}`;
    }
    case 'timeout':
      return 'timed out';
    case 'network':
      return `failed on the network (${d.networkCode ?? 'unknown'})`;
    case 'rate-limiter':
      return 'was not sent: the rate limiter failed';
  }
}

/** A request to Tatum (or a configured RPC URL) that did not produce a usable answer. */
export class TatumHttpError extends SigilError {
  readonly kind: TatumFailureKind;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly mayHaveReached: boolean;
  readonly attempts: number;
  readonly retryAfterMs: number | null;
  readonly tatumErrorCode: string | null;
  readonly tatumMessage: string | null;

  constructor(details: TatumHttpErrorDetails, options?: { cause?: unknown }) {
    const reached = details.mayHaveReached ? 'the request may have reached Tatum' : 'the request did not reach Tatum';
    super(
      'TATUM_HTTP',
      `${details.method} ${details.path} ${describeFailure(details)} after ${details.attempts} attempt${details.attempts === 1 ? '' : 's'}; ${reached}`,
      {
        kind: details.kind,
        method: details.method,
        path: details.path,
        status: details.status,
        retryable: details.retryable,
        mayHaveReached: details.mayHaveReached,
        attempts: details.attempts,
        retryAfterMs: details.retryAfterMs ?? null,
        tatumErrorCode: details.tatumErrorCode ?? null,
        networkCode: details.networkCode ?? null,
      },
      options,
    );
    this.kind = details.kind;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.retryable = details.retryable;
    this.mayHaveReached = details.mayHaveReached;
    this.attempts = details.attempts;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.tatumErrorCode = details.tatumErrorCode ?? null;
    this.tatumMessage = details.tatumMessage ?? null;
  }
}

/**
 * Something Tatum sent does not match its schema: a field of a pending transaction, a broadcast answer, a
 * body that is not JSON. `field` names where (`hashes[2]`, `txId`, `(body)`); values are never echoed.
 * `mayHaveReached` is true when the error describes an HTTP answer (the request was processed).
 */
export class TatumResponseError extends SigilError {
  readonly field: string;
  readonly path: string | null;
  readonly mayHaveReached: boolean;
  readonly retryable = false;

  constructor(message: string, context: ErrorContext & { readonly field: string; readonly path?: string }, options?: { cause?: unknown }) {
    super('TATUM_RESPONSE', message, context, options);
    this.field = context.field;
    this.path = context.path ?? null;
    this.mayHaveReached = context.path !== undefined;
  }
}

/** A JSON-RPC error object from the RPC gateway or a configured RPC URL: the node answered, and refused. */
export class TatumRpcError extends SigilError {
  readonly rpcCode: number;
  readonly rpcMethod: string;
  readonly path: string;
  readonly mayHaveReached = true;
  readonly retryable = false;

  constructor(rpcMethod: string, path: string, rpcCode: number, rpcMessage: string) {
    super('TATUM_RPC', `${rpcMethod} on ${path} returned JSON-RPC error ${rpcCode}: ${rpcMessage}`, { rpcMethod, path, rpcCode });
    this.rpcCode = rpcCode;
    this.rpcMethod = rpcMethod;
    this.path = path;
  }
}

/**
 * Whether a failed call could have been processed by Tatum. False only for failures that prove the
 * request never arrived or was refused before processing; anything unknown counts as reached.
 */
export function requestMayHaveReachedTatum(error: unknown): boolean {
  if (error instanceof TatumHttpError || error instanceof TatumResponseError || error instanceof TatumRpcError) return error.mayHaveReached;
  if (error instanceof InvalidInputError) return false;
  return true;
}

const MAX_REMOTE_TEXT = 200;

/**
 * Text from a remote party, made safe to keep in an error: every occurrence of each secret replaced,
 * non-printable characters replaced, cut to 200 characters. Secrets shorter than 4 characters are not
 * searched (they would blank ordinary words; API keys are far longer).
 */
export function scrubRemoteText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(/[^\x20-\x7e]/g, '?');
  return out.length > MAX_REMOTE_TEXT ? `${out.slice(0, MAX_REMOTE_TEXT)}…` : out;
}
