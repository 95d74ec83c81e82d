/**
 * The embedded database every SQLite adapter shares (wallets now, the ledger later): one file, opened by
 * `openSqliteDatabase`, which makes it safe to share between several processes (ARCHITECTURE: several
 * daemons may share it) and safe to hold sealed secrets.
 *
 * - File: parent folders created 0700, the file created 0600 before SQLite opens it (SQLite gives its
 *   -wal and -shm files the database file's mode). An existing file with group/other bits is tightened.
 * - WAL journal, `busy_timeout` 5000 ms: readers never block the writer, writers queue instead of failing.
 * - `synchronous = FULL`: in WAL mode NORMAL is crash-safe for the process but may lose the last commits on
 *   power loss. A lost commit here is a wallet whose signatureId was already handed to Tatum, or a ledger
 *   claim whose transaction was already signed (a double-sign risk); an fsync per commit is cheap at
 *   Sigil's write rate. The audit trail and the activity history open their own connections with
 *   `durability: 'normal'` (many small commits per transaction; see SqliteOpenOptions.durability).
 * - Schema: `meta(component, version)`; each component (base, wallets, ledger…) brings an ordered list of
 *   migrations, applied under `BEGIN IMMEDIATE` so that processes opening a new file at once apply each
 *   step exactly once. A database from a newer build is refused (UNSUPPORTED_SCHEMA), never downgraded.
 * - Identity: `application_id` 'SIGL'. A file that is not SQLite (a Tatum wallet.dat is base64 text
 *   starting `U2FsdGVkX1`) or a SQLite database of another application is refused (NOT_A_DATABASE).
 * - Read-only open of a missing file returns 'missing' and creates nothing.
 */
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readSync, constants as fsConstants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SigilError } from '../errors.js';
import { StoreError } from './store-error.js';

export type SqliteDatabase = Database.Database;

const statements = new WeakMap<SqliteDatabase, Map<string, Database.Statement>>();

/**
 * `db.prepare(sql)`, compiled once per connection: the adapters run the same few statements for every
 * transaction, and compiling them again each time was a tenth of a pipeline pass (bench/pipeline.ts profile).
 * Statement modes (pluck, raw) stick to the cached statement: a given SQL text must always be used one way.
 */
export function prepareCached(db: SqliteDatabase, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}

export interface SqliteOpenOptions {
  /** Open without writing anything: no folder, no file, no migration. */
  readonly readonly?: boolean;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * 'full' (default): every commit is fsynced. 'normal': commits of this connection reach the disk with the
   * next fsync of any connection to the file (in WAL mode, the next ledger or wallet commit) or a checkpoint;
   * a power loss may lose them, a crash of the process does not. Only for records whose loss is tolerable
   * and documented (the audit trail's newest entries, wallet-activity history); never wallets or the ledger.
   */
  readonly durability?: 'full' | 'normal';
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** base64("Salted__"…): crypto-js passphrase AES, the Tatum KMS wallet.dat (TATUM-COMPAT §5). */
const WALLET_DAT_PREFIX = Buffer.from('U2FsdGVkX1', 'latin1');
/** 'SIGL' in the SQLite header's application_id field. */
export const SIGIL_APPLICATION_ID = 0x5349474c;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The base component: the settings table (the CLI's local password header lives there). */
const BASE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
   PRAGMA application_id = ${SIGIL_APPLICATION_ID};`,
];

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** A backend failure as a StoreError; SigilErrors pass through. SQLite's own text is kept in `cause` only. */
export function toStoreError(error: unknown, path: string, action: string): SigilError {
  if (error instanceof SigilError) return error;
  const code = sqliteCode(error) ?? 'unknown';
  const context = { path, action, sqlite: code };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('STORE_UNAVAILABLE', `${action}: database ${path} stayed locked by another process beyond the busy timeout`, context, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError('STORE_UNAVAILABLE', `${action}: database ${path} is read-only (opened read-only, or no write permission)`, context, { cause: error });
  }
  if (code === 'SQLITE_NOTADB') {
    return new StoreError('NOT_A_DATABASE', `${action}: ${path} is not a SQLite database`, context, { cause: error });
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('STORE_UNAVAILABLE', `${action}: database ${path} is damaged (SQLite reports corruption); restore it from a backup`, context, { cause: error });
  }
  return new StoreError('STORE_UNAVAILABLE', `${action}: database ${path} failed (${code})`, context, { cause: error });
}

/** Refuse a non-SQLite file before SQLite touches it; an empty file is a database another process is creating. */
function checkSqliteHeader(path: string, fd: number): void {
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  const n = readSync(fd, head, 0, head.length, 0);
  if (n === 0 || head.subarray(0, n).equals(SQLITE_MAGIC.subarray(0, n))) return;
  if (n >= WALLET_DAT_PREFIX.length && head.subarray(0, WALLET_DAT_PREFIX.length).equals(WALLET_DAT_PREFIX)) {
    throw new StoreError('NOT_A_DATABASE', `${path} is a Tatum KMS wallet.dat (encrypted text), not a Sigil database; migrate it with \`sigil import-wallet-dat\``, {
      path,
      detected: 'tatum-wallet-dat',
    });
  }
  throw new StoreError('NOT_A_DATABASE', `${path} is not a SQLite database (no "SQLite format 3" header); refusing to open it`, { path });
}

