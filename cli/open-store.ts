/**
 * The store and key provider of one CLI run, opened lazily: nothing is read, created or asked for until
 * a command touches the store (so bad input is refused before any file exists) or a secret (so read-only
 * commands never prompt for a password or call KMS).
 *
 * - local, `read`: the SQLite file opened read-only; a missing file reads as an empty store and nothing
 *   is created (docs/cli.md). `modify` (removewallet, rotate): writable if the file exists, else empty.
 *   `write`: created if needed (folders 0700, file 0600, WAL), and the key mode chosen on first write.
 * - aws: DynamoDbWalletStore on SIGIL_WALLET_TABLE (its layout checked once) and AwsKmsKeyProvider on
 *   SIGIL_KMS_KEY_ID; AWS_REGION and AWS_ENDPOINT_URL go to both clients.
 */
import { existsSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChainRegistry } from '../lib/chains/registry.js';
import type { AwsStoreConfig, LocalStoreConfig, SigilConfig } from '../lib/config.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import type { KeyProvider } from '../lib/custody/key-provider.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import { DynamoDbWalletStore } from '../lib/store/dynamodb-wallet-store.js';
import { describeWalletTable } from '../lib/store/dynamodb-wallet-table.js';
import { openSqliteDatabase } from '../lib/store/sqlite.js';
import { SqliteSettings } from '../lib/store/sqlite-settings.js';
import { SqliteWalletStore } from '../lib/store/sqlite-wallet-store.js';
import type { WalletFilter, WalletRecord, WalletStore } from '../lib/store/wallet-store.js';
import type { Envelope } from '../lib/custody/envelope-types.js';
import { SigilError } from '../lib/errors.js';
import type { CliIo } from './io.js';
import { establishKeyMode, KEY_MODE_SETTING, KEY_ROTATION_SETTING, KeyModeError, kmsClientOf, parseKeyMode, providerForMode, type KeyMode } from './local-keys.js';

export type StoreAccess = 'read' | 'modify' | 'write';

/** A store with no wallets: what a read-only command sees where there is no database file. */
const EMPTY_STORE: WalletStore = {
  put: async () => readOnly(),
  putMany: async () => readOnly(),
  get: async () => undefined,
  listIds: async () => [],
  list: async () => [],
  remove: async () => false,
  replaceSealed: async () => readOnly(),
  close: async () => {},
};

function readOnly(): never {
  throw new SigilError('STORE_UNAVAILABLE', 'this command opened the store read-only');
}

interface OpenedLocal {
  readonly store: WalletStore;
  readonly settings: SqliteSettings | undefined;
}

