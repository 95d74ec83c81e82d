import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../../lib/store/ledger-sqlite.js';
import { openSqliteDatabase } from '../../../lib/store/sqlite.js';
import { evmSigned, ledgerContract, LEASE, newId, pendingFor, RETENTION, summary, T0 } from '../../contract/ledger.contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-ledger-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function withRaw<T>(path: string, body: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

ledgerContract('SQLite', async (clock) => {
  const path = join(tempDir(), 'sigil.db');
  return {
    ledger: SqliteLedger.open(path, {}, { clock, completedRetentionMs: RETENTION }),
    storedExpiry: async (id) => withRaw(path, (db) => (db.prepare('SELECT expires_at FROM ledger_tx WHERE id = ?').get(id) as { expires_at: number | null }).expires_at),
    makeNewer: async (id) => {
      withRaw(path, (db) => expect(db.prepare('UPDATE ledger_tx SET schema = 2 WHERE id = ?').run(id).changes).toBe(1));
    },
  };
});

describe('SqliteLedger on disk', () => {
  it('purgeExpired deletes only COMPLETED records past expiresAt; spend claims and nonces stay', async () => {
    const path = join(tempDir(), 'sigil.db');
    let now = T0;
    const ledger = SqliteLedger.open(path, {}, { clock: () => now, completedRetentionMs: RETENTION });
    const done = newId();
    const signed = evmSigned(9);
    await ledger.claim(pendingFor(done), 'w', T0, LEASE);
    await ledger.markPrepared(done, 1, '{}', summary);
    await ledger.markApproved(done, 1);
    await ledger.markSigned(done, 1, signed);
    await ledger.markBroadcastAttempt(done);
    const completed = await ledger.markCompleted(done, signed.hash);
    const failed = newId();
    await ledger.claim(pendingFor(failed), 'w', T0, LEASE);
    await ledger.markFailed(failed, 1, 'no wallet');

    expect(await ledger.purgeExpired(completed.expiresAt! * 1000 - 1000)).toBe(0);
    expect(await ledger.purgeExpired(completed.expiresAt! * 1000)).toBe(1);
    expect(await ledger.get(done)).toBeUndefined();
    expect((await ledger.get(failed))!.state).toBe('FAILED');
    // The nonce stays claimed after its record expired.
    now = completed.expiresAt! * 1000 + 1;
    const other = newId();
    await ledger.claim(pendingFor(other), 'w', now, LEASE);
    await ledger.markPrepared(other, 1, '{}', summary);
    await ledger.markApproved(other, 1);
    await expect(ledger.markSigned(other, 1, evmSigned(9, 'again'))).rejects.toMatchObject({ code: 'DOUBLE_SPEND', otherPendingId: done });
    await ledger.close();
  });

  it('shares one database with other components; read-only opens read, and refuse writes', async () => {
    const path = join(tempDir(), 'sigil.db');
    const db = openSqliteDatabase(path);
    const ledger = new SqliteLedger(db);
    const id = newId();
    await ledger.claim(pendingFor(id), 'w', T0, LEASE);
    await ledger.close();
    expect(db.open).toBe(true);
    db.close();

    const reader = SqliteLedger.open(path, { readonly: true });
    if (reader === 'missing') throw new Error('database missing');
    expect((await reader.get(id))!.state).toBe('CLAIMED');
    await expect(reader.claim(pendingFor(newId()), 'w', T0, LEASE)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await reader.close();

    const bare = join(tempDir(), 'bare.db');
    openSqliteDatabase(bare).close();
    const empty = SqliteLedger.open(bare, { readonly: true });
    if (empty === 'missing') throw new Error('database missing');
    expect(await empty.get(id)).toBeUndefined();
    expect(await empty.list()).toStrictEqual({ records: [] });
    expect(await empty.listUnreported()).toStrictEqual([]);
    await empty.close();
  });

  it('refuses a database whose ledger tables come from a newer Sigil, and a damaged row', async () => {
    const path = join(tempDir(), 'sigil.db');
    const ledger = SqliteLedger.open(path);
    const id = newId();
    await ledger.claim(pendingFor(id), 'w', T0, LEASE);
    withRaw(path, (db) => db.prepare(`UPDATE ledger_tx SET record = '{"schema":1,' WHERE id = ?`).run(id));
    await expect(ledger.get(id)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(ledger.claim(pendingFor(id), 'w', T0 + 2 * LEASE, LEASE)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await ledger.close();
    withRaw(path, (db) => db.prepare(`UPDATE meta SET version = 2 WHERE component = 'ledger'`).run());
    expect(() => SqliteLedger.open(path)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_SCHEMA' }));
  });

  it('4 processes racing to claim the same 100 ids: each id is claimed by exactly one', async () => {
    const dir = tempDir();
    const path = join(dir, 'sigil.db');
    await SqliteLedger.open(path).close();
    const ids = Array.from({ length: 100 }, newId);
    const script = join(dir, 'claimer.mjs');
    writeFileSync(
      script,
      `import { existsSync, writeFileSync } from 'node:fs';
       const [moduleUrl, dbPath, owner, idsJson, readyFile, goFile] = process.argv.slice(2);
       const { SqliteLedger } = await import(moduleUrl);
       const ledger = SqliteLedger.open(dbPath);
       writeFileSync(readyFile, '');
       while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 1));
       const won = [];
       for (const id of JSON.parse(idsJson)) {
         const pending = JSON.stringify({ id, chain: 'ETH' });
         const result = await ledger.claim({ id, chain: 'ETH', network: 'mainnet', pending }, owner, Date.now(), 600000);
         if (result.outcome === 'claimed') won.push(id);
       }
       await ledger.close();
       process.stdout.write(JSON.stringify(won));`,
    );
    const moduleUrl = pathToFileURL(resolve('lib/store/ledger-sqlite.ts')).href;
    const goFile = join(dir, 'go');
    const children = Array.from({ length: 4 }, (_, i) => {
      // Each process walks the ids in its own order, so they collide all along the way.
      const order = i % 2 === 0 ? ids : [...ids].reverse();
      const child = spawn(process.execPath, ['--import', 'tsx', script, moduleUrl, path, `proc-${i}`, JSON.stringify(order), join(dir, `ready-${i}`), goFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ code: number | null; out: string; err: string }>((done) => child.on('close', (code) => done({ code, out, err })));
    });
    const deadline = Date.now() + 20_000;
    while (readdirSync(dir).filter((f) => f.startsWith('ready-')).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    writeFileSync(goFile, '');
    const results = await Promise.all(children);
    const won: string[] = [];
    for (const result of results) {
      expect(result.code, result.err).toBe(0);
      won.push(...(JSON.parse(result.out) as string[]));
    }
    expect(won.sort()).toStrictEqual([...ids].sort());
    const ledger = SqliteLedger.open(path);
    for (const id of ids) expect((await ledger.get(id))!.fence).toBe(1);
    await ledger.close();
    expect(existsSync(goFile)).toBe(true);
  }, 40_000);
});
