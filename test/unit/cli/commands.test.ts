/**
 * Every `sigil` command in-process (main() with an in-memory CliIo) on temp stores: stdout is exactly
 * one JSON result (or one JSON line per key for the batch), exit codes, read-only commands on a missing
 * store create nothing, the terminal paths, and a final scan of everything printed (except the reveals),
 * the raw SQLite bytes and the JSON-lines events for any secret.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { memoryIo } from '../../../cli/memory-io.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; xpub: string; addresses: string[]; privateKeys: string[] }>;
};
const root = mkdtempSync(join(tmpdir(), 'sigil-cli-'));
const eventsFile = join(root, 'events.jsonl');
/** Everything printed by runs that do not reveal a secret by design. */
const transcript: string[] = [];
/** What the reveals printed: the scan must find secrets there, or its needles are wrong. */
const revealed: string[] = [];
/** Secrets seen (stored or revealed), for the final scan. */
const mnemonics = new Set<string>([vectors.mnemonic]);
const keys = new Set<string>(vectors.derivation.flatMap((d) => d.privateKeys));
const passwords = new Set<string>();

interface RunOptions {
  readonly stdin?: string[];
  readonly terminal?: string[];
  readonly env?: Record<string, string>;
  /** The command prints a secret on stdout by design (getmanagedwallet, getprivatekey, export). */
  readonly reveals?: boolean;
}

async function sigil(argv: string[], options: RunOptions = {}) {
  const mem = memoryIo({
    cwd: root,
    homeDir: join(root, 'home'),
    env: { SIGIL_EVENTS_FILE: eventsFile, ...options.env },
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.terminal ? { terminal: options.terminal } : {}),
  });
  const code = await main(argv, mem.io);
  transcript.push(mem.stderr());
  (options.reveals ? revealed : transcript).push(mem.stdout());
  return { code, stdout: mem.stdout(), stderr: mem.stderr(), prompts: mem.prompts, json: () => JSON.parse(mem.stdout()) as Record<string, any> };
}

function collectRevealed(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'mnemonic' && typeof inner === 'string') mnemonics.add(inner);
    else if ((key === 'privateKey' || key === 'secret') && typeof inner === 'string') keys.add(inner);
    else collectRevealed(inner);
  }
}

function secretNeedles(): string[] {
  const needles: string[] = [];
  for (const mnemonic of mnemonics) {
    const words = mnemonic.split(' ');
    for (let i = 0; i + 3 <= words.length; i++) needles.push(words.slice(i, i + 3).join(' '));
  }
  for (const key of keys) needles.push(key, key.replace(/^0x/, ''));
  needles.push(...passwords);
  return needles;
}

afterAll(() => {
  const storeBytes = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.db(-wal|-shm)?$/.test(entry.name))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString('latin1'));
  const haystacks = { transcript: transcript.join('\n'), sqlite: storeBytes.join('\n'), events: existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '' };
  expect(storeBytes.length).toBeGreaterThan(2);
  expect(haystacks.events).toContain('Wallet Created');
  const needles = secretNeedles();
  expect(needles.length).toBeGreaterThan(50);
  expect(needles.filter((needle) => revealed.join('\n').includes(needle)).length).toBeGreaterThan(40);
  for (const [where, haystack] of Object.entries(haystacks)) {
    const found = needles.filter((needle) => haystack.includes(needle));
    expect({ where, found }).toEqual({ where, found: [] });
  }
  rmSync(root, { recursive: true, force: true });
});

