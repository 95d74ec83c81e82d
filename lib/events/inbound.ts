/**
 * Events that reach the Lambda functions, validated at the boundary: an EventBridge event of source `sigil`
 * (delivered directly, or as the body of an SQS message), of which only `detail.pendingId` is used — every
 * other fact is re-read from the ledger, so an event that lies changes nothing.
 */
import { SigilError } from '../errors.js';
import { PENDING_ID } from '../tatum/pending-transaction.js';
import { DETAIL_TYPES, EVENT_SOURCE, type DetailType } from './catalogue.js';

export class InvalidEventError extends SigilError {
  constructor(message: string) {
    super('INVALID_EVENT', message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The pending id of a Sigil EventBridge event of one of `types`. */
export function pendingIdOfEvent(event: unknown, types: readonly DetailType[]): string {
  if (!isObject(event)) throw new InvalidEventError('the event is not a JSON object');
  if (event.source !== EVENT_SOURCE) throw new InvalidEventError(`the event's source is not "${EVENT_SOURCE}"`);
  const type = event['detail-type'];
  if (typeof type !== 'string' || !(DETAIL_TYPES as readonly string[]).includes(type) || !types.includes(type as DetailType)) {
    throw new InvalidEventError(`the event's detail-type is not one of ${types.join(', ')}`);
  }
  const detail = event.detail;
  if (!isObject(detail) || typeof detail.pendingId !== 'string' || !PENDING_ID.test(detail.pendingId)) {
    throw new InvalidEventError('the event detail has no pendingId (24 hex)');
  }
  return detail.pendingId;
}

export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

/** The records of an SQS event (Lambda event source mapping). */
export function sqsRecordsOf(event: unknown): SqsRecord[] {
  if (!isObject(event) || !Array.isArray(event.Records)) throw new InvalidEventError('not an SQS event (no Records array)');
  return event.Records.map((record, i) => {
    if (!isObject(record) || typeof record.messageId !== 'string' || typeof record.body !== 'string') {
      throw new InvalidEventError(`SQS record ${i} has no messageId or body`);
    }
    return { messageId: record.messageId, body: record.body };
  });
}

/** JSON.parse that reports a typed error. */
export function parseEventJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidEventError('the message body is not JSON');
  }
}
