/**
 * The retry policy of the Tatum client, as pure functions (docs/tatum-client.md §Retries):
 *
 * - Which failures are retryable: network errors (except TLS certificate failures), the per-attempt
 *   timeout, HTTP 408, 429 and 5xx other than 501/505.
 * - Which failures may have reached Tatum (`mayHaveReached`): everything except failures that prove the
 *   request was not processed — a connection that was never established (refused, DNS, unreachable,
 *   connect timeout, TLS certificate refused) and an HTTP 4xx other than 408 and 429 (Tatum answered and
 *   refused). A timeout after sending, a reset connection, any 5xx, 408 and 429 count as reached: the
 *   pipeline then prefers BROADCAST_UNKNOWN, which is settled later, over FAILED, which can make Tatum
 *   refund a payment that went out.
 * - How long to wait: `Retry-After` (delta-seconds or HTTP-date, RFC 9110 §10.2.3) when the answer has one,
 *   else exponential backoff with full jitter: random() × min(maxDelay, base × 2^(attempt − 1)).
 */

/** Connection failures that happen before any byte of the request is written. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** TLS refusals: not sent, and retrying cannot help. */
const CERTIFICATE_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

export interface FailureClass {
  readonly retryable: boolean;
  readonly mayHaveReached: boolean;
}

export function classifyStatus(status: number): FailureClass {
  if (status === 408 || status === 429) return { retryable: true, mayHaveReached: true };
  if (status >= 400 && status < 500) return { retryable: false, mayHaveReached: false };
  if (status >= 500) return { retryable: status !== 501 && status !== 505, mayHaveReached: true };
  // 1xx/3xx/2xx reaching here (a redirect, which the client never follows): Tatum answered.
  return { retryable: false, mayHaveReached: true };
}

/** The most specific `code` in an error's cause chain (undici nests the socket error one or two levels down). */
export function networkErrorCode(error: unknown): string | null {
  let current: unknown = error;
  let found: string | null = null;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code)) found = code;
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

export function classifyNetworkError(code: string | null): FailureClass {
  if (code !== null && CERTIFICATE_CODES.has(code)) return { retryable: false, mayHaveReached: false };
  if (code !== null && NOT_SENT_CODES.has(code)) return { retryable: true, mayHaveReached: false };
  return { retryable: true, mayHaveReached: true };
}

/**
 * `Retry-After` in ms: delta-seconds (`120`) or an HTTP-date; null when absent or malformed. A date in the
 * past gives 0.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  if (!/^[A-Za-z]{3,9},? [0-9A-Za-z :-]{10,40}$/.test(value)) return null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

export interface BackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): uniform in [0, cap). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * cap);
}
