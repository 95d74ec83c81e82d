import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbWalletStore } from '../../lib/store/dynamodb-wallet-store.js';
import { createWalletTable, describeWalletTable, WALLET_INDEX_NAME } from '../../lib/store/dynamodb-wallet-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { fakeEnvelope, makeWalletRecord, sealForTest, walletStoreContract } from '../contract/wallet-store.contract.js';

describe.skipIf(!awsEndpoint)('DynamoDbWalletStore', () => {
  const client = new DynamoDBClient(awsClientConfig());
  const table = uniqueName('sigil-wallets');

  async function emptyTable(): Promise<void> {
    let startKey: Record<string, { S: string }> | undefined;
    const keys: string[] = [];
    do {
      const out = await client.send(new ScanCommand({ TableName: table, ProjectionExpression: 'signatureId', ExclusiveStartKey: startKey }));
      for (const item of out.Items ?? []) keys.push(item.signatureId!.S!);
      startKey = out.LastEvaluatedKey as typeof startKey;
    } while (startKey);
    for (let i = 0; i < keys.length; i += 25) {
      const requests = keys.slice(i, i + 25).map((id) => ({ DeleteRequest: { Key: { signatureId: { S: id } } } }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    }
  }

  beforeAll(async () => {
    await createWalletTable(client, table, { deletionProtection: false });
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
  });

  walletStoreContract(
    'DynamoDB',
    async () => ({
      store: new DynamoDbWalletStore({ client, tableName: table }),
      damage: async (signatureId, damage) => {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { signatureId: { S: signatureId } },
            UpdateExpression: 'SET #f = :v',
            ExpressionAttributeNames: { '#f': damage === 'bad-json' ? 'sealed' : 'schema' },
            ExpressionAttributeValues: { ':v': damage === 'bad-json' ? { S: '{"v":1,"alg":' } : { N: '2' } },
          }),
        );
      },
    }),
    emptyTable,
  );

  describe('table layout and contents', () => {
    const store = new DynamoDbWalletStore({ client, tableName: table });

    it('describeWalletTable accepts the table; its index is KEYS_ONLY and a Query through it returns no sealed attribute', async () => {
      const summary = await describeWalletTable(client, table);
      expect(summary).toMatchObject({ tableName: table, status: 'ACTIVE' });
      const described = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(described.Table?.SSEDescription?.Status).toBe('ENABLED');
      const index = described.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === WALLET_INDEX_NAME);
      expect(index?.Projection?.ProjectionType).toBe('KEYS_ONLY');

      const record = makeWalletRecord({ chain: 'LTC', network: 'testnet' });
      await store.put(record);
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: WALLET_INDEX_NAME,
          KeyConditionExpression: 'chainNetwork = :cn',
          ExpressionAttributeValues: { ':cn': { S: 'LTC#testnet' } },
        }),
      );
      expect(out.Items).toHaveLength(1);
      expect(Object.keys(out.Items![0]!).sort()).toStrictEqual(['chainNetwork', 'signatureId']);
      expect(out.Items![0]!.sealed).toBeUndefined();
      await emptyTable();
    });

    it('describeWalletTable fails clearly on a missing table and on another layout', async () => {
      await expect(describeWalletTable(client, uniqueName('absent'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/does not exist/) });
      const other = uniqueName('other-layout');
      await client.send(
        new CreateTableCommand({
          TableName: other,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'signatureId', AttributeType: 'S' },
            { AttributeName: 'chainNetwork', AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'signatureId', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: WALLET_INDEX_NAME,
              KeySchema: [
                { AttributeName: 'chainNetwork', KeyType: 'HASH' },
                { AttributeName: 'signatureId', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      await expect(describeWalletTable(client, other)).rejects.toMatchObject({ code: 'TABLE_MISMATCH', message: expect.stringMatching(/projects ALL, not KEYS_ONLY/) });
      await client.send(new DeleteTableCommand({ TableName: other }));
    });

    it('a store on a missing table is STORE_UNAVAILABLE, not a raw AWS error', async () => {
      const orphan = new DynamoDbWalletStore({ client, tableName: uniqueName('absent') });
      await expect(orphan.put(makeWalletRecord())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(orphan.listIds({ chain: 'BTC' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });

    it('replaceSealed losing a race to another rotation between its read and its write changes nothing', async () => {
      const record = makeWalletRecord();
      await store.put(record);
      const rival = new DynamoDbWalletStore({ client, tableName: table });
      const rivalEnvelope = fakeEnvelope();
      let raced = false;
      const racingClient = {
        send: async (command: unknown) => {
          if (command instanceof UpdateItemCommand && !raced) {
            raced = true;
            await rival.replaceSealed(record.signatureId, 1, rivalEnvelope);
          }
          return client.send(command as never);
        },
      } as unknown as DynamoDBClient;
      const loser = new DynamoDbWalletStore({ client: racingClient, tableName: table });
      await expect(loser.replaceSealed(record.signatureId, 1, fakeEnvelope())).rejects.toMatchObject({ code: 'VERSION_MISMATCH', context: { actualVersion: 2 } });
      expect(await store.get(record.signatureId)).toStrictEqual({ ...record, sealed: rivalEnvelope, version: 2 });
      await emptyTable();
    });

    it('a Scan of every item finds the public marker but no plaintext secret', async () => {
      const secretMarker = 'SECRET-MARKER-zoo-zone-zero-youth-wrist';
      const publicMarker = '0xpublicmarker000000000000000000000000000beef';
      const secret = new TextEncoder().encode(secretMarker);
      await store.putMany([makeWalletRecord({ kind: 'privateKey', address: publicMarker, sealed: sealForTest(secret) }), makeWalletRecord({ sealed: sealForTest(secret) })]);
      const dump = JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items);
      expect(dump).toContain(publicMarker);
      for (const form of [secretMarker, Buffer.from(secretMarker).toString('base64'), Buffer.from(secretMarker).toString('hex')]) expect(dump).not.toContain(form);
      await emptyTable();
    });

    it('putMany over 100 records: chunked, a conflict anywhere writes nothing, a retry completes as unchanged', async () => {
      const existing = makeWalletRecord();
      await store.put(existing);
      const batch = Array.from({ length: 230 }, (_, i) => makeWalletRecord({ kind: i % 2 ? 'mnemonic' : 'privateKey' }));
      const withConflict = [...batch.slice(0, 150), { ...existing, sealed: fakeEnvelope() }, ...batch.slice(150)];
      await expect(store.putMany(withConflict)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.listIds()).toStrictEqual([existing.signatureId]);

      await store.putMany(batch.slice(0, 120));
      const results = await store.putMany([...batch, existing]);
      expect(results.filter((r) => r === 'unchanged')).toHaveLength(121);
      expect(results.slice(120, 230).every((r) => r === 'created')).toBe(true);
      expect(await store.listIds()).toStrictEqual([existing, ...batch].map((r) => r.signatureId).sort());
      expect((await store.list()).length).toBe(231);
      await emptyTable();
    });
  });
});
