/**
 * Four-eye approval inside the pass, against a reviewer served by the test over loopback HTTP:
 * allow (GET and POST, the POST carrying the pending tx and the decoded transaction); deny, then allow on a
 * later pass once retryAt has come (the prepared tx, and its nonce, kept); a reviewer that hangs (timeout);
 * a redirect (refused, never followed); and the HMAC headers verified by the receiver with
 * verifyFourEyeSignature. Nothing is decrypted for a tx that was not approved.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transaction } from 'ethers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFourEyeUrl, verifyFourEyeSignature, type FourEyeConfig } from '../../lib/pipeline/four-eye.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
const SECRET = new TextEncoder().encode('four-eye-secret-of-the-operator');

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

type Answer = 'allow' | 'deny' | 'hang' | 'redirect' | 'verify';

let reviewer: { server: Server; url: string; seen: Seen[]; answer: Answer; now: () => number };
let elsewhere: { server: Server; url: string; hits: number };
let harness: PipelineHarness | undefined;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeEach(async () => {
  elsewhere = { ...(await listen((_req, res) => (elsewhere.hits++, res.writeHead(200).end()))), hits: 0 };
  reviewer = {
    ...(await listen((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        reviewer.seen.push({ method: req.method!, path: req.url!, body, headers: req.headers });
        switch (reviewer.answer) {
          case 'allow':
            return void res.writeHead(204).end();
          case 'deny':
            return void res.writeHead(403).end();
          case 'hang':
            return;
          case 'redirect':
            return void res.writeHead(307, { location: `${elsewhere.url}/approve` }).end();
          case 'verify': {
            const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
            const request = { timestamp: header('x-sigil-timestamp'), signature: header('x-sigil-signature'), method: req.method!, path: req.url!, body };
            return void res.writeHead(verifyFourEyeSignature(SECRET, request, Math.floor(reviewer.now() / 1000)) ? 200 : 401).end();
          }
        }
      });
    })),
    seen: [],
    answer: 'allow',
    now: Date.now,
  };
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const server of [reviewer.server, elsewhere.server]) {
    server.closeAllConnections();
    server.close();
  }
});

async function withFourEye(fourEye: Partial<FourEyeConfig> = {}): Promise<PipelineHarness> {
  const config: FourEyeConfig = { url: parseFourEyeUrl(`${reviewer.url}/approve`), method: 'GET', timeoutMs: 1_000, ...fourEye };
  harness = await startPipelineHarness({ config: { fourEye: config, approvalRetryMs: 30_000 } });
  reviewer.now = harness.clock.now;
  return harness;
}

async function ethTx(h: PipelineHarness, fields: Parameters<typeof evmTransfer>[0] = { nonce: 0, gas: 21_000, gasPrice: GWEI }) {
  const wallet = await h.storePrivateKey('ETH', `0x${randomBytes(32).toString('hex')}`);
  return { wallet, id: h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer(fields) }) };
}

describe('four-eye approval in the pass', () => {
  it('GET allow: {url}/{id} is asked once, then the tx is signed and broadcast', async () => {
    const h = await withFourEye();
    const { id } = await ethTx(h);
    await runPass(h.deps, {}, 'all');
    expect(reviewer.seen).toEqual([expect.objectContaining({ method: 'GET', path: `/approve/${id}`, body: '' })]);
    expect(reviewer.seen[0]!.headers['x-sigil-signature']).toBeUndefined(); // no secret configured: unsigned, as upstream
    expect((await h.record(id)).state).toBe('COMPLETED');
  });

  it('POST with a secret: the receiver verifies the HMAC, and the body carries the pending tx and what it does', async () => {
    const h = await withFourEye({ method: 'POST', secret: SECRET });
    reviewer.answer = 'verify';
    const to = `0x${'c0'.repeat(20)}`;
    const { wallet, id } = await ethTx(h, { to, value: 123_456n, nonce: 0, gas: 21_000, gasPrice: 3n * GWEI });
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('COMPLETED');
    const seen = reviewer.seen[0]!;
    expect(seen).toMatchObject({ method: 'POST', path: `/approve/${id}` });
    expect(seen.headers['x-sigil-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    const body = JSON.parse(seen.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id, chain: 'ETH', hashes: [wallet] });
    expect(body.decoded).toEqual({ chain: 'ETH', wallet: [wallet], to: [to], amount: '123456', fee: (21_000n * 3n * GWEI).toString() });
  });

  it('POST signed with another secret: the receiver refuses, the tx is denied, nothing is decrypted', async () => {
    const h = await withFourEye({ method: 'POST', secret: new TextEncoder().encode('not-the-operators-secret') });
    reviewer.answer = 'verify';
    const { id } = await ethTx(h);
    await runPass(h.deps, {}, 'all');
    expect(await h.record(id)).toMatchObject({ state: 'APPROVAL_DENIED', reason: 'the approval service answered 401' });
    expect(h.keys.decrypts).toEqual([]);
  });

  it('POST signed by a Sigil whose clock is 10 minutes off the receiver\'s: outside the ±300 s window, denied', async () => {
    const h = await withFourEye({ method: 'POST', secret: SECRET });
    reviewer.answer = 'verify';
    reviewer.now = () => h.clock.now() + 600_000;
    const { id } = await ethTx(h);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('APPROVAL_DENIED');
    reviewer.now = () => h.clock.now() + 299_000; // within the window: the same request shape is accepted
    h.clock.advance(30_000);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('COMPLETED');
  });

  it('deny, then allow on a later pass once retryAt has come; the prepared tx and its nonce are kept', async () => {
    const h = await withFourEye();
    reviewer.answer = 'deny';
    const { id } = await ethTx(h, { gas: 21_000, gasPrice: GWEI }); // the nonce is allocated by prepare
    await runPass(h.deps, {}, 'all');
    const denied = await h.record(id);
    expect(denied.state).toBe('APPROVAL_DENIED');
    expect(denied.retryAt).toBe(h.clock.now() + 30_000);
    expect(h.events.count('Transaction Failed') + h.events.count('Transaction Rejected')).toBe(0);

    // Still listed by Tatum, but not asked again before retryAt.
    h.clock.advance(29_999);
    await runPass(h.deps, {}, 'all');
    expect(reviewer.seen).toHaveLength(1);
    expect((await h.record(id)).state).toBe('APPROVAL_DENIED');

    reviewer.answer = 'allow';
    h.clock.advance(1);
    await runPass(h.deps, {}, 'all');
    expect(reviewer.seen).toHaveLength(2);
    const done = await h.record(id);
    expect(done.state).toBe('COMPLETED');
    expect(done.prepared).toBe(denied.prepared);
    expect(Transaction.from(h.broadcastsOf(id)[0]!.txData).nonce).toBe(Number(JSON.parse(denied.prepared!).nonce));
    expect(h.sim.state.rpc.calls.filter((c) => c.method === 'eth_getTransactionCount')).toHaveLength(1);
    expect(h.sim.state.errorsReported).toEqual([]);
    expect(h.keys.decrypts).toHaveLength(1);
  });

  it('a reviewer that does not answer within the timeout: denied, nothing decrypted; asked again later', async () => {
    const h = await withFourEye({ timeoutMs: 250 });
    reviewer.answer = 'hang';
    const { id } = await ethTx(h);
    const started = Date.now();
    await runPass(h.deps, {}, 'all');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await h.record(id)).toMatchObject({ state: 'APPROVAL_DENIED', reason: 'the approval service did not answer within 250 ms' });
    expect(h.keys.decrypts).toEqual([]);
    reviewer.answer = 'allow';
    h.clock.advance(30_000);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(id)).state).toBe('COMPLETED');
  });

  it('a redirect is a denial and is never followed', async () => {
    const h = await withFourEye({ method: 'POST', secret: SECRET });
    reviewer.answer = 'redirect';
    const { id } = await ethTx(h);
    await runPass(h.deps, {}, 'all');
    expect(await h.record(id)).toMatchObject({ state: 'APPROVAL_DENIED', reason: expect.stringMatching(/redirect \(307\).*refused/) });
    expect(reviewer.seen).toHaveLength(1);
    expect(elsewhere.hits).toBe(0);
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
  });
});