describe('every wallet command on a local store', () => {
  const db = join(root, 'a', 'sigil.db');
  const ids: Record<string, string> = {};

  it('generatemanagedwallet prints {signatureId, xpub} and creates the store 0600 with a key file', async () => {
    const run = await sigil(['generatemanagedwallet', 'BTC', '--path', db]);
    expect(run.code).toBe(0);
    expect(Object.keys(run.json())).toEqual(['signatureId', 'xpub']);
    expect(run.stdout).toBe(`${JSON.stringify(run.json(), null, 2)}\n`);
    expect(run.json().xpub).toMatch(/^xpub/);
    ids.generated = run.json().signatureId;
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['sigil.db', 'sigil.db.audit.key', 'sigil.db.key']); // the audit trail's MAC key beside the store's key
    expect((await import('node:fs')).statSync(db).mode & 0o777).toBe(0o600);
  });

  it('storemanagedwallet reads the mnemonic from stdin and prints Tatum\'s xpub', async () => {
    const run = await sigil(['storemanagedwallet', 'eth', '--path', db], { stdin: [vectors.mnemonic] });
    expect(run.code).toBe(0);
    expect(run.json().xpub).toBe(vectors.derivation[1]!.xpub);
    ids.mnemonic = run.json().signatureId;
  });

  it('storemanagedprivatekey prints {signatureId} only', async () => {
    const run = await sigil(['storemanagedprivatekey', 'BTC', '--path', db], { stdin: [vectors.derivation[0]!.privateKeys[1]!] });
    expect(run.code).toBe(0);
    expect(Object.keys(run.json())).toEqual(['signatureId']);
    ids.key = run.json().signatureId;
  });

  it('generatemanagedprivatekeybatch prints one compact JSON line per key', async () => {
    const run = await sigil(['generatemanagedprivatekeybatch', 'ETH', '3', '--path', db]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(['signatureId', 'address']);
    expect(run.stdout).not.toContain('  ');
  });

  it('getaddress derives from the xpub; getprivatekey and getmanagedwallet reveal (audited)', async () => {
    const address = await sigil(['getaddress', ids.mnemonic!, '1', '--path', db]);
    expect(address.json()).toEqual({ address: vectors.derivation[1]!.addresses[1] });
    const key = await sigil(['getprivatekey', ids.mnemonic!, '0', '--path', db], { reveals: true });
    expect(key.json()).toEqual({ privateKey: vectors.derivation[1]!.privateKeys[0] });
    expect(key.stderr).toContain('Secret Exported');
    const wallet = await sigil(['getmanagedwallet', ids.generated!, '--path', db], { reveals: true });
    expect(Object.keys(wallet.json())).toEqual(['mnemonic', 'xpub', 'chain', 'testnet']);
    collectRevealed(wallet.json());
  });

  it('a contradicting --testnet gets a warning on stderr, and the stored wallet decides', async () => {
    const run = await sigil(['getaddress', ids.mnemonic!, '1', '--path', db, '--testnet']);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ address: vectors.derivation[1]!.addresses[1] });
    expect(run.stderr).toMatch(/--testnet is ignored: wallet .* is a mainnet wallet/);
  });

  it('export prints every entry; report, checkconfig and verify print JSON', async () => {
    const exported = await sigil(['export', '--path', db], { reveals: true });
    expect(Object.keys(exported.json())).toHaveLength(6);
    collectRevealed(exported.json());
    const report = await sigil(['report', `${ids.mnemonic},${ids.key}`, '--path', db]);
    expect(report.json().wallets[ids.mnemonic!]).toMatchObject({ type: 'MNEMONIC', chain: 'ETH', testnet: false });
    expect(report.json().wallets[ids.key!]).toMatchObject({ type: 'PRIVATE_KEY', chain: 'BTC' });
    const config = await sigil(['checkconfig', '--path', db], { env: { TATUM_KMS_WALLET_PASSWORD: 'wallet-dat-pw-123' } });
    passwords.add('wallet-dat-pw-123');
    expect(config.json().store).toMatchObject({ type: 'LOCAL', path: db, exists: true, keyMode: expect.stringMatching(/^key file/) });
    expect(config.json().variables.TATUM_KMS_WALLET_PASSWORD).toMatch(/^\*+$/);
    const verify = await sigil(['verify', '--path', db]);
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.json()).toEqual({ checked: 6, ok: 6, failures: [] });
  });

  it('backup-keygen, backup --out, verify --backup, restore into an empty store, verify there', async () => {
    const keygen = await sigil(['backup-keygen', '--out', 'rk']);
    expect(keygen.code).toBe(0);
    expect(keygen.json()).toMatchObject({ publicKey: join(root, 'rk.pub.pem'), privateKey: join(root, 'rk.key.pem') });
    const backup = await sigil(['backup', '--recipient', 'rk.pub.pem', '--out', 'b.json', '--path', db]);
    expect(backup.json()).toMatchObject({ wallets: 6, recipient: keygen.json().fingerprint });
    expect((await sigil(['backup', '--recipient', 'rk.pub.pem', '--out', 'b.json', '--path', db])).code).toBe(1);
    const checked = await sigil(['verify', '--backup', 'b.json', '--identity', 'rk.key.pem', '--path', db]);
    expect(checked.code).toBe(0);
    expect(checked.json()).toMatchObject({ checked: 6, ok: 6 });
    const target = join(root, 'restored', 'sigil.db');
    const restored = await sigil(['restore', 'b.json', '--identity', 'rk.key.pem', '--path', target]);
    expect(restored.code).toBe(0);
    expect(restored.json()).toMatchObject({ created: 6, failed: 0, written: true });
    expect((await sigil(['verify', '--path', target])).json()).toMatchObject({ checked: 6, ok: 6 });
    expect((await sigil(['verify', '--backup', 'b.json', '--path', target])).code).toBe(2);
  });

  it('removewallet prints nothing (as upstream) and the wallet is gone', async () => {
    const run = await sigil(['removewallet', ids.key!, '--path', db]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toContain('Wallet Removed');
    const gone = await sigil(['getaddress', ids.key!, '0', '--path', db]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe(`sigil: no wallet with signatureId ${ids.key} in this store`);
  });
});

