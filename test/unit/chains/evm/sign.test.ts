/** sign(): keys, completeness, the sender check, chain ids from the registry only, low-s, self-consistency. */
import { Transaction, computeAddress, hexlify } from 'ethers';
import { describe, expect, it } from 'vitest';
import { evmFamily, evmAddressOfKey, signEvmTransaction, withFilledFields, type EvmTransaction } from '../../../../lib/chains/evm/index.js';
import { ChainRegistry, defaultRegistry } from '../../../../lib/chains/registry.js';
import { IncompleteTransactionError, InvalidTransactionError, KeyMismatchError, UnsupportedChainError } from '../../../../lib/errors.js';

const eth = defaultRegistry.resolve('ETH', 'mainnet');
const xdc = defaultRegistry.resolve('XDC', 'testnet');
const KEY = Uint8Array.from(Buffer.from('9ae648e97d56d9b75867bb2f7bcc57258e1803e351c181748865bf6a24ee6649', 'hex'));
const KEY_ADDRESS = computeAddress(hexlify(KEY)).toLowerCase();
const OTHER = new Uint8Array(32).fill(0x46);
const TO = '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb';
const complete: EvmTransaction = { to: TO, value: 1n, data: '0x', nonce: 0n, gas: 21000n, gasPrice: 1n };
const HALF_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('sign: keys', () => {
  it('derives the lowercase 0x address of the key, on XDC too', () => {
    expect(evmAddressOfKey(KEY, eth)).toBe(KEY_ADDRESS);
    expect(evmAddressOfKey(KEY, xdc)).toBe(KEY_ADDRESS);
  });

  it('needs exactly one key', () => {
    expect(thrown(() => evmFamily.sign(complete, [], eth))).toBeInstanceOf(KeyMismatchError);
    const two = thrown(() => evmFamily.sign(complete, [{ privateKey: KEY }, { privateKey: OTHER }], eth)) as Error;
    expect(two).toBeInstanceOf(KeyMismatchError);
    expect(two.message).toMatch(/exactly one key, got 2/);
  });

  it('refuses an invalid key (zero, ≥ n, wrong length) as a key mismatch', () => {
    const bad = [new Uint8Array(32), new Uint8Array(32).fill(0xff), new Uint8Array(31).fill(1), new Uint8Array(33).fill(1)];
    for (const privateKey of bad) expect(thrown(() => evmFamily.sign(complete, [{ privateKey }], eth))).toBeInstanceOf(KeyMismatchError);
  });

  it('signs when from is the key\'s address (any spelling) and refuses another key', () => {
    const tx = evmFamily.parse(JSON.stringify({ from: computeAddress(hexlify(KEY)), to: TO, value: '1', nonce: 0, gas: 21000, gasPrice: '1' }), eth);
    expect(Transaction.from(evmFamily.sign(tx, [{ privateKey: KEY }], eth).raw).from?.toLowerCase()).toBe(KEY_ADDRESS);
    const mismatch = thrown(() => evmFamily.sign(tx, [{ privateKey: OTHER }], eth)) as KeyMismatchError;
    expect(mismatch).toBeInstanceOf(KeyMismatchError);
    expect(mismatch.message).toContain(KEY_ADDRESS);
    expect(mismatch.message).not.toContain(Buffer.from(OTHER).toString('hex'));
  });

  it('matches an xdc… from on XDC', () => {
    const tx = evmFamily.parse(JSON.stringify({ from: `xdc${KEY_ADDRESS.slice(2)}`, to: `xdc${TO.slice(2)}`, value: '1', nonce: 3, gas: 21000, gasPrice: '1' }), xdc);
    const decoded = Transaction.from(evmFamily.sign(tx, [{ privateKey: KEY }], xdc).raw);
    expect(decoded.from?.toLowerCase()).toBe(KEY_ADDRESS);
    expect(decoded.chainId).toBe(51n);
  });

  it('does not wipe or alter the caller\'s key', () => {
    const copy = Uint8Array.from(KEY);
    evmFamily.sign(complete, [{ privateKey: copy }], eth);
    expect(copy).toEqual(KEY);
  });
});

