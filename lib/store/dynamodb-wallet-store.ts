/**
 * WalletStore on DynamoDB (layout in docs/store.md and dynamodb-wallet-table.ts): one item per
 * signatureId, the envelope as a map, and `chainNetwork` ("BTC#mainnet") for the KEYS_ONLY index
 * `byChainNetwork`, so that the poller lists ids without ever reading a sealed secret.
 *
 * Every write is conditional (the port's invariants): create-only puts with attribute_not_exists, a
 * rotation conditioned on version. A failed condition is read back (strongly consistent) to tell
 * 'unchanged' from a conflict. The client is injected and owned by the caller.
 */
import {
  DeleteItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ChainRegistry } from '../chains/registry.js';
import type { Envelope } from '../custody/envelope-types.js';
import type { WalletFilter, WalletRecord, WalletStore } from './wallet-store.js';
import { toAttributeValue } from './dynamodb-codec.js';
import { walletRecordsEqual } from './record-codec.js';
import { StoreError, WalletConflictError } from './store-error.js';
import { dynamoErrorName, toDynamoStoreError } from './dynamodb-wallet-table.js';
import { MAX_ATTEMPTS, listWalletIds, pause, readWallet, readWallets, scanWallets, sendToTable, walletToItem, type WalletTableAccess } from './dynamodb-wallet-items.js';
import { checkEnvelopeToStore, checkExpectedVersion, checkRecordToStore, conflictMessage, expandBatchResults, planBatch, type PutResult } from './write-checks.js';

/** TransactWriteItems accepts at most 100 actions. */
export const TRANSACTION_LIMIT = 100;

export interface DynamoDbWalletStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly registry?: Pick<ChainRegistry, 'has'>;
}

