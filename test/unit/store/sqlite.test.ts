import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { migrateComponent, openSqliteDatabase, readComponentVersion, SIGIL_APPLICATION_ID, type SqliteDatabase } from '../../../lib/store/sqlite.js';
import { SqliteSettings } from '../../../lib/store/sqlite-settings.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import { StoreError } from '../../../lib/store/store-error.js';
import { makeWalletRecord } from '../../contract/wallet-store.contract.js';

let dir: string;
const open: SqliteDatabase[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigil-sqlite-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function openDb(path = join(dir, 'sigil.db'), busyTimeoutMs?: number): SqliteDatabase {
  const db = openSqliteDatabase(path, busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
  open.push(db);
  return db;
}

function thrown(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('openSqliteDatabase', () => {
  it('sets WAL, synchronous FULL, the busy timeout, the Sigil application id and the base schema', () => {
    const db = openDb();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('application_id', { simple: true })).toBe(SIGIL_APPLICATION_ID);
    expect(readComponentVersion(db, 'base')).toBe(1);
  });

  it('opens an empty file as a new database, and tightens an existing file to 0600', () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const db = openDb(path);
    expect(readComponentVersion(db, 'base')).toBe(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not SQLite, and a SQLite database of another application, changing neither', () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, randomBytes(4096));
    const junkBytes = readFileSync(junk);
    const error = thrown(() => openSqliteDatabase(junk));
    expect(error.code).toBe('NOT_A_DATABASE');
    expect(error.message).not.toContain('import-wallet-dat');
    expect(thrown(() => openSqliteDatabase(junk, { readonly: true })).code).toBe('NOT_A_DATABASE');
    expect(readFileSync(junk).equals(junkBytes)).toBe(true);

    const foreign = join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    const before = readFileSync(foreign);
    expect(thrown(() => openSqliteDatabase(foreign)).code).toBe('NOT_A_DATABASE');
    expect(thrown(() => openSqliteDatabase(foreign, { readonly: true })).code).toBe('NOT_A_DATABASE');
    expect(readFileSync(foreign).equals(before)).toBe(true);
  });

  it('refuses a database whose schema is newer than this build, writable or read-only', () => {
    const path = join(dir, 'future.db');
    openDb(path).prepare(`UPDATE meta SET version = 7 WHERE component = 'base'`).run();
    for (const readonly of [false, true]) {
      const error = thrown(() => openSqliteDatabase(path, { readonly }));
      expect(error.code).toBe('UNSUPPORTED_SCHEMA');
      expect(error.message).toMatch(/newer.*upgrade/);
    }
  });

  it('migrations are idempotent and apply only the steps a database lacks', () => {
    const db = openDb();
    const steps = ['CREATE TABLE t1 (x INTEGER) STRICT', `INSERT INTO t1 VALUES (1)`];
    migrateComponent(db, 'probe', steps);
    migrateComponent(db, 'probe', steps);
    expect(readComponentVersion(db, 'probe')).toBe(2);
    migrateComponent(db, 'probe', [...steps, 'INSERT INTO t1 VALUES (2)']);
    migrateComponent(db, 'probe', [...steps, 'INSERT INTO t1 VALUES (2)']);
    expect(db.prepare('SELECT x FROM t1 ORDER BY x').pluck().all()).toStrictEqual([1, 2]);
    expect(readComponentVersion(db, 'probe')).toBe(3);
    expect(thrown(() => migrateComponent(db, 'probe', steps)).code).toBe('UNSUPPORTED_SCHEMA');
  });

  it('a migration that fails leaves the component at its old version', () => {
    const db = openDb();
    expect(() => migrateComponent(db, 'probe', ['CREATE TABLE t2 (x INTEGER)', 'THIS IS NOT SQL'])).toThrow(StoreError);
    expect(readComponentVersion(db, 'probe')).toBe(0);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 't2'`).get()).toBeUndefined();
  });

  it('a write that stays locked by another process past the busy timeout is STORE_UNAVAILABLE', async () => {
    const path = join(dir, 'locked.db');
    const store = new SqliteWalletStore(openDb(path, 100));
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.put(makeWalletRecord())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/locked/) });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await store.put(makeWalletRecord())).toBe('created');
  });
});

describe('SqliteSettings', () => {
  it('stores JSON values by key, across reopenings', () => {
    const path = join(dir, 'sigil.db');
    const settings = new SqliteSettings(openDb(path));
    expect(settings.get('password.header')).toBeUndefined();
    settings.set('password.header', { v: 1, salt: 'c2FsdA==', n: 32768 });
    settings.set('counter', 1);
    settings.set('counter', 2);
    const reopened = new SqliteSettings(openDb(path));
    expect(reopened.get('password.header')).toStrictEqual({ v: 1, salt: 'c2FsdA==', n: 32768 });
    expect(reopened.get('counter')).toBe(2);
    expect(reopened.delete('counter')).toBe(true);
    expect(reopened.delete('counter')).toBe(false);
    expect(settings.get('counter')).toBeUndefined();
  });

  it('setIfAbsent keeps the first value and returns what is stored', () => {
    const path = join(dir, 'sigil.db');
    const first = new SqliteSettings(openDb(path));
    const second = new SqliteSettings(openDb(path));
    expect(first.setIfAbsent('password.header', { salt: 'first' })).toStrictEqual({ salt: 'first' });
    expect(second.setIfAbsent('password.header', { salt: 'second' })).toStrictEqual({ salt: 'first' });
    expect(second.get('password.header')).toStrictEqual({ salt: 'first' });
  });

  it('refuses bad keys and non-JSON values; a damaged value is CORRUPT_RECORD', () => {
    const db = openDb();
    const settings = new SqliteSettings(db);
    for (const key of ['', 'Upper', 'has space', 'x'.repeat(65)]) expect(() => settings.get(key)).toThrow(InvalidInputError);
    for (const value of [undefined, 1n, () => 1]) expect(() => settings.set('k', value)).toThrow(InvalidInputError);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('broken', '{nope')`).run();
    expect(thrown(() => settings.get('broken')).code).toBe('CORRUPT_RECORD');
  });

  it('reads through a read-only open and refuses to write there', () => {
    const path = join(dir, 'sigil.db');
    new SqliteSettings(openDb(path)).set('k', 'v');
    const readonly = openSqliteDatabase(path, { readonly: true });
    if (readonly === 'missing') throw new Error('database missing');
    open.push(readonly);
    const settings = new SqliteSettings(readonly);
    expect(settings.get('k')).toBe('v');
    expect(thrown(() => settings.set('k', 'w')).code).toBe('STORE_UNAVAILABLE');
  });
});

describe('durability per connection', () => {
  it("fsyncs every commit by default; durability 'normal' (the audit trail's and the activity history's own connections) does not", () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sigil-durability-')), 'sigil.db');
    const synchronous = (db: SqliteDatabase) => db.pragma('synchronous', { simple: true });
    const full = openSqliteDatabase(path);
    const normal = openSqliteDatabase(path, { durability: 'normal' });
    expect(synchronous(full)).toBe(2); // FULL
    expect(synchronous(normal)).toBe(1); // NORMAL, on this connection only
    expect(synchronous(openSqliteDatabase(path))).toBe(2);
    expect(full.pragma('journal_mode', { simple: true })).toBe('wal'); // NORMAL is crash-safe only in WAL mode
    for (const db of [full, normal]) db.close();
  });
});
