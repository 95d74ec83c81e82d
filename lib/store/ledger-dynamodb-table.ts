/**
 * The DynamoDB ledger table (docs/ledger.md §tables): one table, partition key `pk` (S), three kinds of
 * item. Records are stored whole as JSON text (`record`); the attributes beside it exist for conditions,
 * the sparse index and TTL, and must agree with the record when read.
 *
 *   tx#<pendingId>              kind tx:    schema, revision, state, chain, record, [attention, attentionAt], [expiresAt]
 *   spend#<spend key>           kind spend: schema, pendingId, contentHash, createdAt        (never expires)
 *   nonce#<chainId>#<0xfrom>    kind nonce: schema, next, updatedAt                          (never expires)
 *
 * GSI `byAttention` (attention S, attentionAt N; projection ALL) is sparse: only records that need work
 * (an expired lease, a due retry, a settlement, an unreported failure) carry `attention`. TTL attribute
 * `expiresAt` (epoch seconds) is set on COMPLETED tx items only.
 */
import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SigilError } from '../errors.js';
import { LEDGER_SCHEMA_VERSION, type LedgerRecord } from './ledger.js';
import { checkSchemaVersion, encodeLedgerRecord, isContentHash, parseLedgerRecord, PENDING_ID } from './ledger-record.js';
import { attentionOf, type SpendClaim } from './ledger-transitions.js';
import { StoreError } from './store-error.js';
import { waitUntilTableActive } from './dynamodb-table-ready.js';

export type Item = Record<string, AttributeValue>;

export const ATTENTION_INDEX = 'byAttention';
export const TTL_ATTRIBUTE = 'expiresAt';
const TX_ORIGIN = 'dynamodb ledger tx item';

export const txKey = (id: string): Item => ({ pk: { S: `tx#${id}` } });
export const spendKey = (key: string): Item => ({ pk: { S: `spend#${key}` } });
export const nonceKey = (chainId: string, from: string): Item => ({ pk: { S: `nonce#${chainId}#${from}` } });

export function txItem(record: LedgerRecord): Item {
  const attention = attentionOf(record);
  return {
    ...txKey(record.id),
    kind: { S: 'tx' },
    schema: { N: String(record.schema) },
    revision: { N: String(record.revision) },
    state: { S: record.state },
    chain: { S: record.chain },
    record: { S: encodeLedgerRecord(record) },
    ...(attention ? { attention: { S: attention.kind }, attentionAt: { N: String(attention.at) } } : {}),
    ...(record.expiresAt !== null ? { [TTL_ATTRIBUTE]: { N: String(record.expiresAt) } } : {}),
  };
}

export function spendItem(key: string, claim: SpendClaim, createdAt: number): Item {
  return {
    ...spendKey(key),
    kind: { S: 'spend' },
    schema: { N: String(LEDGER_SCHEMA_VERSION) },
    pendingId: { S: claim.pendingId },
    contentHash: { S: claim.contentHash },
    createdAt: { N: String(createdAt) },
  };
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return value?.N !== undefined && /^-?\d{1,16}$/.test(value.N) ? Number(value.N) : undefined;
}

/** Refuse an item of a newer Sigil before reading anything else of it. */
export function checkItemSchema(item: Item, origin: string): void {
  const schema = numberOf(item.schema);
  checkSchemaVersion(schema, origin);
  if (schema === undefined || schema < 1) throw new StoreError('CORRUPT_RECORD', `${origin}: schema is missing or not a number`, { origin });
}

export function parseTxItem(item: Item): LedgerRecord {
  const id = item.pk?.S?.startsWith('tx#') ? item.pk.S.slice(3) : undefined;
  checkItemSchema(item, `${TX_ORIGIN}${id && PENDING_ID.test(id) ? ` ${id}` : ''}`);
  if (item.kind?.S !== 'tx' || item.record?.S === undefined) {
    throw new StoreError('CORRUPT_RECORD', `${TX_ORIGIN}: kind is not tx or record is missing`, { origin: TX_ORIGIN });
  }
  const record = parseLedgerRecord(item.record.S, TX_ORIGIN);
  const expiresAt = numberOf(item[TTL_ATTRIBUTE]) ?? null;
  if (record.id !== id || record.state !== item.state?.S || record.revision !== numberOf(item.revision) || record.expiresAt !== expiresAt) {
    throw new StoreError('CORRUPT_RECORD', `${TX_ORIGIN} ${record.id}: the item's key, state, revision or expiresAt disagree with its record`, {
      origin: TX_ORIGIN,
      pendingId: record.id,
    });
  }
  return record;
}

export function parseSpendItem(item: Item): SpendClaim {
  const origin = 'dynamodb ledger spend item';
  checkItemSchema(item, origin);
  const pendingId = item.pendingId?.S;
  const contentHash = item.contentHash?.S;
  if (item.kind?.S !== 'spend' || pendingId === undefined || !PENDING_ID.test(pendingId) || !isContentHash(contentHash)) {
    throw new StoreError('CORRUPT_RECORD', `${origin}: kind, pendingId or contentHash is malformed`, { origin });
  }
  return { pendingId, contentHash };
}

/** An AWS SDK failure as a StoreError (SigilErrors pass through); the SDK's text stays in `cause`. */
export function toDynamoStoreError(error: unknown, table: string, action: string): SigilError {
  if (error instanceof SigilError) return error;
  const name = error instanceof Error ? error.name : 'unknown';
  const context = { table, action, aws: name };
  if (name === 'ResourceNotFoundException') {
    return new StoreError('STORE_UNAVAILABLE', `${action}: ledger table ${table} does not exist (create it with createLedgerTable or the stack)`, context, { cause: error });
  }
  return new StoreError('STORE_UNAVAILABLE', `${action}: ledger table ${table} failed (${name})`, context, { cause: error });
}

/**
 * Create a ledger table as the stack does (tests, local setups): PAY_PER_REQUEST, server-side encryption,
 * the sparse attention index, TTL on expiresAt. Waits until the table is ACTIVE.
 */
export async function createLedgerTable(client: DynamoDBClient, name: string, timeoutMs = 30_000): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { Enabled: true },
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'attention', AttributeType: 'S' },
          { AttributeName: 'attentionAt', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: ATTENTION_INDEX,
            KeySchema: [
              { AttributeName: 'attention', KeyType: 'HASH' },
              { AttributeName: 'attentionAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableActive(client, name, 'ledger', timeoutMs);
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }));
  } catch (error) {
    throw toDynamoStoreError(error, name, 'createLedgerTable');
  }
}
