/**
 * Bad input and faults through the CLI (issue 3 §Bad input): each gets a one-line error naming the
 * problem, a non-zero exit code, and leaves the store exactly as it was. Also the wallet.dat migration
 * (the shared fixture under its signatureId, idempotent, conflicts refused) and password rotation.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { memoryIo } from '../../../cli/memory-io.js';
import { createPasswordKeyHeader } from '../../../lib/custody/password-key.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; xpub: string; addresses: string[]; privateKeys: string[] }>;
  walletDat: { password: string; file: string; entries: Record<string, { privateKey: string }> };
};
const FIXTURE_ID = '11111111-1111-4111-8111-111111111111';
const root = mkdtempSync(join(tmpdir(), 'sigil-faults-'));
const transcript: string[] = [];
const PASSWORDS = ['first-password-1', 'second-password-2', 'third-password-3', vectors.walletDat.password];

async function sigil(argv: string[], options: { stdin?: string[]; env?: Record<string, string>; reveals?: boolean } = {}) {
  const mem = memoryIo({ cwd: root, env: { ...options.env }, ...(options.stdin ? { stdin: options.stdin } : {}) });
  const code = await main(argv, mem.io);
  transcript.push(mem.stderr());
  if (!options.reveals) transcript.push(mem.stdout());
  return { code, stdout: mem.stdout(), stderr: mem.stderr(), json: () => JSON.parse(mem.stdout()) as Record<string, any> };
}

/** The store as data: rows (with their envelopes and versions) and the files next to it. */
function snapshot(db: string): string {
  if (!existsSync(db)) return 'missing';
  const handle = new Database(db, { readonly: true });
  try {
    const rows = handle.prepare('SELECT * FROM wallets ORDER BY signatureId').all();
    const settings = handle.prepare('SELECT * FROM settings ORDER BY key').all();
    return JSON.stringify({ rows, settings, files: readdirSync(join(db, '..')).filter((f) => !/-(wal|shm)$/.test(f)).sort() });
  } finally {
    handle.close();
  }
}

