/**
 * The FoldStore on DynamoDB, in the ledger table under its own key prefix (as functions/verify.ts keeps its
 * checkpoint there; the ledger's scans read only `kind = tx` and its attention queries only its own kinds):
 *
 *   alert#event#<eventId>   kind alert-event: decision, [carriedCount, carriedSince], delivered (SS), expiresAt
 *   alert#fold#<sha256(foldKey)>  kind alert-fold: foldKey, openedAt, closesAt, folded, [firstFoldedAt],
 *                           sample (the Alert as JSON), revision, expiresAt,
 *                           [attention = "alert-fold", attentionAt = closesAt]  while folded > 0
 *
 * The attention pair puts a window with folded alerts into the ledger's sparse byAttention index, so a flush
 * finds due windows with one Query instead of a scan. The alert role may touch only `alert#…` items and
 * the `alert-fold` partition of that index (infra/roles.yml, dynamodb:LeadingKeys).
 *
 * `commit` is one TransactWriteItems: Put event (attribute_not_exists) + Put window (revision = expected, or
 * attribute_not_exists). Timeline of two handlers A and B with events of one fold key:
 *
 *     A: reads window r5 ──── Tx[put evA, put window r6 if r5] ✓
 *     B: reads window r5 ─────────── Tx[put evB, put window r6 if r5] ✗ (window) → re-reads r6, decides again
 *
 * and a redelivery of evA running beside A fails on the event's condition and reads A's decision.
 * Items expire (TTL expiresAt): event records after EVENT_RETENTION_MS (longer than EventBridge and Lambda
 * retry an event), windows WINDOW_RETENTION_MS after they close.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { SigilError } from '../errors.js';
import type { Alert } from './alert.js';
import type { CommitResult, DeliveryRecord, FoldStore, FoldWindow } from './fold.js';

export const EVENT_RETENTION_MS = 3 * 24 * 3_600_000;
export const WINDOW_RETENTION_MS = 14 * 24 * 3_600_000;
export const FOLD_ATTENTION = 'alert-fold';
const INDEX = 'byAttention';

type Item = Record<string, AttributeValue>;

export class AlertStoreError extends SigilError {
  constructor(message: string, context: Record<string, unknown>, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, context, options);
  }
}

const eventKey = (eventId: string) => ({ pk: { S: `alert#event#${eventId}` } });
const windowKey = (foldKey: string) => ({ pk: { S: `alert#fold#${createHash('sha256').update(foldKey).digest('hex').slice(0, 40)}` } });
const seconds = (ms: number) => ({ N: String(Math.ceil(ms / 1000)) });

function windowItem(foldKey: string, w: FoldWindow): Item {
  return {
    ...windowKey(foldKey),
    kind: { S: 'alert-fold' },
    schema: { N: '1' },
    foldKey: { S: foldKey },
    openedAt: { N: String(w.openedAt) },
    closesAt: { N: String(w.closesAt) },
    folded: { N: String(w.folded) },
    ...(w.firstFoldedAt !== null ? { firstFoldedAt: { N: String(w.firstFoldedAt) } } : {}),
    sample: { S: JSON.stringify(w.sample) },
    revision: { N: String(w.revision) },
    expiresAt: seconds(w.closesAt + WINDOW_RETENTION_MS),
    ...(w.folded > 0 ? { attention: { S: FOLD_ATTENTION }, attentionAt: { N: String(w.closesAt) } } : {}),
  };
}

function windowOf(item: Item, table: string): { foldKey: string; window: FoldWindow } {
  const n = (name: string) => Number(item[name]?.N ?? Number.NaN);
  const window = {
    openedAt: n('openedAt'),
    closesAt: n('closesAt'),
    folded: n('folded'),
    firstFoldedAt: item.firstFoldedAt ? n('firstFoldedAt') : null,
    revision: n('revision'),
  };
  let sample: Alert;
  try {
    sample = JSON.parse(item.sample?.S ?? '') as Alert;
  } catch {
    throw new AlertStoreError(`alert fold item ${item.pk?.S ?? '?'} in ${table} has no readable sample`, { table });
  }
  if (item.kind?.S !== 'alert-fold' || !item.foldKey?.S || ![window.openedAt, window.closesAt, window.folded, window.revision].every(Number.isSafeInteger)) {
    throw new AlertStoreError(`alert fold item ${item.pk?.S ?? '?'} in ${table} is malformed; delete it to start its window anew`, { table });
  }
  return { foldKey: item.foldKey.S, window: { ...window, sample } };
}

export class DynamoDbFoldStore implements FoldStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async #send<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SigilError || error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) throw error;
      const aws = error instanceof Error ? error.name : 'unknown';
      throw new AlertStoreError(`${action}: DynamoDB table ${this.table} failed (${aws})`, { table: this.table, action, aws }, { cause: error });
    }
  }

  async readEvent(eventId: string): Promise<DeliveryRecord | undefined> {
    const { Item: item } = await this.#send('read alert event', () => this.client.send(new GetItemCommand({ TableName: this.table, Key: eventKey(eventId), ConsistentRead: true })));
    if (!item) return undefined;
    const decision = item.decision?.S;
    if (item.kind?.S !== 'alert-event' || (decision !== 'send' && decision !== 'fold')) {
      throw new AlertStoreError(`alert event item ${eventKey(eventId).pk.S} in ${this.table} is malformed`, { table: this.table });
    }
    const carried = item.carriedCount ? { count: Number(item.carriedCount.N), since: Number(item.carriedSince?.N ?? 0) } : undefined;
    return { decision, ...(carried ? { carried } : {}), delivered: [...(item.delivered?.SS ?? [])].sort() };
  }

  async readWindow(foldKey: string): Promise<FoldWindow | undefined> {
    const { Item: item } = await this.#send('read alert window', () => this.client.send(new GetItemCommand({ TableName: this.table, Key: windowKey(foldKey), ConsistentRead: true })));
    return item ? windowOf(item, this.table).window : undefined;
  }

  async commit(eventId: string, record: DeliveryRecord, foldKey: string, next: FoldWindow, expectedRevision: number | undefined): Promise<CommitResult> {
    const event: Item = {
      ...eventKey(eventId),
      kind: { S: 'alert-event' },
      schema: { N: '1' },
      decision: { S: record.decision },
      ...(record.carried ? { carriedCount: { N: String(record.carried.count) }, carriedSince: { N: String(record.carried.since) } } : {}),
      ...(record.delivered.length > 0 ? { delivered: { SS: [...record.delivered] } } : {}),
      expiresAt: seconds(this.clock() + EVENT_RETENTION_MS),
    };
    try {
      await this.#send('commit alert', () =>
        this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: this.table, Item: event, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Put: {
                  TableName: this.table,
                  Item: windowItem(foldKey, next),
                  ...(expectedRevision === undefined
                    ? { ConditionExpression: 'attribute_not_exists(pk)' }
                    : { ConditionExpression: 'revision = :revision', ExpressionAttributeValues: { ':revision': { N: String(expectedRevision) } } }),
                },
              },
            ],
          }),
        ),
      );
      return 'committed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'conflict';
      // A cancellation for another reason (a transaction conflict with a concurrent writer): decide again.
      if (reasons.some((r) => r.Code === 'TransactionConflict')) return 'conflict';
      throw new AlertStoreError(`commit alert: DynamoDB table ${this.table} cancelled the transaction (${reasons.map((r) => r.Code).join(',')})`, { table: this.table }, { cause: error });
    }
  }

  async markDelivered(eventId: string, channel: string): Promise<void> {
    await this.#send('mark alert delivered', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: eventKey(eventId),
          UpdateExpression: 'ADD delivered :channel',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':channel': { SS: [channel] } },
        }),
      ),
    );
  }

  async dueWindows(now: number, limit: number): Promise<Array<{ foldKey: string; window: FoldWindow }>> {
    const { Items: items = [] } = await this.#send('query due alert windows', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: INDEX,
          KeyConditionExpression: 'attention = :kind AND attentionAt <= :now',
          ExpressionAttributeValues: { ':kind': { S: FOLD_ATTENTION }, ':now': { N: String(now) } },
          Limit: limit,
        }),
      ),
    );
    return items.map((item) => windowOf(item, this.table)).filter(({ window }) => window.folded > 0);
  }

  async replaceWindow(foldKey: string, next: FoldWindow, expectedRevision: number): Promise<boolean> {
    try {
      await this.#send('replace alert window', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: windowItem(foldKey, next),
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeValues: { ':revision': { N: String(expectedRevision) } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
