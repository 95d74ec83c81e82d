/**
 * WalletActivity on DynamoDB: its own table, partition key `wallet` (S), sort key `sk` (S), two kinds of
 * item under each wallet:
 *
 *   tx#<pendingId>      entry:  schema, pendingId, chain, at, amount, destinations (L of S), timeKey, expiresAt
 *   dest#<destination>  marker: schema, destination, first, [second]                 (never expires)
 *
 * The entry is keyed by pendingId, not by time, because `record` is idempotent on (wallet, pendingId) even
 * when a retry carries another `at`; the local secondary index `byTime` (wallet, timeKey = `<at, 16
 * digits>#<pendingId>`, projection ALL; only entries carry timeKey) gives `since` its newest-first order and
 * strongly consistent reads. A destination longer than 900 characters (a `script:<hex>` output) is keyed by
 * `dest#sha256:<hex of its SHA-256>`; DynamoDB sort keys hold at most 1024 bytes.
 *
 * Timeline of a record (each step conditional, so a crash or a race at any point is repaired by a retry):
 *
 *     Put tx#P if absent ─ exists? same content → go on (a retry); other content → CONFLICT
 *     per destination D: Put dest#D {first: P} if absent ─ created → first-time
 *                        exists with first = P → first-time (P's own earlier attempt)
 *                        exists, first ≠ P, no second → Put {…, second: P} if still so (once per D, ever)
 *
 * The entry goes first: a crash before the markers leaves D looking new to the next transaction — a false
 * "first-time" alert, never a missed one. TTL `expiresAt` (epoch s) = at + ACTIVITY_RETENTION_MS on entries.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from './store-error.js';
import {
  ACTIVITY_SCHEMA_VERSION,
  checkActivityEntry,
  checkDestination,
  checkPendingId,
  checkSinceArguments,
  checkWallet,
  sameTransaction,
  timeKeyAfter,
  type ActivityEntry,
  type ActivitySinceOptions,
  type WalletActivity,
} from './wallet-activity.js';
import { waitUntilTableActive } from './dynamodb-table-ready.js';
import {
  ACTIVITY_TIME_INDEX,
  ACTIVITY_TTL_ATTRIBUTE,
  entryItem,
  entrySk,
  markerSk,
  parseEntryItem,
  parseMarker,
  unavailable,
  type Item,
  type Marker,
} from './wallet-activity-dynamodb-items.js';

export { ACTIVITY_TIME_INDEX, ACTIVITY_TTL_ATTRIBUTE } from './wallet-activity-dynamodb-items.js';

const MARKER_CONCURRENCY = 8;
const PAGE_SIZE = 1000;

export interface DynamoDbWalletActivityOptions {
  readonly client: DynamoDBClient;
  /** A table made by `createActivityTable` (or the stack's ActivityTable). */
  readonly tableName: string;
  /** Items per Query page (default 1000; tests use small pages to exercise paging). */
  readonly pageSize?: number;
}

export class DynamoDbWalletActivity implements WalletActivity {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #pageSize: number;

  constructor(options: DynamoDbWalletActivityOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
  }

