/**
 * One HTTP exchange with Tatum (or a configured RPC URL), with the client's whole failure policy:
 * rate limiter before every attempt, a timeout on every attempt, retries with backoff (retry-policy.ts),
 * capped response bodies, typed errors that never carry the API key.
 *
 * Delivery modes:
 * - `idempotent` (reads, complete, delete, RPC reads): retried on every retryable failure.
 * - `at-most-once` (broadcasts, the batch error report, RPC sends): retried ONLY while every failed attempt
 *   surely did not reach Tatum (connection refused, DNS…). After an ambiguous failure the error goes to the
 *   caller with `mayHaveReached: true`: the pipeline owns that decision (BROADCAST_UNKNOWN, then settle from
 *   `GET /v3/kms/{id}`), because a second broadcast of a transaction that went out is answered with an error
 *   that would read as a failure.
 *
 * Timing: `timeoutMs` bounds each attempt (headers and body; AbortSignal). `maxAttempts` bounds the
 * attempts; `maxElapsedMs` bounds the time from the first attempt to the start of the last one — a wait
 * (Retry-After or backoff) that would end past it is not taken, and the last failure is thrown with its
 * `retryAfterMs`. Redirects are never followed (the API key must not travel to another host): a 3xx is a
 * non-retryable failure.
 */
import { InvalidInputError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { realSleep, rateLimitKeyForApiKey, type RateLimiter } from './rate-limiter.js';
import { backoffDelay, classifyNetworkError, classifyStatus, networkErrorCode, parseRetryAfter, type FailureClass } from './retry-policy.js';
import { parseTatumErrorBody, readCappedText } from './http-body.js';
import { scrubRemoteText, TatumHttpError, TatumResponseError, type TatumFailureKind } from './tatum-errors.js';

export type DeliveryMode = 'idempotent' | 'at-most-once';

export interface TransportOptions {
  readonly apiKey: string;
  /** Sent as `x-ttm-kms-client-version`. */
  readonly clientVersion: string;
  readonly rateLimiter: RateLimiter;
  /** Per attempt. Default 15,000 ms. */
  readonly timeoutMs?: number;
  /** Default 4. */
  readonly maxAttempts?: number;
  /** Default 60,000 ms. */
  readonly maxElapsedMs?: number;
  /** Backoff base and cap. Defaults 250 ms and 8,000 ms. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Largest response body read. Default 32 MiB. */
  readonly maxResponseBytes?: number;
  readonly fetch?: typeof fetch;
  /** Wall clock in ms (Retry-After dates, the elapsed budget). */
  readonly clock?: () => number;
  /** The waits between attempts (tests inject a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the backoff jitter. */
  readonly random?: () => number;
  /**
   * Counts every attempt to Tatum (not to a configured RPC URL): TatumCalls by outcome, and TatumThrottled
   * for each 429. A retried call counts once per attempt.
   */
  readonly metrics?: Metrics;
}

/** TatumCalls' Outcome: a 2xx (or accepted) answer, a 3xx/4xx, a 5xx, or no answer (network, timeout). */
export type TatumCallOutcome = 'ok' | 'client-error' | 'server-error' | 'network';

export interface HttpCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  /** What errors name: relative to the base URL, or `rpc:<CHAIN>`. Never holds a secret. */
  readonly path: string;
  readonly body?: unknown;
  readonly mode: DeliveryMode;
  /** `tatum`: API key headers and the rate limiter; `external`: neither (a configured RPC URL). */
  readonly target: 'tatum' | 'external';
  /** Statuses that count as an answer (default 2xx). */
  readonly accept?: (status: number) => boolean;
}

export interface HttpAnswer {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty body. */
  readonly body: unknown;
}

type Attempt =
  | { readonly ok: true; readonly status: number; readonly text: string }
  | (FailureClass & {
      readonly ok: false;
      readonly kind: Exclude<TatumFailureKind, 'rate-limiter'>;
      readonly status: number | null;
      readonly retryAfterMs: number | null;
      readonly tatumErrorCode: string | null;
      readonly tatumMessage: string | null;
      readonly networkCode: string | null;
    });

const HEADER_SAFE = /^[\x21-\x7e]{1,512}$/;
const ERROR_BODY_BYTES = 16_384;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidInputError(`Tatum client option ${name} must be a finite number > 0`, { field: name });
  return v;
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

export class TatumTransport {
  readonly #apiKey: string;
  readonly #clientVersion: string;
  readonly #limiter: RateLimiter;
  readonly #bucket: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxElapsedMs: number;
  readonly #backoff: { baseDelayMs: number; maxDelayMs: number };
  readonly #maxResponseBytes: number;
  readonly #fetch: typeof fetch;
  readonly #clock: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #metrics: Metrics | undefined;