/** A crypto-js passphrase ciphertext (TATUM-COMPAT §5), as Tatum KMS writes wallet.dat. */
function encryptWalletDat(plaintext: string, password: string): string {
  const salt = randomBytes(8);
  let block = Buffer.alloc(0);
  let material = Buffer.alloc(0);
  while (material.length < 48) {
    block = createHash('md5').update(block).update(password).update(salt).digest();
    material = Buffer.concat([material, block]);
  }
  const cipher = createCipheriv('aes-256-cbc', material.subarray(0, 32), material.subarray(32, 48));
  return Buffer.concat([Buffer.from('Salted__'), salt, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function expectOneLineFailure(run: { code: number; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sigil: /);
  expect(lines[0]).toMatch(pattern);
}

const keyDb = join(root, 'key', 'sigil.db');
const passwordDb = join(root, 'password', 'sigil.db');
let walletId = '';

beforeAll(async () => {
  walletId = (await sigil(['storemanagedwallet', 'BTC', '--path', keyDb], { stdin: [vectors.mnemonic] })).json().signatureId;
  await sigil(['generatemanagedwallet', 'ETH', '--path', keyDb]);
  const env = { TATUM_KMS_PASSWORD: PASSWORDS[0]! };
  await sigil(['storemanagedwallet', 'ETH', '--path', passwordDb], { stdin: [vectors.mnemonic], env });
  await sigil(['generatemanagedprivatekeybatch', 'BTC', '2', '--path', passwordDb], { env });
});

afterAll(() => {
  const words = vectors.mnemonic.split(' ');
  const needles = [
    ...words.slice(0, -2).map((_, i) => words.slice(i, i + 3).join(' ')),
    ...vectors.derivation.flatMap((d) => d.privateKeys.flatMap((k) => [k, k.replace(/^0x/, '')])),
    vectors.walletDat.entries[FIXTURE_ID]!.privateKey,
    ...PASSWORDS.filter((p) => p.length > 6),
  ];
  const sqlite = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.db(-wal)?$/.test(entry.name))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString('latin1'))
    .join('\n');
  for (const [where, haystack] of Object.entries({ transcript: transcript.join('\n'), sqlite })) {
    expect({ where, found: needles.filter((n) => haystack.includes(n)) }).toEqual({ where, found: [] });
  }
  rmSync(root, { recursive: true, force: true });
});

describe('bad input: one line, non-zero exit, store unchanged', () => {
  const words = vectors.mnemonic.split(' ');
  const badChecksum = [...words.slice(0, 23), words[0]].join(' ');
  const cases: Array<[string, string[], { stdin?: string[]; env?: Record<string, string> }, number, RegExp]> = [
    ['an unknown flag', ['generatemanagedwallet', 'BTC', '--pat', keyDb], {}, 2, /unknown flag --pat for generatemanagedwallet/],
    ['a daemon flag on a wallet command', ['getaddress', FIXTURE_ID, '0', '--period', '5', '--path', keyDb], {}, 2, /unknown flag --period/],
    ['an unknown chain', ['generatemanagedwallet', 'FOO', '--path', keyDb], {}, 1, /unknown chain "FOO"/],
    ['a mnemonic with a bad checksum', ['storemanagedwallet', 'BTC', '--path', keyDb], { stdin: [badChecksum] }, 1, /checksum does not match/],
    ['a word outside the list', ['storemanagedwallet', 'BTC', '--path', keyDb], { stdin: [words.map((w, i) => (i === 4 ? 'bitcoin' : w)).join(' ')] }, 1, /word 5 of the mnemonic/],
    ['an unknown signatureId', ['getmanagedwallet', '3fa85f64-5717-4562-b3fc-2c963f66afa6', '--path', keyDb], {}, 1, /no wallet with signatureId 3fa85f64/],
    ['a secret pasted as a signatureId', ['getmanagedwallet', vectors.mnemonic, '--path', keyDb], {}, 1, /expected a signatureId .* got a value of \d+ characters/],
    ['a negative index', ['getaddress', FIXTURE_ID, '-1', '--path', keyDb], {}, 2, /expected a derivation index/],
    ['a batch count of zero', ['generatemanagedprivatekeybatch', 'BTC', '0', '--path', keyDb], {}, 2, /expected a count from 1/],
    ['a bad SIGIL_STORE', ['export', '--path', keyDb], { env: { SIGIL_STORE: 'cloud' } }, 1, /SIGIL_STORE must be "local" or "aws"; got "cloud"/],
  ];
  for (const [name, argv, options, code, pattern] of cases) {
    it(name, async () => {
      const before = snapshot(keyDb);
      expectOneLineFailure(await sigil(argv, options), code, pattern);
      expect(snapshot(keyDb)).toBe(before);
    });
  }

  it('a key-file store refuses TATUM_KMS_PASSWORD rather than ignore it', async () => {
    const before = snapshot(keyDb);
    expectOneLineFailure(await sigil(['getmanagedwallet', walletId, '--path', keyDb], { env: { TATUM_KMS_PASSWORD: PASSWORDS[1]! } }), 1, /protected by a key file, but TATUM_KMS_PASSWORD is set/);
    expect(snapshot(keyDb)).toBe(before);
  });

  it('a wrong password', async () => {
    const before = snapshot(passwordDb);
    expectOneLineFailure(await sigil(['export', '--path', passwordDb], { env: { TATUM_KMS_PASSWORD: 'not-the-password' } }), 1, /^sigil: wrong password/);
    expectOneLineFailure(await sigil(['generatemanagedwallet', 'BTC', '--path', passwordDb], { env: { TATUM_KMS_PASSWORD: 'not-the-password' } }), 1, /wrong password/);
    expectOneLineFailure(await sigil(['export', '--path', passwordDb]), 1, /protected by a password: set TATUM_KMS_PASSWORD/);
    expect(snapshot(passwordDb)).toBe(before);
  });
});

describe('faults in a stored wallet', () => {
  it('a flipped byte in an envelope: verify names the wallet and exits 1', async () => {
    const db = new Database(keyDb);
    const row = db.prepare('SELECT sealed FROM wallets WHERE signatureId = ?').get(walletId) as { sealed: string };
    const sealed = JSON.parse(row.sealed) as { ct: string };
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[3]! ^= 0x80;
    db.prepare('UPDATE wallets SET sealed = ? WHERE signatureId = ?').run(JSON.stringify({ ...sealed, ct: ct.toString('base64') }), walletId);
    try {
      const run = await sigil(['verify', '--path', keyDb]);
      expect(run.code).toBe(1);
      expect(run.json().failures).toEqual([expect.objectContaining({ signatureId: walletId, code: 'TAMPERED' })]);
      expect(run.stderr).toContain(`verify: the sealed secret of ${walletId} does not open`);
    } finally {
      db.prepare('UPDATE wallets SET sealed = ? WHERE signatureId = ?').run(row.sealed, walletId);
      db.close();
    }
    expect((await sigil(['verify', '--path', keyDb])).code).toBe(0);
  });

  it('a stored xpub replaced by another: getmanagedwallet and verify fail', async () => {
    const db = new Database(keyDb);
    const row = db.prepare('SELECT xpub, publicHash FROM wallets WHERE signatureId = ?').get(walletId) as { xpub: string; publicHash: string };
    const attacker = vectors.derivation[1]!.xpub;
    db.prepare('UPDATE wallets SET xpub = ?, publicHash = ? WHERE signatureId = ?').run(attacker, createHash('sha256').update(attacker).digest('hex'), walletId);
    try {
      expectOneLineFailure(await sigil(['getmanagedwallet', walletId, '--path', keyDb]), 1, /tampered, or bound to another wallet/);
      const verify = await sigil(['verify', '--path', keyDb]);
      expect(verify.code).toBe(1);
      expect(verify.json().failures.map((f: { signatureId: string }) => f.signatureId)).toEqual([walletId]);
    } finally {
      db.prepare('UPDATE wallets SET xpub = ?, publicHash = ? WHERE signatureId = ?').run(row.xpub, row.publicHash, walletId);
      db.close();
    }
  });
});

describe('import-wallet-dat', () => {
  const db = join(root, 'import', 'sigil.db');
  const file = join(root, 'wallet.dat');
  const env = { TATUM_KMS_WALLET_PASSWORD: vectors.walletDat.password };
  writeFileSync(file, vectors.walletDat.file);

  it('imports the fixture under its signatureId; a second run is idempotent', async () => {
    const first = await sigil(['import-wallet-dat', file, '--path', db], { env });
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ created: 1, written: true, entries: [{ signatureId: FIXTURE_ID, status: 'created' }] });
    const key = await sigil(['getprivatekey', FIXTURE_ID, '0', '--path', db], { reveals: true });
    expect(key.json()).toEqual({ privateKey: vectors.walletDat.entries[FIXTURE_ID]!.privateKey });
    const before = snapshot(db);
    const again = await sigil(['import-wallet-dat', 'wallet.dat', '--path', db], { stdin: [vectors.walletDat.password] });
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ created: 0, unchanged: 1, written: true });
    expect(snapshot(db)).toBe(before);
  });

  it('the same signatureId with other content is an error and changes nothing', async () => {
    const before = snapshot(db);
    const other = join(root, 'other.dat');
    writeFileSync(other, encryptWalletDat(JSON.stringify({ [FIXTURE_ID]: { privateKey: vectors.derivation[0]!.privateKeys[0], chain: 'BTC', testnet: false } }), 'pw-other'));
    const run = await sigil(['import-wallet-dat', other, '--path', db], { env: { TATUM_KMS_WALLET_PASSWORD: 'pw-other' } });
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ failed: 1, written: false });
    expect(run.stderr).toContain(`wallet ${FIXTURE_ID} already exists in this store with different content`);
    expect(snapshot(db)).toBe(before);
  });

  it('a truncated, foreign or wrong-password file: one line, exit 1, no store created', async () => {
    const fresh = join(root, 'never', 'sigil.db');
    const truncated = join(root, 'truncated.dat');
    writeFileSync(truncated, vectors.walletDat.file.slice(0, 70));
    const foreign = join(root, 'foreign.dat');
    writeFileSync(foreign, '{"not":"a wallet.dat"}\n');
    expectOneLineFailure(await sigil(['import-wallet-dat', truncated, '--path', fresh], { env }), 1, /not a Tatum wallet.dat|truncated|damaged/);
    expectOneLineFailure(await sigil(['import-wallet-dat', foreign, '--path', fresh], { env }), 1, /not a Tatum wallet.dat/);
    expectOneLineFailure(await sigil(['import-wallet-dat', file, '--path', fresh], { env: { TATUM_KMS_WALLET_PASSWORD: 'wrong' } }), 1, /wrong password/);
    expectOneLineFailure(await sigil(['import-wallet-dat', join(root, 'nope.dat'), '--path', fresh], { env }), 1, /cannot read the wallet.dat .*no such file/);
    expect(existsSync(join(root, 'never'))).toBe(false);
    const before = snapshot(db);
    expectOneLineFailure(await sigil(['import-wallet-dat', truncated, '--path', db], { env }), 1, /wallet.dat/);
    expect(snapshot(db)).toBe(before);
  });

  it('refuses a --path that holds a wallet.dat, with a hint to import it', async () => {
    const bytes = readFileSync(file);
    expectOneLineFailure(await sigil(['getaddress', FIXTURE_ID, '0', '--path', file]), 1, /is a Tatum KMS wallet.dat .*sigil import-wallet-dat/);
    expectOneLineFailure(await sigil(['generatemanagedwallet', 'BTC', '--path', file]), 1, /sigil import-wallet-dat/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });
});

