/**
 * The Tatum simulator's own behaviour, over raw fetch (the client's view is in
 * test/integration/tatum-client*.test.ts): authentication, limits, the legacy pending call, completion
 * conflicts, the broadcast hook, fault rules, loopback-only listening, deterministic txids.
 */
import { createHash } from 'node:crypto';
import { keccak256 } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import vectors from '../../vectors/tatum-vectors.json' with { type: 'json' };
import { FaultPlan } from '../../../sandbox/tatum/faults.js';
import { BROADCAST_PATHS, startTatumSimulator, type TatumSimulator, type TatumSimulatorOptions } from '../../../sandbox/tatum/simulator.js';
import { simulatedTxId } from '../../../sandbox/tatum/txid.js';

const KEY = 'simulator-unit-key-0001';
const W1 = '6f2c1a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
let sim: TatumSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: Partial<TatumSimulatorOptions> = {}): Promise<TatumSimulator> {
  sim = await startTatumSimulator({ apiKey: KEY, ...options });
  return sim;
}

function call(s: TatumSimulator, method: string, path: string, body?: unknown, key: string | null = KEY): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

describe('Tatum simulator', () => {
  it('listens on loopback only and requires the API key on every endpoint', async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const [method, path] of [
      ['POST', '/v3/kms/pending/BTC'],
      ['GET', '/v3/kms/aaaaaaaaaaaaaaaaaaaaaaaa'],
      ['POST', '/v3/bitcoin/broadcast'],
      ['POST', '/v3/blockchain/node/ETH'],
    ] as const) {
      const body = method === 'GET' ? undefined : {};
      const missing = await call(s, method, path, body, null);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ statusCode: 401, errorCode: 'unauthorized', message: 'x-api-key is missing or wrong' });
      expect((await call(s, method, path, body, 'other')).status).toBe(401);
    }
  });

  it('refuses more than 25,000 signature ids per call, as Tatum does', async () => {
    const s = await start();
    const response = await call(s, 'POST', '/v3/kms/pending/BTC', { signatureIds: Array.from({ length: 25_001 }, (_, i) => `id-${i}`) });
    expect(response.status).toBe(400);
  });

  it('serves the legacy GET pending call with a CSV of signature ids', async () => {
    const s = await start();
    const tx = s.state.addPending({ chain: 'BTC', serializedTransaction: '{}', signatures: [{ id: W1, index: 0 }] });
    const response = await call(s, 'GET', `/v3/kms/pending/BTC?signatures=other,${W1}`);
    expect(await response.json()).toEqual([tx]);
  });

  it('accepts a repeated completion with the same txId and refuses another txId', async () => {
    const s = await start();
    const tx = s.state.addPending({ chain: 'ETH', serializedTransaction: '{}' });
    expect((await call(s, 'PUT', `/v3/kms/${tx.id}/0xaa`)).status).toBe(204);
    expect((await call(s, 'PUT', `/v3/kms/${tx.id}/0xaa`)).status).toBe(204);
    expect((await call(s, 'PUT', `/v3/kms/${tx.id}/0xbb`)).status).toBe(403);
    expect((await call(s, 'PUT', '/v3/kms/ffffffffffffffffffffffff/0xaa')).status).toBe(404);
  });

  it('serves every broadcast path of TATUM-COMPAT §2.6 and nothing else', async () => {
    const s = await start();
    expect(BROADCAST_PATHS).toHaveLength(21);
    for (const path of BROADCAST_PATHS) expect((await call(s, 'POST', `/v3/${path}/broadcast`, { txData: 'ab' })).status).toBe(200);
    expect((await call(s, 'POST', '/v3/notachain/broadcast', { txData: 'ab' })).status).toBe(404);
    expect(s.state.broadcasts.map((b) => b.path)).toEqual([...BROADCAST_PATHS]);
  });

  it('lets a hook choose the txId or refuse a broadcast (400, not recorded)', async () => {
    const s = await start({
      broadcastHook: ({ txData }) => {
        if (txData === 'bad') throw new Error('mempool rejected it');
        return txData === 'mine' ? 'chain-tx-1' : undefined;
      },
    });
    expect(await (await call(s, 'POST', '/v3/xlm/broadcast', { txData: 'mine' })).json()).toEqual({ txId: 'chain-tx-1', failed: false });
    const refused = await call(s, 'POST', '/v3/xlm/broadcast', { txData: 'bad' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ errorCode: 'broadcast.failed', message: 'mempool rejected it' });
    expect(s.state.broadcasts.map((b) => b.txData)).toEqual(['mine']);
  });

  it('answers 429 with Retry-After above its own rate limit, switchable at run time', async () => {
    const s = await start({ rateLimit: { ratePerSecond: 1, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(s, 'POST', '/v3/blockchain/node/ETH', { jsonrpc: '2.0', id: 1, method: 'eth_chainId' })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    const limited = await call(s, 'POST', '/v3/blockchain/node/ETH', { jsonrpc: '2.0', id: 1, method: 'eth_chainId' });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(s.state.stats.rateLimited).toBe(3);
    s.setRateLimit(null);
    expect((await call(s, 'POST', '/v3/blockchain/node/ETH', { jsonrpc: '2.0', id: 1, method: 'eth_chainId' })).status).toBe(200);
  });

  it('ends hanging requests when it closes', async () => {
    const s = await start({ faults: { hang: {} } });
    const pending = fetch(`${s.url}/v3/kms/aaaaaaaaaaaaaaaaaaaaaaaa`, { headers: { 'x-api-key': KEY } }).then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 50));
    await s.close();
    sim = undefined;
    expect(await pending).toBe('closed');
  });
});

