/**
 * Building a PolicyInput from parsed transactions (the Tatum vectors, test/vectors/tatum-vectors.json), and the exact
 * unit arithmetic the caps rely on, cross-checked against ethers' parseUnits.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseUnits } from 'ethers';
import { describe, expect, it } from 'vitest';
import { parseEvmTransaction } from '../../../lib/chains/evm/index.js';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { parseUtxoTransaction } from '../../../lib/chains/utxo/index.js';
import { InvalidTransactionError, UnsupportedChainError } from '../../../lib/errors.js';
import { canonicalAddress, destinationsOf, nativeDecimals, policyInputOfEvm, policyInputOfUtxo } from '../../../lib/policy/index.js';
import { compareToDecimal, formatUnits, parseDecimalAmount } from '../../../lib/policy/units.js';

interface SigningVector { name: string; chain: string; serializedTransaction: string }
const fixtures = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as { signing: SigningVector[] };
const vector = (name: string) => fixtures.signing.find((v) => v.name === name) as SigningVector;
const WALLET = '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10';
const ETH = defaultRegistry.resolve('ETH', 'mainnet');
const BTC = defaultRegistry.resolve('BTC', 'mainnet');

describe('policyInputOfEvm', () => {
  it('reads the Tatum ETH vector: destination, value, worst-case fee, gas, no call', () => {
    const input = policyInputOfEvm(parseEvmTransaction(vector('evm-eth').serializedTransaction, ETH), ETH, [WALLET]);
    expect(input).toEqual({
      chain: 'ETH',
      network: 'mainnet',
      family: 'evm',
      wallets: [WALLET],
      outputs: [{ to: '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb', amount: 1_000_000_000_000_000n }],
      fee: 21_000n * 20_000_000_000n,
      gas: 21_000n,
    });
  });

  it('reads an ERC-20 transfer: the token as output, the recipient as a destination, the selector', () => {
    const data = `0xa9059cbb${'0'.repeat(24)}45ed61920025dbb877f385dedd192a2408a8561c${(123n).toString(16).padStart(64, '0')}`;
    const tx = parseEvmTransaction(JSON.stringify({ to: '0xdAC17F958D2ee523a2206206994597C13D831ec7', data, gas: 60000, maxFeePerGas: '10', maxPriorityFeePerGas: '1', nonce: 1 }), ETH);
    const input = policyInputOfEvm(tx, ETH, [WALLET]);
    expect(input.erc20).toEqual({ token: '0xdac17f958d2ee523a2206206994597c13d831ec7', recipient: '0x45ed61920025dbb877f385dedd192a2408a8561c', amount: 123n });
    expect(input.selector).toBe('0xa9059cbb');
    expect(input.fee).toBe(600_000n);
    expect(destinationsOf(input)).toEqual(['0xdac17f958d2ee523a2206206994597c13d831ec7', '0x45ed61920025dbb877f385dedd192a2408a8561c']);
  });

  it('refuses a padded transfer rather than hiding it from the token rules', () => {
    const data = `0xa9059cbb${'0'.repeat(24)}45ed61920025dbb877f385dedd192a2408a8561c${'0'.repeat(64)}00`;
    const tx = parseEvmTransaction(JSON.stringify({ to: '0xdac17f958d2ee523a2206206994597c13d831ec7', data }), ETH);
    expect(() => policyInputOfEvm(tx, ETH, [WALLET])).toThrow(InvalidTransactionError);
  });

  it('marks a contract creation, whose destination no list can hold', () => {
    const input = policyInputOfEvm(parseEvmTransaction(JSON.stringify({ data: '0x6000', value: '5' }), ETH), ETH, []);
    expect(input.createsContract).toBe(true);
    expect(input.selector).toBeUndefined();
    expect(destinationsOf(input)).toEqual(['contract-creation']);
    expect(input.outputs).toEqual([{ to: 'contract-creation', amount: 5n }]);
  });
});

describe('policyInputOfUtxo', () => {
  const tx = parseUtxoTransaction(vector('btc-p2wpkh').serializedTransaction);

  it('reads the Tatum BTC vector: bech32 destination, satoshis, exact fee', () => {
    const input = policyInputOfUtxo(tx, BTC, [WALLET]);
    expect(input.outputs).toEqual([{ to: 'bc1qh9h2spvlrm2hnecwh2lalz8g2ych78l2qwrjgy', amount: 90_000n }]);
    expect(input.fee).toBe(10_000n);
    expect(input.gas).toBeUndefined();
    expect(input.family).toBe('utxo');
  });

  it('leaves out the wallet’s own (change) addresses, in any case the caller writes them', () => {
    expect(policyInputOfUtxo(tx, BTC, [WALLET], ['BC1QH9H2SPVLRM2HNECWH2LALZ8G2YCH78L2QWRJGY']).outputs).toEqual([]);
  });
});

describe('units', () => {
  it('native decimals: 8 for the UTXO coins, 18 for EVM chains (built-in or added), refused for the unknown', () => {
    expect(['BTC', 'LTC', 'DOGE'].map((c) => nativeDecimals(c, 'utxo'))).toEqual([8, 8, 8]);
    expect(['ETH', 'XDC', 'CELO', 'MYCHAIN'].map((c) => nativeDecimals(c, 'evm'))).toEqual([18, 18, 18, 18]);
    expect(() => nativeDecimals('ZEC', 'utxo')).toThrow(UnsupportedChainError);
  });

  it('compareToDecimal agrees with comparing ethers parseUnits results', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.option(fc.stringMatching(/^[0-9]{1,18}$/), { nil: undefined }))
      .map(([whole, fraction]) => (fraction === undefined ? whole.toString() : `${whole}.${fraction}`));
    fc.assert(
      fc.property(decimal, fc.bigInt({ min: 0n, max: 10n ** 31n }), fc.constantFrom(8, 18), (text, base, decimals) => {
        const limit = parseDecimalAmount(text);
        expect(limit).toBeDefined();
        const fraction = text.split('.')[1] ?? '';
        if (fraction.length > decimals) return; // parseUnits refuses what base units cannot hold; the rational compare still works
        const reference = parseUnits(text, decimals);
        expect(compareToDecimal(base, decimals, limit!)).toBe(base < reference ? -1 : base > reference ? 1 : 0);
        expect(compareToDecimal(reference, decimals, limit!)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a limit finer than the chain’s unit compares exactly, without rounding', () => {
    const limit = parseDecimalAmount('0.000000015')!; // 1.5 satoshi
    expect(compareToDecimal(1n, 8, limit)).toBe(-1);
    expect(compareToDecimal(2n, 8, limit)).toBe(1);
    expect(formatUnits(150_000_000n, 8)).toBe('1.5');
    expect(formatUnits(1n, 18)).toBe('0.000000000000000001');
    expect(parseDecimalAmount('01')).toBeUndefined();
    expect(parseDecimalAmount('1.')).toBeUndefined();
  });

  it('canonicalAddress: one form per EVM address, lowercase bech32, base58 as given, typos refused', () => {
    const forms = ['0x45ed61920025dbb877f385dedd192a2408a8561c', '0x45ED61920025DBB877F385DEDD192A2408A8561C', '0x45Ed61920025dBB877F385DedD192A2408a8561c', 'xdc45ed61920025dbb877f385dedd192a2408a8561c', 'XDC45Ed61920025dBB877F385DedD192A2408a8561c'];
    expect(new Set(forms.map(canonicalAddress))).toEqual(new Set(['0x45ed61920025dbb877f385dedd192a2408a8561c']));
    expect(canonicalAddress('0x45ED61920025dbb877f385dedd192a2408a8561c')).toBeUndefined();
    expect(canonicalAddress('BC1QH9H2SPVLRM2HNECWH2LALZ8G2YCH78L2QWRJGY')).toBe('bc1qh9h2spvlrm2hnecwh2lalz8g2ych78l2qwrjgy');
    expect(canonicalAddress('bc1Qh9h2spvlrm2hnecwh2lalz8g2ych78l2qwrjgy')).toBeUndefined();
    expect(canonicalAddress('1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).toBe('1BoatSLRHtKNngkdXEeobR76b53LETtpyT');
    expect(canonicalAddress(' 1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).toBeUndefined();
  });
});