describe('rotate', () => {
  it('moves a password store to a new password: the old one fails, every wallet still opens', async () => {
    const env = { TATUM_KMS_PASSWORD: PASSWORDS[0]!, SIGIL_NEW_PASSWORD: PASSWORDS[1]! };
    const run = await sigil(['rotate', '--new-password', '--path', passwordDb], { env });
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ rewrapped: 3, skipped: 0 });
    expectOneLineFailure(await sigil(['verify', '--path', passwordDb], { env: { TATUM_KMS_PASSWORD: PASSWORDS[0]! } }), 1, /wrong password/);
    expect((await sigil(['verify', '--path', passwordDb], { env: { TATUM_KMS_PASSWORD: PASSWORDS[1]! } })).json()).toMatchObject({ checked: 3, ok: 3 });
  });

  it('an interrupted rotation blocks other commands until rotate is run again with the same target', async () => {
    const { header } = await createPasswordKeyHeader(new TextEncoder().encode(PASSWORDS[2]!));
    const db = new Database(passwordDb);
    db.prepare("INSERT INTO settings (key, value) VALUES ('key-rotation', ?)").run(JSON.stringify({ mode: 'password', header }));
    db.close();
    const current = { TATUM_KMS_PASSWORD: PASSWORDS[1]! };
    expectOneLineFailure(await sigil(['export', '--path', passwordDb], { env: current }), 1, /key rotation of this store was interrupted/);
    expectOneLineFailure(await sigil(['rotate', '--new-password', '--path', passwordDb], { env: { ...current, SIGIL_NEW_PASSWORD: 'yet-another-one' } }), 1, /wrong password: an interrupted rotation is finished only with the new password it started with/);
    expectOneLineFailure(await sigil(['rotate', '--new-key-file', 'k.key', '--path', passwordDb], { env: current }), 1, /unfinished rotation/);
    const resumed = await sigil(['rotate', '--new-password', '--path', passwordDb], { env: { ...current, SIGIL_NEW_PASSWORD: PASSWORDS[2]! } });
    expect(resumed.code).toBe(0);
    expect((await sigil(['verify', '--path', passwordDb], { env: { TATUM_KMS_PASSWORD: PASSWORDS[2]! } })).json()).toMatchObject({ ok: 3 });
  });

  it('rotate needs exactly one target', async () => {
    expectOneLineFailure(await sigil(['rotate', '--path', passwordDb]), 2, /exactly one of/);
    expectOneLineFailure(await sigil(['rotate', '--new-password', '--new-kms-key', 'alias/x', '--path', passwordDb]), 2, /exactly one of/);
  });
});
