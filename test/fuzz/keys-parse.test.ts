/**
 * Fuzzing the three parsers of lib/keys that take outside input: normalizeMnemonic, decodePrivateKey and
 * parseXpub. Whatever comes in, each either succeeds with a well-formed result or throws its typed error —
 * never a TypeError or RangeError from a library underneath. Mnemonic validity is also checked differentially
 * against @scure/bip39.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import bs58check from 'bs58check';
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { defaultRegistry, type ChainNetwork } from '../../lib/chains/registry.js';
import { InvalidInputError, InvalidMnemonicError } from '../../lib/errors.js';
import { decodePrivateKey, deriveAccount, encodePrivateKey, normalizeMnemonic, parseXpub, publicKeyOf } from '../../lib/keys/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VALID =
  'quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten';
const chains: ChainNetwork[] = defaultRegistry.codes().flatMap((code) => [defaultRegistry.resolve(code, 'mainnet'), defaultRegistry.resolve(code, 'testnet')]);
const chainArb = fc.constantFrom(...chains);
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Run `parse`; an error must be an instance of `expected` (anything else is rethrown and fails the run). */
function parsesOrThrows<T>(parse: () => T, expected: new (...args: never[]) => Error): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof expected) return undefined;
    throw error;
  }
}

/** Byte-level mutations of a buffer: flip, insert, delete, overwrite. */
const mutationsArb = fc.array(
  fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'set'), fc.nat(), fc.integer({ min: 0, max: 255 })),
  { minLength: 1, maxLength: 4 },
);
function mutate(bytes: Uint8Array, mutations: Array<[string, number, number]>): Uint8Array {
  const out = [...bytes];
  for (const [kind, at, value] of mutations) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 'flip') out[i] = (out[i] ?? 0) ^ (1 << (value & 7));
    else if (kind === 'insert') out.splice(i, 0, value);
    else if (kind === 'delete') out.splice(i, 1);
    else out[i] = value;
  }
  return Uint8Array.from(out);
}

function assertCanonicalMnemonic(out: Uint8Array): void {
  const text = decoder.decode(out);
  expect(text).toMatch(/^[a-z]+( [a-z]+)*$/);
  expect(validateMnemonic(text, wordlist)).toBe(true);
  expect(normalizeMnemonic(out)).toEqual(out);
}

describe('fuzz normalizeMnemonic', () => {
  it('random bytes → InvalidMnemonicError or a canonical valid mnemonic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const out = parsesOrThrows(() => normalizeMnemonic(bytes), InvalidMnemonicError);
        if (out) assertCanonicalMnemonic(out);
      }),
      { numRuns: 5000 },
    );
  });

  it('byte-mutated valid mnemonics → InvalidMnemonicError or a canonical valid mnemonic', () => {
    const valid = encoder.encode(VALID);
    fc.assert(
      fc.property(mutationsArb, (mutations) => {
        const out = parsesOrThrows(() => normalizeMnemonic(mutate(valid, mutations)), InvalidMnemonicError);
        if (out) assertCanonicalMnemonic(out);
      }),
      { numRuns: 5000 },
    );
  });

  it('random word sequences from the wordlist: valid exactly when @scure/bip39 says so', () => {
    const wordsArb = fc.oneof(
      fc.array(fc.constantFrom(...wordlist), { minLength: 11, maxLength: 25 }),
      // a valid mnemonic with one word replaced keeps the count and fails only on the checksum (mostly)
      fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(...wordlist)).map(([i, w]) => VALID.split(' ').map((x, j) => (j === i ? w : x))),
    );
    fc.assert(
      fc.property(wordsArb, (words) => {
        const text = words.join(' ');
        const out = parsesOrThrows(() => normalizeMnemonic(encoder.encode(text)), InvalidMnemonicError);
        expect(out !== undefined).toBe(validateMnemonic(text, wordlist));
      }),
      { numRuns: 3000 },
    );
  });
});

function assertValidKey(key: Uint8Array, chain: ChainNetwork): void {
  expect(key).toHaveLength(32);
  expect(publicKeyOf(key)).toHaveLength(33);
  expect(decodePrivateKey(encodePrivateKey(key, chain), chain)).toEqual(key);
}

describe('fuzz decodePrivateKey', () => {
  const textArb = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: fc.constantFrom(...BASE58), minLength: 48, maxLength: 56 }),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 60, maxLength: 68 }).map((hex) => hex),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefx'), minLength: 60, maxLength: 68 }).map((hex) => `0x${hex}`),
    // structurally plausible WIF: any version, 30..34 key bytes, with or without the compression flag
    fc
      .tuple(
        fc.oneof(fc.constantFrom(0x80, 0xef, 0xb0, 0x9e, 0xf1), fc.integer({ min: 0, max: 255 })),
        fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 30, maxLength: 34 })),
        fc.constantFrom([], [0x01], [0x01], [0x00]),
      )
      .map(([version, key, flag]) => bs58check.encode(Uint8Array.from([version, ...key, ...flag]))),
  );

  it('random strings → InvalidInputError or a valid 32-byte key', () => {
    fc.assert(
      fc.property(textArb, chainArb, (text, chain) => {
        const key = parsesOrThrows(() => decodePrivateKey(text, chain), InvalidInputError);
        if (key) assertValidKey(key, chain);
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid keys → InvalidInputError or a valid 32-byte key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), chainArb, mutationsArb, (raw, chain, mutations) => {
        raw[0] = raw[0]! & 0x7f || 1;
        const text = encodePrivateKey(raw, chain);
        const mutated = decoder.decode(mutate(encoder.encode(text), mutations));
        const key = parsesOrThrows(() => decodePrivateKey(mutated, chain), InvalidInputError);
        if (key) assertValidKey(key, chain);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('fuzz parseXpub', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const xpubs = chains.map((chain) => [chain, deriveAccount(seed, chain).xpub] as const);
  const xpubArb = fc.constantFrom(...xpubs);

  it('random strings → InvalidInputError', () => {
    const strings = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ unit: fc.constantFrom(...BASE58), minLength: 100, maxLength: 120 }),
      fc.string({ unit: fc.constantFrom(...BASE58), maxLength: 30 }).map((s) => `xpub${s}`),
    );
    fc.assert(
      fc.property(strings, chainArb, (text, chain) => {
        expect(() => parseXpub(text, chain)).toThrow(InvalidInputError);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated xpub text → InvalidInputError (the base58check checksum catches it)', () => {
    fc.assert(
      fc.property(xpubArb, mutationsArb, ([chain, xpub], mutations) => {
        const mutated = decoder.decode(mutate(encoder.encode(xpub), mutations));
        fc.pre(mutated !== xpub);
        expect(() => parseXpub(mutated, chain)).toThrow(InvalidInputError);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated payloads with a good checksum → InvalidInputError or a public node that round trips', () => {
    fc.assert(
      fc.property(xpubArb, chainArb, mutationsArb, ([, xpub], chain, mutations) => {
        const payload = mutate(bs58check.decode(xpub), mutations);
        const text = bs58check.encode(payload);
        const node = parsesOrThrows(() => parseXpub(text, chain), InvalidInputError);
        if (node) {
          expect(node.isNeutered()).toBe(true);
          expect(node.toBase58()).toBe(text);
          expect(node.publicKey).toHaveLength(33);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
