/** The boundary: what parse accepts, what it refuses, and the canonical form it returns. */
import { describe, expect, it } from 'vitest';
import { InvalidTransactionError, UnsupportedChainError } from '../../../../lib/errors.js';
import { evmFamily, MAX_SERIALIZED_LENGTH, type EvmTransaction } from '../../../../lib/chains/evm/index.js';
import { ChainRegistry, defaultRegistry } from '../../../../lib/chains/registry.js';

const eth = defaultRegistry.resolve('ETH', 'mainnet');
const xdc = defaultRegistry.resolve('XDC', 'mainnet');
const celo = defaultRegistry.resolve('CELO', 'mainnet');
const TO = '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb';
// EIP-55's own examples.
const CHECKSUMMED = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const BAD_CHECKSUM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD';

const base = { from: 0, to: TO, value: '1000', nonce: 1, gasPrice: '2', gas: 21000 };
const parse = (fields: Record<string, unknown>, chain = eth) => evmFamily.parse(JSON.stringify(fields), chain);
const refuse = (serialized: string, message: RegExp, chain = eth) => {
  let thrown: unknown;
  try {
    evmFamily.parse(serialized, chain);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidTransactionError);
  expect((thrown as Error).message).toMatch(message);
};

describe('parse: accepted inputs and their canonical form', () => {
  it('decodes Tatum\'s web3 config into bigints and lowercase addresses, without absent fields', () => {
    const tx = parse({ ...base, to: CHECKSUMMED, data: '0xABCDEF' });
    expect(tx).toStrictEqual<EvmTransaction>({
      to: CHECKSUMMED.toLowerCase(),
      value: 1000n,
      data: '0xabcdef',
      nonce: 1n,
      gas: 21000n,
      gasPrice: 2n,
    });
  });

  it('reads a number the same whether decimal string, 0x-hex string or JSON number', () => {
    const forms = [{ nonce: 255 }, { nonce: '255' }, { nonce: '0xff' }, { nonce: '0xFF' }, { nonce: '0x00ff' }, { nonce: '000255' }];
    for (const form of forms) expect(parse({ ...base, ...form }).nonce).toBe(255n);
  });

  it('keeps nonce 0 as a nonce (upstream treats it as missing)', () => {
    for (const nonce of [0, '0', '0x0']) expect(parse({ ...base, nonce }).nonce).toBe(0n);
  });

  it('treats null and missing optional fields alike', () => {
    const sparse = parse({ to: TO, value: '5' });
    const nulls = parse({ from: null, to: TO, value: '5', data: null, nonce: null, gasPrice: null, gas: null, gasLimit: null, maxFeePerGas: null, maxPriorityFeePerGas: null, chainId: null, feeCurrency: null });
    expect(sparse).toStrictEqual({ to: TO, value: 5n, data: '0x' });
    expect(nulls).toStrictEqual(sparse);
  });

  it('defaults a missing value to 0 (a token call carries none)', () => {
    expect(parse({ to: TO, data: '0xa9059cbb' }).value).toBe(0n);
  });

  it('accepts the bounds: value and fees up to 2^256-1, nonce and gas up to 2^64-1', () => {
    const max256 = ((1n << 256n) - 1n).toString();
    const max64 = ((1n << 64n) - 1n).toString();
    const tx = parse({ to: TO, value: max256, nonce: max64, gas: max64, maxFeePerGas: max256, maxPriorityFeePerGas: max256 });
    expect(tx.value).toBe((1n << 256n) - 1n);
    expect(tx.nonce).toBe((1n << 64n) - 1n);
    expect(tx.maxPriorityFeePerGas).toBe((1n << 256n) - 1n);
  });

  it('accepts uppercase addresses and a from address', () => {
    const tx = parse({ ...base, from: CHECKSUMMED, to: `0x${TO.slice(2).toUpperCase()}` });
    expect(tx.from).toBe(CHECKSUMMED.toLowerCase());
    expect(tx.to).toBe(TO);
  });

  it('accepts a contract creation: no to, non-empty data', () => {
    const tx = parse({ value: '0', data: '0x6080', nonce: 0, gas: 100000, gasPrice: '1' });
    expect(tx.to).toBeUndefined();
    expect('to' in tx).toBe(false);
  });

  it('maps gasLimit to gas; both agreeing is fine', () => {
    expect(parse({ to: TO, gasLimit: '0x5208' }).gas).toBe(21000n);
    expect(parse({ to: TO, gasLimit: 21000, gas: '21000' }).gas).toBe(21000n);
  });

  it('accepts EIP-1559 fees and a chainId equal to the registry\'s', () => {
    const tx = parse({ to: TO, maxFeePerGas: '100', maxPriorityFeePerGas: '0x2', chainId: 42220, gasLimit: 21000 }, celo);
    expect(tx).toStrictEqual({ to: TO, value: 0n, data: '0x', gas: 21000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n });
    expect(parse({ ...base, chainId: '0x1' }).to).toBe(TO);
  });

  it('accepts xdc… addresses on XDC only, holding them as 0x', () => {
    const tx = parse({ ...base, from: `xdc${CHECKSUMMED.slice(2)}`, to: `xdc${TO.slice(2)}` }, xdc);
    expect(tx.to).toBe(TO);
    expect(tx.from).toBe(CHECKSUMMED.toLowerCase());
    expect(parse(base, xdc).to).toBe(TO);
    refuse(JSON.stringify({ ...base, to: `xdc${TO.slice(2)}` }), /"to": expected a 0x address/);
  });
});

