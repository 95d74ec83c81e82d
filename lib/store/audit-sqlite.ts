/**
 * AuditStore on the embedded SQLite database (sqlite.ts), table `audit_entries` (docs/audit.md §Storage):
 * primary key (stream, seq), so an append is create-only by the key itself (INSERT … ON CONFLICT DO
 * NOTHING: 0 rows changed = the seq was taken by another writer, in this process or another).
 *
 * Triggers refuse UPDATE and DELETE on the table: no Sigil code path can rewrite history. They are not a
 * security boundary (whoever can write the file can drop them) — the hash chain and the MAC are.
 */
import type { StoredAuditItem, AuditEntry } from '../audit/audit-entry.js';
import { dayOf, detailText, parseStoredAuditEntry } from '../audit/audit-entry.js';
import { DEFAULT_ENTRIES_PAGE, MAX_ENTRIES_PAGE, type AuditStore, type AuditStreamsPage } from '../audit/audit-store.js';
import { InvalidInputError } from '../errors.js';
import { checkComponentVersion, migrateComponent, openSqliteDatabase, prepareCached, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './sqlite.js';
import { StoreError } from './store-error.js';

/** Migration i takes the `audit` component from version i to i + 1 (sqlite.ts migrateComponent). */
export const AUDIT_TABLE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE audit_entries (
     stream TEXT NOT NULL,
     seq INTEGER NOT NULL,
     prev_hash TEXT NOT NULL,
     at TEXT NOT NULL,
     day TEXT NOT NULL,
     action TEXT NOT NULL,
     actor TEXT NOT NULL,
     detail TEXT NOT NULL,
     hash TEXT NOT NULL,
     mac TEXT NOT NULL,
     mac_key_id TEXT NOT NULL,
     PRIMARY KEY (stream, seq)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX audit_entries_by_at ON audit_entries (at);
   CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
   CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;`,
];
const COMPONENT = 'audit';
const COLUMNS = 'stream, seq, prev_hash, at, day, action, actor, detail, hash, mac, mac_key_id';

interface AuditRow {
  stream: unknown;
  seq: unknown;
  prev_hash: unknown;
  at: unknown;
  day: unknown;
  action: unknown;
  actor: unknown;
  detail: unknown;
  hash: unknown;
  mac: unknown;
  mac_key_id: unknown;
}

function itemOf(row: AuditRow): StoredAuditItem {
  const stream = typeof row.stream === 'string' ? row.stream : String(row.stream);
  const seq = typeof row.seq === 'number' ? row.seq : Number(row.seq);
  return parseStoredAuditEntry(stream, seq, {
    prevHash: row.prev_hash,
    at: row.at,
    day: row.day,
    action: row.action,
    actor: row.actor,
    detail: row.detail,
    hash: row.hash,
    mac: row.mac,
    macKeyId: row.mac_key_id,
  });
}

function pageLimit(limit: number | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_ENTRIES_PAGE) throw new InvalidInputError(`an audit page limit is 1-${MAX_ENTRIES_PAGE}, got ${String(value)}`);
  return value;
}

export class SqliteAuditStore implements AuditStore {
  readonly #db: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  /** A read-only open of a database whose audit table was never created reads as empty. */
  readonly #absent: boolean;

  /** Open the database at `path` and own it; read-only on a missing file gives 'missing'. */
  static open(path: string, options?: SqliteOpenOptions & { readonly readonly?: false }): SqliteAuditStore;
  static open(path: string, options: SqliteOpenOptions): SqliteAuditStore | 'missing';
  static open(path: string, options: SqliteOpenOptions = {}): SqliteAuditStore | 'missing' {
    // Its own connection, without an fsync per append: the entries reach the disk with the next ledger commit's
    // fsync (WAL) — a power loss may drop the newest entries, which the ledger still records as states.
    const db = openSqliteDatabase(path, { durability: 'normal', ...options });
    if (db === 'missing') return db;
    try {
      return new SqliteAuditStore(db, { ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Over a database opened by openSqliteDatabase; a writable one is migrated here. */
  constructor(db: SqliteDatabase, options: { readonly ownsDatabase?: boolean } = {}) {
    this.#db = db;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    if (db.readonly) {
      const version = checkComponentVersion(db, COMPONENT, AUDIT_TABLE_MIGRATIONS.length);
      if (version > 0 && version < AUDIT_TABLE_MIGRATIONS.length) {
        throw new StoreError('STORE_UNAVAILABLE', `database ${db.name} holds audit schema ${version}; open it writable once to migrate it`, { path: db.name, version });
      }
      this.#absent = version === 0;
    } else {
      migrateComponent(db, COMPONENT, AUDIT_TABLE_MIGRATIONS);
      this.#absent = false;
    }
  }

  #all(sql: string, ...params: unknown[]): AuditRow[] {
    if (this.#absent) return [];
    try {
      return prepareCached(this.#db, sql).all(...params) as AuditRow[];
    } catch (error) {
      throw toStoreError(error, this.#db.name, 'reading the audit trail');
    }
  }

  async head(stream: string): Promise<StoredAuditItem | undefined> {
    const [row] = this.#all(`SELECT ${COLUMNS} FROM audit_entries WHERE stream = ? ORDER BY seq DESC LIMIT 1`, stream);
    return row ? itemOf(row) : undefined;
  }

  async append(entry: AuditEntry): Promise<boolean> {
    if (this.#db.readonly) throw new StoreError('STORE_UNAVAILABLE', `appending to the audit trail: database ${this.#db.name} is open read-only`, { path: this.#db.name });
    try {
      const result = prepareCached(this.#db, `INSERT INTO audit_entries (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stream, seq) DO NOTHING`)
        .run(entry.stream, entry.seq, entry.prevHash, entry.at, dayOf(entry.at), entry.action, entry.actor, detailText(entry.detail), entry.hash, entry.mac, entry.macKeyId);
      return result.changes === 1;
    } catch (error) {
      throw toStoreError(error, this.#db.name, `appending audit entry ${entry.stream} ${entry.seq}`);
    }
  }

  async entries(stream: string, options: { readonly fromSeq?: number; readonly limit?: number } = {}): Promise<StoredAuditItem[]> {
    const limit = pageLimit(options.limit, DEFAULT_ENTRIES_PAGE);
    return this.#all(`SELECT ${COLUMNS} FROM audit_entries WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?`, stream, options.fromSeq ?? Number.MIN_SAFE_INTEGER, limit).map(itemOf);
  }

  async streams(options: { readonly cursor?: string; readonly limit?: number } = {}): Promise<AuditStreamsPage> {
    const limit = pageLimit(options.limit, DEFAULT_ENTRIES_PAGE);
    const rows = this.#absent
      ? []
      : (prepareCached(this.#db, 'SELECT DISTINCT stream FROM audit_entries WHERE stream > ? ORDER BY stream LIMIT ?').all(options.cursor ?? '', limit) as Array<{ stream: string }>);
    const streams = rows.map((row) => row.stream);
    return rows.length === limit ? { streams, cursor: streams[streams.length - 1]! } : { streams };
  }

  async recent(limit: number): Promise<StoredAuditItem[]> {
    return this.#all(`SELECT ${COLUMNS} FROM audit_entries ORDER BY at DESC, stream DESC, seq DESC LIMIT ?`, pageLimit(limit, 20)).map(itemOf);
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase && this.#db.open) this.#db.close();
  }
}
