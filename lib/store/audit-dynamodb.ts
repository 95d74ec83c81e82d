/**
 * AuditStore on DynamoDB (docs/audit.md §Storage). One item per entry:
 *
 *   table  pk = stream (S), sk = seq (N); prevHash, at, day, action, actor, detail (canonical JSON text),
 *          hash, mac, macKeyId, schema
 *   index  byDay: day (S, `YYYY-MM-DD` of at) + at (S), projection ALL — for `sigil audit tail`
 *
 * An append is a PutItem with `attribute_not_exists(pk)`: create-only on (stream, seq), so a writer that
 * lost the race for a seq gets ConditionalCheckFailed and nothing is overwritten. Writers need only
 * PutItem, Query and GetItem; no role holds UpdateItem or DeleteItem on the table (infra/iam-policies.yml).
 * The tail index is written by DynamoDB itself (no second item, no transaction), partitioned by day so
 * that no partition holds the whole history; `recent` walks back day by day (at most `tailDays`).
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { dayOf, detailText, parseStoredAuditEntry, type AuditEntry, type StoredAuditItem } from '../audit/audit-entry.js';
import { DEFAULT_ENTRIES_PAGE, MAX_ENTRIES_PAGE, type AuditStore, type AuditStreamsPage } from '../audit/audit-store.js';
import { InvalidInputError, SigilError } from '../errors.js';
import { StoreError } from './store-error.js';
import { waitUntilTableActive } from './dynamodb-table-ready.js';

type Item = Record<string, AttributeValue>;

export const AUDIT_DAY_INDEX = 'byDay';
const SCHEMA = 1;
const DAY_MS = 24 * 3600 * 1000;

export interface DynamoDbAuditStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** "Today" for the tail (default: the system clock). */
  readonly clock?: () => Date;
  /** How many days back `recent` looks (default 31). */
  readonly tailDays?: number;
}

export function toAuditStoreError(error: unknown, table: string, action: string): SigilError {
  if (error instanceof SigilError) return error;
  const name = error instanceof Error ? error.name : 'unknown';
  const context = { table, action, aws: name };
  if (name === 'ResourceNotFoundException') {
    return new StoreError('STORE_UNAVAILABLE', `${action}: audit table ${table} does not exist (create it with the stack, or createAuditTable)`, context, { cause: error });
  }
  return new StoreError('STORE_UNAVAILABLE', `${action}: audit table ${table} failed (${name})`, context, { cause: error });
}

function itemOf(item: Item): StoredAuditItem {
  const stream = item.pk?.S ?? '';
  const seqText = item.sk?.N ?? '';
  const seq = /^\d{1,16}$/.test(seqText) ? Number(seqText) : 0;
  if (item.schema?.N !== String(SCHEMA)) return { stream, seq, problem: `schema is ${item.schema?.N ?? 'missing'}, expected ${SCHEMA}` };
  const text = (name: string): unknown => item[name]?.S;
  return parseStoredAuditEntry(stream, seq, {
    prevHash: text('prevHash'),
    at: text('at'),
    day: text('day'),
    action: text('action'),
    actor: text('actor'),
    detail: text('detail'),
    hash: text('hash'),
    mac: text('mac'),
    macKeyId: text('macKeyId'),
  });
}

