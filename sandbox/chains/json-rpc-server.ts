/**
 * An HTTP JSON-RPC 2.0 endpoint on 127.0.0.1 in front of an in-process EIP-1193 provider (ganache).
 *
 * Why not ganache's own server: closing it also closes the provider, and with it the chain's state. Keeping
 * the endpoint separate lets a chain "go down" (nothing answers on its port) and come back with the same
 * state, which is what a stopped-and-restarted node looks like to Sigil and to Tatum's broadcast.
 *
 * JSON-RPC 2.0 §4–§6: single calls and batches; a parse error is -32700, an invalid request -32600; an error
 * the provider throws becomes `{code, message, data?}` (code -32000, geth's "server error", when it has none).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The part of an EIP-1193 provider the endpoint uses. */
export interface RequestProvider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** Far above any call the sandbox makes (a raw transaction is a few hundred bytes). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type JsonRpcId = string | number | null;
interface JsonRpcReply {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly result?: unknown;
  readonly error?: { code: number; message: string; data?: unknown };
}

function errorReply(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcReply {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data !== undefined ? { data } : {}) } };
}

function idOf(call: Record<string, unknown>): JsonRpcId {
  const id = call.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

async function answer(provider: RequestProvider, call: unknown): Promise<JsonRpcReply> {
  if (typeof call !== 'object' || call === null || Array.isArray(call)) return errorReply(null, -32600, 'invalid request: expected an object');
  const record = call as Record<string, unknown>;
  const id = idOf(record);
  if (typeof record.method !== 'string') return errorReply(id, -32600, 'invalid request: "method" must be a string');
  if (record.params !== undefined && !Array.isArray(record.params)) return errorReply(id, -32602, 'invalid params: expected an array');
  try {
    const result = await provider.request({ method: record.method, params: (record.params as unknown[] | undefined) ?? [] });
    return { jsonrpc: '2.0', id, result: result ?? null };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === 'number' ? e.code : -32000;
    return errorReply(id, code, typeof e.message === 'string' ? e.message : String(error), e.data);
  }
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface JsonRpcEndpoint {
  readonly port: number;
  readonly url: string;
  /** Stop answering: the listening socket and every open connection are closed. */
  close(): Promise<void>;
}

/** Serve `provider` on 127.0.0.1:`port` (0 = any free port). */
export async function serveJsonRpc(provider: RequestProvider, port = 0): Promise<JsonRpcEndpoint> {
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: unknown): void => {
      // No keep-alive: a client must not hold a pooled socket that a stop() cuts, then reuse it after restart().
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST') {
      send(405, errorReply(null, -32600, 'invalid request: JSON-RPC takes POST'));
      return;
    }
    void (async () => {
      const text = await readBody(request);
      if (text === undefined) return send(413, errorReply(null, -32600, `invalid request: body above ${MAX_BODY_BYTES} bytes`));
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return send(200, errorReply(null, -32700, 'parse error: the body is not JSON'));
      }
      if (Array.isArray(parsed)) {
        if (parsed.length === 0) return send(200, errorReply(null, -32600, 'invalid request: empty batch'));
        return send(200, await Promise.all(parsed.map((call) => answer(provider, call))));
      }
      return send(200, await answer(provider, parsed));
    })().catch(() => send(500, errorReply(null, -32603, 'internal error')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets (fetch pools them) would otherwise hold the server open and keep answering.
        server.closeAllConnections();
      }),
  };
}