describe('parse: refused inputs (InvalidTransactionError naming what was expected)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['malformed JSON', '{"to":', /not valid JSON/],
    ['a JSON array', '[]', /must be a JSON object, got an array/],
    ['JSON null', 'null', /must be a JSON object, got null/],
    ['a JSON string', '"0x00"', /must be a JSON object/],
    ['an unknown field', JSON.stringify({ ...base, input: '0x' }), /unknown field\(s\) "input"/],
    ['a __proto__ field', `{"to":"${TO}","__proto__":{"gas":1}}`, /unknown field\(s\) "__proto__"/],
    ['a mixed-case address with a bad checksum', JSON.stringify({ ...base, to: BAD_CHECKSUM }), /fails its EIP-55 checksum/],
    ['a short address', JSON.stringify({ ...base, to: TO.slice(0, 41) }), /"to": expected a 0x address/],
    ['an address without 0x', JSON.stringify({ ...base, to: TO.slice(2) }), /"to": expected/],
    ['an address with 0X', JSON.stringify({ ...base, to: `0X${TO.slice(2)}` }), /"to": expected/],
    ['an empty to', JSON.stringify({ ...base, to: '' }), /"to": expected/],
    ['from as the string "0"', JSON.stringify({ ...base, from: '0' }), /"from": expected/],
    ['from as 1', JSON.stringify({ ...base, from: 1 }), /"from": expected/],
    ['no to and no data', JSON.stringify({ value: '1', nonce: 1 }), /only a contract creation/],
    ['no to and empty data', JSON.stringify({ value: '1', data: '0x' }), /only a contract creation/],
    ['odd-length data', JSON.stringify({ ...base, data: '0xabc' }), /"data": expected a 0x-prefixed hex string of whole bytes/],
    ['data without 0x', JSON.stringify({ ...base, data: 'abcd' }), /"data"/],
    ['a negative value', JSON.stringify({ ...base, value: '-1' }), /"value": expected a non-negative integer/],
    ['a negative JSON number', JSON.stringify({ ...base, nonce: -1 }), /"nonce"/],
    ['a fraction', JSON.stringify({ ...base, value: '1.5' }), /"value"/],
    ['a fractional JSON number', JSON.stringify({ ...base, gas: 21000.5 }), /"gas"/],
    ['an exponent', JSON.stringify({ ...base, value: '1e18' }), /"value"/],
    ['an unsafe JSON number', '{"to":"' + TO + '","value":1000000000000000000}', /"value": .*the number 1000000000000000000/],
    ['whitespace in a number', JSON.stringify({ ...base, value: ' 1' }), /"value"/],
    ['an empty 0x number', JSON.stringify({ ...base, nonce: '0x' }), /"nonce"/],
    ['an empty string number', JSON.stringify({ ...base, gasPrice: '' }), /"gasPrice"/],
    ['a boolean number', JSON.stringify({ ...base, gas: true }), /"gas": .*got a boolean/],
    ['an object number', JSON.stringify({ ...base, value: { hex: '0x1' } }), /"value": .*got an object/],
    ['value = 2^256', JSON.stringify({ ...base, value: (1n << 256n).toString() }), /"value"/],
    ['gasPrice = 2^256 in hex', JSON.stringify({ ...base, gasPrice: `0x1${'0'.repeat(64)}` }), /"gasPrice"/],
    ['nonce = 2^64', JSON.stringify({ ...base, nonce: (1n << 64n).toString() }), /"nonce": expected a non-negative integer ≤ 2\^64-1/],
    ['gas = 2^64', JSON.stringify({ ...base, gas: `0x1${'0'.repeat(16)}` }), /"gas"/],
    ['a 10,000-digit value', JSON.stringify({ ...base, value: '9'.repeat(10_000) }), /"value": .*\(10000 chars\)/],
    ['gas and gasLimit differing', JSON.stringify({ ...base, gasLimit: 21001 }), /gas 21000 and gasLimit 21001/],
    ['gasPrice with maxFeePerGas', JSON.stringify({ ...base, maxFeePerGas: '3' }), /both gasPrice \(legacy\) and EIP-1559/],
    ['gasPrice with maxPriorityFeePerGas', JSON.stringify({ ...base, maxPriorityFeePerGas: '3' }), /both gasPrice/],
    ['priority fee above max fee', JSON.stringify({ to: TO, maxFeePerGas: '3', maxPriorityFeePerGas: '4' }), /exceeds maxFeePerGas/],
    ['a chainId of another chain', JSON.stringify({ ...base, chainId: 56 }), /chainId the number 56 differs from ETH mainnet's chain id 1/],
    ['a malformed chainId', JSON.stringify({ ...base, chainId: 'one' }), /"chainId"/],
    ['a feeCurrency', JSON.stringify({ ...base, feeCurrency: '0x765de816845861e75a25fca122bb6898b8b1282a' }), /feeCurrency.*not supported/],
    ['a too long input', JSON.stringify({ ...base, data: `0x${'00'.repeat(MAX_SERIALIZED_LENGTH / 2)}` }), /at most/],
  ];

  it.each(cases)('%s', (_label, serialized, message) => refuse(serialized, message));

  it('refuses deeply nested JSON without a stack overflow escaping', () => {
    refuse('['.repeat(100_000) + ']'.repeat(100_000), /JSON/);
  });

  it('refuses a feeCurrency on CELO too (CIP-64 fee currencies are not supported yet)', () => {
    refuse(JSON.stringify({ ...base, chainId: 42220, feeCurrency: '0x765de816845861e75a25fca122bb6898b8b1282a' }), /feeCurrency/, celo);
  });

  it('checks an input chainId against the network it is parsed for', () => {
    const sepolia = defaultRegistry.resolve('ETH', 'testnet');
    expect(parse({ ...base, chainId: 11155111 }, sepolia).to).toBe(TO);
    refuse(JSON.stringify({ ...base, chainId: 1 }), /differs from ETH testnet's chain id 11155111/, sepolia);
  });

  it('never echoes more than a bounded prefix of a huge field', () => {
    try {
      parse({ ...base, to: 'x'.repeat(100_000) });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(300);
    }
  });
});

describe('parse: chains', () => {
  it('works for an EVM chain added to the registry by chain id', () => {
    const registry = new ChainRegistry({ extraEvmChains: [{ code: 'AVAX', broadcastPath: 'avalanche', chainIds: { mainnet: 43114n, testnet: 43113n } }] });
    const avax = registry.resolve('AVAX', 'mainnet');
    expect(evmFamily.parse(JSON.stringify({ ...base, chainId: 43114 }), avax).gas).toBe(21000n);
    refuse(JSON.stringify({ ...base, chainId: 1 }), /43114/, avax);
  });

  it('refuses to work for a chain outside the EVM family (a caller bug, not bad input)', () => {
    expect(() => evmFamily.parse(JSON.stringify(base), defaultRegistry.resolve('BTC', 'mainnet'))).toThrow(UnsupportedChainError);
  });
});
