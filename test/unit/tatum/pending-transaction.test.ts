import { describe, expect, it } from 'vitest';
import vectors from '../../vectors/tatum-vectors.json' with { type: 'json' };
import { parsePendingTransaction, parsePendingTransactionList } from '../../../lib/tatum/pending-transaction.js';
import { TatumResponseError } from '../../../lib/tatum/tatum-errors.js';

const W1 = '6f2c1a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
const W2 = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ID = '5f8d0c1e2b3a4f5e6d7c8b9a';

function evmItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const signing = vectors.signing.find((v) => v.name === 'evm-eth')!;
  return { id: ID, chain: 'ETH', serializedTransaction: signing.serializedTransaction, hashes: [W1], index: 3, ...overrides };
}

function expectFieldError(value: unknown, field: string): TatumResponseError {
  let caught: unknown;
  try {
    parsePendingTransaction(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TatumResponseError);
  expect((caught as TatumResponseError).field).toBe(field);
  return caught as TatumResponseError;
}

describe('parsePendingTransaction', () => {
  it('parses an account-chain transaction and normalises missing optional fields to null', () => {
    expect(parsePendingTransaction(evmItem())).toEqual({
      id: ID,
      chain: 'ETH',
      serializedTransaction: evmItem().serializedTransaction,
      hashes: [W1],
      index: 3,
      signatures: null,
      withdrawalId: null,
      withdrawalResponses: null,
      txId: null,
    });
  });

  it('parses a UTXO transaction with per-input signatures, a ledger withdrawal and a completed one', () => {
    const btc = vectors.signing.find((v) => v.name === 'btc-p2wpkh')!;
    const tx = parsePendingTransaction({
      id: ID,
      chain: 'BTC',
      serializedTransaction: btc.serializedTransaction,
      hashes: [W1, W2],
      index: null,
      signatures: [{ id: W1, index: 0 }, { id: W2, index: 2147483647 }],
      withdrawalId: '60f1a2b3c4d5e6f7a8b9c0d1',
      withdrawalResponses: [{ vIn: '-1', amount: 1 }],
      txId: 'ff392f07c701550e915552c42a0b5f6faa631a6d6392e0fc3f7887dfb74a6806',
    });
    expect(tx.signatures).toEqual([{ id: W1, index: 0 }, { id: W2, index: 2147483647 }]);
    expect(tx.withdrawalId).toBe('60f1a2b3c4d5e6f7a8b9c0d1');
    expect(tx.withdrawalResponses).toEqual([{ vIn: '-1', amount: 1 }]);
    expect(tx.txId).toBe('ff392f07c701550e915552c42a0b5f6faa631a6d6392e0fc3f7887dfb74a6806');
  });

  it('accepts every optional field as null, and an empty txId as not completed', () => {
    const tx = parsePendingTransaction(evmItem({ index: null, signatures: null, withdrawalId: null, withdrawalResponses: null, txId: '' }));
    expect([tx.index, tx.signatures, tx.withdrawalId, tx.withdrawalResponses, tx.txId]).toEqual([null, null, null, null, null]);
  });

  it('tolerates and drops unknown fields, on the transaction and on signature items', () => {
    const tx = parsePendingTransaction(
      JSON.parse(`{"id":"${ID}","chain":"BTC","serializedTransaction":"{}","hashes":[],"signatures":[{"id":"${W1}","index":1,"extra":true}],"newField":{"a":1},"__proto__":{"polluted":true}}`),
    );
    expect(Object.keys(tx).sort()).toEqual(['chain', 'hashes', 'id', 'index', 'serializedTransaction', 'signatures', 'txId', 'withdrawalId', 'withdrawalResponses']);
    expect(tx.signatures).toEqual([{ id: W1, index: 1 }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a non-object', 'x', '(root)'],
    ['an array', [], '(root)'],
    ['a missing id', evmItem({ id: undefined }), 'id'],
    ['an upper-case id', evmItem({ id: ID.toUpperCase() }), 'id'],
    ['a 23-hex id', evmItem({ id: ID.slice(1) }), 'id'],
    ['a lower-case chain', evmItem({ chain: 'eth' }), 'chain'],
    ['a numeric chain', evmItem({ chain: 1 }), 'chain'],
    ['an empty serializedTransaction', evmItem({ serializedTransaction: '' }), 'serializedTransaction'],
    ['a parsed serializedTransaction', evmItem({ serializedTransaction: { to: '0x' } }), 'serializedTransaction'],
    ['missing hashes', evmItem({ hashes: undefined }), 'hashes'],
    ['null hashes', evmItem({ hashes: null }), 'hashes'],
    ['a hash that is no UUID', evmItem({ hashes: [W1, 'not-a-uuid'] }), 'hashes[1]'],
    ['an upper-case hash', evmItem({ hashes: [W1.toUpperCase()] }), 'hashes[0]'],
    ['a negative index', evmItem({ index: -1 }), 'index'],
    ['a hardened index', evmItem({ index: 2 ** 31 }), 'index'],
    ['a fractional index', evmItem({ index: 1.5 }), 'index'],
    ['a string index', evmItem({ index: '1' }), 'index'],
    ['signatures as an object', evmItem({ signatures: { id: W1, index: 0 } }), 'signatures'],
    ['a signature without index', evmItem({ signatures: [{ id: W1 }] }), 'signatures[0].index'],
    ['a signature with a bad id', evmItem({ signatures: [{ id: W1, index: 0 }, { id: 'x', index: 0 }] }), 'signatures[1].id'],
    ['a signature that is a string', evmItem({ signatures: [W1] }), 'signatures[0]'],
    ['an empty withdrawalId', evmItem({ withdrawalId: '' }), 'withdrawalId'],
    ['a numeric withdrawalId', evmItem({ withdrawalId: 5 }), 'withdrawalId'],
    ['withdrawalResponses as an object', evmItem({ withdrawalResponses: {} }), 'withdrawalResponses'],
    ['a numeric txId', evmItem({ txId: 7 }), 'txId'],
    ['a txId with spaces', evmItem({ txId: 'a b' }), 'txId'],
  ])('rejects %s, naming the field', (_name, value, field) => {
    expectFieldError(value, field);
  });

  it('says what came without echoing the value, and names the id once it is valid', () => {
    const secretLooking = 'L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ';
    const error = expectFieldError(evmItem({ hashes: [secretLooking] }), 'hashes[0]');
    expect(error.message).not.toContain(secretLooking);
    expect(JSON.stringify(error.context)).not.toContain(secretLooking);
    expect(error.message).toContain(`a string of ${secretLooking.length} characters`);
    expect(error.message).toContain(ID);
    expect(error.mayHaveReached).toBe(false);
    // With the API path it came from, the error describes an HTTP answer.
    let fromHttp: unknown;
    try {
      parsePendingTransaction(evmItem({ chain: 'x' }), '/v3/kms/x');
    } catch (e) {
      fromHttp = e;
    }
    expect((fromHttp as TatumResponseError).mayHaveReached).toBe(true);
    expect((fromHttp as TatumResponseError).path).toBe('/v3/kms/x');
  });
});

describe('parsePendingTransactionList', () => {
  it('returns the good items and the rejected ids with reasons, so one bad item never blocks a chain', () => {
    const good2 = evmItem({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
    const list = parsePendingTransactionList(
      [evmItem(), evmItem({ id: 'bbbbbbbbbbbbbbbbbbbbbbbb', hashes: 'x' }), { id: 7 }, good2, evmItem({ id: 'cccccccccccccccccccccccc', chain: 'BSC' }), evmItem()],
      'ETH',
    );
    expect(list.transactions.map((t) => t.id)).toEqual([ID, 'aaaaaaaaaaaaaaaaaaaaaaaa']);
    expect(list.rejected.map((r) => [r.id, r.position, r.field])).toEqual([
      ['bbbbbbbbbbbbbbbbbbbbbbbb', 1, 'hashes'],
      [null, 2, 'id'],
      ['cccccccccccccccccccccccc', 4, 'chain'],
      [ID, 5, 'id'],
    ]);
    expect(list.rejected[0]!.reason).toMatch(/hashes/);
  });

  it('refuses a body that is not an array', () => {
    expect(() => parsePendingTransactionList({ data: [] }, 'ETH', '/v3/kms/pending/ETH')).toThrow(TatumResponseError);
    expect(parsePendingTransactionList([], 'ETH')).toEqual({ transactions: [], rejected: [] });
  });
});
