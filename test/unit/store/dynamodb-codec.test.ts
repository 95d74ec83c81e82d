import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { fromAttributeValue, fromItem, toAttributeValue, toItem } from '../../../lib/store/dynamodb-codec.js';
import { StoreError } from '../../../lib/store/store-error.js';
import { makeWalletRecord } from '../../contract/wallet-store.contract.js';

describe('DynamoDB attribute codec', () => {
  it('writes the documented wire shape of a record', () => {
    const record = makeWalletRecord();
    const item = toItem({ ...record });
    expect(item.schema).toStrictEqual({ N: '1' });
    expect(item.testnet).toStrictEqual({ BOOL: false });
    expect(item.sealed).toStrictEqual({ M: Object.fromEntries(Object.entries(record.sealed).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }])) });
    expect(item.address).toBeUndefined();
    expect(toAttributeValue(null)).toStrictEqual({ NULL: true });
    expect(toAttributeValue([1, 'a'])).toStrictEqual({ L: [{ N: '1' }, { S: 'a' }] });
  });

  it('round-trips any JSON value', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const value: unknown = JSON.parse(text);
        expect(JSON.stringify(fromAttributeValue(toAttributeValue(value)))).toBe(JSON.stringify(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses values it cannot store faithfully', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol('s')]) {
      expect(() => toAttributeValue(value)).toThrow(InvalidInputError);
    }
  });

  it('reads binary and set types as a corrupt record', () => {
    for (const value of [{ B: new Uint8Array([1]) }, { SS: ['a'] }, { NS: ['1'] }, { BS: [new Uint8Array([1])] }]) {
      expect(() => fromItem({ sealed: value })).toThrow(StoreError);
      try {
        fromItem({ sealed: value });
      } catch (error) {
        expect((error as StoreError).code).toBe('CORRUPT_RECORD');
      }
    }
  });

  it('keeps a malformed number as a string, and a __proto__ key as an own field', () => {
    expect(fromAttributeValue({ N: '0x10' })).toBe('0x10');
    const object = fromItem(JSON.parse('{"__proto__": {"M": {"polluted": {"BOOL": true}}}}'));
    expect(Object.keys(object)).toStrictEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
