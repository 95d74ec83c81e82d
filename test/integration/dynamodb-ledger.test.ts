import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lib/store/ledger-dynamodb.js';
import { ATTENTION_INDEX, createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { evmSigned, ledgerContract, LEASE, newId, pendingFor, RETENTION, summary, T0 } from '../contract/ledger.contract.js';

/**
 * moto_server applies a conditional write as check-then-set in a request thread, without a lock: 40
 * concurrent conditional UpdateItems on one item were seen to return the same old value twice. DynamoDB
 * makes each item write atomic; to model that, every client here shares one HTTP connection, so moto
 * handles one request at a time. The races these tests are about — between one caller's read and its
 * conditional write, and another caller's write — still happen: requests of concurrent callers interleave.
 */
const oneConnection = new Agent({ keepAlive: true, maxSockets: 1 });
const serialClient = (): DynamoDBClient => new DynamoDBClient({ ...awsClientConfig(), requestHandler: { httpAgent: oneConnection } });
const client = serialClient();

async function newTable(): Promise<string> {
  const name = uniqueName('sigil-ledger');
  await createLedgerTable(client, name);
  return name;
}

describe.skipIf(!awsEndpoint)('DynamoDbLedger (moto_server)', () => {
  ledgerContract('DynamoDB', async (clock) => {
    const table = await newTable();
    return {
      ledger: new DynamoDbLedger(client, table, { clock, completedRetentionMs: RETENTION }),
      storedExpiry: async (id) => {
        const item = (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `tx#${id}` } }, ConsistentRead: true }))).Item;
        return item?.expiresAt?.N === undefined ? null : Number(item.expiresAt.N);
      },
      makeNewer: async (id) => {
        await client.send(
          new UpdateItemCommand({ TableName: table, Key: { pk: { S: `tx#${id}` } }, UpdateExpression: 'SET #s = :two', ExpressionAttributeNames: { '#s': 'schema' }, ExpressionAttributeValues: { ':two': { N: '2' } } }),
        );
      },
    };
  });

  it('createLedgerTable: on-demand, encrypted, the sparse attention index, TTL on expiresAt', async () => {
    const table = await newTable();
    const described = (await client.send(new DescribeTableCommand({ TableName: table }))).Table!;
    expect(described.KeySchema).toStrictEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(described.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(described.SSEDescription?.Status).toBe('ENABLED');
    expect(described.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema?.map((k) => k.AttributeName)])).toStrictEqual([
      [ATTENTION_INDEX, ['attention', 'attentionAt']],
    ]);
    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
    expect(ttl).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('TTL only on COMPLETED items; spend and nonce items never carry it', async () => {
    const table = await newTable();
    const ledger = new DynamoDbLedger(client, table, { clock: () => T0 });
    const id = newId();
    const signed = evmSigned(3);
    await ledger.claim(pendingFor(id), 'w', T0, LEASE);
    await ledger.markPrepared(id, 1, '{}', summary);
    await ledger.markApproved(id, 1);
    await ledger.markSigned(id, 1, signed);
    await ledger.allocateNonce(1n, '0x' + 'ab'.repeat(20), 0);
    const raw = async (pk: string) => (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item!;
    expect((await raw(`tx#${id}`)).expiresAt).toBeUndefined();
    expect(await raw(`spend#${signed.spends[0]}`)).toMatchObject({ kind: { S: 'spend' }, pendingId: { S: id } });
    expect((await raw(`spend#${signed.spends[0]}`)).expiresAt).toBeUndefined();
    expect((await raw(`nonce#1#0x${'ab'.repeat(20)}`)).expiresAt).toBeUndefined();
    await ledger.markBroadcastAttempt(id);
    await ledger.markCompleted(id, signed.hash);
    const completed = await raw(`tx#${id}`);
    expect(completed.expiresAt).toStrictEqual({ N: String(Math.ceil((T0 + 30 * 86_400_000) / 1000)) });
    expect(completed.attention).toBeUndefined();
  });

  it('20 concurrent claims of one id from 20 separate clients: exactly one is claimed', async () => {
    const table = await newTable();
    const id = newId();
    const ledgers = Array.from({ length: 20 }, () => new DynamoDbLedger(serialClient(), table));
    const results = await Promise.all(ledgers.map((ledger, i) => ledger.claim(pendingFor(id), `container-${i}`, T0, LEASE)));
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'skip').every((r) => r.record.fence === 1)).toBe(true);
  });

  it('a stale writer loses after a takeover even when it read before the takeover', async () => {
    const table = await newTable();
    const ledger = new DynamoDbLedger(client, table);
    const id = newId();
    await ledger.claim(pendingFor(id), 'A', T0, LEASE);
    // B takes over while A's prepare is in flight: many rounds, so the two interleave at every point.
    const [a, b] = await Promise.allSettled([ledger.markPrepared(id, 1, '{"by":"A"}', summary), ledger.claim(pendingFor(id), 'B', T0 + LEASE, LEASE)]);
    const record = (await ledger.get(id))!;
    expect(b).toMatchObject({ status: 'fulfilled', value: { outcome: 'claimed' } });
    expect(record.fence).toBe(2);
    if (a.status === 'rejected') expect(a.reason).toMatchObject({ code: 'LEASE_LOST' });
    else expect(record.prepared).toBe('{"by":"A"}'); // A's write landed first; B took over a PREPARED record.
  });

  it('refuses an item of a newer schema and a missing table', async () => {
    const table = await newTable();
    const ledger = new DynamoDbLedger(client, table);
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'nonce#1#0x' + 'cd'.repeat(20) }, kind: { S: 'nonce' }, schema: { N: '3' }, next: { N: '5' } } }));
    await expect(ledger.allocateNonce(1n, '0x' + 'cd'.repeat(20), 0)).rejects.toMatchObject({ code: 'UNSUPPORTED_SCHEMA' });
    const missing = new DynamoDbLedger(client, uniqueName('no-such-table'));
    await expect(missing.get(newId())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(missing.claim(pendingFor(newId()), 'w', T0, LEASE)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
