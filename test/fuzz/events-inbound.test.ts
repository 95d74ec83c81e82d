/**
 * Fuzzing lib/events/inbound.ts, the boundary every Lambda event crosses: whatever JSON arrives (random
 * values, valid events mutated field by field, arbitrary message bodies), the parsers either return a
 * 24-hex pending id / well-formed SQS records, or throw InvalidEventError — never another error, never a
 * value that did not pass the checks. For mutated events, acceptance is compared with an independent
 * statement of the schema.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type DetailType } from '../../lib/events/catalogue.js';
import { InvalidEventError, parseEventJson, pendingIdOfEvent, sqsRecordsOf } from '../../lib/events/inbound.js';

const RUNS = 5_000;
const PENDING_ID = /^[0-9a-f]{24}$/;

/** The outcome of `run`: its value, or the InvalidEventError it threw; any other throw fails the property. */
function outcome<T>(run: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    expect(error.code).toBe('INVALID_EVENT');
    expect(error.message).not.toMatch(/\n/);
    return { ok: false };
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema, stated independently of the implementation. */
function shouldAccept(event: unknown, types: readonly DetailType[]): boolean {
  if (!isPlainObject(event) || event.source !== 'sigil') return false;
  const type = event['detail-type'];
  if (!types.some((t) => t === type)) return false;
  const detail = event.detail;
  return isPlainObject(detail) && typeof detail.pendingId === 'string' && PENDING_ID.test(detail.pendingId);
}

const hex24 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 });
const detailType = fc.constantFrom(...DETAIL_TYPES);
const acceptedTypes = fc.subarray([...DETAIL_TYPES], { minLength: 0, maxLength: 3 });

const validEvent = fc.record({
  version: fc.constant('0'),
  id: fc.uuid(),
  'detail-type': detailType,
  source: fc.constant('sigil'),
  account: fc.stringMatching(/^\d{12}$/),
  time: fc.constant('2026-01-01T00:00:00Z'),
  region: fc.constantFrom('us-east-1', 'eu-west-1'),
  resources: fc.constant([] as string[]),
  detail: fc.record({ pendingId: hex24, chain: fc.constantFrom('ETH', 'BTC'), network: fc.constantFrom('testnet', 'mainnet') }),
});

/** Near-misses of each checked field, plus arbitrary JSON. */
const nearMiss = fc.oneof(
  fc.jsonValue(),
  hex24.map((id) => id.toUpperCase()),
  hex24.map((id) => id.slice(1)),
  hex24.map((id) => `${id}0`),
  hex24.map((id) => `${id}\n`),
  hex24.map((id) => ` ${id}`),
  hex24.map((id) => [id]),
  fc.constantFrom('SIGIL', 'sigil ', 'aws.events', 'transaction signed', 'Pending Transaction Approved ', '', null),
  detailType,
);

type Json = unknown;
type Mutation = (event: Record<string, Json>) => void;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom<Mutation>(
    (e) => delete e.source,
    (e) => delete e['detail-type'],
    (e) => delete e.detail,
    (e) => isPlainObject(e.detail) && delete e.detail.pendingId,
  ),
  fc.tuple(fc.constantFrom('source', 'detail-type', 'detail', 'Records', 'extra'), nearMiss).map<Mutation>(([field, value]) => (e) => {
    e[field] = value;
  }),
  fc.tuple(fc.constantFrom('pendingId', 'chain', 'serializedTransaction', 'raw', '__proto__'), nearMiss).map<Mutation>(([field, value]) => (e) => {
    if (isPlainObject(e.detail)) Object.defineProperty(e.detail, field, { value, enumerable: true, writable: true, configurable: true });
  }),
);

describe('inbound events under fuzzing', () => {
  it('random JSON: an id of 24 hex or InvalidEventError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), acceptedTypes, (value, types) => {
        const result = outcome(() => pendingIdOfEvent(value, types));
        if (result.ok) expect(result.value).toMatch(PENDING_ID);
        expect(result.ok).toBe(shouldAccept(value, types));
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid events: accepted exactly when the schema says so, and then with the event\'s own id', () => {
    let accepted = 0;
    fc.assert(
      fc.property(validEvent, fc.array(mutation, { minLength: 0, maxLength: 3 }), acceptedTypes, fc.boolean(), (event, mutations, others, withOwn) => {
        // Half the runs accept the event's own detail-type, so valid events survive often enough to matter.
        const types = withOwn ? [...others, event['detail-type']] : others;
        const mutated = structuredClone(event) as Record<string, Json>;
        for (const mutate of mutations) mutate(mutated);
        // Through JSON, as the handlers receive it (an SQS body, or the Lambda runtime's parse).
        const delivered = JSON.parse(JSON.stringify(mutated)) as unknown;
        const result = outcome(() => pendingIdOfEvent(delivered, types));
        expect(result.ok).toBe(shouldAccept(delivered, types));
        accepted += result.ok ? 1 : 0;
        if (result.ok) {
          expect(result.value).toMatch(PENDING_ID);
          expect(result.value).toBe((delivered as { detail: { pendingId: string } }).detail.pendingId);
        }
      }),
      { numRuns: RUNS },
    );
    // Both sides of the schema were exercised.
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(accepted).toBeLessThan(RUNS - RUNS / 10);
  });

  it('arbitrary message bodies: parseEventJson then pendingIdOfEvent yield an id or InvalidEventError', () => {
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.tuple(validEvent, fc.nat({ max: 400 })).map(([e, cut]) => JSON.stringify(e).slice(0, cut)),
      validEvent.map((e) => JSON.stringify(e)),
    );
    fc.assert(
      fc.property(body, (text) => {
        const result = outcome(() => pendingIdOfEvent(parseEventJson(text), ['Pending Transaction Approved', 'Transaction Signed']));
        if (result.ok) expect(result.value).toMatch(PENDING_ID);
      }),
      { numRuns: RUNS },
    );
  });

  it('SQS events: one well-formed record per input record, or InvalidEventError', () => {
    const record = fc.oneof(
      fc.record({ messageId: fc.uuid(), receiptHandle: fc.string(), body: fc.string(), eventSource: fc.constant('aws:sqs') }),
      fc.record({ messageId: fc.jsonValue(), body: fc.jsonValue() }, { requiredKeys: [] }),
      fc.jsonValue(),
    );
    const event = fc.oneof(fc.record({ Records: fc.array(record, { maxLength: 5 }) }), fc.record({ Records: fc.jsonValue() }), fc.jsonValue());
    fc.assert(
      fc.property(event, (value) => {
        const result = outcome(() => sqsRecordsOf(value));
        if (!result.ok) return;
        const input = (value as { Records: unknown[] }).Records;
        expect(result.value).toHaveLength(input.length);
        result.value.forEach((r, i) => {
          expect(Object.keys(r).sort()).toEqual(['body', 'messageId']);
          expect(r).toEqual({ messageId: (input[i] as { messageId: unknown }).messageId, body: (input[i] as { body: unknown }).body });
          expect(typeof r.messageId).toBe('string');
          expect(typeof r.body).toBe('string');
        });
      }),
      { numRuns: RUNS },
    );
  });
});
