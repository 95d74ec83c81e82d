/**
 * DynamoDbWalletActivity on moto_server (or LocalStack via AWS_ENDPOINT_URL): the contract, then the item
 * layout (one entry item keyed by pendingId, markers that never expire, TTL on entries), paging through
 * small Query pages, and refusing items of a newer schema.
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../lib/store/store-error.js';
import { ACTIVITY_RETENTION_MS } from '../../lib/store/wallet-activity.js';
import { ACTIVITY_TIME_INDEX, createActivityTable, DynamoDbWalletActivity } from '../../lib/store/wallet-activity-dynamodb.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { describeWalletActivityContract } from '../contract/wallet-activity.contract.js';

/**
 * moto_server applies a conditional write as check-then-set without a lock (see dynamodb-ledger.test.ts);
 * one shared connection makes each request atomic, as DynamoDB's item writes are. Concurrent callers'
 * requests still interleave between one caller's read and its conditional write.
 */
const oneConnection = new Agent({ keepAlive: true, maxSockets: 1 });
const client = new DynamoDBClient({ ...awsClientConfig(), requestHandler: { httpAgent: oneConnection } });
const table = uniqueName('sigil-activity');
const pid = () => randomBytes(12).toString('hex');
const T0 = 1_750_000_000_000;

describe.skipIf(!awsEndpoint)('DynamoDbWalletActivity (moto_server)', () => {
  beforeAll(async () => {
    await createActivityTable(client, table);
  });

  describeWalletActivityContract({ name: 'dynamodb', create: () => new DynamoDbWalletActivity({ client, tableName: table }) });

  it('creates the table with the time index and TTL on expiresAt', async () => {
    const described = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
    expect(described?.KeySchema).toEqual([
      { AttributeName: 'wallet', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(described?.LocalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([ACTIVITY_TIME_INDEX]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
  });

  it('stores one entry item keyed by pendingId with a TTL, and markers without one', async () => {
    const store = new DynamoDbWalletActivity({ client, tableName: table });
    const wallet = randomUUID();
    const pendingId = pid();
    await store.record({ wallet, pendingId, chain: 'ETH', at: T0, amount: '5', destinations: ['0xabc'] });
    const get = async (sk: string) => (await client.send(new GetItemCommand({ TableName: table, Key: { wallet: { S: wallet }, sk: { S: sk } }, ConsistentRead: true }))).Item;
    const item = await get(`tx#${pendingId}`);
    expect(item?.expiresAt?.N).toBe(String((T0 + ACTIVITY_RETENTION_MS) / 1000));
    expect(item?.timeKey?.S).toBe(`000${T0}#${pendingId}`);
    const marker = await get('dest#0xabc');
    expect(marker?.first?.S).toBe(pendingId);
    expect(marker?.expiresAt).toBeUndefined();
  });

  it('pages through Query results up to the limit, with exclusion across pages', async () => {
    const store = new DynamoDbWalletActivity({ client, tableName: table, pageSize: 2 });
    const wallet = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const pendingId = pid();
      ids.unshift(pendingId);
      await store.record({ wallet, pendingId, chain: 'BTC', at: T0 + i, amount: String(i), destinations: [] });
    }
    expect((await store.since(wallet, 0)).map((e) => e.pendingId)).toEqual(ids);
    expect((await store.since(wallet, 0, { limit: 5 })).map((e) => e.pendingId)).toEqual(ids.slice(0, 5));
    expect((await store.since(wallet, 0, { limit: 3, excludePendingId: ids[1]! })).map((e) => e.pendingId)).toEqual([ids[0], ids[2], ids[3]]);
    expect((await store.since(wallet, T0 + 3)).map((e) => e.pendingId)).toEqual(ids.slice(0, 3));
  });

  it('refuses an entry of a newer schema as UNSUPPORTED_SCHEMA', async () => {
    const store = new DynamoDbWalletActivity({ client, tableName: table });
    const wallet = randomUUID();
    const pendingId = pid();
    await store.record({ wallet, pendingId, chain: 'ETH', at: T0, amount: '5', destinations: [] });
    await client.send(
      new UpdateItemCommand({ TableName: table, Key: { wallet: { S: wallet }, sk: { S: `tx#${pendingId}` } }, UpdateExpression: 'SET #s = :two', ExpressionAttributeNames: { '#s': 'schema' }, ExpressionAttributeValues: { ':two': { N: '2' } } }),
    );
    const error = await store.since(wallet, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('UNSUPPORTED_SCHEMA');
  });

  it('reports a missing table as STORE_UNAVAILABLE', async () => {
    const store = new DynamoDbWalletActivity({ client, tableName: uniqueName('missing') });
    const error = await store.record({ wallet: randomUUID(), pendingId: pid(), chain: 'ETH', at: T0, amount: '5', destinations: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('STORE_UNAVAILABLE');
  });
});
