/**
 * The Ledger on the embedded SQLite database (sqlite.ts: WAL, busy timeout, 0600, shared by several
 * daemons). Tables (docs/ledger.md): `ledger_tx` (one row per pending id: the record as JSON text plus
 * the columns its indexes need), `ledger_spend` (one row per claimed nonce or outpoint; never deleted),
 * `ledger_nonce` (Sigil's next nonce per chain id and address; never deleted).
 *
 * Every write runs under `BEGIN IMMEDIATE`: the process takes the database's write lock before it reads,
 * so the read that plans a transition and the write that applies it see the same rows even with other
 * processes writing. Another process's write waits (busy timeout) instead of interleaving. The UPDATE is
 * still conditioned on the revision that was read, as a second guard.
 */
import { LedgerError, type LedgerPage, type LedgerRecord } from './ledger.js';
import { nextNonce } from './ledger-transitions-signed.js';
import { LedgerBase, type CheckedListQuery, type LedgerOptions } from './ledger-base.js';
import { checkTime } from './ledger-input.js';
import { checkSchemaVersion, encodeLedgerRecord, isContentHash, parseLedgerRecord, PENDING_ID } from './ledger-record.js';
import { attentionOf, decideSpendClaim, type Attention, type Plan, type Planner, type SpendClaim } from './ledger-transitions.js';
import { checkComponentVersion, migrateComponent, openSqliteDatabase, prepareCached, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './sqlite.js';
import { StoreError } from './store-error.js';

/** Migration i takes the `ledger` component from version i to i + 1 (sqlite.ts migrateComponent). */
export const LEDGER_TABLE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE ledger_tx (
     id TEXT PRIMARY KEY NOT NULL,
     schema INTEGER NOT NULL,
     revision INTEGER NOT NULL,
     state TEXT NOT NULL,
     chain TEXT NOT NULL,
     attention TEXT,
     attention_at INTEGER,
     expires_at INTEGER,
     record TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX ledger_tx_attention ON ledger_tx (attention, attention_at) WHERE attention IS NOT NULL;
   CREATE INDEX ledger_tx_expiry ON ledger_tx (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE ledger_spend (
     key TEXT PRIMARY KEY NOT NULL,
     schema INTEGER NOT NULL,
     pending_id TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE ledger_nonce (
     chain_id TEXT NOT NULL,
     address TEXT NOT NULL,
     schema INTEGER NOT NULL,
     next INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (chain_id, address)
   ) STRICT, WITHOUT ROWID;`,
];
const COMPONENT = 'ledger';
const TX_ORIGIN = 'sqlite ledger_tx row';

interface TxRow {
  id: string;
  schema: number;
  revision: number;
  state: string;
  record: string;
}

interface SpendRow {
  schema: number;
  pending_id: string;
  content_hash: string;
}

export interface SqliteLedgerOptions extends LedgerOptions {
  /** Close the database in close() (true when the ledger opened it). */
  readonly ownsDatabase?: boolean;
}

function rowValues(record: LedgerRecord): Record<string, string | number | null> {
  const attention = attentionOf(record);
  return {
    id: record.id,
    schema: record.schema,
    revision: record.revision,
    state: record.state,
    chain: record.chain,
    attention: attention?.kind ?? null,
    attention_at: attention?.at ?? null,
    expires_at: record.expiresAt,
    record: encodeLedgerRecord(record),
  };
}

export class SqliteLedger extends LedgerBase {
  readonly #db: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  /** A read-only open of a database whose ledger tables were never created reads as empty. */
  readonly #absent: boolean;

  /** Open the database at `path` and own it; read-only on a missing file gives 'missing'. */
  static open(path: string, options?: SqliteOpenOptions & { readonly readonly?: false }, ledgerOptions?: SqliteLedgerOptions): SqliteLedger;
  static open(path: string, options: SqliteOpenOptions, ledgerOptions?: SqliteLedgerOptions): SqliteLedger | 'missing';
  static open(path: string, options: SqliteOpenOptions = {}, ledgerOptions: SqliteLedgerOptions = {}): SqliteLedger | 'missing' {
    const db = openSqliteDatabase(path, options);
    if (db === 'missing') return db;
    try {
      return new SqliteLedger(db, { ...ledgerOptions, ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Over a database opened by openSqliteDatabase (it may be the wallet store's); a writable one is migrated here. */
  constructor(db: SqliteDatabase, options: SqliteLedgerOptions = {}) {
    super(options);
    this.#db = db;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    if (db.readonly) {
      const version = checkComponentVersion(db, COMPONENT, LEDGER_TABLE_MIGRATIONS.length);
      this.#absent = version === 0;
    } else {
      migrateComponent(db, COMPONENT, LEDGER_TABLE_MIGRATIONS);
      this.#absent = false;
    }
  }

  #parseRow(row: TxRow): LedgerRecord {
    checkSchemaVersion(row.schema, TX_ORIGIN, PENDING_ID.test(row.id) ? row.id : undefined);
    const record = parseLedgerRecord(row.record, TX_ORIGIN);
    if (record.id !== row.id || record.state !== row.state || record.revision !== row.revision || record.schema !== row.schema) {
      throw new StoreError('CORRUPT_RECORD', `${TX_ORIGIN} ${record.id}: the row's id, state, revision or schema columns disagree with its record`, {
        origin: TX_ORIGIN,
        pendingId: record.id,
      });
    }
    return record;
  }

  #readTx(id: string): LedgerRecord | undefined {
    if (this.#absent) return undefined;
    const row = prepareCached(this.#db, 'SELECT id, schema, revision, state, record FROM ledger_tx WHERE id = ?').get(id) as TxRow | undefined;
    return row === undefined ? undefined : this.#parseRow(row);
  }

  #readSpend(key: string): SpendClaim | undefined {
    const row = prepareCached(this.#db, 'SELECT schema, pending_id, content_hash FROM ledger_spend WHERE key = ?').get(key) as SpendRow | undefined;
    if (row === undefined) return undefined;
    checkSchemaVersion(row.schema, 'sqlite ledger_spend row');
    if (!PENDING_ID.test(row.pending_id) || !isContentHash(row.content_hash)) {
      throw new StoreError('CORRUPT_RECORD', 'sqlite ledger_spend row: pending_id or content_hash is malformed', { origin: 'sqlite ledger_spend row' });
    }
    return { pendingId: row.pending_id, contentHash: row.content_hash };
  }

  #write<T>(action: string, body: () => T): T {
    if (this.#db.readonly) {
      throw new StoreError('STORE_UNAVAILABLE', `${action}: ledger ${this.#db.name} is open read-only`, { path: this.#db.name, action });
    }
    try {
      return this.#db.transaction(body).immediate();
    } catch (error) {
      throw toStoreError(error, this.#db.name, action);
    }
  }

  #query<T>(action: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw toStoreError(error, this.#db.name, action);
    }
  }

  #writeSpends(plan: Plan & { write: true }, now: number): void {
    const claims = plan.claimSpends;
    if (claims) {
      const insert = prepareCached(this.#db, 'INSERT INTO ledger_spend (key, schema, pending_id, content_hash, created_at) VALUES (?, 1, ?, ?, ?)');
      // A DoubleSpendError thrown here rolls the whole transaction back: no key and no state change stays.
      for (const key of claims.keys) {
        if (decideSpendClaim(key, this.#readSpend(key), claims) === 'create') insert.run(key, claims.pendingId, claims.contentHash, now);
      }
    }
    const move = plan.moveSpend;
    if (move) {
      const moved = prepareCached(this.#db, 'UPDATE ledger_spend SET content_hash = ? WHERE key = ? AND pending_id = ? AND content_hash = ?')
        .run(move.to, move.key, move.pendingId, move.from);
      if (moved.changes !== 1) {
        throw new LedgerError('CONFLICT', `pending transaction ${move.pendingId}: its claim on ${move.key} does not hold the stored raw tx; nothing was changed`, {
          pendingId: move.pendingId,
          spendKey: move.key,
        });
      }
    }
  }

  protected async apply(id: string, action: string, planner: Planner): Promise<Plan> {
    return this.#write(action, () => {
      const plan = planner(this.#readTx(id));
      if (!plan.write) return plan;
      this.#writeSpends(plan, plan.record.updatedAt);
      const values = rowValues(plan.record);
      if (plan.previous === undefined) {
        prepareCached(this.#db, 'INSERT INTO ledger_tx (id, schema, revision, state, chain, attention, attention_at, expires_at, record) VALUES (@id, @schema, @revision, @state, @chain, @attention, @attention_at, @expires_at, @record)')
          .run(values);
      } else {
        const updated = prepareCached(this.#db, 
            `UPDATE ledger_tx SET schema = @schema, revision = @revision, state = @state, chain = @chain, attention = @attention,
               attention_at = @attention_at, expires_at = @expires_at, record = @record WHERE id = @id AND revision = @previous`,
          )
          .run({ ...values, previous: plan.previous.revision });
        if (updated.changes !== 1) throw new StoreError('STORE_UNAVAILABLE', `${action}: ledger row ${id} changed under BEGIN IMMEDIATE`, { pendingId: id });
      }
      return plan;
    });
  }

  protected async allocate(chainId: string, from: string, floor: number): Promise<number> {
    return this.#write('allocateNonce', () => {
      const row = prepareCached(this.#db, 'SELECT schema, next FROM ledger_nonce WHERE chain_id = ? AND address = ?').get(chainId, from) as { schema: number; next: number } | undefined;
      if (row) checkSchemaVersion(row.schema, 'sqlite ledger_nonce row');
      if (row && (!Number.isSafeInteger(row.next) || row.next < 0)) {
        throw new StoreError('CORRUPT_RECORD', 'sqlite ledger_nonce row: next is not a non-negative integer', { origin: 'sqlite ledger_nonce row' });
      }
      const nonce = nextNonce(row?.next, floor);
      prepareCached(this.#db, 
          `INSERT INTO ledger_nonce (chain_id, address, schema, next, updated_at) VALUES (?, ?, 1, ?, ?)
           ON CONFLICT (chain_id, address) DO UPDATE SET next = excluded.next, updated_at = excluded.updated_at`,
        )
        .run(chainId, from, nonce + 1, this.clock());
      return nonce;
    });
  }

  protected async read(id: string): Promise<LedgerRecord | undefined> {
    return this.#query('get', () => this.#readTx(id));
  }

  protected async readPage(query: CheckedListQuery): Promise<LedgerPage> {
    if (this.#absent) return { records: [] };
    const rows = this.#query('list', () =>
      prepareCached(this.#db, 
          `SELECT id, schema, revision, state, record FROM ledger_tx
           WHERE (@state IS NULL OR state = @state) AND (@chain IS NULL OR chain = @chain) AND (@cursor IS NULL OR id > @cursor)
           ORDER BY id LIMIT @take`,
        )
        .all({ state: query.state ?? null, chain: query.chain ?? null, cursor: query.cursor ?? null, take: query.limit + 1 }),
    ) as TxRow[];
    const records = rows.slice(0, query.limit).map((row) => this.#parseRow(row));
    return rows.length > query.limit ? { records, cursor: records.at(-1)!.id } : { records };
  }

  protected async readAttention(kind: Attention['kind'], until: number, limit: number): Promise<LedgerRecord[]> {
    if (this.#absent) return [];
    const rows = this.#query('listing records by attention', () =>
      prepareCached(this.#db, 'SELECT id, schema, revision, state, record FROM ledger_tx WHERE attention = ? AND attention_at <= ? ORDER BY attention_at, id LIMIT ?')
        .all(kind, until, limit),
    ) as TxRow[];
    return rows.map((row) => this.#parseRow(row));
  }

  async purgeExpired(now: number): Promise<number> {
    const seconds = Math.floor(checkTime(now, 'now') / 1000);
    return this.#write('purgeExpired', () => prepareCached(this.#db, `DELETE FROM ledger_tx WHERE state = 'COMPLETED' AND expires_at IS NOT NULL AND expires_at <= ?`).run(seconds).changes);
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase && this.#db.open) this.#db.close();
  }
}
