/**
 * lib/events/inbound.ts: the boundary of the Lambda handlers. Every rejection is an InvalidEventError (code
 * INVALID_EVENT, which the sign handler drops instead of retrying); an accepted event yields only
 * `detail.pendingId`, whatever else it carries.
 */
import { describe, expect, it } from 'vitest';
import { SigilError } from '../../../lib/errors.js';
import { DETAIL_TYPES } from '../../../lib/events/catalogue.js';
import { InvalidEventError, parseEventJson, pendingIdOfEvent, sqsRecordsOf } from '../../../lib/events/inbound.js';

const ID = '0123456789abcdef01234567';

function approved(overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = { pendingId: ID, chain: 'ETH', network: 'testnet' }) {
  // The shape EventBridge delivers (and an SQS target carries as its body).
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Pending Transaction Approved',
    source: 'sigil',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

function rejection(run: () => unknown): InvalidEventError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidEventError);
  const error = caught as InvalidEventError;
  expect(error).toBeInstanceOf(SigilError);
  expect(error.code).toBe('INVALID_EVENT');
  expect(error.name).toBe('InvalidEventError');
  expect(error.message).not.toMatch(/\n/);
  return error;
}

describe('pendingIdOfEvent', () => {
  it('returns detail.pendingId of an event of an accepted type, ignoring every other field', () => {
    expect(pendingIdOfEvent(approved(), ['Pending Transaction Approved'])).toBe(ID);
    const lying = approved({ extra: true }, { pendingId: ID, chain: 'BTC', serializedTransaction: '{"to":"0xattacker"}', raw: '0xdead', hash: 'x' });
    expect(pendingIdOfEvent(lying, ['Pending Transaction Approved'])).toBe(ID);
    const signed = approved({ 'detail-type': 'Transaction Signed' });
    expect(pendingIdOfEvent(signed, ['Pending Transaction Approved', 'Transaction Signed'])).toBe(ID);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'sigil'],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [approved()]],
  ])('rejects %s as not a JSON object', (_what, value) => {
    expect(rejection(() => pendingIdOfEvent(value, ['Pending Transaction Approved'])).message).toMatch(/not a JSON object/);
  });

  it.each([
    ['missing', { source: undefined }],
    ['another service', { source: 'aws.events' }],
    ['upper case', { source: 'SIGIL' }],
    ['padded', { source: ' sigil' }],
    ['not a string', { source: ['sigil'] }],
  ])('rejects a source that is %s', (_what, overrides) => {
    expect(rejection(() => pendingIdOfEvent(approved(overrides), ['Pending Transaction Approved'])).message).toMatch(/source is not "sigil"/);
  });

  it.each([
    ['missing', { 'detail-type': undefined }],
    ['not a string', { 'detail-type': 7 }],
    ['not in the catalogue', { 'detail-type': 'Pending Transaction Approve' }],
    ['of another case', { 'detail-type': 'pending transaction approved' }],
    ['in the catalogue but not accepted here', { 'detail-type': 'Transaction Signed' }],
    ['spelled detailType (the SDK field, not the delivered one)', { 'detail-type': undefined, detailType: 'Pending Transaction Approved' }],
  ])('rejects a detail-type that is %s', (_what, overrides) => {
    expect(rejection(() => pendingIdOfEvent(approved(overrides), ['Pending Transaction Approved'])).message).toMatch(/detail-type is not one of Pending Transaction Approved/);
  });

  it('accepts no type at all when given an empty list, even a catalogued one', () => {
    for (const type of DETAIL_TYPES) rejection(() => pendingIdOfEvent(approved({ 'detail-type': type }), []));
  });

  it.each([
    ['missing', { detail: undefined }],
    ['null', { detail: null }],
    ['an array', { detail: [{ pendingId: ID }] }],
    ['a JSON string of a detail', { detail: JSON.stringify({ pendingId: ID }) }],
  ])('rejects a detail that is %s', (_what, overrides) => {
    expect(rejection(() => pendingIdOfEvent(approved(overrides), ['Pending Transaction Approved'])).message).toMatch(/no pendingId \(24 hex\)/);
  });

  it.each([
    ['missing', {}],
    ['a number', { pendingId: 123456789 }],
    ['an array of the id', { pendingId: [ID] }],
    ['upper-case hex', { pendingId: ID.toUpperCase() }],
    ['23 characters', { pendingId: ID.slice(1) }],
    ['25 characters', { pendingId: `${ID}0` }],
    ['not hex', { pendingId: `${ID.slice(1)}g` }],
    ['followed by a newline', { pendingId: `${ID}\n` }],
    ['preceded by a space', { pendingId: ` ${ID}` }],
    ['empty', { pendingId: '' }],
    ['spelled pendingID', { pendingID: ID }],
    ['only at the top level', { id: ID }],
  ])('rejects a pendingId that is %s', (_what, detail) => {
    expect(rejection(() => pendingIdOfEvent(approved({}, detail), ['Pending Transaction Approved'])).message).toMatch(/no pendingId \(24 hex\)/);
  });

  it('does not take a pendingId smuggled in through a "__proto__" key', () => {
    // JSON.parse makes "__proto__" an own field, not the prototype: detail.pendingId stays undefined.
    const text = `{"source":"sigil","detail-type":"Pending Transaction Approved","detail":{"__proto__":{"pendingId":"${ID}"}}}`;
    rejection(() => pendingIdOfEvent(parseEventJson(text), ['Pending Transaction Approved']));
  });
});

