/**
 * Fuzzing the boundary for Tatum's pending transactions (lib/tatum/pending-transaction.ts): whatever
 * JSON comes, the parser returns a transaction satisfying the schema or throws TatumResponseError —
 * never another error, never a half-checked value — and a list never fails as a whole because of its
 * items.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePendingTransaction, parsePendingTransactionList, type PendingTransaction } from '../../lib/tatum/pending-transaction.js';
import { TatumResponseError } from '../../lib/tatum/tatum-errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIELDS = ['id', 'chain', 'serializedTransaction', 'hashes', 'index', 'signatures', 'withdrawalId', 'withdrawalResponses', 'txId'];

function expectValid(tx: PendingTransaction): void {
  expect(Object.keys(tx).sort()).toEqual([...FIELDS].sort());
  expect(tx.id).toMatch(/^[0-9a-f]{24}$/);
  expect(tx.chain).toMatch(/^[A-Z][A-Z0-9_]{1,15}$/);
  expect(typeof tx.serializedTransaction).toBe('string');
  expect(tx.serializedTransaction.length).toBeGreaterThan(0);
  for (const hash of tx.hashes) expect(hash).toMatch(UUID);
  if (tx.index !== null) expect(Number.isInteger(tx.index) && tx.index >= 0 && tx.index < 2 ** 31).toBe(true);
  for (const s of tx.signatures ?? []) {
    expect(Object.keys(s).sort()).toEqual(['id', 'index']);
    expect(s.id).toMatch(UUID);
    expect(Number.isInteger(s.index) && s.index >= 0 && s.index < 2 ** 31).toBe(true);
  }
  if (tx.withdrawalId !== null) expect(tx.withdrawalId).toMatch(/^[\x21-\x7e]{1,128}$/);
  if (tx.withdrawalResponses !== null) expect(Array.isArray(tx.withdrawalResponses)).toBe(true);
  if (tx.txId !== null) expect(tx.txId).toMatch(/^[\x21-\x7e]{1,256}$/);
}

/** Parse, and classify: a valid transaction, or a typed error naming a field. Anything else fails the test. */
function parseOrTyped(value: unknown): PendingTransaction | TatumResponseError {
  try {
    const tx = parsePendingTransaction(value);
    expectValid(tx);
    return tx;
  } catch (error) {
    if (!(error instanceof TatumResponseError)) throw error;
    expect(error.field.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/\n/);
    return error;
  }
}

const hex24 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 });
const uuid = fc.uuid().map((u) => u.toLowerCase());
const index = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const validItem = fc.record(
  {
    id: hex24,
    chain: fc.constantFrom('BTC', 'ETH', 'LTC', 'DOGE', 'MATIC', 'BSC'),
    serializedTransaction: fc.string({ minLength: 1, maxLength: 200 }),
    hashes: fc.array(uuid, { maxLength: 4 }),
    index: fc.option(index),
    signatures: fc.option(fc.array(fc.record({ id: uuid, index }), { maxLength: 3 })),
    withdrawalId: fc.option(hex24),
    withdrawalResponses: fc.option(fc.array(fc.jsonValue(), { maxLength: 3 })),
    txId: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/)),
  },
  { requiredKeys: ['id', 'chain', 'serializedTransaction', 'hashes'] },
);

/** A valid item with one field dropped, replaced by arbitrary JSON, or renamed; plus extra fields. */
const mutatedItem = fc
  .tuple(
    validItem,
    fc.constantFrom(...FIELDS),
    fc.oneof(fc.constant<'drop'>('drop'), fc.constant<'replace'>('replace'), fc.constant<'nest'>('nest')),
    fc.jsonValue(),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }),
  )
  .map(([item, field, how, value, extra]) => {
    const copy: Record<string, unknown> = { ...extra, ...item };
    if (how === 'drop') delete copy[field];
    else if (how === 'replace') copy[field] = value;
    else copy[field] = Array.isArray(copy[field]) ? [...(copy[field] as unknown[]), value] : { inner: value };
    return copy;
  });

describe('fuzz: parsePendingTransaction', () => {
  it('accepts every generated valid item, extra fields included, as the same values', () => {
    fc.assert(
      fc.property(validItem, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }), (item, extra) => {
        const tx = parseOrTyped(JSON.parse(JSON.stringify({ ...extra, ...item })));
        expect(tx).not.toBeInstanceOf(TatumResponseError);
        const parsed = tx as PendingTransaction;
        expect(parsed.id).toBe(item.id);
        expect(parsed.hashes).toEqual(item.hashes);
        expect(parsed.index).toBe(item.index ?? null);
        expect(parsed.signatures).toEqual(item.signatures ?? null);
      }),
      { numRuns: 3000 },
    );
  });

  it('answers random JSON with a typed error or a valid transaction, nothing else', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => void parseOrTyped(value)), { numRuns: 5000 });
    fc.assert(fc.property(fc.anything(), (value) => void parseOrTyped(value)), { numRuns: 3000 });
  });

  it('answers mutated valid items with a typed error or a valid transaction', () => {
    fc.assert(fc.property(mutatedItem, (value) => void parseOrTyped(JSON.parse(JSON.stringify(value)))), { numRuns: 5000 });
  });

  it('never lets a bad item sink a list, and accounts for every item', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validItem, mutatedItem, fc.jsonValue()), { maxLength: 12 }), (items) => {
        const chain = 'ETH';
        const list = parsePendingTransactionList(JSON.parse(JSON.stringify(items)), chain);
        expect(list.transactions.length + list.rejected.length).toBe(items.length);
        for (const tx of list.transactions) {
          expectValid(tx);
          expect(tx.chain).toBe(chain);
        }
        expect(new Set(list.transactions.map((t) => t.id)).size).toBe(list.transactions.length);
        for (const r of list.rejected) if (r.id !== null) expect(r.id).toMatch(/^[0-9a-f]{24}$/);
      }),
      { numRuns: 2000 },
    );
  });
});
