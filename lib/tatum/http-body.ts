/**
 * Reading Tatum's answers safely: bodies are read up to a cap (a hostile or broken peer cannot make the
 * client buffer without bound), and Tatum's error body `{statusCode, errorCode, message}` is reduced to
 * a checked error code and a scrubbed message before it can reach an error (tatum-errors.ts).
 */
import { TatumResponseError } from './tatum-errors.js';

const ERROR_CODE = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The body as UTF-8 text, at most `limit` bytes. Beyond the cap a success answer is refused
 * (TatumResponseError: we cannot trust a cut answer) and an error answer is cut (`truncate`).
 */
export async function readCappedText(response: Response, limit: number, truncate: boolean, call: { readonly method: string; readonly path: string }): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      if (truncate) break;
      throw new TatumResponseError(`${call.method} ${call.path} answered more than ${limit} bytes`, { field: '(body)', path: call.path });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Tatum's error code and message from an error body, each passed through `scrub` (which removes the API
 * key); a body that is not JSON is kept as short scrubbed text. An error code that `scrub` would change
 * is dropped.
 */
export function parseTatumErrorBody(text: string, scrub: (text: string) => string): { code: string | null; message: string | null } {
  if (text.trim() === '') return { code: null, message: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { code: null, message: scrub(text.trim()) };
  }
  if (typeof parsed !== 'object' || parsed === null) return { code: null, message: null };
  const { errorCode, message } = parsed as { errorCode?: unknown; message?: unknown };
  return {
    code: typeof errorCode === 'string' && ERROR_CODE.test(errorCode) && scrub(errorCode) === errorCode ? errorCode : null,
    message: typeof message === 'string' ? scrub(message) : null,
  };
}