describe('sign: completeness', () => {
  it.each([
    [{ to: TO, value: 1n, data: '0x' }, ['nonce', 'gas', 'fee']],
    [{ ...complete, nonce: undefined }, ['nonce']],
    [{ to: TO, value: 1n, data: '0x', nonce: 1n, gas: 1n, maxFeePerGas: 5n }, ['maxPriorityFeePerGas']],
    [{ to: TO, value: 1n, data: '0x', nonce: 1n, gas: 1n, maxPriorityFeePerGas: 5n }, ['maxFeePerGas']],
  ] as Array<[EvmTransaction, string[]]>)('refuses an incomplete tx: %o', (tx, missing) => {
    const clean = Object.fromEntries(Object.entries(tx).filter(([, v]) => v !== undefined)) as unknown as EvmTransaction;
    const error = thrown(() => evmFamily.sign(clean, [{ privateKey: KEY }], eth)) as IncompleteTransactionError;
    expect(error).toBeInstanceOf(IncompleteTransactionError);
    expect(error.missing).toEqual(missing);
  });

  it('signs once the prepare step fills the open fields', () => {
    const open = evmFamily.parse(JSON.stringify({ from: 0, to: TO, value: '1' }), eth);
    const filled = withFilledFields(open, { nonce: 0n, gas: 21000n, maxFeePerGas: 30n, maxPriorityFeePerGas: 2n });
    const decoded = Transaction.from(evmFamily.sign(filled, [{ privateKey: KEY }], eth).raw);
    expect(decoded.type).toBe(2);
    expect(decoded.nonce).toBe(0);
    expect(decoded.maxFeePerGas).toBe(30n);
  });

  it('refuses a nonce beyond what the encoder represents (2^53) with InvalidTransactionError', () => {
    expect(thrown(() => evmFamily.sign({ ...complete, nonce: 1n << 60n }, [{ privateKey: KEY }], eth))).toBeInstanceOf(InvalidTransactionError);
  });
});

describe('sign: encodings', () => {
  it('legacy when gasPrice (EIP-155 v = 2·chainId + 35 + parity), type 2 when maxFeePerGas', () => {
    const one = defaultRegistry.resolve('ONE', 'mainnet');
    const legacy = Transaction.from(evmFamily.sign(complete, [{ privateKey: KEY }], one).raw);
    expect(legacy.type).toBe(0);
    expect(legacy.signature!.v).toBe(27 + legacy.signature!.yParity);
    expect(legacy.signature!.networkV).toBe(2n * 1666600000n + 35n + BigInt(legacy.signature!.yParity));
    const { gasPrice: _, ...rest } = complete;
    const typed = Transaction.from(evmFamily.sign({ ...rest, maxFeePerGas: 10n, maxPriorityFeePerGas: 10n }, [{ privateKey: KEY }], one).raw);
    expect(typed.type).toBe(2);
    expect(typed.chainId).toBe(1666600000n);
    expect(typed.accessList).toEqual([]);
  });

  it('signs a contract creation with an empty to', () => {
    const create = evmFamily.parse(JSON.stringify({ data: '0x6080', nonce: 7, gas: 100000, gasPrice: '1' }), eth);
    const decoded = Transaction.from(evmFamily.sign(create, [{ privateKey: KEY }], eth).raw);
    expect(decoded.to).toBeNull();
    expect(decoded.data).toBe('0x6080');
  });

  it('produces low-s signatures (EIP-2) and a txId that is keccak of the raw bytes', () => {
    for (let nonce = 0n; nonce < 64n; nonce++) {
      const signed = evmFamily.sign({ ...complete, nonce }, [{ privateKey: KEY }], eth);
      const decoded = Transaction.from(signed.raw);
      expect(BigInt(decoded.signature!.s)).toBeLessThanOrEqual(HALF_ORDER);
      expect(signed.txId).toBe(decoded.hash);
    }
  });

  it('is deterministic', () => {
    expect(evmFamily.sign(complete, [{ privateKey: KEY }], eth)).toEqual(evmFamily.sign(complete, [{ privateKey: KEY }], eth));
  });

  it('takes the chain id of a custom network from the registry', () => {
    const registry = new ChainRegistry({ customNetworks: [{ name: 'local', base: 'testnet', chainIds: { ETH: 1337n } }] });
    const local = registry.resolve('ETH', 'local');
    expect(Transaction.from(evmFamily.sign(complete, [{ privateKey: KEY }], local).raw).chainId).toBe(1337n);
  });

  it('refuses a chain with chain id 0 (no replay protection) or outside the EVM family', () => {
    const registry = new ChainRegistry({ customNetworks: [{ name: 'zero', base: 'mainnet', chainIds: { ETH: 0n } }] });
    expect(thrown(() => signEvmTransaction(complete, [{ privateKey: KEY }], registry.resolve('ETH', 'zero')))).toBeInstanceOf(UnsupportedChainError);
    expect(thrown(() => signEvmTransaction(complete, [{ privateKey: KEY }], defaultRegistry.resolve('TRON', 'mainnet')))).toBeInstanceOf(UnsupportedChainError);
  });
});
