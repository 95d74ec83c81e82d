/**
 * BIP39 mnemonics (English wordlist) handled as bytes, never as JS strings: a string cannot be wiped, so the
 * mnemonic lives in a Uint8Array from the moment it is generated or read until it is wiped. Words are found
 * by binary search over the UTF-8 encoded wordlist (which is sorted), and the seed is PBKDF2-HMAC-SHA512
 * from node:crypto (BIP39: 2048 iterations, salt "mnemonic" ‖ passphrase, 64 bytes).
 */
import { createHash, getRandomValues, pbkdf2Sync } from 'node:crypto';
// Only the English list (the one Tatum uses): importing bip39's index would bundle every language (~290 KB).
import english from 'bip39/src/wordlists/english.json' with { type: 'json' };
import { InvalidMnemonicError } from '../errors.js';
import { wipe } from './wipe.js';

const encoder = new TextEncoder();
const WORDS: readonly Uint8Array[] = (english as string[]).map((word) => encoder.encode(word));
const SPACE = 0x20;
const VALID_WORD_COUNTS = new Set([12, 15, 18, 21, 24]);

function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): number {
  const length = Math.min(aEnd - aStart, b.length);
  for (let i = 0; i < length; i++) {
    const d = a[aStart + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - b.length;
}

/** Index of bytes[start, end) in the wordlist, or -1. */
function wordIndex(bytes: Uint8Array, start: number, end: number): number {
  let lo = 0;
  let hi = WORDS.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(bytes, start, end, WORDS[mid]!);
    if (c === 0) return mid;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

function isWhitespace(byte: number): boolean {
  return byte === SPACE || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The word boundaries of `input`, split on runs of ASCII whitespace. */
function wordSpans(input: Uint8Array): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && isWhitespace(input[i]!)) i++;
    const start = i;
    while (i < input.length && !isWhitespace(input[i]!)) i++;
    if (i > start) spans.push([start, i]);
  }
  return spans;
}

/** Pack 11-bit word indexes into entropy ‖ checksum bits and check the checksum (BIP39). */
function checkEntropy(indexes: number[]): boolean {
  const totalBits = indexes.length * 11;
  const checksumBits = totalBits / 33;
  const entropyBytes = (totalBits - checksumBits) / 8;
  const bits = new Uint8Array(Math.ceil(totalBits / 8));
  indexes.forEach((index, w) => {
    for (let b = 0; b < 11; b++) {
      if ((index >> (10 - b)) & 1) {
        const pos = w * 11 + b;
        bits[pos >> 3]! |= 0x80 >> (pos & 7);
      }
    }
  });
  const entropy = bits.subarray(0, entropyBytes);
  const hash = createHash('sha256').update(entropy).digest();
  const expected = hash[0]! >> (8 - checksumBits);
  let actual = 0;
  for (let b = 0; b < checksumBits; b++) {
    const pos = entropyBytes * 8 + b;
    actual = (actual << 1) | ((bits[pos >> 3]! >> (7 - (pos & 7))) & 1);
  }
  wipe(bits, hash);
  return expected === actual;
}

/**
 * Validate a mnemonic and return its canonical form (words separated by single spaces, no surrounding
 * whitespace) in a new buffer. The input stays the caller's to wipe. Errors name the position of a bad word,
 * never the word itself.
 */
export function normalizeMnemonic(input: Uint8Array): Uint8Array {
  const spans = wordSpans(input);
  if (!VALID_WORD_COUNTS.has(spans.length)) {
    throw new InvalidMnemonicError('word-count', `a mnemonic has 12, 15, 18, 21 or 24 words; got ${spans.length}`, { words: spans.length });
  }
  const indexes: number[] = [];
  for (const [n, [start, end]] of spans.entries()) {
    const index = wordIndex(input, start, end);
    if (index < 0) {
      throw new InvalidMnemonicError('unknown-word', `word ${n + 1} of the mnemonic is not in the BIP39 English wordlist`, { position: n + 1 });
    }
    indexes.push(index);
  }
  const valid = checkEntropy(indexes);
  indexes.fill(0);
  if (!valid) {
    throw new InvalidMnemonicError('checksum', 'the mnemonic checksum does not match (a word is wrong or the order is changed)');
  }
  const length = spans.reduce((sum, [s, e]) => sum + (e - s), 0) + spans.length - 1;
  const out = new Uint8Array(length);
  let at = 0;
  for (const [n, [start, end]] of spans.entries()) {
    if (n > 0) out[at++] = SPACE;
    out.set(input.subarray(start, end), at);
    at += end - start;
  }
  return out;
}

/** Mnemonic of the given entropy (16–32 bytes, a multiple of 4), as bytes. */
export function entropyToMnemonic(entropy: Uint8Array): Uint8Array {
  if (entropy.length < 16 || entropy.length > 32 || entropy.length % 4 !== 0) {
    throw new RangeError(`entropy must be 16..32 bytes in steps of 4; got ${entropy.length}`);
  }
  const hash = createHash('sha256').update(entropy).digest();
  const checksumBits = entropy.length / 4;
  const bits = new Uint8Array(entropy.length + 1);
  bits.set(entropy);
  bits[entropy.length] = hash[0]! & (0xff << (8 - checksumBits));
  const wordCount = ((entropy.length * 8 + checksumBits) / 11) | 0;
  const words: Uint8Array[] = [];
  for (let w = 0; w < wordCount; w++) {
    let index = 0;
    for (let b = 0; b < 11; b++) {
      const pos = w * 11 + b;
      index = (index << 1) | ((bits[pos >> 3]! >> (7 - (pos & 7))) & 1);
    }
    words.push(WORDS[index]!);
  }
  wipe(bits, hash);
  const out = new Uint8Array(words.reduce((sum, word) => sum + word.length, 0) + wordCount - 1);
  let at = 0;
  for (const [n, word] of words.entries()) {
    if (n > 0) out[at++] = SPACE;
    out.set(word, at);
    at += word.length;
  }
  return out;
}

/** A fresh 24-word mnemonic: 256 bits of entropy from crypto.getRandomValues (BIP39). */
export function generateMnemonic(): Uint8Array {
  const entropy = getRandomValues(new Uint8Array(32));
  try {
    return entropyToMnemonic(entropy);
  } finally {
    wipe(entropy);
  }
}

/**
 * BIP39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" ‖ passphrase, 2048, 64). The mnemonic must already be
 * canonical (normalizeMnemonic); Tatum uses an empty passphrase. English words are ASCII, so NFKD is the identity.
 */
export function mnemonicToSeed(mnemonic: Uint8Array, passphrase = ''): Uint8Array {
  const salt = encoder.encode(`mnemonic${passphrase.normalize('NFKD')}`);
  return pbkdf2Sync(mnemonic, salt, 2048, 64, 'sha512');
}
