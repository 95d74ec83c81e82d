/**
 * Four-eye approval: before a transaction is approved, an external service the operator runs is asked
 * (TATUM-COMPAT §2.4): `GET {externalUrl}/{id}` or `POST {externalUrl}/{id}` with the pending tx as JSON;
 * any 2xx approves, anything else denies. What upstream lacks, Sigil adds:
 * - HTTPS only, except on loopback (checked when the config is parsed: parseFourEyeUrl);
 * - no redirects (a 3xx is a denial: a redirect could carry the request somewhere unreviewed);
 * - a timeout (a timeout is a denial, retried on a later pass);
 * - when a secret is configured, `X-Sigil-Timestamp: <unix seconds>` and
 *   `X-Sigil-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path>.<body>")>` so the receiver
 *   can tell Sigil's requests from anyone else's; receivers should accept timestamps within ±300 s of their
 *   clock and compare signatures in constant time (verifyFourEyeSignature does both);
 * - the POST body carries, besides the pending tx, `decoded`: what the tx does (to, amount, fee, chain, wallet),
 *   so the reviewer need not parse chain formats.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../errors.js';

export interface FourEyeConfig {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  /** HMAC key for X-Sigil-Signature; absent → requests are unsigned (as upstream). */
  readonly secret?: Uint8Array;
  readonly timeoutMs: number;
}

export interface DecodedTransaction {
  readonly chain: string;
  readonly wallet: readonly string[];
  readonly to: readonly string[];
  /** Base units, as decimal strings (JSON has no bigint). */
  readonly amount: string;
  readonly fee: string | null;
}

export type FourEyeDecision = { readonly approved: true; readonly status: number } | { readonly approved: false; readonly reason: string };

export const SIGNATURE_WINDOW_SECONDS = 300;

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Validate `--externalUrl`: absolute http(s), HTTPS unless loopback, no credentials, no query or fragment. */
export function parseFourEyeUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError(`--externalUrl must be an absolute URL; got ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new InvalidInputError(`--externalUrl must use https (plain http is allowed only on loopback); got ${url.protocol}//${url.host}`);
  }
  if (url.username || url.password) throw new InvalidInputError('--externalUrl must not carry credentials');
  if (url.search || url.hash) throw new InvalidInputError('--externalUrl must not have a query or fragment (Sigil appends /{id})');
  return url;
}

export function signatureOf(secret: Uint8Array, timestamp: string, method: string, path: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${method}.${path}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): is this request Sigil's, signed within ±300 s of `nowSeconds`? */
export function verifyFourEyeSignature(secret: Uint8Array, request: { timestamp?: string; signature?: string; method: string; path: string; body: string }, nowSeconds: number): boolean {
  const { timestamp, signature } = request;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, request.method, request.path, request.body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Ask the reviewer about pending tx `id`. Never throws for the reviewer's behaviour: every failure is a denial with a reason. */
export async function requestApproval(
  config: FourEyeConfig,
  id: string,
  pending: Readonly<Record<string, unknown>>,
  decoded: DecodedTransaction,
  nowSeconds: number,
): Promise<FourEyeDecision> {
  const target = new URL(`${config.url.pathname.replace(/\/$/, '')}/${encodeURIComponent(id)}`, config.url);
  const body = config.method === 'POST' ? JSON.stringify({ ...pending, decoded }) : '';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (config.method === 'POST') headers['content-type'] = 'application/json';
  if (config.secret) {
    const timestamp = String(nowSeconds);
    headers['x-sigil-timestamp'] = timestamp;
    headers['x-sigil-signature'] = signatureOf(config.secret, timestamp, config.method, target.pathname, body);
  }
  try {
    const response = await fetch(target, {
      method: config.method,
      headers,
      ...(config.method === 'POST' ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { approved: true, status: response.status };
    if (response.status >= 300 && response.status < 400) return { approved: false, reason: `the approval service answered a redirect (${response.status}); redirects are refused` };
    return { approved: false, reason: `the approval service answered ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { approved: false, reason: `the approval service did not answer within ${config.timeoutMs} ms` };
    return { approved: false, reason: `the approval service could not be reached (${(error as Error).message})` };
  }
}
