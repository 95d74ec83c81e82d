/**
 * The AuditStore contract on DynamoDB (moto_server) with a KMS HMAC key (KeySpec HMAC_256) as the MAC:
 * every tamper case of the contract is detected with moto's GenerateMac / VerifyMac. Plus the table layout
 * the stack mirrors, and the KMS adapter's own behaviour.
 */
import { Agent } from 'node:http';
import { DeleteItemCommand, DescribeTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { ChainedAuditTrail, KmsAuditMac, macMessageOf, verifyAuditTrail } from '../../lib/audit/index.js';
import { AUDIT_DAY_INDEX, createAuditTable, DynamoDbAuditStore } from '../../lib/store/audit-dynamodb.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { auditStoreContract, clockFrom, T0 } from '../contract/audit-store.contract.js';

/**
 * moto applies a conditional write as check-then-set without a lock (see dynamodb-ledger.test.ts): one
 * HTTP connection per client serialises its requests, as DynamoDB serialises writes to one item. Writers
 * still race between their head read and their conditional put.
 */
const serialClient = (): DynamoDBClient => new DynamoDBClient({ ...awsClientConfig(), requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }) } });
const client = serialClient();
const kms = new KMSClient(awsClientConfig());

async function hmacKey(): Promise<string> {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: uniqueName('sigil-audit') }));
  return created.KeyMetadata!.Arn!;
}

describe.skipIf(!awsEndpoint)('DynamoDbAuditStore and KmsAuditMac (moto_server)', () => {
  auditStoreContract('DynamoDB + KMS HMAC', async () => {
    const table = uniqueName('sigil-audit');
    await createAuditTable(client, table);
    const mac = new KmsAuditMac({ client: kms, keyId: await hmacKey() });
    const key = (stream: string, seq: number) => ({ pk: { S: stream }, sk: { N: String(seq) } });
    return {
      store: new DynamoDbAuditStore({ client, tableName: table, clock: () => new Date(T0 + 3600_000) }),
      mac,
      // The second writer shares the serial connection: moto would otherwise lose one of two racing puts.
      other: () => new DynamoDbAuditStore({ client, tableName: table }),
      rewrite: async (stream, seq, fields) => {
        const names = Object.keys(fields);
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key(stream, seq),
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
            ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, { S: fields[name as keyof typeof fields]! }])),
          }),
        );
      },
      remove: async (stream, seq) => {
        await client.send(new DeleteItemCommand({ TableName: table, Key: key(stream, seq), ConditionExpression: 'attribute_exists(pk)' }));
      },
    };
  });

  it('createAuditTable: pk + sk (N), the byDay tail index, encrypted, on demand', async () => {
    const table = uniqueName('sigil-audit');
    await createAuditTable(client, table);
    const described = (await client.send(new DescribeTableCommand({ TableName: table }))).Table!;
    expect(described.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(described.AttributeDefinitions?.find((a) => a.AttributeName === 'sk')?.AttributeType).toBe('N');
    expect(described.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema?.map((k) => k.AttributeName), i.Projection?.ProjectionType])).toEqual([
      [AUDIT_DAY_INDEX, ['day', 'at'], 'ALL'],
    ]);
    expect(described.SSEDescription?.Status).toBe('ENABLED');
  });

  it('the tail walks back over days, newest first, and stops at tailDays', async () => {
    const table = uniqueName('sigil-audit');
    await createAuditTable(client, table);
    const day = 24 * 3600 * 1000;
    const mac = new KmsAuditMac({ client: kms, keyId: await hmacKey() });
    const store = new DynamoDbAuditStore({ client, tableName: table, clock: () => new Date(T0 + 10 * day), tailDays: 5 });
    const old = new ChainedAuditTrail(store, mac, { clock: clockFrom(T0) });
    const recent = new ChainedAuditTrail(store, mac, { clock: clockFrom(T0 + 8 * day) });
    await old.record({ stream: { kind: 'tx', id: 'old' }, action: 'tx.claimed', actor: 'w', detail: {} });
    const a = await recent.record({ stream: { kind: 'tx', id: 'a' }, action: 'tx.claimed', actor: 'w', detail: {} });
    const b = await recent.record({ stream: { kind: 'tx', id: 'b' }, action: 'tx.claimed', actor: 'w', detail: {} });
    expect((await store.recent(10)).map((item) => item.entry)).toEqual([b, a]);
    expect((await verifyAuditTrail(store, mac)).entries).toBe(3);
  });

  it('KmsAuditMac: a 32-byte MAC that VerifyMac accepts; a wrong MAC is false, not an error; a missing key is MAC_UNAVAILABLE', async () => {
    const mac = new KmsAuditMac({ client: kms, keyId: await hmacKey() });
    const message = macMessageOf('ab'.repeat(32));
    const tag = await mac.generate(message);
    expect(tag).toHaveLength(32);
    expect(await mac.verify(message, tag)).toBe(true);
    const wrong = Uint8Array.from(tag);
    wrong[0]! ^= 1;
    expect(await mac.verify(message, wrong)).toBe(false);
    expect(await mac.verify(macMessageOf('cd'.repeat(32)), tag)).toBe(false);
    const missing = new KmsAuditMac({ client: kms, keyId: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000' });
    await expect(missing.generate(message)).rejects.toMatchObject({ code: 'MAC_UNAVAILABLE' });
  });

  it('a missing table is STORE_UNAVAILABLE naming the table', async () => {
    const store = new DynamoDbAuditStore({ client, tableName: uniqueName('sigil-audit-none') });
    await expect(store.head('tx#x')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