describe('sqsRecordsOf', () => {
  it('returns messageId and body of every record, in order, and nothing else', () => {
    const event = {
      Records: [
        { messageId: 'm-1', receiptHandle: 'r', body: 'one', attributes: {}, eventSource: 'aws:sqs' },
        { messageId: 'm-2', body: '' },
      ],
    };
    expect(sqsRecordsOf(event)).toEqual([
      { messageId: 'm-1', body: 'one' },
      { messageId: 'm-2', body: '' },
    ]);
    expect(sqsRecordsOf({ Records: [] })).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an array of records', [{ messageId: 'm', body: 'b' }]],
    ['an object without Records', { records: [] }],
    ['Records that is not an array', { Records: { 0: { messageId: 'm', body: 'b' } } }],
    ['Records as a string', { Records: 'm' }],
  ])('rejects %s as not an SQS event', (_what, value) => {
    expect(rejection(() => sqsRecordsOf(value)).message).toMatch(/not an SQS event/);
  });

  it.each([
    ['null', null],
    ['a string', 'm'],
    ['an array', ['m', 'b']],
    ['without messageId', { body: 'b' }],
    ['with a numeric messageId', { messageId: 1, body: 'b' }],
    ['without body', { messageId: 'm' }],
    ['with an object body', { messageId: 'm', body: { source: 'sigil' } }],
  ])('rejects a record that is %s, naming its position', (_what, record) => {
    const error = rejection(() => sqsRecordsOf({ Records: [{ messageId: 'ok', body: 'b' }, record] }));
    expect(error.message).toBe('SQS record 1 has no messageId or body');
  });
});

describe('parseEventJson', () => {
  it('parses JSON text of any value', () => {
    expect(parseEventJson(JSON.stringify(approved()))).toEqual(approved());
    expect(parseEventJson('null')).toBeNull();
    expect(parseEventJson(' [1] ')).toEqual([1]);
  });

  it.each([
    ['empty text', ''],
    ['plain text', 'hello'],
    ['truncated JSON', '{"source":"sigil"'],
    ['single quotes', "{'source':'sigil'}"],
    ['a trailing comma', '{"a":1,}'],
  ])('rejects %s without echoing it', (_what, text) => {
    const error = rejection(() => parseEventJson(text));
    expect(error.message).toBe('the message body is not JSON');
    expect(error.cause).toBeUndefined();
  });
});