describe('read-only commands on a missing store', () => {
  it('behave as on an empty store and create nothing', async () => {
    const db = join(root, 'missing', 'deeper', 'sigil.db');
    const id = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    expect((await sigil(['export', '--path', db])).json()).toEqual({});
    expect((await sigil(['verify', '--path', db])).json()).toEqual({ checked: 0, ok: 0, failures: [] });
    expect((await sigil(['checkconfig', '--path', db])).json().store).toMatchObject({ exists: false, keyMode: expect.stringContaining('not chosen') });
    const report = await sigil(['report', id, '--path', db]);
    expect(report.json()).toMatchObject({ system: { store: { exists: false } }, wallets: {}, warnings: [`No wallet found for signatureId: ${id}`, 'The wallet store does not exist yet'] });
    for (const argv of [['getaddress', id, '0'], ['getprivatekey', id, '0'], ['getmanagedwallet', id], ['removewallet', id]]) {
      const run = await sigil([...argv, '--path', db]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no wallet with signatureId');
    }
    expect(existsSync(join(root, 'missing'))).toBe(false);
  });
});

describe('terminal input', () => {
  it('asks for a new store password twice on a terminal and uses password mode', async () => {
    const db = join(root, 'tty', 'sigil.db');
    passwords.add('correct horse battery');
    const mismatch = await sigil(['generatemanagedwallet', 'BTC', '--path', db], { terminal: ['correct horse battery', 'other'] });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('the two passwords differ');
    const run = await sigil(['storemanagedwallet', 'BTC', '--path', db], { terminal: [vectors.mnemonic, 'correct horse battery', 'correct horse battery'] });
    expect(run.code).toBe(0);
    expect(run.prompts).toEqual(['Enter mnemonic to store:', 'Choose the store password:', 'Repeat it:']);
    expect(existsSync(`${db}.key`)).toBe(false);
    const read = await sigil(['getmanagedwallet', run.json().signatureId, '--path', db], { terminal: ['correct horse battery'], reveals: true });
    expect(read.code).toBe(0);
    expect(read.prompts).toEqual(['Enter the password of the Sigil store:']);
    const wrong = await sigil(['getmanagedwallet', run.json().signatureId, '--path', db], { terminal: ['not it'] });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe("sigil: wrong password: it does not open this store's key (the password typed)");
  });

  it('reads a secret from the first stdin line only when stdin is not a terminal, and refuses an empty one', async () => {
    const db = join(root, 'stdin', 'sigil.db');
    const empty = await sigil(['storemanagedprivatekey', 'BTC', '--path', db], { stdin: [] });
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim()).toBe('sigil: expected a private key on the first line of stdin; stdin was empty');
    expect(existsSync(db)).toBe(false);
  });
});

describe('environment files and progress', () => {
  it('reads --env-file (the process environment wins) and reports it in checkconfig', async () => {
    writeFileSync(join(root, 'custom.env'), 'SIGIL_STORE=local\nTATUM_API_URL=https://tatum.example\nTATUM_API_KEY="abcdef-key-from-file"\n');
    const run = await sigil(['checkconfig', '--env-file', 'custom.env', '--path', join(root, 'nowhere.db')], { env: { TATUM_API_URL: 'https://from-env.example' } });
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ envFile: join(root, 'custom.env'), tatumApiUrl: 'https://from-env.example' });
    expect(run.json().variables.TATUM_API_KEY).toMatch(/^abcd[a-z]?\*{8,}$/);
    writeFileSync(join(root, 'bad.env'), 'SIGIL_STORE=cloud\n');
    const bad = await sigil(['export', '--envFile', 'bad.env']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('SIGIL_STORE must be "local" or "aws"');
    expect((await sigil(['export', '--envFile', 'none.env'])).code).toBe(2);
  });

  it('draws a progress bar on a terminal stderr only', async () => {
    const db = join(root, 'progress', 'sigil.db');
    const mem = memoryIo({ cwd: root, stderrIsTty: true });
    expect(await main(['generatemanagedprivatekeybatch', 'BTC', '2', '--path', db], mem.io)).toBe(0);
    transcript.push(mem.stdout(), mem.stderr());
    expect(mem.stderr()).toMatch(/\rgenerating \[#+\] 2\/2\n/);
    const piped = await sigil(['verify', '--path', db]);
    expect(piped.stderr).toBe('');
  });
});

describe('usage', () => {
  it('help on stdout with exit 0; no command → help on stderr with exit 2', async () => {
    const help = await sigil(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('generatemanagedprivatekeybatch <chain> <count>');
    const none = await sigil([]);
    expect(none).toMatchObject({ code: 2, stdout: '' });
  });
});
