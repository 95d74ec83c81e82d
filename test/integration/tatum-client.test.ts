/**
 * HttpTatumApi against the Tatum simulator over real HTTP on loopback: every call, the headers, the
 * chunking of signature ids, the RPC gateway and a configured RPC URL, redirects, argument checks.
 * Failure handling (retries, timeouts, faults, rate limiting) is in tatum-client-faults.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keccak256 } from 'ethers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import vectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { InvalidInputError } from '../../lib/errors.js';
import { HttpTatumApi, SIGIL_CLIENT_VERSION, type HttpTatumApiOptions } from '../../lib/tatum/client.js';
import { UnlimitedRateLimiter } from '../../lib/tatum/rate-limiter.js';
import { TatumHttpError, TatumRpcError } from '../../lib/tatum/tatum-errors.js';
import { startTatumSimulator, type TatumSimulator } from '../../sandbox/tatum/simulator.js';

const API_KEY = 'sim-key-7d1f0e9c2b3a4d5e6f708192a3b4c5d6';
const W1 = '6f2c1a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
const W2 = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const W3 = '99999999-9999-4999-8999-999999999999';
const evm = vectors.signing.find((v) => v.name === 'evm-eth')!;
const btc = vectors.signing.find((v) => v.name === 'btc-p2wpkh')!;

let sim: TatumSimulator;

beforeEach(async () => {
  sim = await startTatumSimulator({ apiKey: API_KEY });
});

afterEach(async () => {
  await sim.close();
});

function client(overrides: Partial<HttpTatumApiOptions> = {}): HttpTatumApi {
  return new HttpTatumApi({ baseUrl: sim.url, apiKey: API_KEY, rateLimiter: new UnlimitedRateLimiter(), sleep: async () => undefined, ...overrides });
}

async function listen(handler: (headers: IncomingHttpHeaders, body: string, url: string) => { status: number; body?: string; headers?: Record<string, string> }): Promise<{ url: string; server: Server; hits: number }> {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      state.hits++;
      const answer = handler(req.headers, body, req.url ?? '/');
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    get hits() {
      return state.hits;
    },
  };
}

describe('HttpTatumApi: KMS calls', () => {
  it('lists pending transactions of one chain naming our wallets, with the headers upstream sends', async () => {
    const byHash = sim.state.addPending({ chain: 'ETH', serializedTransaction: evm.serializedTransaction, hashes: [W1], index: 0 });
    const bySignature = sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [], signatures: [{ id: W2, index: 4 }] });
    sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W3] });
    sim.state.addPending({ chain: 'BTC', serializedTransaction: '{}', hashes: [W1] });
    sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W1], txId: '0xdone' });
    const bad = sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W1], index: -1 });

    const batch = await client().pendingTransactions('ETH', [W1, W2]);

    expect(batch.transactions.map((t) => t.id)).toEqual([byHash.id, bySignature.id]);
    expect(batch.transactions[1]!.signatures).toEqual([{ id: W2, index: 4 }]);
    expect(batch.rejected).toEqual([expect.objectContaining({ id: bad.id, field: 'index' })]);
    expect(sim.state.requests).toEqual([
      { method: 'POST', path: '/v3/kms/pending/ETH', status: 200, clientVersion: SIGIL_CLIENT_VERSION, contentType: 'application/json', authenticated: true, signatureIds: 2 },
    ]);
    expect(SIGIL_CLIENT_VERSION).toMatch(/^sigil\/\d+\.\d+\.\d+/);
  });

  it('chunks 25,001 ids into two calls and merges the answers, de-duplicated by id', async () => {
    const ids = [W1, ...Array.from({ length: 24_999 }, () => randomUUID()), W2];
    const first = sim.state.addPending({ chain: 'BTC', serializedTransaction: '{}', hashes: [W1] });
    const second = sim.state.addPending({ chain: 'BTC', serializedTransaction: '{}', hashes: [W2] });
    const both = sim.state.addPending({ chain: 'BTC', serializedTransaction: '{}', hashes: [W1], signatures: [{ id: W2, index: 0 }] });

    const batch = await client().pendingTransactions('BTC', [...ids, W1, W2]);

    expect(sim.state.requests.map((r) => r.signatureIds)).toEqual([25_000, 1]);
    expect(batch.transactions.map((t) => t.id).sort()).toEqual([first.id, second.id, both.id].sort());
    expect(batch.rejected).toEqual([]);
  });

  it('makes no call for an empty id list', async () => {
    expect(await client().pendingTransactions('ETH', [])).toEqual({ transactions: [], rejected: [] });
    expect(sim.state.requests).toEqual([]);
  });

  it('gets one transaction, null when Tatum does not know it', async () => {
    const tx = sim.state.addPending({ chain: 'ETH', serializedTransaction: evm.serializedTransaction, hashes: [W1], index: 2 });
    const api = client();
    expect(await api.getPendingTransaction(tx.id as string)).toMatchObject({ id: tx.id, index: 2, txId: null });
    expect(await api.getPendingTransaction('0123456789abcdef01234567')).toBeNull();
    expect(sim.state.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`GET /v3/kms/${tx.id} 200`, 'GET /v3/kms/0123456789abcdef01234567 404']);
  });

  it('completes a transaction with its txId, which takes it off the pending list', async () => {
    const tx = sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W1] });
    const api = client();
    await api.completePendingTransaction(tx.id as string, '0xabc123');
    await api.completePendingTransaction(tx.id as string, '0xabc123'); // idempotent: a retry after an ambiguous failure is safe
    expect(sim.state.completions).toEqual([{ id: tx.id, txId: '0xabc123' }]);
    expect((await api.getPendingTransaction(tx.id as string))?.txId).toBe('0xabc123');
    expect((await api.pendingTransactions('ETH', [W1])).transactions).toEqual([]);
  });

  it('deletes a transaction with revert true or false', async () => {
    const a = sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W1] });
    const b = sim.state.addPending({ chain: 'ETH', serializedTransaction: '{}', hashes: [W1] });
    const api = client();
    await api.deletePendingTransaction(a.id as string, false);
    await api.deletePendingTransaction(b.id as string, true);
    expect(sim.state.deletions).toEqual([{ id: a.id, revert: false }, { id: b.id, revert: true }]);
    expect(sim.state.requests.map((r) => r.path)).toEqual([`/v3/kms/${a.id}?revert=false`, `/v3/kms/${b.id}?revert=true`]);
    expect(sim.state.transactions.size).toBe(0);
  });

  it('broadcasts signed transactions to their chain path with the pending id, which completes them', async () => {
    const eth = sim.state.addPending({ chain: 'ETH', serializedTransaction: evm.serializedTransaction, hashes: [W1] });
    const bitcoin = sim.state.addPending({ chain: 'BTC', serializedTransaction: btc.serializedTransaction, hashes: [W1] });
    const api = client();

    const ethResult = await api.broadcast('ethereum', evm.signed, eth.id as string);
    const btcResult = await api.broadcast('bitcoin', btc.signed, bitcoin.id as string);

    expect(ethResult).toEqual({ txId: keccak256(evm.signed), completionFailed: false });
    // A segwit txid excludes the witness: it is the unsigned transaction's hash in the vector.
    expect(btcResult).toEqual({ txId: JSON.parse(btc.serializedTransaction).hash, completionFailed: false });
    expect(sim.state.broadcasts).toEqual([
      { path: 'ethereum', txData: evm.signed, signatureId: eth.id, txId: ethResult.txId },
      { path: 'bitcoin', txData: btc.signed, signatureId: bitcoin.id, txId: btcResult.txId },
    ]);
    expect(sim.state.pending).toEqual([]);
    // A broadcast naming no pending transaction goes out, but Tatum reports it could not complete it.
    expect((await api.broadcast('ethereum', evm.signed, 'ffffffffffffffffffffffff')).completionFailed).toBe(true);
  });

  it('broadcasts a ledger withdrawal through the offchain endpoint', async () => {
    const tx = sim.state.addPending({ chain: 'BTC', serializedTransaction: btc.serializedTransaction, hashes: [W1], withdrawalId: 'w-1' });
    const result = await client().withdrawalBroadcast({ currency: 'BTC', txData: btc.signed, withdrawalId: 'w-1', signatureId: tx.id as string });
    expect(result).toEqual({ txId: JSON.parse(btc.serializedTransaction).hash, completed: true });
    expect(sim.state.withdrawalBroadcasts).toEqual([{ currency: 'BTC', txData: btc.signed, withdrawalId: 'w-1', signatureId: tx.id, txId: result.txId }]);
  });

  it('reports a pass of errors in one batch call, shortening long texts', async () => {
    const api = client();
    await api.reportErrors([]);
    expect(sim.state.requests).toEqual([]);
    await api.reportErrors([
      { signatureId: 'aaaaaaaaaaaaaaaaaaaaaaaa', error: 'no wallet for hashes[0]' },
      { signatureId: 'bbbbbbbbbbbbbbbbbbbbbbbb', error: 'e'.repeat(5000) },
    ]);
    expect(sim.state.errorsReported).toEqual([
      { signatureId: 'aaaaaaaaaaaaaaaaaaaaaaaa', error: 'no wallet for hashes[0]' },
      { signatureId: 'bbbbbbbbbbbbbbbbbbbbbbbb', error: `${'e'.repeat(1000)}…` },
    ]);
    expect(sim.state.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v3/tatum/kms/batch']);
  });

  it('checks arguments before sending anything', async () => {
    const api = client();
    const attempts = [
      api.pendingTransactions('eth', [W1]),
      api.pendingTransactions('ETH', [W1, 'has space']),
      api.getPendingTransaction('not-an-id'),
      api.completePendingTransaction('aaaaaaaaaaaaaaaaaaaaaaaa', '../../v3/other'),
      api.broadcast('../kms', '00', 'aaaaaaaaaaaaaaaaaaaaaaaa'),
      api.broadcast('bitcoin', '', 'aaaaaaaaaaaaaaaaaaaaaaaa'),
      api.broadcast('bitcoin', '00', W1),
      api.reportErrors([{ signatureId: 'x', error: 'e' }]),
      api.rpc('ETH', 'eth call', []),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    expect(sim.state.requests).toEqual([]);
  });

  it('refuses base URLs that would leak the key: plain http off loopback, credentials', () => {
    expect(() => client({ baseUrl: 'http://api.tatum.io' })).toThrow(InvalidInputError);
    expect(() => client({ baseUrl: 'https://user:pw@api.tatum.io' })).toThrow(InvalidInputError);
    expect(() => client({ baseUrl: 'https://api.tatum.io/' })).not.toThrow();
  });
});

describe('HttpTatumApi: RPC', () => {
  it('calls the gateway with JSON-RPC 2.0 for every method the prepare step needs', async () => {
    sim.state.rpc.chain('ETH').nonces.set('0x45ed61920025dbb877f385dedd192a2408a8561c', 7n);
    const api = client();
    expect(await api.rpc('ETH', 'eth_chainId', [])).toBe('0xaa36a7');
    expect(await api.rpc('ETH', 'eth_getTransactionCount', ['0x45ED61920025dbb877f385dedd192a2408a8561c', 'pending'])).toBe('0x7');
    expect(await api.rpc('ETH', 'eth_estimateGas', [{ to: W1 }])).toBe('0x5208');
    expect(await api.rpc('ETH', 'eth_gasPrice', [])).toBe('0x4a817c800');
    expect(await api.rpc('ETH', 'eth_maxPriorityFeePerGas', [])).toBe('0x3b9aca00');
    expect(await api.rpc('ETH', 'eth_feeHistory', ['0x2', 'latest', [25, 75]])).toEqual({
      oldestBlock: '0xff',
      baseFeePerGas: ['0x46c7cfe00', '0x46c7cfe00', '0x46c7cfe00'],
      gasUsedRatio: [0.5, 0.5],
      reward: [['0x3b9aca00', '0x3b9aca00'], ['0x3b9aca00', '0x3b9aca00']],
    });
    expect(sim.state.rpc.calls.map((c) => `${c.chain} ${c.method}`)).toContain('ETH eth_feeHistory');
    expect(new Set(sim.state.requests.map((r) => r.path))).toEqual(new Set(['/v3/blockchain/node/ETH']));
    const error = await api.rpc('ETH', 'eth_unknownMethod', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TatumRpcError);
    expect((error as TatumRpcError).rpcCode).toBe(-32601);
  });

  it('sends RPC to a configured URL without the Tatum key or a rate-limit token, and never names the URL', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const node = await listen((headers, body) => {
      seen.push(headers);
      const request = JSON.parse(body) as { id: number; method: string };
      if (request.method === 'eth_fail') return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32000, message: 'nonce too low' } }) };
      return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: request.id, result: '0x2a' }) };
    });
    const acquisitions: string[] = [];
    const api = client({
      rpcUrls: { ETH: `${node.url}/v3/provider-secret-in-path` },
      rateLimiter: { acquire: async (key) => void acquisitions.push(key) },
    });
    try {
      expect(await api.rpc('ETH', 'eth_blockNumber', [])).toBe('0x2a');
      const error = (await api.rpc('ETH', 'eth_fail', []).catch((e: unknown) => e)) as TatumRpcError;
      expect(error.path).toBe('rpc:ETH');
      expect(error.message).not.toContain('provider-secret');
      expect(seen).toHaveLength(2);
      for (const headers of seen) {
        expect(headers['x-api-key']).toBeUndefined();
        expect(headers['x-ttm-kms-client-version']).toBeUndefined();
      }
      expect(acquisitions).toEqual([]);
      // Other chains still go through Tatum's gateway.
      expect(await api.rpc('BSC', 'eth_chainId', [])).toBe('0x61');
      expect(acquisitions).toHaveLength(1);
    } finally {
      node.server.close();
    }
  });

  it('lets a hook answer RPC calls before the fixed state (the sandbox proxies to a real chain)', async () => {
    await sim.close();
    sim = await startTatumSimulator({ apiKey: API_KEY, rpcHook: (call) => (call.method === 'eth_blockNumber' ? { result: '0x999' } : undefined) });
    const api = client();
    expect(await api.rpc('ETH', 'eth_blockNumber', [])).toBe('0x999');
    expect(await api.rpc('ETH', 'eth_chainId', [])).toBe('0xaa36a7');
  });
});

describe('HttpTatumApi: redirects and authentication', () => {
  it('never follows a redirect, so the key cannot travel to another host', async () => {
    const elsewhere = await listen(() => ({ status: 200, body: '[]' }));
    const redirecting = await listen(() => ({ status: 307, headers: { location: `${elsewhere.url}/v3/kms/pending/ETH` } }));
    try {
      const error = (await client({ baseUrl: redirecting.url }).pendingTransactions('ETH', [W1]).catch((e: unknown) => e)) as TatumHttpError;
      expect(error).toBeInstanceOf(TatumHttpError);
      expect(error.status).toBe(307);
      expect(error.retryable).toBe(false);
      expect(redirecting.hits).toBe(1);
      expect(elsewhere.hits).toBe(0);
    } finally {
      redirecting.server.close();
      elsewhere.server.close();
    }
  });

  it('surfaces a refused key as a non-retryable 401 that did not reach processing', async () => {
    const error = (await client({ apiKey: 'wrong-key-0000' }).pendingTransactions('ETH', [W1]).catch((e: unknown) => e)) as TatumHttpError;
    expect(error).toMatchObject({ status: 401, retryable: false, mayHaveReached: false, attempts: 1, tatumErrorCode: 'unauthorized' });
    expect(sim.state.requests).toHaveLength(1);
  });
});
