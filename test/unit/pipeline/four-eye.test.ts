import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { parseFourEyeUrl, requestApproval, verifyFourEyeSignature, type FourEyeConfig } from '../../../lib/pipeline/four-eye.js';

interface Seen { method: string; path: string; body: string; headers: IncomingMessage['headers'] }

const secret = new TextEncoder().encode('four-eye-shared-secret');
const decoded = { chain: 'ETH', wallet: ['w'], to: ['0xabc'], amount: '1000', fee: '21000' };
let server: Server;
let base: string;
const seen: Seen[] = [];
let mode: 'allow' | 'deny' | 'redirect' | 'hang' | 'verify' = 'allow';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, body, headers: req.headers });
      if (mode === 'hang') return;
      if (mode === 'redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      if (mode === 'verify') {
        const ok = verifyFourEyeSignature(secret, { timestamp: req.headers['x-sigil-timestamp'] as string, signature: req.headers['x-sigil-signature'] as string, method: req.method!, path: req.url!, body }, Math.floor(Date.now() / 1000));
        return void res.writeHead(ok ? 200 : 401).end();
      }
      res.writeHead(mode === 'allow' ? 200 : 403).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/approve`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const config = (over: Partial<FourEyeConfig> = {}): FourEyeConfig => ({ url: parseFourEyeUrl(base), method: 'GET', timeoutMs: 500, ...over });
const now = () => Math.floor(Date.now() / 1000);

describe('four-eye approval', () => {
  it('a 2xx approves; GET goes to {url}/{id} with no body', async () => {
    mode = 'allow';
    seen.length = 0;
    expect(await requestApproval(config(), 'a1', { id: 'a1' }, decoded, now())).toEqual({ approved: true, status: 200 });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/approve/a1', body: '' });
  });

  it('deny, then allow on a later pass', async () => {
    mode = 'deny';
    expect(await requestApproval(config(), 'a2', {}, decoded, now())).toEqual({ approved: false, reason: 'the approval service answered 403' });
    mode = 'allow';
    expect((await requestApproval(config(), 'a2', {}, decoded, now())).approved).toBe(true);
  });

  it('a redirect is refused, not followed', async () => {
    mode = 'redirect';
    seen.length = 0;
    const decision = await requestApproval(config(), 'a3', {}, decoded, now());
    expect(decision).toMatchObject({ approved: false, reason: expect.stringMatching(/redirect/) });
    expect(seen).toHaveLength(1);
  });

  it('a reviewer that never answers is a timeout denial', async () => {
    mode = 'hang';
    const started = Date.now();
    const decision = await requestApproval(config({ timeoutMs: 300 }), 'a4', {}, decoded, now());
    expect(decision).toMatchObject({ approved: false, reason: expect.stringMatching(/did not answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('POST carries the pending tx and the decoded transaction; the HMAC verifies at the receiver', async () => {
    mode = 'verify';
    seen.length = 0;
    const decision = await requestApproval(config({ method: 'POST', secret }), 'a5', { id: 'a5', chain: 'ETH' }, decoded, now());
    expect(decision.approved).toBe(true);
    expect(JSON.parse(seen[0]!.body)).toEqual({ id: 'a5', chain: 'ETH', decoded });
    expect(seen[0]!.headers['x-sigil-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('the receiver rejects a wrong secret, a tampered body and a stale timestamp', () => {
    const request = { method: 'POST', path: '/approve/x', body: '{"a":1}' };
    const sign = (key: Uint8Array, ts: number, body = request.body) => {
      // an independent signer of the documented scheme, checked by the receiver's function
      return { timestamp: String(ts), signature: `v1=${hmacHex(key, `${ts}.POST./approve/x.${body}`)}` };
    };
    const t = now();
    expect(verifyFourEyeSignature(secret, { ...request, ...sign(secret, t) }, t)).toBe(true);
    expect(verifyFourEyeSignature(secret, { ...request, ...sign(new TextEncoder().encode('other'), t) }, t)).toBe(false);
    expect(verifyFourEyeSignature(secret, { ...request, ...sign(secret, t), body: '{"a":2}' }, t)).toBe(false);
    expect(verifyFourEyeSignature(secret, { ...request, ...sign(secret, t - 301) }, t)).toBe(false);
    expect(verifyFourEyeSignature(secret, { ...request, ...sign(secret, t + 299) }, t)).toBe(true);
  });

  it.each([
    ['http on a public host', 'http://approvals.example.com/x'],
    ['a relative URL', '/approve'],
    ['credentials', 'https://user:pw@example.com/x'],
    ['a query string', 'https://example.com/x?token=1'],
    ['another scheme', 'ftp://example.com/x'],
  ])('refuses an --externalUrl with %s', (_what, url) => {
    expect(() => parseFourEyeUrl(url)).toThrow(InvalidInputError);
  });

  it('accepts https anywhere and http on loopback', () => {
    expect(parseFourEyeUrl('https://approvals.example.com/x').host).toBe('approvals.example.com');
    expect(parseFourEyeUrl('http://127.0.0.1:8080/x').port).toBe('8080');
    expect(parseFourEyeUrl('http://localhost/x').hostname).toBe('localhost');
  });
});

function hmacHex(key: Uint8Array, message: string): string {
  return createHmac('sha256', key).update(message).digest('hex');
}
