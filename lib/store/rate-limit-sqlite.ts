/**
 * The RateLimiter port on the embedded SQLite database (lib/tatum/rate-limiter.ts has the algorithm):
 * one row per bucket, `rate_limit_buckets(key, tat)`, read and rewritten inside one `BEGIN IMMEDIATE`
 * transaction. IMMEDIATE takes the database's write lock before the read, so two daemons on one file
 * serialise their reservations (the second waits up to the busy timeout, then reads the first's `tat`):
 * the bucket is shared by every process on the file, as ARCHITECTURE §Where it runs requires.
 *
 * The transaction only does arithmetic (microseconds); the wait itself happens after COMMIT, outside
 * the lock. better-sqlite3 is synchronous: a reservation blocks this process's event loop for as long as
 * another process holds the write lock (bounded by the busy timeout, 5 s by default).
 */
import { planReservation, rateLimitConfig, checkAcquire, type RateLimitConfig, type RateLimiter, type RateLimitOptions } from '../tatum/rate-limiter.js';
import { migrateComponent, openSqliteDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './sqlite.js';

/** Schema steps of the `rate-limit` component (sqlite.ts `migrateComponent`). */
const RATE_LIMIT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE rate_limit_buckets (
     key TEXT PRIMARY KEY NOT NULL,
     tat REAL NOT NULL
   ) STRICT, WITHOUT ROWID;`,
];

export class SqliteRateLimiter implements RateLimiter {
  readonly #db: SqliteDatabase;
  readonly #config: RateLimitConfig;
  readonly #ownsDb: boolean;
  readonly #reserve: (key: string, tokens: number) => number;

  /** Use an open Sigil database (shared with the wallets and the ledger); creates the table if needed. */
  constructor(db: SqliteDatabase, options: RateLimitOptions, ownsDb = false) {
    this.#db = db;
    this.#config = rateLimitConfig(options);
    this.#ownsDb = ownsDb;
    migrateComponent(db, 'rate-limit', RATE_LIMIT_MIGRATIONS);
    const select = db.prepare('SELECT tat FROM rate_limit_buckets WHERE key = ?');
    const upsert = db.prepare('INSERT INTO rate_limit_buckets (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat');
    const reserve = db.transaction((key: string, tokens: number): number => {
      const row = select.get(key) as { tat: number } | undefined;
      // `now` is read after the lock is held, so reservations are ordered as the lock orders them.
      const plan = planReservation(key, row?.tat ?? null, this.#config.clock(), tokens, this.#config);
      upsert.run(key, plan.tat);
      return plan.waitMs;
    });
    this.#reserve = (key, tokens) => reserve.immediate(key, tokens);
  }

  /** Open (creating and migrating) the database at `path` for this limiter alone; `close()` closes it. */
  static open(path: string, options: RateLimitOptions & Pick<SqliteOpenOptions, 'busyTimeoutMs'>): SqliteRateLimiter {
    const db = openSqliteDatabase(path, options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {});
    try {
      return new SqliteRateLimiter(db, options, true);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async acquire(key: string, tokens = 1): Promise<void> {
    checkAcquire(key, tokens);
    let waitMs: number;
    try {
      waitMs = this.#reserve(key, tokens);
    } catch (error) {
      throw toStoreError(error, this.#db.name, `reserving rate limit tokens in bucket ${key}`);
    }
    if (waitMs > 0) await this.#config.sleep(waitMs);
  }

  /** Closes the database only if `open` opened it. */
  close(): void {
    if (this.#ownsDb) this.#db.close();
  }
}
