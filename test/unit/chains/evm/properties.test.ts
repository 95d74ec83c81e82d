/** Properties of parse and sign over generated transactions, keys and chains (fast-check). */
import fc from 'fast-check';
import * as ecc from 'tiny-secp256k1';
import { Transaction, Wallet, computeAddress, hexlify } from 'ethers';
import { describe, expect, it } from 'vitest';
import { evmFamily, type EvmTransaction } from '../../../../lib/chains/evm/index.js';
import { defaultRegistry, type ChainNetwork } from '../../../../lib/chains/registry.js';
import { InvalidTransactionError } from '../../../../lib/errors.js';

const EVM_CHAINS: ChainNetwork[] = defaultRegistry
  .codes()
  .flatMap((code) => ['mainnet', 'testnet'].map((network) => defaultRegistry.resolve(code, network)))
  .filter((chain) => chain.family === 'evm');

const MAX64 = (1n << 64n) - 1n;
const MAX256 = (1n << 256n) - 1n;

const chainArb = fc.constantFrom(...EVM_CHAINS);
const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((key) => ecc.isPrivate(key));
const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => hexlify(bytes));
const dataArb = fc.oneof(fc.constant('0x'), fc.uint8Array({ maxLength: 80 }).map((bytes) => hexlify(bytes)));
/** Small values often (nonce 0 included), the bounds sometimes. */
const quantity = (max: bigint) => fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max }), fc.constant(max));
/** Nonces the encoder represents (ethers keeps them as numbers). */
const nonceArb = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }));

/** A complete transaction, legacy or type 2. */
const completeTxArb: fc.Arbitrary<EvmTransaction> = fc
  .record({
    to: fc.option(addressArb, { nil: undefined }),
    value: quantity(MAX256),
    data: dataArb,
    nonce: nonceArb,
    gas: quantity(MAX64),
    fee: fc.oneof(
      quantity(MAX256).map((gasPrice) => ({ gasPrice })),
      fc.tuple(quantity(MAX256), quantity(MAX256)).map(([a, b]) => ({ maxFeePerGas: a > b ? a : b, maxPriorityFeePerGas: a > b ? b : a })),
    ),
  })
  .filter((r) => r.to !== undefined || r.data !== '0x')
  .map(({ to, fee, ...rest }) => ({ ...(to !== undefined ? { to } : {}), ...rest, ...fee }));

/** One encoding of a quantity, as Tatum's JSON may carry it. */
function encodeQuantity(value: bigint, form: number): string | number {
  if (form === 0) return value.toString();
  if (form === 1) return `0x${value.toString(16)}`;
  if (form === 2 && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return `0x${value.toString(16).toUpperCase()}`;
}

function toInput(tx: EvmTransaction, forms: number[]): Record<string, unknown> {
  const input: Record<string, unknown> = { from: 0 };
  if (tx.to !== undefined) input.to = tx.to;
  if (tx.data !== '0x') input.data = tx.data;
  let i = 0;
  for (const field of ['value', 'nonce', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas'] as const) {
    const value = tx[field];
    if (value !== undefined) input[field] = encodeQuantity(value, forms[i++ % forms.length]!);
  }
  return input;
}

const formsArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 });

