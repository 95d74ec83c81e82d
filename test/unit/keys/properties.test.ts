/**
 * Property tests (fast-check) against independent implementations: @scure/bip39 for mnemonics, @scure/bip32
 * (noble-curves) for derivation. Run counts are sized for a 2-core machine (@scure's point multiplication is
 * the slow part).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { entropyToMnemonic as scureEntropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey } from '@scure/bip32';
import { defaultRegistry, type ChainNetwork } from '../../../lib/chains/registry.js';
import {
  addressFromXpub,
  addressOf,
  decodePrivateKey,
  deriveAccount,
  encodePrivateKey,
  entropyToMnemonic,
  normalizeMnemonic,
  publicKeyOf,
} from '../../../lib/keys/index.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const XPUB = { public: 0x0488b21e, private: 0x0488ade4 };
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

const entropyArb = fc.constantFrom(16, 20, 24, 28, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
const seedArb = fc.uint8Array({ minLength: 16, maxLength: 64 });
const indexArb = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 0x7fffffff }));
const stepArb = fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.boolean()).map(([n, h]) => `${n}${h ? "'" : ''}`);
const pathArb = fc.array(stepArb, { maxLength: 4 }).map((steps) => ['m', ...steps].join('/'));
const chainArb = fc.constantFrom(...defaultRegistry.codes().flatMap((code) => [defaultRegistry.resolve(code, 'mainnet'), defaultRegistry.resolve(code, 'testnet')]));
const privateKeyArb = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => Uint8Array.from(Buffer.from(k.toString(16).padStart(64, '0'), 'hex')));

function chainAt(path: string): ChainNetwork {
  return { ...defaultRegistry.resolve('ETH', 'mainnet'), derivationPath: path, xpubVersion: XPUB };
}

describe('mnemonic properties', () => {
  it('entropyToMnemonic equals @scure/bip39 and is a fixed point of normalizeMnemonic', () => {
    fc.assert(
      fc.property(entropyArb, (entropy) => {
        const mnemonic = entropyToMnemonic(entropy);
        expect(decoder.decode(mnemonic)).toBe(scureEntropyToMnemonic(entropy, wordlist));
        expect(normalizeMnemonic(mnemonic)).toEqual(mnemonic);
      }),
      { numRuns: 2000 },
    );
  });

  it('any ASCII whitespace between and around the words normalizes to the canonical form', () => {
    const gap = fc.stringMatching(/^[ \t\r\n]{1,4}$/);
    const edge = fc.stringMatching(/^[ \t\r\n]{0,4}$/);
    fc.assert(
      fc.property(entropyArb, fc.array(gap, { minLength: 23, maxLength: 23 }), edge, edge, (entropy, gaps, head, tail) => {
        const canonical = decoder.decode(entropyToMnemonic(entropy));
        const words = canonical.split(' ');
        const spaced = head + words.map((word, i) => (i === 0 ? word : gaps[i - 1] + word)).join('') + tail;
        expect(decoder.decode(normalizeMnemonic(encoder.encode(spaced)))).toBe(canonical);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('derivation properties', () => {
  it('random seed, path and index: Sigil child keys equal @scure/bip32', () => {
    fc.assert(
      fc.property(seedArb, pathArb, indexArb, (seed, path, index) => {
        const account = deriveAccount(seed, chainAt(path));
        const oracle = HDKey.fromMasterSeed(seed, XPUB).derive(path);
        expect(account.xpub).toBe(oracle.publicExtendedKey);
        const child = oracle.deriveChild(index);
        expect(account.childPublicKey(index)).toEqual(child.publicKey);
        expect(account.childPrivateKey(index)).toEqual(child.privateKey);
        account.wipe();
      }),
      { numRuns: 150 },
    );
  });

  it('addressFromXpub(xpub, i) is addressOf(childPublicKey(i)) on every chain', () => {
    fc.assert(
      fc.property(seedArb, chainArb, indexArb, (seed, chain, index) => {
        const account = deriveAccount(seed, chain);
        expect(addressFromXpub(account.xpub, index, chain)).toBe(addressOf(account.childPublicKey(index), chain));
        account.wipe();
      }),
      { numRuns: 300 },
    );
  });

  it('a private key encodes, decodes and addresses consistently on every chain', () => {
    fc.assert(
      fc.property(privateKeyArb, chainArb, (key, chain) => {
        const text = encodePrivateKey(key, chain);
        expect(decodePrivateKey(text, chain)).toEqual(key);
        expect(addressOf(publicKeyOf(decodePrivateKey(text, chain)), chain)).toBe(addressOf(publicKeyOf(key), chain));
      }),
      { numRuns: 1000 },
    );
  });
});