  async record(entry: ActivityEntry): Promise<{ readonly firstTimeDestinations: readonly string[] }> {
    const checked = checkActivityEntry(entry);
    const action = `recording wallet activity of pending ${checked.pendingId}`;
    try {
      const stored = await this.#putEntry(checked);
      const firstTime: boolean[] = new Array<boolean>(stored.destinations.length).fill(false);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < stored.destinations.length; i = next++) firstTime[i] = await this.#mark(checked.wallet, stored.destinations[i] as string, checked.pendingId);
      };
      await Promise.all(Array.from({ length: Math.min(MARKER_CONCURRENCY, stored.destinations.length) }, worker));
      return { firstTimeDestinations: stored.destinations.filter((_, i) => firstTime[i]) };
    } catch (error) {
      throw unavailable(error, this.#table, action);
    }
  }

  /** The entry as stored: this one, or the same transaction recorded before. */
  async #putEntry(entry: ActivityEntry): Promise<ActivityEntry> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: entryItem(entry),
          ConditionExpression: 'attribute_not_exists(sk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return entry;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ?? (await this.#get(entry.wallet, entrySk(entry.pendingId)));
      if (!old) throw new StoreError('STORE_UNAVAILABLE', `activity entry ${entry.pendingId} was reported present but cannot be read`, { pendingId: entry.pendingId });
      const stored = parseEntryItem(old);
      if (!sameTransaction(stored, entry)) {
        throw new StoreError('CONFLICT', `wallet activity for pending ${entry.pendingId} is already recorded with another chain, amount or destinations`, { pendingId: entry.pendingId });
      }
      return stored;
    }
  }

  /** Mark `destination` as sent to by `pendingId`; true when that makes it first-time for this pendingId. */
  async #mark(wallet: string, destination: string, pendingId: string): Promise<boolean> {
    const key = { wallet: { S: wallet }, sk: { S: markerSk(destination) } };
    const base = { ...key, kind: { S: 'dest' }, schema: { N: String(ACTIVITY_SCHEMA_VERSION) }, destination: { S: destination } };
    let marker: Marker;
    try {
      await this.#client.send(
        new PutItemCommand({ TableName: this.#table, Item: { ...base, first: { S: pendingId } }, ConditionExpression: 'attribute_not_exists(sk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ?? (await this.#get(wallet, key.sk.S));
      if (!old) return false;
      marker = parseMarker(old);
    }
    if (marker.first === pendingId) return true;
    if (marker.second === undefined) {
      await this.#client
        .send(
          new PutItemCommand({
            TableName: this.#table,
            Item: { ...base, first: { S: marker.first }, second: { S: pendingId } },
            ConditionExpression: '#first = :first AND attribute_not_exists(#second)',
            ExpressionAttributeNames: { '#first': 'first', '#second': 'second' },
            ExpressionAttributeValues: { ':first': { S: marker.first } },
          }),
        )
        .catch((error: unknown) => {
          // Another writer set `second` first: one other sender is all the marker needs.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
    }
    return false;
  }

  async #get(wallet: string, sk: string): Promise<Item | undefined> {
    const out = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { wallet: { S: wallet }, sk: { S: sk } }, ConsistentRead: true }));
    return out.Item;
  }

  async since(wallet: string, sinceMs: number, options: ActivitySinceOptions = {}): Promise<ActivityEntry[]> {
    const args = checkSinceArguments(wallet, sinceMs, options);
    const out: ActivityEntry[] = [];
    let start: Item | undefined;
    try {
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: ACTIVITY_TIME_INDEX,
            // Key values may not be empty: "everything" (sinceMs < 0) is the wallet alone.
            ...(args.sinceMs < 0
              ? { KeyConditionExpression: '#wallet = :wallet', ExpressionAttributeNames: { '#wallet': 'wallet' }, ExpressionAttributeValues: { ':wallet': { S: args.wallet } } }
              : {
                  KeyConditionExpression: '#wallet = :wallet AND #time > :after',
                  ExpressionAttributeNames: { '#wallet': 'wallet', '#time': 'timeKey' },
                  ExpressionAttributeValues: { ':wallet': { S: args.wallet }, ':after': { S: timeKeyAfter(args.sinceMs) } },
                }),
            ScanIndexForward: false,
            ConsistentRead: true,
            Limit: Math.min(this.#pageSize, args.limit - out.length + (args.exclude !== undefined ? 1 : 0)),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const entry = parseEntryItem(item);
          if (entry.pendingId !== args.exclude && out.length < args.limit) out.push(entry);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined && out.length < args.limit);
    } catch (error) {
      throw unavailable(error, this.#table, 'reading wallet activity');
    }
    return out;
  }

  async hasSentTo(wallet: string, destination: string, options: { readonly excludePendingId?: string } = {}): Promise<boolean> {
    const id = checkWallet(wallet);
    checkDestination(destination);
    const exclude = options.excludePendingId === undefined ? undefined : checkPendingId(options.excludePendingId, 'excludePendingId');
    let item: Item | undefined;
    try {
      item = await this.#get(id, markerSk(destination));
    } catch (error) {
      throw unavailable(error, this.#table, 'reading wallet activity');
    }
    if (!item) return false;
    const marker = parseMarker(item);
    return marker.first !== exclude || marker.second !== undefined;
  }

  /** The DynamoDB client belongs to the caller. */
  async close(): Promise<void> {}
}

/**
 * Create an activity table as the stack does (tests, local setups): PAY_PER_REQUEST, server-side
 * encryption, the `byTime` local index, TTL on expiresAt. Waits until the table is ACTIVE.
 */
export async function createActivityTable(client: DynamoDBClient, name: string, timeoutMs = 30_000): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { Enabled: true },
        AttributeDefinitions: [
          { AttributeName: 'wallet', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'timeKey', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'wallet', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: ACTIVITY_TIME_INDEX,
            KeySchema: [
              { AttributeName: 'wallet', KeyType: 'HASH' },
              { AttributeName: 'timeKey', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableActive(client, name, 'activity', timeoutMs);
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: ACTIVITY_TTL_ATTRIBUTE } }));
  } catch (error) {
    throw unavailable(error, name, 'createActivityTable');
  }
}
