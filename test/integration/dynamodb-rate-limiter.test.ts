/**
 * The RateLimiter contract on DynamoDB (moto_server, or LocalStack via AWS_ENDPOINT_URL). Each limiter
 * gets its own DynamoDBClient, as separate Lambda containers would: sharing goes through the table's
 * conditional writes, never through memory.
 */
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimitTable, DynamoDbRateLimiter } from '../../lib/store/rate-limit-dynamodb.js';
import { StoreError } from '../../lib/store/store-error.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { describeRateLimiterContract } from '../contract/rate-limiter.contract.js';

const tableName = uniqueName('sigil-ratelimit');
const clients: DynamoDBClient[] = [];

function client(): DynamoDBClient {
  const c = new DynamoDBClient(awsClientConfig());
  clients.push(c);
  return c;
}

describe.skipIf(!awsEndpoint)('DynamoDbRateLimiter', () => {
  beforeAll(async () => {
    await createRateLimitTable(client(), tableName);
  });

  afterAll(async () => {
    await client().send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    for (const c of clients) c.destroy();
  });

  describeRateLimiterContract({
    name: 'dynamodb (one table, several clients)',
    create: (options) => new DynamoDbRateLimiter({ ...options, client: client(), tableName }),
  });

  it('createRateLimitTable is idempotent and refuses a table of another layout', async () => {
    await createRateLimitTable(client(), tableName);
    const other = uniqueName('sigil-other');
    await client().send(
      new CreateTableCommand({
        TableName: other,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const error = await createRateLimitTable(client(), other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('TABLE_MISMATCH');
    await client().send(new DeleteTableCommand({ TableName: other }));
  });

  it('stores one item per bucket holding only tat and a write counter, advanced by every writer', async () => {
    const a = new DynamoDbRateLimiter({ ratePerSecond: 1000, burst: 100, client: client(), tableName });
    const b = new DynamoDbRateLimiter({ ratePerSecond: 1000, burst: 100, client: client(), tableName });
    const key = uniqueName('bucket');
    await a.acquire(key);
    await b.acquire(key); // b knows nothing: its create-only write conflicts, then it re-plans
    await a.acquire(key); // a's cached version is stale: conflict, re-plan
    const out = await client().send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `bucket#${key}` } }, ConsistentRead: true }));
    expect(Object.keys(out.Item ?? {}).sort()).toEqual(['pk', 'tat', 'ver']);
    expect(out.Item?.ver?.N).toBe('3');
  });

  it('reports an unusable table as STORE_UNAVAILABLE', async () => {
    const limiter = new DynamoDbRateLimiter({ ratePerSecond: 10, burst: 1, client: client(), tableName: uniqueName('missing') });
    const error = await limiter.acquire('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('STORE_UNAVAILABLE');
  });
});
