/**
 * The write side of the DynamoDB ledger: how one plan (ledger-transitions.ts) becomes conditional writes.
 *
 * - A new record: PutItem with `attribute_not_exists(pk)`. A change: a whole-item PutItem with
 *   `revision = <revision read>`. A failed condition is a LostRace: the adapter re-reads and re-plans.
 * - markSigned: one TransactWriteItems holding the record put and one put per spend key, each conditioned
 *   `attribute_not_exists(pk) OR (pendingId = me AND contentHash = mine)`: all of it is stored, or nothing.
 *   A transaction holds at most 100 items; beyond 99 spend keys the first keys are claimed in earlier
 *   transactions of 100 and the last one carries the record. A failure after such a pre-claim deletes the
 *   pre-claimed keys again, in a transaction that also checks the record still has the revision read (keys
 *   of a record that did get signed are never removed). A crash in between leaves keys claimed by a record
 *   that is not SIGNED: they refuse other spends of those outpoints (safe: never a double spend) and are
 *   reused if the same id signs the same bytes.
 * - replaceSigned: the record put and the spend key's update (`pendingId = me AND contentHash = old`) in
 *   one transaction.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { LedgerError } from './ledger.js';
import { decideSpendClaim, type Plan, type SpendClaims } from './ledger-transitions.js';
import { parseSpendItem, spendItem, spendKey, toDynamoStoreError, txItem, txKey, type Item } from './ledger-dynamodb-table.js';

/** DynamoDB's limit of items in one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;

/** A conditional write lost to a concurrent one: re-read and re-plan. */
export class LostRace extends Error {}

export type WritePlan = Plan & { readonly write: true };

function chunk<T>(values: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}

export class LedgerItemWriter {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  /** Sends; AWS failures become StoreErrors, except the two conditional ones the callers interpret. */
  async send<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) throw error;
      throw toDynamoStoreError(error, this.#table, action);
    }
  }

  async getItem(key: Item, action: string): Promise<Item | undefined> {
    const result = await this.send(action, () => this.#client.send(new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true })));
    return result.Item;
  }

  #putTx(plan: WritePlan): TransactWriteItem {
    const previous = plan.previous;
    return {
      Put: {
        TableName: this.#table,
        Item: txItem(plan.record),
        ...(previous === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#revision = :revision', ExpressionAttributeNames: { '#revision': 'revision' }, ExpressionAttributeValues: { ':revision': { N: String(previous.revision) } } }),
      },
    };
  }

  #putSpend(key: string, claims: SpendClaims, now: number): TransactWriteItem {
    return {
      Put: {
        TableName: this.#table,
        Item: spendItem(key, claims, now),
        ConditionExpression: 'attribute_not_exists(pk) OR (pendingId = :pendingId AND contentHash = :contentHash)',
        ExpressionAttributeValues: { ':pendingId': { S: claims.pendingId }, ':contentHash': { S: claims.contentHash } },
      },
    };
  }

  async #transact(action: string, items: TransactWriteItem[]): Promise<void> {
    await this.send(action, () => this.#client.send(new TransactWriteItemsCommand({ TransactItems: items })));
  }

  /** After a cancelled spend transaction: a key held by someone else is a double spend; otherwise it was a race. */
  async #explainCancelledClaims(claims: SpendClaims, keys: readonly string[], action: string): Promise<never> {
    for (const key of keys) {
      const item = await this.getItem(spendKey(key), action);
      decideSpendClaim(key, item ? parseSpendItem(item) : undefined, claims);
    }
    throw new LostRace();
  }

  async #claimAndWrite(plan: WritePlan, claims: SpendClaims, action: string): Promise<void> {
    const now = plan.record.updatedAt;
    const tail = claims.keys.slice(Math.max(0, claims.keys.length - (MAX_TRANSACTION_ITEMS - 1)));
    const head = chunk(claims.keys.slice(0, claims.keys.length - tail.length), MAX_TRANSACTION_ITEMS);
    const preclaimed: string[][] = [];
    try {
      for (const keys of head) {
        try {
          await this.#transact(action, keys.map((key) => this.#putSpend(key, claims, now)));
        } catch (error) {
          if (error instanceof TransactionCanceledException) await this.#explainCancelledClaims(claims, keys, action);
          throw error;
        }
        preclaimed.push(keys);
      }
      try {
        await this.#transact(action, [this.#putTx(plan), ...tail.map((key) => this.#putSpend(key, claims, now))]);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw new LostRace();
        await this.#explainCancelledClaims(claims, tail, action);
      }
    } catch (error) {
      await this.#releasePreclaimed(plan, claims, preclaimed);
      throw error;
    }
  }

  /** Best effort: only while the record still has the revision read (it did not get signed meanwhile). */
  async #releasePreclaimed(plan: WritePlan, claims: SpendClaims, preclaimed: readonly string[][]): Promise<void> {
    const previous = plan.previous;
    if (previous === undefined) return;
    for (const keys of preclaimed) {
      const deletes: TransactWriteItem[] = keys.map((key) => ({
        Delete: {
          TableName: this.#table,
          Key: spendKey(key),
          ConditionExpression: 'pendingId = :pendingId AND contentHash = :contentHash',
          ExpressionAttributeValues: { ':pendingId': { S: claims.pendingId }, ':contentHash': { S: claims.contentHash } },
        },
      }));
      const unchanged: TransactWriteItem = {
        ConditionCheck: {
          TableName: this.#table,
          Key: txKey(previous.id),
          ConditionExpression: '#revision = :revision',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ExpressionAttributeValues: { ':revision': { N: String(previous.revision) } },
        },
      };
      try {
        await this.#transact('releasing pre-claimed spend keys', [unchanged, ...deletes.slice(0, MAX_TRANSACTION_ITEMS - 1)]);
      } catch {
        // The keys stay claimed by this id: they only refuse other spends of the same outpoints.
      }
    }
  }

  async #moveAndWrite(plan: WritePlan, action: string): Promise<void> {
    const move = plan.moveSpend!;
    const update: TransactWriteItem = {
      Update: {
        TableName: this.#table,
        Key: spendKey(move.key),
        UpdateExpression: 'SET contentHash = :to',
        ConditionExpression: 'pendingId = :pendingId AND contentHash = :from',
        ExpressionAttributeValues: { ':to': { S: move.to }, ':from': { S: move.from }, ':pendingId': { S: move.pendingId } },
      },
    };
    try {
      await this.#transact(action, [this.#putTx(plan), update]);
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const item = await this.getItem(spendKey(move.key), action);
      const held = item ? parseSpendItem(item) : undefined;
      if (held?.pendingId === move.pendingId && held.contentHash === move.from) throw new LostRace();
      throw new LedgerError('CONFLICT', `pending transaction ${move.pendingId}: its claim on ${move.key} does not hold the stored raw tx; nothing was changed`, {
        pendingId: move.pendingId,
        spendKey: move.key,
      });
    }
  }

  async writePlan(plan: WritePlan, action: string): Promise<void> {
    if (plan.claimSpends && plan.claimSpends.keys.length > 0) return this.#claimAndWrite(plan, plan.claimSpends, action);
    if (plan.moveSpend) return this.#moveAndWrite(plan, action);
    const put = this.#putTx(plan).Put!;
    try {
      await this.send(action, () => this.#client.send(new PutItemCommand(put)));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LostRace();
      throw error;
    }
  }
}
