/**
 * The RateLimiter port on DynamoDB (lib/tatum/rate-limiter.ts has the algorithm), shared by every Lambda
 * container and daemon on one API key. One item per bucket:
 *
 *     { pk: "bucket#<key>", tat: <N, ms since the epoch>, ver: <N, write counter> }
 *
 * A reservation is an optimistic read-modify-write: compute the new `tat` from the last known item, then
 * PutItem conditioned on `ver` being what was read (or on the item not existing). Timeline of a race:
 *
 *     A: knows ver 7 ──────────── Put ver 8 if ver = 7 ✓
 *     B: knows ver 7 ─────────────────── Put ver 8 if ver = 7 ✗ (ConditionalCheckFailed, returns ver 8)
 *     B: re-plans from ver 8 ─────────── Put ver 9 if ver = 8 ✓
 *
 * so no two reservations are computed from the same state, and the bound of the GCRA holds across
 * writers. The failed write returns the current item (ReturnValuesOnConditionCheckFailure), so a conflict
 * costs one round trip; each container caches the last item it wrote, so an uncontended reservation is
 * one PutItem. After a few conflicts in a row a writer pauses a jittered moment; after `maxConflicts`
 * it gives up with STORE_UNAVAILABLE. Bucket items are tiny and few (one per API key): no TTL.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SigilError } from '../errors.js';
import { checkAcquire, planReservation, rateLimitConfig, type RateLimitConfig, type RateLimiter, type RateLimitOptions } from '../tatum/rate-limiter.js';
import { StoreError } from './store-error.js';

export interface DynamoDbRateLimiterOptions extends RateLimitOptions {
  readonly client: DynamoDBClient;
  /** A table made by `createRateLimitTable` (partition key `pk`, string). */
  readonly tableName: string;
  /** Conflicting writes tolerated per acquisition before STORE_UNAVAILABLE. Default 50. */
  readonly maxConflicts?: number;
  /** Uniform in [0, 1): the pause after repeated conflicts. */
  readonly random?: () => number;
}

interface BucketState {
  readonly tat: number;
  readonly ver: number;
}

function awsName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

function unavailable(tableName: string, action: string, error: unknown): SigilError {
  if (error instanceof SigilError) return error;
  return new StoreError('STORE_UNAVAILABLE', `${action}: DynamoDB table ${tableName} failed (${awsName(error)})`, { table: tableName, action, aws: awsName(error) }, { cause: error });
}

export class DynamoDbRateLimiter implements RateLimiter {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #config: RateLimitConfig;
  readonly #maxConflicts: number;
  readonly #random: () => number;
  readonly #known = new Map<string, BucketState>();

  constructor(options: DynamoDbRateLimiterOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#config = rateLimitConfig(options);
    this.#maxConflicts = options.maxConflicts ?? 50;
    this.#random = options.random ?? Math.random;
  }

  async acquire(key: string, tokens = 1): Promise<void> {
    checkAcquire(key, tokens);
    const pk = { S: `bucket#${key}` };
    let known: BucketState | null = this.#known.get(key) ?? null;
    for (let conflicts = 0; ; ) {
      // Stale knowledge only under-estimates `tat` (it never decreases), so a RateLimitWaitError from a
      // stale plan would also come from a fresh one; a plan that passes is re-checked by the condition.
      const plan = planReservation(key, known?.tat ?? null, this.#config.clock(), tokens, this.#config);
      const next: BucketState = { tat: plan.tat, ver: (known?.ver ?? 0) + 1 };
      try {
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: { pk, tat: { N: String(next.tat) }, ver: { N: String(next.ver) } },
            ...(known
              ? { ConditionExpression: 'ver = :ver', ExpressionAttributeValues: { ':ver': { N: String(known.ver) } } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.#known.set(key, next);
        if (plan.waitMs > 0) await this.#config.sleep(plan.waitMs);
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(this.#table, `reserving tokens in bucket ${key}`, error);
        conflicts++;
        if (conflicts > this.#maxConflicts) {
          throw new StoreError('STORE_UNAVAILABLE', `rate limit bucket ${key} in ${this.#table} kept changing under ${this.#maxConflicts} attempts`, {
            table: this.#table,
            key,
            conflicts: this.#maxConflicts,
          });
        }
        known = error.Item ? this.#decode(error.Item, key) : await this.#read(pk, key);
        if (conflicts >= 3) await this.#config.sleep(Math.floor(this.#random() * Math.min(50, 2 * conflicts)));
      }
    }
  }

  async #read(pk: AttributeValue, key: string): Promise<BucketState | null> {
    try {
      const out = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk }, ConsistentRead: true }));
      return out.Item ? this.#decode(out.Item, key) : null;
    } catch (error) {
      throw unavailable(this.#table, `reading bucket ${key}`, error);
    }
  }

  #decode(item: Record<string, AttributeValue>, key: string): BucketState {
    const tat = Number(item.tat?.N);
    const ver = Number(item.ver?.N);
    if (!Number.isFinite(tat) || !Number.isSafeInteger(ver) || ver < 0) {
      throw new StoreError('CORRUPT_RECORD', `rate limit bucket ${key} in ${this.#table} lacks a numeric tat or ver`, { table: this.#table, key });
    }
    return { tat, ver };
  }
}

/**
 * Create the rate-limit table (on-demand billing, partition key `pk` of type S) unless it exists, wait
 * until it is ACTIVE, and check its key schema (TABLE_MISMATCH when another layout holds the name).
 */
export async function createRateLimitTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (awsName(error) !== 'ResourceInUseException') throw unavailable(tableName, 'creating the rate limit table', error);
  }
  let description;
  try {
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
    description = await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    throw unavailable(tableName, 'waiting for the rate limit table', error);
  }
  const keys = description.Table?.KeySchema ?? [];
  const pkType = description.Table?.AttributeDefinitions?.find((a) => a.AttributeName === 'pk')?.AttributeType;
  if (keys.length !== 1 || keys[0]?.AttributeName !== 'pk' || keys[0]?.KeyType !== 'HASH' || pkType !== 'S') {
    throw new StoreError('TABLE_MISMATCH', `DynamoDB table ${tableName} exists with another key schema than the rate limit table's (pk: S, HASH only)`, { table: tableName });
  }
}
