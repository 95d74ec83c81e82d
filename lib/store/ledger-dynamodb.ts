/**
 * The Ledger on DynamoDB (table layout in ledger-dynamodb-table.ts and docs/ledger.md).
 *
 * Every transition is optimistic and conditional: read the record (consistent read), plan the transition
 * (ledger-transitions.ts), then write the whole item with `revision = <the revision read>` — or
 * `attribute_not_exists(pk)` for a new one. A condition that fails means another writer got there first:
 * the record is read again and the transition re-planned, so the loser gets the answer the winner's state
 * dictates (skip, LEASE_LOST, unchanged...), never a blind overwrite.
 *
 * markSigned writes the record and every spend claim atomically (ledger-dynamodb-writes.ts).
 *
 * Timeline of a takeover (lease L, fence f):
 *   t0  A: claim → CLAIMED, owner A, fence f, lease until t0+L           (put, attribute_not_exists)
 *   t0+L  A stalls; B: claim reads lease ≤ now → owner B, fence f+1     (put, revision = r)
 *   t1  A: markSigned(fence f) reads fence f+1 → LEASE_LOST; nothing written.
 *       If A read before B's write, its put carries revision = r, which B's write bumped: the condition
 *       fails, A re-reads, and gets LEASE_LOST.
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LedgerError, type LedgerPage, type LedgerRecord } from './ledger.js';
import { nextNonce } from './ledger-transitions-signed.js';
import { LedgerBase, type CheckedListQuery, type LedgerOptions } from './ledger-base.js';
import { type Attention, type Plan, type Planner } from './ledger-transitions.js';
import { ATTENTION_INDEX, checkItemSchema, nonceKey, parseTxItem, txKey, type Item } from './ledger-dynamodb-table.js';
import { LedgerItemWriter, LostRace } from './ledger-dynamodb-writes.js';

/** Re-plans after lost races before giving up with CONFLICT. */
const MAX_ATTEMPTS = 12;
const SCAN_PAGE = 200;

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class DynamoDbLedger extends LedgerBase {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #writer: LedgerItemWriter;

  /** The client is the caller's: close() leaves it open. */
  constructor(client: DynamoDBClient, tableName: string, options: LedgerOptions = {}) {
    super(options);
    this.#client = client;
    this.#table = tableName;
    this.#writer = new LedgerItemWriter(client, tableName);
  }

  async #readTx(id: string, action: string): Promise<LedgerRecord | undefined> {
    const item = await this.#writer.getItem(txKey(id), action);
    return item ? parseTxItem(item) : undefined;
  }

  protected async apply(id: string, action: string, planner: Planner): Promise<Plan> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const plan = planner(await this.#readTx(id, action));
      if (!plan.write) return plan;
      try {
        await this.#writer.writePlan(plan, action);
        return plan;
      } catch (error) {
        if (!(error instanceof LostRace)) throw error;
        await backoff(attempt);
      }
    }
    throw new LedgerError('CONFLICT', `${action} of pending transaction ${id} lost ${MAX_ATTEMPTS} races in a row to concurrent writers; nothing was changed`, { pendingId: id });
  }

  /**
   * Fast path: an atomic increment conditioned on the counter being at or above the floor (concurrent
   * callers never conflict). Slow path (no counter yet, or the chain is ahead): set next = floor + 1 if
   * the counter is still absent or below the floor; a lost race goes back to the fast path.
   */
  protected async allocate(chainId: string, from: string, floor: number): Promise<number> {
    const key = nonceKey(chainId, from);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS * 4; attempt++) {
      const now = this.clock();
      try {
        const updated = await this.#writer.send('allocateNonce', () =>
          this.#client.send(
            new UpdateItemCommand({
              TableName: this.#table,
              Key: key,
              UpdateExpression: 'SET #next = #next + :one, updatedAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND #schema = :schema AND #next >= :floor',
              ExpressionAttributeNames: { '#next': 'next', '#schema': 'schema' },
              ExpressionAttributeValues: { ':one': { N: '1' }, ':now': { N: String(now) }, ':floor': { N: String(floor) }, ':schema': { N: '1' } },
              ReturnValues: 'UPDATED_OLD',
            }),
          ),
        );
        const old = Number(updated.Attributes?.next?.N);
        if (!Number.isSafeInteger(old)) throw new LedgerError('CONFLICT', `nonce counter of ${from} on chain ${chainId} did not return its value`, { chainId, from });
        return old;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const existing = await this.#writer.getItem(key, 'allocateNonce');
      if (existing) checkItemSchema(existing, 'dynamodb ledger nonce item');
      try {
        await this.#writer.send('allocateNonce', () =>
          this.#client.send(
            new PutItemCommand({
              TableName: this.#table,
              Item: { ...key, kind: { S: 'nonce' }, schema: { N: '1' }, next: { N: String(nextNonce(undefined, floor) + 1) }, updatedAt: { N: String(now) } },
              ConditionExpression: 'attribute_not_exists(pk) OR #next < :floor',
              ExpressionAttributeNames: { '#next': 'next' },
              ExpressionAttributeValues: { ':floor': { N: String(floor) } },
            }),
          ),
        );
        return floor;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        await backoff(attempt % 6);
      }
    }
    throw new LedgerError('CONFLICT', `nonce allocation for ${from} on chain ${chainId} lost too many races; try again`, { chainId, from });
  }

  protected async read(id: string): Promise<LedgerRecord | undefined> {
    return this.#readTx(id, 'get');
  }

  /** A scan filtered to tx items; the cursor is the last returned id, which DynamoDB resumes after. */
  protected async readPage(query: CheckedListQuery): Promise<LedgerPage> {
    const names: Record<string, string> = { '#kind': 'kind' };
    const values: Item = { ':tx': { S: 'tx' } };
    const filters = ['#kind = :tx'];
    for (const field of ['state', 'chain'] as const) {
      const value = query[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = { S: value };
      filters.push(`#${field} = :${field}`);
    }
    const records: LedgerRecord[] = [];
    let start: Item | undefined = query.cursor ? txKey(query.cursor) : undefined;
    do {
      const page = await this.#writer.send('list', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ConsistentRead: true,
            Limit: SCAN_PAGE,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) records.push(parseTxItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined && records.length < query.limit);
    if (records.length > query.limit || (records.length === query.limit && start !== undefined)) {
      const kept = records.slice(0, query.limit);
      return { records: kept, cursor: kept.at(-1)!.id };
    }
    return { records };
  }

  protected async readAttention(kind: Attention['kind'], until: number, limit: number): Promise<LedgerRecord[]> {
    const records: LedgerRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#writer.send('listing records by attention', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: ATTENTION_INDEX,
            KeyConditionExpression: 'attention = :kind AND attentionAt <= :until',
            ExpressionAttributeValues: { ':kind': { S: kind }, ':until': { N: String(until) } },
            Limit: limit - records.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) records.push(parseTxItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined && records.length < limit);
    return records;
  }

  /** DynamoDB's TTL deletes expired COMPLETED items in the background (within days); nothing to do here. */
  async purgeExpired(_now: number): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
