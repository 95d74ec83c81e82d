import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../../lib/store/sqlite.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import { StoreError } from '../../../lib/store/store-error.js';
import { makeWalletRecord, sealForTest, walletStoreContract, type Damage } from '../../contract/wallet-store.contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function damageRow(path: string, signatureId: string, damage: Damage): void {
  const raw = new Database(path);
  try {
    const sql = damage === 'bad-json' ? `UPDATE wallets SET sealed = '{"v":1,"alg":' WHERE signatureId = ?` : 'UPDATE wallets SET schema = 2 WHERE signatureId = ?';
    expect(raw.prepare(sql).run(signatureId).changes).toBe(1);
  } finally {
    raw.close();
  }
}

walletStoreContract('SQLite', async () => {
  const path = join(tempDir(), 'nested', 'sigil.db');
  return { store: SqliteWalletStore.open(path), damage: async (id, damage) => damageRow(path, id, damage) };
});

describe('SqliteWalletStore on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('creates parent folders 0700 and the database (and its WAL) 0600, in WAL mode', async () => {
    const path = join(dir, 'a', 'b', 'sigil.db');
    const store = SqliteWalletStore.open(path);
    await store.put(makeWalletRecord());
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    await store.close();
  });

  it('four processes creating the same new database at once all succeed, and all four records are there', async () => {
    const path = join(dir, 'shared', 'sigil.db');
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { existsSync, writeFileSync } from 'node:fs';
       const [moduleUrl, dbPath, recordJson, readyFile, goFile] = process.argv.slice(2);
       const { SqliteWalletStore } = await import(moduleUrl);
       writeFileSync(readyFile, '');
       while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 1));
       const store = SqliteWalletStore.open(dbPath);
       process.stdout.write(await store.put(JSON.parse(recordJson)));
       await store.close();`,
    );
    const moduleUrl = pathToFileURL(resolve('lib/store/sqlite-wallet-store.ts')).href;
    const goFile = join(dir, 'go');
    const records = Array.from({ length: 4 }, () => makeWalletRecord());
    const children = records.map((record, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, moduleUrl, path, JSON.stringify(record), join(dir, `ready-${i}`), goFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ code: number | null; out: string; err: string }>((done) => child.on('close', (code) => done({ code, out, err })));
    });
    const deadline = Date.now() + 15_000;
    while (readdirSync(dir).filter((f) => f.startsWith('ready-')).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(existsSync(path)).toBe(false);
    writeFileSync(goFile, '');
    const results = await Promise.all(children);
    for (const result of results) expect(result, result.err).toMatchObject({ code: 0, out: 'created' });
    const store = SqliteWalletStore.open(path, { readonly: true });
    if (store === 'missing') throw new Error('database missing');
    expect(await store.listIds()).toStrictEqual(records.map((r) => r.signatureId).sort());
    await store.close();
  }, 30_000);

  it('a read-only open of a missing path creates nothing, not even its folder', () => {
    const path = join(dir, 'absent', 'sigil.db');
    expect(SqliteWalletStore.open(path, { readonly: true })).toBe('missing');
    expect(openSqliteDatabase(path, { readonly: true })).toBe('missing');
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('read-only: reads what is stored, refuses writes, and a database without the wallets table reads as empty', async () => {
    const path = join(dir, 'sigil.db');
    const record = makeWalletRecord();
    const writer = SqliteWalletStore.open(path);
    await writer.put(record);
    const reader = SqliteWalletStore.open(path, { readonly: true });
    if (reader === 'missing') throw new Error('database missing');
    expect(await reader.get(record.signatureId)).toStrictEqual(record);
    await expect(reader.put(makeWalletRecord())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(reader.remove(record.signatureId)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await writer.get(record.signatureId)).toStrictEqual(record);
    await reader.close();
    await writer.close();

    const bare = join(dir, 'bare.db');
    openSqliteDatabase(bare).close();
    const empty = SqliteWalletStore.open(bare, { readonly: true });
    if (empty === 'missing') throw new Error('database missing');
    expect(await empty.list()).toStrictEqual([]);
    expect(await empty.listIds({ chain: 'BTC' })).toStrictEqual([]);
    expect(await empty.get(record.signatureId)).toBeUndefined();
    await empty.close();
  });

  it('refuses a Tatum wallet.dat with a hint at sigil import-wallet-dat, and leaves it untouched', () => {
    const path = join(dir, 'wallet.dat');
    const content = `U2FsdGVkX1${Buffer.from('not a real wallet, only its shape').toString('base64')}`;
    writeFileSync(path, content);
    for (const readonly of [false, true]) {
      let caught: unknown;
      try {
        SqliteWalletStore.open(path, { readonly });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect(caught).toMatchObject({ code: 'NOT_A_DATABASE' });
      expect((caught as Error).message).toContain('sigil import-wallet-dat');
    }
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(readdirSync(dir)).toStrictEqual(['wallet.dat']);
  });

  it('leaves no plaintext secret in the database file, while the public marker is found by the same scan', async () => {
    const path = join(dir, 'sigil.db');
    const secretMarker = 'SECRET-MARKER-abandon-ability-able-about';
    const publicMarker = '0xpublicmarker00000000000000000000000000c0ffee';
    const store = SqliteWalletStore.open(path);
    const secret = new TextEncoder().encode(secretMarker);
    await store.putMany([
      makeWalletRecord({ kind: 'privateKey', address: publicMarker, sealed: sealForTest(secret) }),
      ...Array.from({ length: 5 }, () => makeWalletRecord({ sealed: sealForTest(secret) })),
    ]);
    await store.close();
    const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
    expect(bytes.includes(publicMarker)).toBe(true);
    for (const form of [secretMarker, Buffer.from(secretMarker).toString('base64'), Buffer.from(secretMarker).toString('hex')]) {
      expect(bytes.includes(form)).toBe(false);
    }
  });
});