export class DynamoDbWalletStore implements WalletStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #registry: Pick<ChainRegistry, 'has'> | undefined;

  constructor(options: DynamoDbWalletStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#registry = options.registry;
  }

  get #access(): WalletTableAccess {
    return { client: this.#client, table: this.#table, registry: this.#registry };
  }

  #read(signatureId: string): Promise<WalletRecord | undefined> {
    return readWallet(this.#access, signatureId);
  }

  #readMany(ids: readonly string[]): Promise<Map<string, WalletRecord>> {
    return readWallets(this.#access, ids);
  }

  /** An existing record decides: identical → 'unchanged', different → conflict. */
  #judgeExisting(record: WalletRecord, existing: WalletRecord, message: string): 'unchanged' {
    if (walletRecordsEqual(existing, record)) return 'unchanged';
    throw new WalletConflictError(record.signatureId, message);
  }

  async put(record: WalletRecord): Promise<PutResult> {
    const checked = checkRecordToStore(record, this.#registry);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: walletToItem(checked),
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': 'signatureId' },
          }),
        );
        return 'created';
      } catch (error) {
        if (dynamoErrorName(error) !== 'ConditionalCheckFailedException') throw toDynamoStoreError(error, this.#table, 'put');
      }
      const existing = await this.#read(checked.signatureId);
      if (existing) return this.#judgeExisting(checked, existing, conflictMessage(checked.signatureId, false));
      // Removed between our write and our read: try the create again.
    }
    throw new StoreError('STORE_UNAVAILABLE', `put of wallet ${checked.signatureId}: the item kept changing under concurrent writes`, { signatureId: checked.signatureId });
  }

  /**
   * All or nothing up to TRANSACTION_LIMIT records (one TransactWriteItems). A larger batch is written in
   * chunks that are each atomic but not atomic together: the whole batch is first read back so that a
   * conflict anywhere stops it before any write, and each chunk skips records already stored identically,
   * so a retry after a failure part way completes the batch.
   */
  async putMany(records: readonly WalletRecord[]): Promise<PutResult[]> {
    const plan = planBatch(records, this.#registry);
    const results = new Map<string, PutResult>();
    let toWrite = plan.unique;
    if (plan.unique.length > TRANSACTION_LIMIT) {
      const existing = await this.#readMany(plan.unique.map((r) => r.signatureId));
      toWrite = plan.unique.filter((record) => {
        const stored = existing.get(record.signatureId);
        if (!stored) return true;
        results.set(record.signatureId, this.#judgeExisting(record, stored, conflictMessage(record.signatureId, true)));
        return false;
      });
    }
    let written = 0;
    for (let start = 0; start < toWrite.length; start += TRANSACTION_LIMIT) {
      const chunk = toWrite.slice(start, start + TRANSACTION_LIMIT);
      const message = (id: string) =>
        written === 0
          ? conflictMessage(id, true)
          : `${conflictMessage(id, false)}; ${written} record(s) of this batch were already written by earlier chunks (a batch over ${TRANSACTION_LIMIT} is not atomic); once the conflict is resolved, a retry of the batch completes it`;
      for (const [id, status] of await this.#writeChunk(chunk, message)) results.set(id, status);
      written += chunk.length;
    }
    return expandBatchResults(
      plan,
      plan.unique.map((r) => results.get(r.signatureId)!),
    );
  }

  /** One TransactWriteItems of create-only puts; a cancellation is read back and the rest retried. */
  async #writeChunk(chunk: readonly WalletRecord[], message: (id: string) => string): Promise<Map<string, PutResult>> {
    const results = new Map<string, PutResult>();
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        throw new StoreError('STORE_UNAVAILABLE', `putMany on table ${this.#table}: the transaction kept being cancelled by concurrent writes`, { table: this.#table });
      }
      try {
        await this.#client.send(
          new TransactWriteItemsCommand({
            TransactItems: pending.map((record) => ({
              Put: {
                TableName: this.#table,
                Item: walletToItem(record),
                ConditionExpression: 'attribute_not_exists(#id)',
                ExpressionAttributeNames: { '#id': 'signatureId' },
              },
            })),
          }),
        );
        for (const record of pending) results.set(record.signatureId, 'created');
        return results;
      } catch (error) {
        if (dynamoErrorName(error) !== 'TransactionCanceledException') throw toDynamoStoreError(error, this.#table, 'putMany');
      }
      // Nothing of `pending` was written. Records now present decide; the others are tried again (a
      // cancellation with none present was a TransactionConflict with another writer: back off).
      const existing = await this.#readMany(pending.map((r) => r.signatureId));
      for (const [id, stored] of existing) {
        results.set(id, this.#judgeExisting(pending.find((r) => r.signatureId === id)!, stored, message(id)));
      }
      if (existing.size === 0) await pause(attempt);
      pending = pending.filter((record) => !existing.has(record.signatureId));
    }
    return results;
  }

  async get(signatureId: string): Promise<WalletRecord | undefined> {
    return this.#read(signatureId);
  }

  /** Ids only, never a sealed secret (see listWalletIds). */
  async listIds(filter: WalletFilter = {}): Promise<string[]> {
    return listWalletIds(this.#access, filter);
  }

  async list(): Promise<WalletRecord[]> {
    return scanWallets(this.#access);
  }

  async remove(signatureId: string): Promise<boolean> {
    const out = await sendToTable(this.#table, 'remove', () =>
      this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { signatureId: { S: signatureId } }, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  /**
   * Read (a damaged record is refused, as everywhere), then update on condition that version, schema,
   * publicHash and createdAt are still what was read: a concurrent rotation, or a remove and re-create
   * under the same id, makes the condition fail and nothing is changed.
   */
  async replaceSealed(signatureId: string, expectedVersion: number, sealed: Envelope): Promise<WalletRecord> {
    checkExpectedVersion(expectedVersion);
    const current = await this.#read(signatureId);
    if (!current) throw new StoreError('NOT_FOUND', `wallet ${signatureId} does not exist; nothing to rotate`, { signatureId });
    const mismatch = (actualVersion: number) =>
      new StoreError('VERSION_MISMATCH', `wallet ${signatureId} is at version ${actualVersion}, not ${expectedVersion}; nothing was changed`, {
        signatureId,
        expectedVersion,
        actualVersion,
      });
    if (current.version !== expectedVersion) throw mismatch(current.version);
    const next = checkEnvelopeToStore(current, sealed, this.#registry);
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { signatureId: { S: signatureId } },
          UpdateExpression: 'SET #sealed = :sealed, #version = :next',
          ConditionExpression: '#version = :expected AND #schema = :schema AND #publicHash = :publicHash AND #createdAt = :createdAt',
          ExpressionAttributeNames: { '#sealed': 'sealed', '#version': 'version', '#schema': 'schema', '#publicHash': 'publicHash', '#createdAt': 'createdAt' },
          ExpressionAttributeValues: {
            ':sealed': toAttributeValue(next.sealed),
            ':next': { N: String(next.version) },
            ':expected': { N: String(expectedVersion) },
            ':schema': { N: String(current.schema) },
            ':publicHash': { S: current.publicHash },
            ':createdAt': { S: current.createdAt },
          },
        }),
      );
      return next;
    } catch (error) {
      if (dynamoErrorName(error) !== 'ConditionalCheckFailedException') throw toDynamoStoreError(error, this.#table, 'replaceSealed');
    }
    const now = await this.#read(signatureId);
    if (!now) throw new StoreError('NOT_FOUND', `wallet ${signatureId} was removed during the rotation; nothing was changed`, { signatureId });
    if (now.version !== expectedVersion) throw mismatch(now.version);
    throw new StoreError('VERSION_MISMATCH', `wallet ${signatureId} was removed and re-created during the rotation; nothing was changed`, {
      signatureId,
      expectedVersion,
      actualVersion: now.version,
    });
  }

  /** The injected client belongs to the caller, who destroys it. */
  async close(): Promise<void> {}
}
