/**
 * `generatemanagedwallet --store aws --remote`: the CLI invokes the stack's create-wallet function over the
 * Lambda Invoke API and prints exactly `{signatureId, xpub}`. The peer here is a loopback HTTP server that
 * speaks the Invoke wire format (moto's Lambda needs Docker to invoke), answering as the function would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { memoryIo } from '../../../cli/memory-io.js';

let server: Server;
let endpoint: string;
let answer: { status?: number; body: string; functionError?: string } = { body: '{}' };
const calls: Array<{ path: string; body: string }> = [];

beforeAll(async () => {
  // The SDK's credential chain reads the process environment (the CLI's is the process's own).
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ path: req.url!, body });
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.functionError ? { 'x-amz-function-error': answer.functionError } : {}) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

async function sigil(argv: string[], env: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'sigil-remote-'));
  const mem = memoryIo({
    cwd: root,
    homeDir: root,
    env: { SIGIL_WALLET_TABLE: 'sigil-test-wallets', SIGIL_KMS_KEY_ID: 'alias/sigil-test-wallets', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: endpoint, ...env },
  });
  const code = await main(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

const ID = '3f2d1c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b';

describe('generatemanagedwallet --remote', () => {
  it('invokes create-wallet with {chain, network} and prints its {signatureId, xpub}', async () => {
    answer = { body: JSON.stringify({ signatureId: ID, xpub: 'xpub6Example' }) };
    calls.length = 0;
    const run = await sigil(['generatemanagedwallet', 'BTC', '--store', 'aws', '--remote', '--testnet'], { SIGIL_CREATE_WALLET_FUNCTION: 'sigil-test-create-wallet' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ signatureId: ID, xpub: 'xpub6Example' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toContain('/functions/sigil-test-create-wallet/invocations');
    expect(JSON.parse(calls[0]!.body)).toEqual({ chain: 'BTC', network: 'testnet' });
  });

  it('reports a function error in one line, exit 1, nothing on stdout', async () => {
    answer = { body: JSON.stringify({ errorType: 'InvalidInputError', errorMessage: 'create-wallet: this stage serves network "mainnet", not "testnet"' }), functionError: 'Unhandled' };
    const run = await sigil(['generatemanagedwallet', 'BTC', '--store', 'aws', '--remote', '--testnet'], { SIGIL_CREATE_WALLET_FUNCTION: 'sigil-test-create-wallet' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('refused: create-wallet: this stage serves network "mainnet"')]);
  });

  it('refuses an answer that carries anything but {signatureId, xpub} (a mnemonic must never be printed)', async () => {
    answer = { body: JSON.stringify({ signatureId: ID, xpub: 'xpub6Example', mnemonic: 'abandon abandon' }) };
    const run = await sigil(['generatemanagedwallet', 'BTC', '--store', 'aws', '--remote'], { SIGIL_CREATE_WALLET_FUNCTION: 'f' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain('abandon');
  });

  it('needs --store aws and SIGIL_CREATE_WALLET_FUNCTION', async () => {
    expect((await sigil(['generatemanagedwallet', 'BTC', '--remote'])).stderr).toMatch(/--remote needs --store aws/);
    expect((await sigil(['generatemanagedwallet', 'BTC', '--store', 'aws', '--remote'])).stderr).toMatch(/SIGIL_CREATE_WALLET_FUNCTION/);
  });
});
