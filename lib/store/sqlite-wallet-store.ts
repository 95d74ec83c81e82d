/**
 * WalletStore on the embedded SQLite database (sqlite.ts). Table `wallets` (docs/store.md): one row per
 * signatureId, public fields as columns, the envelope as JSON text, indexed on (chain, network).
 *
 * Every write runs in a `BEGIN IMMEDIATE` transaction, so the read that decides 'unchanged' vs conflict,
 * or checks `version`, and the write that follows see the same row even with other processes writing.
 * Every row read is parsed by parseWalletRecord: a damaged row is CORRUPT_RECORD, never a crash or a guess.
 */
import type { ChainRegistry } from '../chains/registry.js';
import type { Envelope } from '../custody/envelope-types.js';
import type { WalletFilter, WalletRecord, WalletStore } from './wallet-store.js';
import { corruptRecordError, parseWalletRecord, walletRecordsEqual } from './record-codec.js';
import { checkComponentVersion, migrateComponent, openSqliteDatabase, prepareCached, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './sqlite.js';
import { StoreError, WalletConflictError } from './store-error.js';
import {
  checkEnvelopeToStore,
  checkExpectedVersion,
  checkRecordToStore,
  conflictMessage,
  expandBatchResults,
  planBatch,
  type PutResult,
} from './write-checks.js';

/** Migration i takes the `wallets` component from version i to i + 1 (sqlite.ts migrateComponent). */
export const WALLET_TABLE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE wallets (
     signatureId TEXT PRIMARY KEY NOT NULL,
     chain TEXT NOT NULL,
     network TEXT NOT NULL,
     testnet INTEGER NOT NULL,
     kind TEXT NOT NULL,
     xpub TEXT,
     address TEXT,
     publicHash TEXT NOT NULL,
     sealed TEXT NOT NULL,
     version INTEGER NOT NULL,
     schema INTEGER NOT NULL,
     createdAt TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX wallets_by_chain_network ON wallets (chain, network);`,
];
const COMPONENT = 'wallets';
const ORIGIN = 'sqlite wallets row';

interface WalletRow {
  signatureId: string;
  chain: string;
  network: string;
  testnet: number;
  kind: string;
  xpub: string | null;
  address: string | null;
  publicHash: string;
  sealed: string;
  version: number;
  schema: number;
  createdAt: string;
}

export interface SqliteWalletStoreOptions {
  readonly registry?: Pick<ChainRegistry, 'has'>;
  /** Close the database in close() (true when the store opened it). */
  readonly ownsDatabase?: boolean;
}

function toRow(record: WalletRecord): WalletRow {
  return {
    signatureId: record.signatureId,
    chain: record.chain,
    network: record.network,
    testnet: record.testnet ? 1 : 0,
    kind: record.kind,
    xpub: record.xpub ?? null,
    address: record.address ?? null,
    publicHash: record.publicHash,
    sealed: JSON.stringify(record.sealed),
    version: record.version,
    schema: record.schema,
    createdAt: record.createdAt,
  };
}

export class SqliteWalletStore implements WalletStore {
  readonly #db: SqliteDatabase;
  readonly #registry: Pick<ChainRegistry, 'has'> | undefined;
  readonly #ownsDatabase: boolean;
  /** A read-only open of a database whose wallets table was never created reads as empty. */
  readonly #absent: boolean;

  /** Open the database at `path` and own it; read-only on a missing file gives 'missing'. */
  static open(path: string, options?: SqliteOpenOptions & { readonly readonly?: false }, storeOptions?: SqliteWalletStoreOptions): SqliteWalletStore;
  static open(path: string, options: SqliteOpenOptions, storeOptions?: SqliteWalletStoreOptions): SqliteWalletStore | 'missing';
  static open(path: string, options: SqliteOpenOptions = {}, storeOptions: SqliteWalletStoreOptions = {}): SqliteWalletStore | 'missing' {
    const db = openSqliteDatabase(path, options);
    if (db === 'missing') return db;
    try {
      return new SqliteWalletStore(db, { ...storeOptions, ownsDatabase: true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Over a database opened by openSqliteDatabase; a writable one is migrated here. */
  constructor(db: SqliteDatabase, options: SqliteWalletStoreOptions = {}) {
    this.#db = db;
    this.#registry = options.registry;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    if (db.readonly) {
      const version = checkComponentVersion(db, COMPONENT, WALLET_TABLE_MIGRATIONS.length);
      if (version > 0 && version < WALLET_TABLE_MIGRATIONS.length) {
        throw new StoreError('STORE_UNAVAILABLE', `database ${db.name} holds wallets schema ${version}; open it writable once to migrate it`, { path: db.name, version });
      }
      this.#absent = version === 0;
    } else {
      migrateComponent(db, COMPONENT, WALLET_TABLE_MIGRATIONS);
      this.#absent = false;
    }
  }

  #parseRow(row: WalletRow): WalletRecord {
    let sealed: unknown;
    try {
      sealed = JSON.parse(row.sealed);
    } catch {
      throw corruptRecordError(ORIGIN, row.signatureId, 'sealed is not valid JSON', 'sealed');
    }
    const record: Record<string, unknown> = {
      schema: row.schema,
      signatureId: row.signatureId,
      chain: row.chain,
      network: row.network,
      // Anything but 0/1 stays a number, which the parser refuses.
      testnet: row.testnet === 1 ? true : row.testnet === 0 ? false : row.testnet,
      kind: row.kind,
      publicHash: row.publicHash,
      sealed,
      createdAt: row.createdAt,
      version: row.version,
    };
    if (row.xpub !== null) record.xpub = row.xpub;
    if (row.address !== null) record.address = row.address;
    return parseWalletRecord(record, { origin: ORIGIN, ...(this.#registry ? { registry: this.#registry } : {}) });
  }

  #read(signatureId: string): WalletRecord | undefined {
    if (this.#absent) return undefined;
    const row = prepareCached(this.#db, 'SELECT * FROM wallets WHERE signatureId = ?').get(signatureId) as WalletRow | undefined;
    return row === undefined ? undefined : this.#parseRow(row);
  }

  /** Insert unless present; present and equal → 'unchanged'; present and different → conflict. */
  #insert(record: WalletRecord, batch: boolean): PutResult {
    const inserted = prepareCached(this.#db, 
        `INSERT INTO wallets (signatureId, chain, network, testnet, kind, xpub, address, publicHash, sealed, version, schema, createdAt)
         VALUES (@signatureId, @chain, @network, @testnet, @kind, @xpub, @address, @publicHash, @sealed, @version, @schema, @createdAt)
         ON CONFLICT (signatureId) DO NOTHING`,
      )
      .run(toRow(record));
    if (inserted.changes === 1) return 'created';
    const existing = this.#read(record.signatureId);
    if (existing && walletRecordsEqual(existing, record)) return 'unchanged';
    throw new WalletConflictError(record.signatureId, conflictMessage(record.signatureId, batch));
  }

  #write<T>(action: string, body: () => T): T {
    if (this.#db.readonly) {
      throw new StoreError('STORE_UNAVAILABLE', `${action}: wallet store ${this.#db.name} is open read-only`, { path: this.#db.name, action });
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

  async put(record: WalletRecord): Promise<PutResult> {
    const checked = checkRecordToStore(record, this.#registry);
    return this.#write('put', () => this.#insert(checked, false));
  }

  /** One transaction: a conflict anywhere rolls back every insert of the batch. */
  async putMany(records: readonly WalletRecord[]): Promise<PutResult[]> {
    const plan = planBatch(records, this.#registry);
    if (plan.unique.length === 0) return [];
    const results = this.#write('putMany', () => plan.unique.map((record) => this.#insert(record, true)));
    return expandBatchResults(plan, results);
  }

  async get(signatureId: string): Promise<WalletRecord | undefined> {
    return this.#query('get', () => this.#read(signatureId));
  }

  /** Reads the public columns only (the (chain, network) index covers the filtered query). */
  async listIds(filter: WalletFilter = {}): Promise<string[]> {
    if (this.#absent) return [];
    const where: string[] = [];
    const args: string[] = [];
    if (filter.chain !== undefined) {
      where.push('chain = ?');
      args.push(filter.chain);
    }
    if (filter.network !== undefined) {
      where.push('network = ?');
      args.push(filter.network);
    }
    const sql = `SELECT signatureId FROM wallets${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY signatureId`;
    return this.#query('listIds', () => (prepareCached(this.#db, sql).pluck().all(...args) as string[]));
  }

  async list(): Promise<WalletRecord[]> {
    if (this.#absent) return [];
    return this.#query('list', () => (prepareCached(this.#db, 'SELECT * FROM wallets ORDER BY signatureId').all() as WalletRow[]).map((row) => this.#parseRow(row)));
  }

  async remove(signatureId: string): Promise<boolean> {
    return this.#write('remove', () => prepareCached(this.#db, 'DELETE FROM wallets WHERE signatureId = ?').run(signatureId).changes > 0);
  }

  /** Conditional on `version` (and bumps it) inside one immediate transaction. */
  async replaceSealed(signatureId: string, expectedVersion: number, sealed: Envelope): Promise<WalletRecord> {
    checkExpectedVersion(expectedVersion);
    return this.#write('replaceSealed', () => {
      const current = this.#read(signatureId);
      if (!current) throw new StoreError('NOT_FOUND', `wallet ${signatureId} does not exist; nothing to rotate`, { signatureId });
      if (current.version !== expectedVersion) {
        throw new StoreError('VERSION_MISMATCH', `wallet ${signatureId} is at version ${current.version}, not ${expectedVersion}; nothing was changed`, {
          signatureId,
          expectedVersion,
          actualVersion: current.version,
        });
      }
      const next = checkEnvelopeToStore(current, sealed, this.#registry);
      prepareCached(this.#db, 'UPDATE wallets SET sealed = ?, version = ? WHERE signatureId = ? AND version = ?')
        .run(JSON.stringify(next.sealed), next.version, signatureId, expectedVersion);
      return next;
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase && this.#db.open) this.#db.close();
  }
}