  constructor(options: TransportOptions) {
    if (typeof options.apiKey !== 'string' || !HEADER_SAFE.test(options.apiKey)) {
      throw new InvalidInputError('Tatum API key must be 1 to 512 printable ASCII characters without spaces', { field: 'apiKey' });
    }
    if (typeof options.clientVersion !== 'string' || !HEADER_SAFE.test(options.clientVersion)) {
      throw new InvalidInputError('Tatum client version must be printable ASCII without spaces', { field: 'clientVersion' });
    }
    this.#apiKey = options.apiKey;
    this.#clientVersion = options.clientVersion;
    this.#limiter = options.rateLimiter;
    this.#bucket = rateLimitKeyForApiKey(options.apiKey);
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs, 15_000);
    this.#maxAttempts = Math.floor(positive('maxAttempts', options.maxAttempts, 4));
    this.#maxElapsedMs = positive('maxElapsedMs', options.maxElapsedMs, 60_000);
    this.#backoff = { baseDelayMs: positive('baseDelayMs', options.baseDelayMs, 250), maxDelayMs: positive('maxDelayMs', options.maxDelayMs, 8_000) };
    this.#maxResponseBytes = positive('maxResponseBytes', options.maxResponseBytes, 32 * 1024 * 1024);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#metrics = options.metrics;
  }

  /** The rate-limit bucket of this API key (a hash: safe to log and store). */
  get rateLimitKey(): string {
    return this.#bucket;
  }

  /** Remote text made safe for an error: the API key removed, cut short (tatum-errors.ts). */
  scrub(text: string): string {
    return scrubRemoteText(text, [this.#apiKey]);
  }

  async send(call: HttpCall): Promise<HttpAnswer> {
    const started = this.#clock();
    let reached = false;
    for (let attempt = 1; ; attempt++) {
      if (call.target === 'tatum') {
        try {
          await this.#limiter.acquire(this.#bucket);
        } catch (error) {
          throw new TatumHttpError(
            { kind: 'rate-limiter', method: call.method, path: call.path, status: null, retryable: true, mayHaveReached: reached, attempts: attempt - 1 },
            { cause: error },
          );
        }
      }
      const result = await this.#attempt(call);
      if (call.target === 'tatum') this.#count(result);
      if (result.ok) return { status: result.status, body: this.#decode(call, result.text) };
      reached ||= result.mayHaveReached;
      let waitMs: number | null = null;
      if (result.retryable && (call.mode === 'idempotent' || !reached) && attempt < this.#maxAttempts) {
        waitMs = result.retryAfterMs ?? backoffDelay(attempt, this.#backoff, this.#random);
        if (this.#clock() + waitMs - started > this.#maxElapsedMs) waitMs = null;
      }
      if (waitMs === null) {
        throw new TatumHttpError({
          kind: result.kind,
          method: call.method,
          path: call.path,
          status: result.status,
          retryable: result.retryable,
          mayHaveReached: reached,
          attempts: attempt,
          retryAfterMs: result.retryAfterMs,
          tatumErrorCode: result.tatumErrorCode,
          tatumMessage: result.tatumMessage,
          networkCode: result.networkCode,
        });
      }
      await this.#sleep(waitMs);
    }
  }

  /** Never throws: a metrics failure must not change the outcome of a call that may have reached Tatum. */
  #count(result: Attempt): void {
    if (!this.#metrics) return;
    try {
      this.#emitAttempt(this.#metrics, result);
    } catch {
      /* counting is best effort */
    }
  }

  #emitAttempt(metrics: Metrics, result: Attempt): void {
    const outcome: TatumCallOutcome = result.ok
      ? 'ok'
      : result.kind !== 'status'
        ? 'network'
        : result.status !== null && result.status >= 500
          ? 'server-error'
          : 'client-error';
    metrics.emit('TatumCalls', 1, { Outcome: outcome });
    if (!result.ok && result.kind === 'status' && result.status === 429) metrics.emit('TatumThrottled', 1);
  }

  #decode(call: HttpCall, text: string): unknown {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TatumResponseError(`${call.method} ${call.path} answered a body that is not JSON (${text.length} characters)`, { field: '(body)', path: call.path });
    }
  }

  #headers(call: HttpCall): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.target === 'tatum') {
      headers['x-api-key'] = this.#apiKey;
      headers['x-ttm-kms-client-version'] = this.#clientVersion;
    }
    return headers;
  }

  async #attempt(call: HttpCall): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(call.url, {
        method: call.method,
        headers: this.#headers(call),
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      return this.#failure(signal.aborted ? 'timeout' : 'network', null, error);
    }
    const accept = call.accept ?? is2xx;
    const ok = accept(response.status);
    let text: string;
    try {
      text = await readCappedText(response, ok ? this.#maxResponseBytes : ERROR_BODY_BYTES, !ok, call);
    } catch (error) {
      if (error instanceof TatumResponseError) throw error;
      // The status line arrived: Tatum got the request, whatever happens to the body.
      return { ...this.#failure(signal.aborted ? 'timeout' : 'network', response.status, error), mayHaveReached: true };
    }
    if (ok) return { ok: true, status: response.status, text };
    const { code, message } = parseTatumErrorBody(text, (t) => this.scrub(t));
    return {
      ok: false,
      kind: 'status',
      status: response.status,
      ...classifyStatus(response.status),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.#clock()),
      tatumErrorCode: code,
      tatumMessage: message,
      networkCode: null,
    };
  }

  #failure(kind: 'timeout' | 'network', status: number | null, error: unknown): Attempt & { ok: false } {
    const code = kind === 'timeout' ? 'TimeoutError' : networkErrorCode(error);
    const cls = kind === 'timeout' ? { retryable: true, mayHaveReached: true } : classifyNetworkError(code);
    return { ok: false, kind, status, ...cls, retryAfterMs: null, tatumErrorCode: null, tatumMessage: null, networkCode: code };
  }
}