export interface StoreHandle {
  readonly store: WalletStore;
  /** The provider of this store's key (memoized; asked for only when a secret is touched). */
  readonly keys: () => Promise<KeyProvider>;
  /** The local store's settings (undefined for aws, or a missing local file). */
  settings(): Promise<SqliteSettings | undefined>;
  /** Open the store now (checkconfig: does it exist, is it usable). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A WalletStore that opens the real one on first use. */
class LazyStore implements WalletStore {
  #opened: Promise<WalletStore> | undefined;
  constructor(private readonly open: () => Promise<WalletStore>) {}
  async ready(): Promise<void> {
    await this.#store();
  }
  #store(): Promise<WalletStore> {
    this.#opened ??= this.open();
    return this.#opened;
  }
  async put(record: WalletRecord) {
    return (await this.#store()).put(record);
  }
  async putMany(records: readonly WalletRecord[]) {
    return (await this.#store()).putMany(records);
  }
  async get(signatureId: string) {
    return (await this.#store()).get(signatureId);
  }
  async listIds(filter?: WalletFilter) {
    return (await this.#store()).listIds(filter);
  }
  async list() {
    return (await this.#store()).list();
  }
  async remove(signatureId: string) {
    return (await this.#store()).remove(signatureId);
  }
  async replaceSealed(signatureId: string, expectedVersion: number, sealed: Envelope) {
    return (await this.#store()).replaceSealed(signatureId, expectedVersion, sealed);
  }
  async close() {
    // A store that failed to open has nothing to close (its error was already reported).
    const store = await this.#opened?.catch(() => undefined);
    await store?.close();
  }
}

function openLocal(config: LocalStoreConfig, access: StoreAccess, registry: ChainRegistry): OpenedLocal {
  const writable = access === 'write' || (access === 'modify' && existsSync(config.path));
  const db = openSqliteDatabase(config.path, { readonly: !writable });
  if (db === 'missing') return { store: EMPTY_STORE, settings: undefined };
  try {
    return { store: new SqliteWalletStore(db, { ownsDatabase: true, registry }), settings: new SqliteSettings(db) };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The key mode a local store recorded (undefined before its first write). */
export function recordedKeyMode(settings: SqliteSettings | undefined): { mode?: KeyMode; rotation?: KeyMode } {
  const mode = settings?.get(KEY_MODE_SETTING);
  const rotation = settings?.get(KEY_ROTATION_SETTING);
  return {
    ...(mode !== undefined ? { mode: parseKeyMode(mode, KEY_MODE_SETTING) } : {}),
    ...(rotation !== undefined ? { rotation: parseKeyMode(rotation, KEY_ROTATION_SETTING) } : {}),
  };
}

function localHandle(config: SigilConfig & { store: LocalStoreConfig }, io: CliIo, access: StoreAccess, options: OpenStoreOptions): StoreHandle {
  let opened: OpenedLocal | undefined;
  const open = (): OpenedLocal => (opened ??= openLocal(config.store, access, options.registry));
  const store = new LazyStore(async () => open().store);
  let provider: Promise<KeyProvider> | undefined;
  const resolveKeys = async (): Promise<KeyProvider> => {
    const { settings } = open();
    const { mode, rotation } = recordedKeyMode(settings);
    if (rotation && !options.allowPendingRotation) {
      throw new KeyModeError('a key rotation of this store was interrupted: run `sigil rotate` again with the same target to finish it');
    }
    if (mode) return providerForMode(mode, { config, io });
    if (!settings || access === 'read') throw new KeyModeError('this store has no key yet (it is chosen when the first wallet is stored)');
    return establishKeyMode(settings, { config, io });
  };
  return {
    store,
    keys: () => (provider ??= resolveKeys()),
    settings: async () => open().settings,
    ready: () => store.ready(),
    close: async () => {
      const resolved = await provider?.catch(() => undefined);
      if (resolved instanceof LocalKeyProvider) resolved.close();
      await store.close();
    },
  };
}

function awsHandle(config: SigilConfig & { store: AwsStoreConfig }, registry: ChainRegistry): StoreHandle {
  const clientConfig = { ...(config.aws.region ? { region: config.aws.region } : {}), ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) };
  let client: DynamoDBClient | undefined;
  const store = new LazyStore(async () => {
    client = new DynamoDBClient(clientConfig);
    await describeWalletTable(client, config.store.table);
    return new DynamoDbWalletStore({ client, tableName: config.store.table, registry });
  });
  let provider: Promise<KeyProvider> | undefined;
  return {
    store,
    keys: () => (provider ??= Promise.resolve(new AwsKmsKeyProvider({ client: kmsClientOf(config), keyId: config.store.kmsKeyId }))),
    settings: async () => undefined,
    ready: () => store.ready(),
    close: async () => {
      await store.close();
      client?.destroy();
    },
  };
}

export interface OpenStoreOptions {
  /** The chains records may name (the CLI's registry). */
  readonly registry: ChainRegistry;
  /** Only `rotate` may open the key of a store whose rotation is unfinished. */
  readonly allowPendingRotation?: boolean;
}

export function openStore(config: SigilConfig, io: CliIo, access: StoreAccess, options: OpenStoreOptions): StoreHandle {
  const store = config.store;
  return store.kind === 'local' ? localHandle({ ...config, store }, io, access, options) : awsHandle({ ...config, store }, options.registry);
}
