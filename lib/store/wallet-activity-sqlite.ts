/**
 * WalletActivity on the embedded SQLite database (sqlite.ts: WAL, busy timeout, 0600, shared by several
 * daemons). Tables of the `activity` component:
 *
 *   activity_entry        (wallet, pending_id) → chain, at, time_key, amount, destinations (JSON text)
 *                         index (wallet, time_key): `since` reads newest first without sorting
 *   activity_destination  (wallet, destination) → first_pending_id, second_pending_id (never deleted)
 *
 * A record runs under one `BEGIN IMMEDIATE` transaction, so processes sharing the file serialise: the
 * entry insert, the marker inserts and the pruning of expired entries of that wallet see the same rows.
 * The marker keeps the first pendingId that sent there (first-time for it alone, also when it is recorded
 * again) and one other, which is all `hasSentTo(…, {excludePendingId})` needs.
 */
import {
  ACTIVITY_RETENTION_MS,
  checkActivityEntry,
  checkDestination,
  checkPendingId,
  checkSinceArguments,
  checkWallet,
  sameTransaction,
  timeKey,
  timeKeyAfter,
  type ActivityEntry,
  type ActivitySinceOptions,
  type WalletActivity,
} from './wallet-activity.js';
import { checkComponentVersion, migrateComponent, openSqliteDatabase, readComponentVersion, prepareCached, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './sqlite.js';
import { StoreError } from './store-error.js';

/** Migration i takes the `activity` component from version i to i + 1 (sqlite.ts migrateComponent). */
const ACTIVITY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE activity_entry (
     wallet TEXT NOT NULL,
     pending_id TEXT NOT NULL,
     chain TEXT NOT NULL,
     at INTEGER NOT NULL,
     time_key TEXT NOT NULL,
     amount TEXT NOT NULL,
     destinations TEXT NOT NULL,
     PRIMARY KEY (wallet, pending_id)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX activity_entry_time ON activity_entry (wallet, time_key);
   CREATE TABLE activity_destination (
     wallet TEXT NOT NULL,
     destination TEXT NOT NULL,
     first_pending_id TEXT NOT NULL,
     second_pending_id TEXT,
     PRIMARY KEY (wallet, destination)
   ) STRICT, WITHOUT ROWID;`,
];

interface EntryRow {
  wallet: string;
  pending_id: string;
  chain: string;
  at: number;
  amount: string;
  destinations: string;
}

interface MarkerRow {
  first_pending_id: string;
  second_pending_id: string | null;
}

export interface SqliteWalletActivityOptions {
  /** Close the database in close() (true when `open` opened it). */
  readonly ownsDatabase?: boolean;
  /** Entries older than this (relative to the newest `at` recorded for the wallet) are deleted. */
  readonly retentionMs?: number;
}

function entryOf(row: EntryRow): ActivityEntry {
  let destinations: unknown;
  try {
    destinations = JSON.parse(row.destinations);
  } catch {
    destinations = undefined;
  }
  try {
    return checkActivityEntry({ wallet: row.wallet, pendingId: row.pending_id, chain: row.chain, at: row.at, amount: row.amount, destinations: destinations as string[] });
  } catch (error) {
    throw new StoreError('CORRUPT_RECORD', `sqlite activity_entry row fails the schema (${(error as { context?: { field?: string } }).context?.field ?? 'shape'})`, {
      origin: 'sqlite activity_entry row',
    });
  }
}

export class SqliteWalletActivity implements WalletActivity {
  readonly #db: SqliteDatabase;
  readonly #ownsDb: boolean;
  readonly #retentionMs: number;
  readonly #record: (entry: ActivityEntry) => string[];

  /** Use an open Sigil database (shared with wallets and the ledger); creates the tables if needed. */
  constructor(db: SqliteDatabase, options: SqliteWalletActivityOptions = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDatabase ?? false;
    this.#retentionMs = options.retentionMs ?? ACTIVITY_RETENTION_MS;
    // A read-only connection (openReadOnly) reads what is there; record() then fails with STORE_UNAVAILABLE.
    if (db.readonly) checkComponentVersion(db, 'activity', ACTIVITY_MIGRATIONS.length);
    else migrateComponent(db, 'activity', ACTIVITY_MIGRATIONS);
    const selectEntry = db.prepare('SELECT wallet, pending_id, chain, at, amount, destinations FROM activity_entry WHERE wallet = ? AND pending_id = ?');
    const insertEntry = db.prepare('INSERT INTO activity_entry (wallet, pending_id, chain, at, time_key, amount, destinations) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const prune = db.prepare('DELETE FROM activity_entry WHERE wallet = ? AND at < ?');
    const insertMarker = db.prepare('INSERT INTO activity_destination (wallet, destination, first_pending_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    const selectMarker = db.prepare('SELECT first_pending_id, second_pending_id FROM activity_destination WHERE wallet = ? AND destination = ?');
    const setSecond = db.prepare('UPDATE activity_destination SET second_pending_id = ? WHERE wallet = ? AND destination = ? AND second_pending_id IS NULL AND first_pending_id <> ?');
    const record = db.transaction((entry: ActivityEntry): string[] => {
      const existing = selectEntry.get(entry.wallet, entry.pendingId) as EntryRow | undefined;
      let stored = entry;
      if (existing) {
        stored = entryOf(existing);
        if (!sameTransaction(stored, entry)) {
          throw new StoreError('CONFLICT', `wallet activity for pending ${entry.pendingId} is already recorded with another chain, amount or destinations`, {
            pendingId: entry.pendingId,
          });
        }
      } else {
        insertEntry.run(entry.wallet, entry.pendingId, entry.chain, entry.at, timeKey(entry.at, entry.pendingId), entry.amount, JSON.stringify(entry.destinations));
        prune.run(entry.wallet, entry.at - this.#retentionMs);
      }
      const firstTime: string[] = [];
      for (const destination of stored.destinations) {
        if (insertMarker.run(entry.wallet, destination, entry.pendingId).changes === 1) {
          firstTime.push(destination);
          continue;
        }
        const marker = selectMarker.get(entry.wallet, destination) as MarkerRow;
        if (marker.first_pending_id === entry.pendingId) firstTime.push(destination);
        else setSecond.run(entry.pendingId, entry.wallet, destination, entry.pendingId);
      }
      return firstTime;
    });
    this.#record = (entry) => record.immediate(entry);
  }

  /** Open (creating and migrating) the database at `path` for this store alone; `close()` closes it. */
  static open(path: string, options: Pick<SqliteOpenOptions, 'busyTimeoutMs'> & Omit<SqliteWalletActivityOptions, 'ownsDatabase'> = {}): SqliteWalletActivity {
    // Its own connection, without an fsync per commit: a power loss may drop the newest entries (a velocity
    // count one short until the next window), never a wallet or a ledger record (SqliteOpenOptions.durability).
    const db = openSqliteDatabase(path, { durability: 'normal', ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}) });
    try {
      return new SqliteWalletActivity(db, { ...options, ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * The history of the database at `path` for reading only (`sigil policy test`): nothing is created or
   * migrated; 'missing' when there is no file or it has never held activity.
   */
  static openReadOnly(path: string): SqliteWalletActivity | 'missing' {
    const db = openSqliteDatabase(path, { readonly: true });
    if (db === 'missing') return 'missing';
    try {
      if (readComponentVersion(db, 'activity') === 0) {
        db.close();
        return 'missing';
      }
      return new SqliteWalletActivity(db, { ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async record(entry: ActivityEntry): Promise<{ readonly firstTimeDestinations: readonly string[] }> {
    const checked = checkActivityEntry(entry);
    try {
      return { firstTimeDestinations: this.#record(checked) };
    } catch (error) {
      throw toStoreError(error, this.#db.name, `recording wallet activity of pending ${checked.pendingId}`);
    }
  }

  async since(wallet: string, sinceMs: number, options: ActivitySinceOptions = {}): Promise<ActivityEntry[]> {
    const args = checkSinceArguments(wallet, sinceMs, options);
    let rows: EntryRow[];
    try {
      rows = prepareCached(this.#db, 
          `SELECT wallet, pending_id, chain, at, amount, destinations FROM activity_entry
           WHERE wallet = ? AND time_key > ? AND pending_id <> ? ORDER BY time_key DESC LIMIT ?`,
        )
        .all(args.wallet, timeKeyAfter(args.sinceMs), args.exclude ?? '', args.limit) as EntryRow[];
    } catch (error) {
      throw toStoreError(error, this.#db.name, 'reading wallet activity');
    }
    return rows.map(entryOf);
  }

  async hasSentTo(wallet: string, destination: string, options: { readonly excludePendingId?: string } = {}): Promise<boolean> {
    const id = checkWallet(wallet);
    checkDestination(destination);
    const exclude = options.excludePendingId === undefined ? undefined : checkPendingId(options.excludePendingId, 'excludePendingId');
    let marker: MarkerRow | undefined;
    try {
      marker = prepareCached(this.#db, 'SELECT first_pending_id, second_pending_id FROM activity_destination WHERE wallet = ? AND destination = ?').get(id, destination) as MarkerRow | undefined;
    } catch (error) {
      throw toStoreError(error, this.#db.name, 'reading wallet activity');
    }
    if (!marker) return false;
    return marker.first_pending_id !== exclude || marker.second_pending_id !== null;
  }

  /** Closes the database only if `open` opened it. */
  async close(): Promise<void> {
    if (this.#ownsDb) this.#db.close();
  }
}
