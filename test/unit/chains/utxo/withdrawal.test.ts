/**
 * The ledger-withdrawal variant: the schema of `withdrawalResponses` and the derivation indexes it yields
 * (change entries skipped, every spending entry tied to an outpoint of the transaction).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWithdrawalResponses, utxoFamily, withdrawalSigningIndexes } from '../../../../lib/chains/utxo/index.js';
import { defaultRegistry } from '../../../../lib/chains/registry.js';
import { InvalidTransactionError } from '../../../../lib/errors.js';

interface Vector { name: string; serializedTransaction: string; withdrawalResponses?: Array<Record<string, any>> }
const { vectors } = JSON.parse(readFileSync(new URL('../../../vectors/utxo-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const vector = vectors.find((v) => v.name === 'btc-withdrawal-mainnet')!;
const btc = defaultRegistry.resolve('BTC', 'mainnet');
const tx = utxoFamily.parse(vector.serializedTransaction, btc);
const responses = () => structuredClone(vector.withdrawalResponses!);

function refused(value: unknown, field: string | RegExp): void {
  let caught: unknown;
  try {
    withdrawalSigningIndexes(value, tx, btc);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidTransactionError);
  const error = caught as InvalidTransactionError;
  if (typeof field === 'string') expect(error.context.field).toBe(field);
  else expect(error.message).toMatch(field);
}

describe('withdrawalResponses', () => {
  it('yields each derivation key once, in first-use order, skipping the change entry', () => {
    expect(withdrawalSigningIndexes(responses(), tx, btc)).toEqual([3, 7]);
    const reordered = responses().reverse();
    expect(withdrawalSigningIndexes(reordered, tx, btc)).toEqual([3, 7]);
    reordered.unshift(reordered.splice(2, 1)[0]!); // the entry with key 7 first
    expect(withdrawalSigningIndexes(reordered, tx, btc)).toEqual([7, 3]);
  });

  it('parses the entries as Tatum sends them (amounts as numbers or strings, null or missing optional fields)', () => {
    const entries = responses();
    entries[0]!.amount = '0.0006';
    delete entries[0]!.scriptPubKey;
    entries[1]!.address.destinationTag = null;
    entries[1]!.address.xpub = null;
    entries[2]!.scriptPubKey = '0014c91c38c2b3da545f1c2d4e90c3028784ca96c888';
    delete entries[3]!.address;
    const parsed = parseWithdrawalResponses(entries)!;
    expect(parsed.map((e) => e.amount)).toEqual(['0.0006', '0.00085', '0.00015', '0.00038']);
    expect(parsed[1]!.address).toEqual({ address: entries[1]!.address.address, currency: 'BTC', derivationKey: 7 });
    expect(parsed[2]!.scriptPubKey).toBe(entries[2]!.scriptPubKey);
    expect(parsed[3]).toEqual({ address: null, amount: '0.00038', vIn: '-1', vInIndex: -1 });
    expect(parseWithdrawalResponses(null)).toBeNull();
    expect(parseWithdrawalResponses(undefined)).toBeNull();
  });

  it('accepts vIn in upper-case hex as the same outpoint', () => {
    const entries = responses();
    entries[1]!.vIn = entries[1]!.vIn.toUpperCase();
    expect(withdrawalSigningIndexes(entries, tx, btc)).toEqual([3, 7]);
  });

  it('refuses a ledger withdrawal without responses, or with change entries only', () => {
    refused(null, 'withdrawalResponses');
    refused([], /no input to sign/);
    refused([responses()[3]], /no input to sign/);
  });

  it.each([
    ['not an array', () => ({}), 'withdrawalResponses'],
    ['an unknown entry field', (r: any[]) => { r[0].vOut = 1; return r; }, 'withdrawalResponses[0].vOut'],
    ['an unknown address field', (r: any[]) => { r[0].address.index = 3; return r; }, 'withdrawalResponses[0].address.index'],
    ['a memo on a UTXO address', (r: any[]) => { r[0].address.memo = 'x'; return r; }, 'withdrawalResponses[0].address.memo'],
    ['a spending entry without address', (r: any[]) => { r[1].address = null; return r; }, 'withdrawalResponses[1].address.derivationKey'],
    ['a spending entry without derivationKey', (r: any[]) => { delete r[1].address.derivationKey; return r; }, 'withdrawalResponses[1].address.derivationKey'],
    ['a hardened derivationKey', (r: any[]) => { r[1].address.derivationKey = 2 ** 31; return r; }, 'withdrawalResponses[1].address.derivationKey'],
    ['a negative derivationKey', (r: any[]) => { r[1].address.derivationKey = -1; return r; }, 'withdrawalResponses[1].address.derivationKey'],
    ['a derivationKey as a string', (r: any[]) => { r[1].address.derivationKey = '7'; return r; }, 'withdrawalResponses[1].address.derivationKey'],
    ['another currency', (r: any[]) => { r[0].address.currency = 'LTC'; return r; }, 'withdrawalResponses[0].address.currency'],
    ['a vIn that is not a txid', (r: any[]) => { r[0].vIn = '-2'; return r; }, 'withdrawalResponses[0].vIn'],
    ['a negative vInIndex on a spending entry', (r: any[]) => { r[0].vInIndex = -1; return r; }, 'withdrawalResponses[0].vInIndex'],
    ['a negative amount', (r: any[]) => { r[0].amount = -0.1; return r; }, 'withdrawalResponses[0].amount'],
    ['an amount in exponent form', (r: any[]) => { r[0].amount = '6e-4'; return r; }, 'withdrawalResponses[0].amount'],
    ['a missing vIn', (r: any[]) => { delete r[0].vIn; return r; }, 'withdrawalResponses[0].vIn'],
    ['an outpoint the transaction does not spend', (r: any[]) => { r[0].vInIndex = 1; return r; }, 'withdrawalResponses[0]'],
    ['an unknown txid', (r: any[]) => { r[0].vIn = 'ee'.repeat(32); return r; }, 'withdrawalResponses[0]'],
  ])('refuses %s', (_what, mutate: (entries: any[]) => unknown, field) => {
    refused(mutate(responses()), field);
  });
});