function pageLimit(limit: number | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_ENTRIES_PAGE) throw new InvalidInputError(`an audit page limit is 1-${MAX_ENTRIES_PAGE}, got ${String(value)}`);
  return value;
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify({ pk: key.pk?.S, sk: key.sk?.N }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Item {
  try {
    const { pk, sk } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { pk?: unknown; sk?: unknown };
    if (typeof pk === 'string' && typeof sk === 'string' && /^\d{1,16}$/.test(sk)) return { pk: { S: pk }, sk: { N: sk } };
  } catch {
    // fall through
  }
  throw new InvalidInputError('an audit streams cursor must be one this store returned');
}

export class DynamoDbAuditStore implements AuditStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #clock: () => Date;
  readonly #tailDays: number;

  /** The client is the caller's: close() leaves it open. */
  constructor(options: DynamoDbAuditStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock ?? (() => new Date());
    this.#tailDays = options.tailDays ?? 31;
  }

  async #send<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toAuditStoreError(error, this.#table, action);
    }
  }

  async head(stream: string): Promise<StoredAuditItem | undefined> {
    const response = await this.#send('reading an audit head', () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :stream',
          ExpressionAttributeValues: { ':stream': { S: stream } },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    const item = response.Items?.[0];
    return item ? itemOf(item) : undefined;
  }

  async append(entry: AuditEntry): Promise<boolean> {
    const item: Item = {
      pk: { S: entry.stream },
      sk: { N: String(entry.seq) },
      schema: { N: String(SCHEMA) },
      prevHash: { S: entry.prevHash },
      at: { S: entry.at },
      day: { S: dayOf(entry.at) },
      action: { S: entry.action },
      actor: { S: entry.actor },
      detail: { S: detailText(entry.detail) },
      hash: { S: entry.hash },
      mac: { S: entry.mac },
      macKeyId: { S: entry.macKeyId },
    };
    try {
      await this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException')) return false;
      throw toAuditStoreError(error, this.#table, `appending audit entry ${entry.stream} ${entry.seq}`);
    }
  }

  async entries(stream: string, options: { readonly fromSeq?: number; readonly limit?: number } = {}): Promise<StoredAuditItem[]> {
    const limit = pageLimit(options.limit, DEFAULT_ENTRIES_PAGE);
    const out: StoredAuditItem[] = [];
    let start: Item | undefined;
    do {
      const response = await this.#send('reading audit entries', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :stream AND sk >= :from',
            ExpressionAttributeValues: { ':stream': { S: stream }, ':from': { N: String(options.fromSeq ?? Number.MIN_SAFE_INTEGER) } },
            ConsistentRead: true,
            Limit: limit - out.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      out.push(...(response.Items ?? []).map(itemOf));
      start = response.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async streams(options: { readonly cursor?: string; readonly limit?: number } = {}): Promise<AuditStreamsPage> {
    const limit = pageLimit(options.limit, DEFAULT_ENTRIES_PAGE);
    const response = await this.#send('listing audit streams', () =>
      this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          ProjectionExpression: 'pk, sk',
          Limit: limit,
          ConsistentRead: true,
          ...(options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor) } : {}),
        }),
      ),
    );
    const streams = [...new Set((response.Items ?? []).map((item) => item.pk?.S).filter((s): s is string => s !== undefined))];
    return response.LastEvaluatedKey ? { streams, cursor: encodeCursor(response.LastEvaluatedKey) } : { streams };
  }

  async recent(limit: number): Promise<StoredAuditItem[]> {
    const wanted = pageLimit(limit, 20);
    const out: StoredAuditItem[] = [];
    const today = this.#clock().getTime();
    for (let back = 0; back < this.#tailDays && out.length < wanted; back++) {
      const day = new Date(today - back * DAY_MS).toISOString().slice(0, 10);
      let start: Item | undefined;
      do {
        const response = await this.#send('reading the audit tail', () =>
          this.#client.send(
            new QueryCommand({
              TableName: this.#table,
              IndexName: AUDIT_DAY_INDEX,
              KeyConditionExpression: '#day = :day',
              ExpressionAttributeNames: { '#day': 'day' },
              ExpressionAttributeValues: { ':day': { S: day } },
              ScanIndexForward: false,
              Limit: wanted - out.length,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        out.push(...(response.Items ?? []).map(itemOf));
        start = response.LastEvaluatedKey;
      } while (start && out.length < wanted);
    }
    return out;
  }

  async close(): Promise<void> {}
}

/** Create an audit table as the stack does (tests, local setups) and wait until it is ACTIVE. */
export async function createAuditTable(client: DynamoDBClient, name: string, timeoutMs = 30_000): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { Enabled: true },
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
          { AttributeName: 'day', AttributeType: 'S' },
          { AttributeName: 'at', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: AUDIT_DAY_INDEX,
            KeySchema: [
              { AttributeName: 'day', KeyType: 'HASH' },
              { AttributeName: 'at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableActive(client, name, 'audit', timeoutMs);
  } catch (error) {
    throw toAuditStoreError(error, name, 'createAuditTable');
  }
}
