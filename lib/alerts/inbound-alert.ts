/**
 * The alert function's input, validated at the boundary: an EventBridge event as Lambda receives it
 * (`{version, id, 'detail-type', source, account, time, region, resources, detail}`), of source `sigil` and
 * of an alert detail type; or the scheduled event that asks for a flush of closed fold windows.
 *
 * EventBridge's own envelope fields are accepted as they come (AWS adds fields over time); the detail is
 * held to the catalogue's shape (strings, numbers, booleans, null, arrays of strings) and a size bound.
 * A malformed event is an InvalidEventError (lib/events/inbound.ts): the caller logs it and drops it, since
 * retrying an event that can never parse would only loop.
 */
import type { EventDetail } from '../events/catalogue.js';
import { EVENT_SOURCE } from '../events/catalogue.js';
import { InvalidEventError } from '../events/inbound.js';
import { isAlertDetailType, type AlertDetailType } from './alert.js';

export interface InboundAlertEvent {
  readonly kind: 'alert';
  /** EventBridge's event id: the same on every redelivery of one event (the idempotency key). */
  readonly eventId: string;
  readonly detailType: AlertDetailType;
  readonly detail: EventDetail;
  readonly time: string;
}

export interface FlushRequest {
  readonly kind: 'flush';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_FIELDS = 64;
const MAX_TEXT = 4096;
const MAX_LIST = 256;

function detailOf(value: unknown): EventDetail {
  if (!isObject(value)) throw new InvalidEventError('the event detail is not a JSON object');
  const entries = Object.entries(value);
  if (entries.length > MAX_FIELDS) throw new InvalidEventError(`the event detail has ${entries.length} fields; at most ${MAX_FIELDS} are accepted`);
  const detail: Record<string, EventDetail[string]> = {};
  for (const [key, v] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key)) throw new InvalidEventError(`the event detail has a field name that is not an identifier (${key.length} characters)`);
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) detail[key] = v;
    else if (typeof v === 'string' && v.length <= MAX_TEXT) detail[key] = v;
    else if (Array.isArray(v) && v.length <= MAX_LIST && v.every((item) => typeof item === 'string' && item.length <= MAX_TEXT)) detail[key] = v as string[];
    else throw new InvalidEventError(`the event detail field "${key}" is not a string, finite number, boolean, null or short list of strings`);
  }
  return detail;
}

/** An alert event or a flush request, from what Lambda handed the alert function. */
export function parseAlertInput(event: unknown): InboundAlertEvent | FlushRequest {
  if (!isObject(event)) throw new InvalidEventError('the event is not a JSON object');
  // The alert function's own schedule (serverless.yml): close fold windows that no new alert closed.
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return { kind: 'flush' };
  if (event.source !== EVENT_SOURCE) throw new InvalidEventError(`the event's source is not "${EVENT_SOURCE}"`);
  const type = event['detail-type'];
  if (typeof type !== 'string' || !isAlertDetailType(type)) throw new InvalidEventError("the event's detail-type is not an alert detail type");
  if (typeof event.id !== 'string' || !EVENT_ID.test(event.id)) throw new InvalidEventError('the event has no id (1 to 128 characters of [A-Za-z0-9._:-])');
  if (typeof event.time !== 'string' || !ISO_TIME.test(event.time) || Number.isNaN(Date.parse(event.time))) throw new InvalidEventError('the event has no ISO 8601 time');
  return { kind: 'alert', eventId: event.id, detailType: type, detail: detailOf(event.detail), time: new Date(event.time).toISOString() };
}
