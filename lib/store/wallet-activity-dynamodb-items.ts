/**
 * The items of the DynamoDB wallet-activity table (wallet-activity-dynamodb.ts has the layout): building them
 * from entries, and reading them back through the same checks as the port's input (a damaged item is
 * CORRUPT_RECORD, a newer one UNSUPPORTED_SCHEMA).
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SigilError } from '../errors.js';
import { StoreError } from './store-error.js';
import { ACTIVITY_RETENTION_MS, ACTIVITY_SCHEMA_VERSION, checkActivityEntry, timeKey, type ActivityEntry } from './wallet-activity.js';

export type Item = Record<string, AttributeValue>;

export const ACTIVITY_TIME_INDEX = 'byTime';
export const ACTIVITY_TTL_ATTRIBUTE = 'expiresAt';
export const MAX_PLAIN_DESTINATION = 900;

export function entrySk(pendingId: string): string {
  return `tx#${pendingId}`;
}

export function markerSk(destination: string): string {
  return destination.length > MAX_PLAIN_DESTINATION ? `dest#sha256:${createHash('sha256').update(destination).digest('hex')}` : `dest#${destination}`;
}

export function entryItem(entry: ActivityEntry): Item {
  return {
    wallet: { S: entry.wallet },
    sk: { S: entrySk(entry.pendingId) },
    kind: { S: 'entry' },
    schema: { N: String(ACTIVITY_SCHEMA_VERSION) },
    pendingId: { S: entry.pendingId },
    chain: { S: entry.chain },
    at: { N: String(entry.at) },
    amount: { S: entry.amount },
    destinations: { L: entry.destinations.map((d) => ({ S: d })) },
    timeKey: { S: timeKey(entry.at, entry.pendingId) },
    [ACTIVITY_TTL_ATTRIBUTE]: { N: String(Math.floor((entry.at + ACTIVITY_RETENTION_MS) / 1000)) },
  };
}

export function checkSchema(item: Item, origin: string): void {
  const schema = item.schema?.N !== undefined && /^\d{1,6}$/.test(item.schema.N) ? Number(item.schema.N) : undefined;
  if (schema !== undefined && schema > ACTIVITY_SCHEMA_VERSION) {
    throw new StoreError('UNSUPPORTED_SCHEMA', `${origin} has schema ${schema}, newer than this build knows (${ACTIVITY_SCHEMA_VERSION}); upgrade Sigil`, { origin, schema });
  }
  if (schema === undefined || schema < 1) throw new StoreError('CORRUPT_RECORD', `${origin}: schema is missing or not a number`, { origin });
}

export function parseEntryItem(item: Item): ActivityEntry {
  const origin = 'dynamodb wallet activity entry';
  checkSchema(item, origin);
  const at = item.at?.N !== undefined && /^\d{1,16}$/.test(item.at.N) ? Number(item.at.N) : Number.NaN;
  const list = item.destinations?.L;
  let entry: ActivityEntry;
  try {
    entry = checkActivityEntry({
      wallet: item.wallet?.S as string,
      pendingId: item.pendingId?.S as string,
      chain: item.chain?.S as string,
      at,
      amount: item.amount?.S as string,
      destinations: list ? list.map((v) => v.S as string) : (undefined as unknown as string[]),
    });
  } catch {
    throw new StoreError('CORRUPT_RECORD', `${origin} fails the schema (wallet, pendingId, chain, at, amount or destinations)`, { origin });
  }
  if (item.kind?.S !== 'entry' || item.sk?.S !== entrySk(entry.pendingId) || item.timeKey?.S !== timeKey(entry.at, entry.pendingId)) {
    throw new StoreError('CORRUPT_RECORD', `${origin} ${entry.pendingId}: kind, sk or timeKey disagree with the entry`, { origin, pendingId: entry.pendingId });
  }
  return entry;
}

export interface Marker {
  readonly first: string;
  readonly second?: string;
}

export function parseMarker(item: Item): Marker {
  const origin = 'dynamodb wallet activity destination marker';
  checkSchema(item, origin);
  const first = item.first?.S;
  const second = item.second?.S;
  if (item.kind?.S !== 'dest' || first === undefined || !/^[0-9a-f]{24}$/.test(first) || (second !== undefined && !/^[0-9a-f]{24}$/.test(second))) {
    throw new StoreError('CORRUPT_RECORD', `${origin}: kind, first or second is malformed`, { origin });
  }
  return second === undefined ? { first } : { first, second };
}

/** An AWS SDK failure as a StoreError (SigilErrors pass through); the SDK's text stays in `cause`. */
export function unavailable(error: unknown, table: string, action: string): SigilError {
  if (error instanceof SigilError) return error;
  const name = error instanceof Error ? error.name : 'unknown';
  const missing = name === 'ResourceNotFoundException' ? ' does not exist (create it with createActivityTable or the stack)' : ` failed (${name})`;
  return new StoreError('STORE_UNAVAILABLE', `${action}: activity table ${table}${missing}`, { table, action, aws: name }, { cause: error });
}
