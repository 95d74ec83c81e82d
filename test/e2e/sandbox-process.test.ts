/**
 * `npm start -- --once` as a user runs it, minus npm's banner: one real child process of
 * `npx tsx cli/main.ts sandbox --once` with a temp data folder and a clean environment (no TTY, no Tatum key,
 * no AWS), timed from spawn to exit, tsx's start-up included. Within 60 s, exit 0, stdout exactly the
 * summary JSON, the data folder named on stderr and holding the sandbox's files (0600), nothing written to ~/.sigil.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { SandboxSummary } from '../../sandbox/run.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('npx tsx cli/main.ts sandbox --once exits 0 within 60 s with the summary JSON alone on stdout', async () => {
  const dataDir = join(root, 'data');
  const started = Date.now();
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      'npx',
      ['tsx', 'cli/main.ts', 'sandbox', '--once', '--data-dir', dataDir],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') }, timeout: 90_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
  const seconds = (Date.now() - started) / 1000;
  expect(result.stderr.split('\n').filter((l) => /error|sigil: /i.test(l))).toEqual([]);
  expect(result.code).toBe(0);
  expect(seconds).toBeLessThan(60);

  const summary = JSON.parse(result.stdout) as SandboxSummary;
  expect(result.stdout).toBe(`${JSON.stringify(summary, null, 2)}\n`);
  expect(summary).toMatchObject({ ok: true, mode: 'once', run: 1, network: 'sandbox', dataDir, problems: [] });
  expect(summary.payments.map((p) => [p.label, p.stage, p.ledgerState])).toEqual([
    ['ETH legacy', 'confirmed', 'COMPLETED'],
    ['ETH EIP-1559', 'confirmed', 'COMPLETED'],
    ['BTC P2WPKH', 'confirmed', 'COMPLETED'],
    ['ETH over limit', 'claimed', 'REJECTED'],
  ]);
  expect(summary.balances.every((b) => b.ok === true)).toBe(true);

  expect(result.stderr.split('\n')[0]).toBe(`sandbox: data folder ${dataDir} (wallets and ledger are kept between runs; --reset wipes them)`);
  expect(result.stderr).toMatch(/Wallet Created signatureId=[0-9a-f-]{36} chain=ETH network=sandbox/);
  const files = readdirSync(dataDir).sort();
  expect(files).toEqual(expect.arrayContaining(['sigil.db', 'sigil.db.key']));
  for (const name of ['sigil.db', 'sigil.db.key']) expect(statSync(join(dataDir, name)).mode & 0o077).toBe(0);
  expect(existsSync(join(root, 'home', '.sigil'))).toBe(false);
}, 100_000);
