/** summarize, serializeUnsigned, missingFields/withFilledFields and the ERC-20 transfer decoder. */
import { Interface } from 'ethers';
import { describe, expect, it } from 'vitest';
import {
  CONTRACT_CREATION,
  decodeErc20Transfer,
  evmFamily,
  missingFields,
  withFilledFields,
  type EvmTransaction,
} from '../../../../lib/chains/evm/index.js';
import { defaultRegistry } from '../../../../lib/chains/registry.js';
import { InvalidTransactionError } from '../../../../lib/errors.js';

const eth = defaultRegistry.resolve('ETH', 'mainnet');
const xdc = defaultRegistry.resolve('XDC', 'mainnet');
const TO = '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb';
const RECIPIENT = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';
const erc20 = new Interface(['function transfer(address to, uint256 amount)', 'function approve(address spender, uint256 amount)']);

describe('summarize', () => {
  it('reports the recipient (lowercase 0x, also on XDC), value, worst-case fee and nonce', () => {
    const tx = evmFamily.parse(JSON.stringify({ from: 0, to: `xdc${TO.slice(2).toUpperCase()}`, value: '7', nonce: 0, gas: 21000, gasPrice: '3' }), xdc);
    expect(evmFamily.summarize(tx, xdc)).toStrictEqual({ outputs: [{ to: TO, amount: 7n }], maxFee: 63000n, spends: ['nonce:0'] });
  });

  it('uses maxFeePerGas for a type-2 fee cap', () => {
    const tx: EvmTransaction = { to: TO, value: 0n, data: '0x', nonce: 12n, gas: 50000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n };
    expect(evmFamily.summarize(tx, eth)).toStrictEqual({ outputs: [{ to: TO, amount: 0n }], maxFee: 5_000_000n, spends: ['nonce:12'] });
  });

  it('leaves out what is not known yet', () => {
    expect(evmFamily.summarize({ to: TO, value: 1n, data: '0x', gasPrice: 9n }, eth)).toStrictEqual({ outputs: [{ to: TO, amount: 1n }], spends: [] });
    expect(evmFamily.summarize({ to: TO, value: 1n, data: '0x', gas: 9n }, eth)).toStrictEqual({ outputs: [{ to: TO, amount: 1n }], spends: [] });
  });

  it('names a contract creation with a non-address marker, keeping its value', () => {
    const summary = evmFamily.summarize({ value: 5n, data: '0x60', nonce: 1n }, eth);
    expect(summary.outputs).toStrictEqual([{ to: CONTRACT_CREATION, amount: 5n }]);
  });
});

describe('serializeUnsigned', () => {
  it('writes canonical JSON: fixed order, decimal strings, only known fields', () => {
    const tx = evmFamily.parse(JSON.stringify({ gas: '0x5208', nonce: '0x0', value: 1, to: TO.toUpperCase().replace('0X', '0x'), from: 0, data: '0xAB', gasLimit: null, chainId: 1 }), eth);
    expect(evmFamily.serializeUnsigned(tx, eth)).toBe(`{"to":"${TO}","value":"1","data":"0xab","nonce":"0","gas":"21000"}`);
  });

  it('round-trips a contract creation, a from and type-2 fees', () => {
    const tx: EvmTransaction = { from: RECIPIENT, value: 0n, data: '0x6080', nonce: 1n, gas: 2n, maxFeePerGas: 3n, maxPriorityFeePerGas: 3n };
    expect(evmFamily.parse(evmFamily.serializeUnsigned(tx, eth), eth)).toStrictEqual(tx);
  });
});

describe('missingFields / withFilledFields', () => {
  const open: EvmTransaction = { to: TO, value: 1n, data: '0x' };

  it('lists what the prepare step must fill', () => {
    expect(missingFields(open)).toEqual(['nonce', 'gas', 'fee']);
    expect(missingFields({ ...open, nonce: 0n, gas: 1n, gasPrice: 0n })).toEqual([]);
    expect(missingFields({ ...open, nonce: 0n, gas: 1n, maxFeePerGas: 1n })).toEqual(['maxPriorityFeePerGas']);
  });

  it('fills only open fields and never overrides what the tx says', () => {
    const tx = withFilledFields({ ...open, nonce: 4n }, { nonce: 9n, gas: 21000n, gasPrice: 5n });
    expect(tx).toStrictEqual({ ...open, nonce: 4n, gas: 21000n, gasPrice: 5n });
    expect(missingFields(tx)).toEqual([]);
  });

  it('leaves the tx unchanged by an empty fill and keeps absent fields absent', () => {
    expect(withFilledFields(open, {})).toStrictEqual(open);
  });

  it('refuses a fill that mixes fee models or breaks a bound', () => {
    expect(() => withFilledFields({ ...open, gasPrice: 1n }, { maxFeePerGas: 2n })).toThrow(InvalidTransactionError);
    expect(() => withFilledFields(open, { maxFeePerGas: 1n, maxPriorityFeePerGas: 2n })).toThrow(/exceeds maxFeePerGas/);
    expect(() => withFilledFields(open, { nonce: 1n << 64n })).toThrow(InvalidTransactionError);
    expect(() => withFilledFields(open, { gas: -1n })).toThrow(InvalidTransactionError);
  });
});

describe('decodeErc20Transfer', () => {
  it('decodes transfer(address,uint256) as encoded by ethers\' ABI coder', () => {
    const amount = 123456789012345678901234567890n;
    const data = erc20.encodeFunctionData('transfer', [RECIPIENT, amount]);
    expect(decodeErc20Transfer({ to: TO, data })).toStrictEqual({ token: TO, recipient: RECIPIENT, amount });
    const max = (1n << 256n) - 1n;
    expect(decodeErc20Transfer({ to: TO, data: erc20.encodeFunctionData('transfer', [RECIPIENT, max]) })?.amount).toBe(max);
  });

  it('returns undefined for other calls, plain transfers and contract creation', () => {
    expect(decodeErc20Transfer({ to: TO, data: '0x' })).toBeUndefined();
    expect(decodeErc20Transfer({ to: TO, data: erc20.encodeFunctionData('approve', [RECIPIENT, 1n]) })).toBeUndefined();
    expect(decodeErc20Transfer({ data: erc20.encodeFunctionData('transfer', [RECIPIENT, 1n]) })).toBeUndefined();
  });

  it('refuses a transfer call a token could still execute but that is not canonical', () => {
    const data = erc20.encodeFunctionData('transfer', [RECIPIENT, 1n]);
    expect(() => decodeErc20Transfer({ to: TO, data: `${data}00` })).toThrow(/must be 68 bytes, got 69/);
    expect(() => decodeErc20Transfer({ to: TO, data: data.slice(0, -2) })).toThrow(InvalidTransactionError);
    expect(() => decodeErc20Transfer({ to: TO, data: '0xa9059cbb' })).toThrow(InvalidTransactionError);
    const dirty = `${data.slice(0, 10)}ff${data.slice(12)}`;
    expect(() => decodeErc20Transfer({ to: TO, data: dirty })).toThrow(/non-zero high bytes/);
  });
});
