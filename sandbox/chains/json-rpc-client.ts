/**
 * A minimal JSON-RPC 2.0 client over fetch, for talking to a local chain the way Sigil and Tatum's gateway
 * would: over the wire, so a stopped node really is unreachable. Every call has a timeout.
 */
import { ChainRejectedError, ChainUnavailableError } from './chain-errors.js';

export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

let nextId = 1;

/** The `code` of a network failure (ECONNREFUSED, …) from fetch's cause chain, if any. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Call `method` at `url`. Throws ChainUnavailableError when nothing answers (or answers something other than
 * JSON-RPC), ChainRejectedError with the node's message when it returns a JSON-RPC error.
 */
export async function callJsonRpc(url: string, method: string, params: readonly unknown[], timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<unknown> {
  const id = nextId++;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    const code = networkCode(cause) ?? (cause as Error).name;
    throw new ChainUnavailableError(`the node at ${url} did not answer ${method} (${code})`, { url, method, code }, { cause });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new ChainUnavailableError(`the node at ${url} answered ${method} with HTTP ${response.status} and no JSON`, { url, method, status: response.status }, { cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChainUnavailableError(`the node at ${url} answered ${method} with something other than a JSON-RPC object`, { url, method });
  }
  const reply = body as { result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (reply.error) {
    const message = typeof reply.error.message === 'string' ? reply.error.message : 'unknown error';
    const code = typeof reply.error.code === 'number' ? reply.error.code : undefined;
    throw new ChainRejectedError(message, `${method} was refused by the node: ${message}`, { method, ...(code !== undefined ? { rpcCode: code } : {}) });
  }
  return reply.result;
}

/** A JSON-RPC answer to pass on: the node's result, or its error as the node gave it. */
export type RelayedOutcome = { readonly result: unknown } | { readonly error: { readonly code: number; readonly message: string } };

/**
 * Forward one call to the node at `url` for a gateway (the simulator's `POST /v3/blockchain/node/{CHAIN}`):
 * the node's refusal comes back as its JSON-RPC error; an unreachable node still throws
 * ChainUnavailableError, so the gateway can answer as Tatum does when its node is down.
 */
export async function relayJsonRpc(url: string, method: string, params: readonly unknown[], timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<RelayedOutcome> {
  try {
    return { result: await callJsonRpc(url, method, params, timeoutMs) };
  } catch (error) {
    if (!(error instanceof ChainRejectedError)) throw error;
    const code = typeof error.context.rpcCode === 'number' ? error.context.rpcCode : -32000;
    return { error: { code, message: error.reason } };
  }
}
