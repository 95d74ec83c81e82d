/**
 * The installed entry point (`cli/bin.js`, what `npm i -g .` links as `sigil`) as real child processes:
 * the TTY-less stdin path, exit codes, stdout purity (only the result JSON), and two processes creating
 * one store at the same moment.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const vectors = JSON.parse(readFileSync(new URL('../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ xpub: string; addresses: string[]; privateKeys: string[] }>;
};
const root = mkdtempSync(join(tmpdir(), 'sigil-proc-'));
const outputs: string[] = [];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `sigil` with stdin piped (never a terminal) and a clean environment. */
function sigil(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: join(root, 'home'), ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const result = { code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr };
        outputs.push(stdout, stderr);
        resolve(result);
      },
    );
    child.stdin!.end(options.input ?? '');
  });
}

afterAll(() => {
  const words = vectors.mnemonic.split(' ');
  const needles = [...words.slice(0, -2).map((_, i) => words.slice(i, i + 3).join(' ')), ...vectors.derivation.flatMap((d) => d.privateKeys), 'race-password-123'];
  const sqlite = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.db(-wal)?$/.test(e.name))
    .map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1'));
  expect(sqlite.length).toBeGreaterThan(0);
  for (const [where, haystack] of Object.entries({ outputs: outputs.join('\n'), sqlite: sqlite.join('\n') })) {
    expect({ where, found: needles.filter((n) => haystack.includes(n)) }).toEqual({ where, found: [] });
  }
  rmSync(root, { recursive: true, force: true });
});

describe('sigil as a process', () => {
  it('reads the mnemonic from the first stdin line; stdout is exactly the result JSON; events go to stderr', async () => {
    const db = join(root, 'one', 'sigil.db');
    const stored = await sigil(['storemanagedwallet', 'ETH', '--path', db], { input: `${vectors.mnemonic}\nignored second line\n` });
    expect(stored.code).toBe(0);
    const result = JSON.parse(stored.stdout) as { signatureId: string; xpub: string };
    expect(stored.stdout).toBe(`${JSON.stringify(result, null, 2)}\n`);
    expect(result.xpub).toBe(vectors.derivation[1]!.xpub);
    expect(stored.stderr).toMatch(/Wallet Created signatureId=[0-9a-f-]{36} chain=ETH/);

    const address = await sigil(['getaddress', result.signatureId, '0', '--path', db, '--api-key', 'some-api-key-1234']);
    expect(address).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(address.stdout)).toEqual({ address: vectors.derivation[1]!.addresses[0] });

    const unknown = await sigil(['getaddress', '3fa85f64-5717-4562-b3fc-2c963f66afa6', '0', '--path', db]);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const usage = await sigil(['getaddress', result.signatureId, '0', '--path', db, '--verbose']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toMatch(/^sigil: unknown flag --verbose for getaddress/);
  });

  it('refuses a secret from an empty stdin and creates no store', async () => {
    const db = join(root, 'empty', 'sigil.db');
    const run = await sigil(['storemanagedprivatekey', 'BTC', '--path', db]);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/expected a private key on the first line of stdin/);
    expect(existsSync(join(root, 'empty'))).toBe(false);
  });

  for (const mode of ['key file', 'password'] as const) {
    it(`two processes creating one store (${mode}) both succeed and share one key`, async () => {
      const db = join(root, `race-${mode.replace(' ', '-')}`, 'sigil.db');
      const env: Record<string, string> = mode === 'password' ? { TATUM_KMS_PASSWORD: 'race-password-123' } : {};
      const runs = await Promise.all([0, 1, 2].map(() => sigil(['generatemanagedwallet', 'BTC', '--path', db], { env })));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const ids = runs.map((run) => (JSON.parse(run.stdout) as { signatureId: string }).signatureId);
      const verify = await sigil(['verify', '--path', db], { env });
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toEqual({ checked: 3, ok: 3, failures: [] });
      const exported = await sigil(['report', ids.join(','), '--path', db]);
      expect(Object.keys((JSON.parse(exported.stdout) as { wallets: object }).wallets).sort()).toEqual([...ids].sort());
      expect(readdirSync(join(db, '..')).filter((f) => f.endsWith('.key') && !f.endsWith('.audit.key'))).toHaveLength(mode === 'password' ? 0 : 1);
      expect(readdirSync(join(db, '..')).filter((f) => f.endsWith('.audit.key'))).toHaveLength(1); // both processes share one audit key too
    });
  }
});