/** The file of a writable open: folders 0700, file 0600, created without truncating a racing creator's. */
function prepareFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) chmodSync(path, 0o600);
    checkSqliteHeader(path, fd);
  } finally {
    closeSync(fd);
  }
}

/** Returns false when the file does not exist. */
function checkExistingFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StoreError('STORE_UNAVAILABLE', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { path }, { cause: error });
  }
  try {
    checkSqliteHeader(path, fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function tableExists(db: SqliteDatabase, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

/** A database with another application's id, or tables but no meta, is not ours to migrate. */
function checkSigilDatabase(db: SqliteDatabase): void {
  const applicationId = db.pragma('application_id', { simple: true });
  if (applicationId === SIGIL_APPLICATION_ID) return;
  const foreignTables = db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name <> 'meta'`).get() as { n: number };
  if (applicationId !== 0 || foreignTables.n > 0) {
    throw new StoreError('NOT_A_DATABASE', `${db.name} is a SQLite database of another application, not a Sigil database; refusing to change it`, {
      path: db.name,
      applicationId,
    });
  }
}

/** The schema version of `component` in this database; 0 when it was never migrated. */
export function readComponentVersion(db: SqliteDatabase, component: string): number {
  if (!tableExists(db, 'meta')) return 0;
  const row = db.prepare('SELECT version FROM meta WHERE component = ?').get(component) as { version: number } | undefined;
  return row?.version ?? 0;
}

/** Refuse a component written by a newer build; returns the stored version. */
export function checkComponentVersion(db: SqliteDatabase, component: string, known: number): number {
  const version = readComponentVersion(db, component);
  if (version > known) {
    throw new StoreError(
      'UNSUPPORTED_SCHEMA',
      `database ${db.name} holds ${component} schema ${version}, newer than this build knows (${known}); upgrade Sigil`,
      { path: db.name, component, version, known },
    );
  }
  return version;
}

/**
 * Bring `component` to `migrations.length`: migration i (0-based) takes it from version i to i + 1.
 * Idempotent, and safe when several processes run it at once: the check and the steps run under one
 * `BEGIN IMMEDIATE`, so the second process waits, then finds nothing left to do.
 */
export function migrateComponent(db: SqliteDatabase, component: string, migrations: readonly string[]): void {
  try {
    db.transaction(() => applyMigrations(db, component, migrations)).immediate();
  } catch (error) {
    throw toStoreError(error, db.name, `migrating ${component}`);
  }
}

/** The steps of migrateComponent; the caller holds the write transaction. */
function applyMigrations(db: SqliteDatabase, component: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) STRICT, WITHOUT ROWID');
  const current = checkComponentVersion(db, component, migrations.length);
  for (let step = current; step < migrations.length; step++) db.exec(migrations[step]!);
  if (current < migrations.length) {
    db.prepare('INSERT INTO meta (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version').run(component, migrations.length);
  }
}

/** journal_mode=WAL needs an exclusive moment on a new file; SQLite does not always call the busy handler for it. */
function enableWal(db: SqliteDatabase, path: string, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreError('STORE_UNAVAILABLE', `database ${path} refused WAL mode (journal_mode is ${String(mode)})`, { path });
      return;
    } catch (error) {
      if (!sqliteCode(error)?.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw toStoreError(error, path, 'enabling WAL');
      sleepSync(Math.min(10 * attempt, 100));
    }
  }
}

/**
 * Open (and on a writable open create and migrate) the Sigil database at `path`.
 * Read-only: returns 'missing' when there is no file, and never writes.
 */
export function openSqliteDatabase(path: string, options?: SqliteOpenOptions & { readonly readonly?: false }): SqliteDatabase;
export function openSqliteDatabase(path: string, options: SqliteOpenOptions): SqliteDatabase | 'missing';
export function openSqliteDatabase(path: string, options: SqliteOpenOptions = {}): SqliteDatabase | 'missing' {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (options.readonly) {
    if (!checkExistingFile(path)) return 'missing';
  } else {
    prepareFile(path);
  }
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: true });
  } catch (error) {
    throw toStoreError(error, path, 'opening');
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    // Before anything is written (WAL changes the header): another application's database stays untouched.
    // One read transaction, so both reads of the check see the same snapshot of a file being created.
    db.transaction(() => checkSigilDatabase(db)).deferred();
    if (options.readonly) {
      checkComponentVersion(db, 'base', BASE_MIGRATIONS.length);
    } else {
      enableWal(db, path, busyTimeoutMs);
      db.pragma(options.durability === 'normal' ? 'synchronous = NORMAL' : 'synchronous = FULL');
      // Checked again under the write lock: the first check may have raced another process's creation.
      db.transaction(() => {
        checkSigilDatabase(db);
        applyMigrations(db, 'base', BASE_MIGRATIONS);
      }).immediate();
    }
    return db;
  } catch (error) {
    db.close();
    throw toStoreError(error, path, 'opening');
  }
}