describe('fault rules', () => {
  it('fire for `times` matching requests, by probability, or always', () => {
    const plan = new FaultPlan(() => 0.3, { serverError: { times: 2, match: '/broadcast' }, hang: { probability: 0.5 }, malformed: { probability: 0.2 } });
    expect(plan.fire('serverError', 'GET /v3/kms/x')).toBeUndefined();
    expect(plan.fire('serverError', 'POST /v3/bitcoin/broadcast')).toBeDefined();
    expect(plan.fire('serverError', 'POST /v3/bitcoin/broadcast')).toBeDefined();
    expect(plan.fire('serverError', 'POST /v3/bitcoin/broadcast')).toBeUndefined();
    expect(plan.fire('hang', 'GET /')).toBeDefined(); // 0.3 < 0.5
    expect(plan.fire('malformed', 'GET /')).toBeUndefined(); // 0.3 ≥ 0.2
    plan.set({ tooManyRequests: { match: /^GET / } });
    expect(plan.fire('tooManyRequests', 'GET /a')).toBeDefined();
    expect(plan.fire('tooManyRequests', 'POST /a')).toBeUndefined();
    expect(plan.fire('hang', 'GET /')).toBeUndefined();
    expect(() => plan.set({ slow: {} } as never)).toThrow(/unknown simulator fault/);
  });
});

describe('simulatedTxId', () => {
  it('is the real id for EVM and Bitcoin-format transactions, and sha256 otherwise', () => {
    const evm = vectors.signing.find((v) => v.name === 'evm-eth')!;
    const btc = vectors.signing.find((v) => v.name === 'btc-p2wpkh')!;
    expect(simulatedTxId(evm.signed)).toBe(keccak256(evm.signed));
    expect(simulatedTxId(btc.signed)).toBe(JSON.parse(btc.serializedTransaction).hash);
    expect(simulatedTxId('{"txID":"x"}')).toBe(createHash('sha256').update('{"txID":"x"}').digest('hex'));
    expect(simulatedTxId('abcd')).toBe(createHash('sha256').update('abcd').digest('hex'));
  });
});