describe('EVM properties', () => {
  it('a signed tx recovers to the key\'s address and carries the registry\'s chain id', () => {
    fc.assert(
      fc.property(completeTxArb, keyArb, chainArb, (tx, key, chain) => {
        const signed = evmFamily.sign(tx, [{ privateKey: key }], chain);
        const decoded = Transaction.from(signed.raw);
        expect(decoded.from?.toLowerCase()).toBe(computeAddress(hexlify(key)).toLowerCase());
        expect(decoded.chainId).toBe(chain.chainId);
        expect(decoded.hash).toBe(signed.txId);
        expect(BigInt(decoded.nonce)).toBe(tx.nonce);
        expect(decoded.value).toBe(tx.value);
        expect(decoded.gasLimit).toBe(tx.gas);
        expect(decoded.to?.toLowerCase()).toBe(tx.to);
      }),
      { numRuns: 400 },
    );
  });

  it('whatever chainId the input claims, the signed tx has the registry\'s, or nothing is signed', () => {
    const claimArb = fc.oneof(fc.constant(undefined), fc.constantFrom(...EVM_CHAINS.map((c) => c.chainId!)), fc.bigInt({ min: 0n, max: MAX64 }));
    fc.assert(
      fc.property(completeTxArb, claimArb, keyArb, chainArb, formsArb, (tx, claim, key, chain, forms) => {
        const input = toInput(tx, forms);
        if (claim !== undefined) input.chainId = encodeQuantity(claim, forms[0]!);
        let parsed: EvmTransaction;
        try {
          parsed = evmFamily.parse(JSON.stringify(input), chain);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidTransactionError);
          expect(claim).not.toBe(chain.chainId);
          return;
        }
        expect(claim === undefined || claim === chain.chainId).toBe(true);
        expect(Transaction.from(evmFamily.sign(parsed, [{ privateKey: key }], chain).raw).chainId).toBe(chain.chainId);
      }),
      { numRuns: 300 },
    );
  });

  it('parse is a fixed point: parse(serializeUnsigned(parse(s))) deep-equals parse(s), partial txs included', () => {
    const partialArb = fc
      .record(
        {
          from: addressArb,
          to: addressArb,
          value: quantity(MAX256),
          data: dataArb,
          nonce: quantity(MAX64),
          gas: quantity(MAX64),
          gasPrice: quantity(MAX256),
          maxFeePerGas: quantity(MAX256),
          maxPriorityFeePerGas: quantity(MAX256),
        },
        { requiredKeys: [] },
      )
      .filter((r) => r.gasPrice === undefined || (r.maxFeePerGas === undefined && r.maxPriorityFeePerGas === undefined))
      .filter((r) => r.maxFeePerGas === undefined || r.maxPriorityFeePerGas === undefined || r.maxPriorityFeePerGas <= r.maxFeePerGas)
      .filter((r) => r.to !== undefined || (r.data !== undefined && r.data !== '0x'));
    fc.assert(
      fc.property(partialArb, chainArb, formsArb, (fields, chain, forms) => {
        const tx = { value: 0n, data: '0x', ...fields } as EvmTransaction;
        const input = { ...toInput(tx, forms), ...(fields.from !== undefined ? { from: fields.from } : {}) };
        const parsed = evmFamily.parse(JSON.stringify(input), chain);
        expect(parsed).toStrictEqual(tx);
        const again = evmFamily.parse(evmFamily.serializeUnsigned(parsed, chain), chain);
        expect(again).toStrictEqual(parsed);
        expect(evmFamily.serializeUnsigned(again, chain)).toBe(evmFamily.serializeUnsigned(parsed, chain));
      }),
      { numRuns: 1000 },
    );
  });

  it('nonce 0, in any encoding, is signed as nonce 0', () => {
    fc.assert(
      fc.property(completeTxArb, fc.constantFrom<unknown>(0, '0', '0x0', '0x00'), keyArb, chainArb, (tx, zero, key, chain) => {
        const input = { ...toInput(tx, [0]), nonce: zero };
        const parsed = evmFamily.parse(JSON.stringify(input), chain);
        expect(parsed.nonce).toBe(0n);
        expect(Transaction.from(evmFamily.sign(parsed, [{ privateKey: key }], chain).raw).nonce).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('hex, decimal and JSON-number encodings of the same values give identical signed bytes', () => {
    fc.assert(
      fc.property(completeTxArb, formsArb, formsArb, keyArb, chainArb, (tx, formsA, formsB, key, chain) => {
        const a = evmFamily.sign(evmFamily.parse(JSON.stringify(toInput(tx, formsA)), chain), [{ privateKey: key }], chain);
        const b = evmFamily.sign(evmFamily.parse(JSON.stringify(toInput(tx, formsB)), chain), [{ privateKey: key }], chain);
        expect(a).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees byte for byte with ethers\' Wallet on generated transactions', async () => {
    await fc.assert(
      fc.asyncProperty(completeTxArb, keyArb, chainArb, async (tx, key, chain) => {
        const ours = evmFamily.sign(tx, [{ privateKey: key }], chain);
        const oracle = await new Wallet(hexlify(key)).signTransaction({
          type: tx.gasPrice !== undefined ? 0 : 2,
          chainId: chain.chainId!,
          to: tx.to ?? null,
          value: tx.value,
          data: tx.data,
          nonce: Number(tx.nonce),
          gasLimit: tx.gas!,
          ...(tx.gasPrice !== undefined ? { gasPrice: tx.gasPrice } : { maxFeePerGas: tx.maxFeePerGas!, maxPriorityFeePerGas: tx.maxPriorityFeePerGas! }),
        });
        expect(ours.raw).toBe(oracle);
      }),
      { numRuns: 200 },
    );
  });
});
