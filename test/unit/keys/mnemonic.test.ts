/**
 * Mnemonic validation and generation (BIP39, English): errors name which check failed (word-count,
 * unknown-word with its 1-based position, checksum) and never the words; whitespace is normalized;
 * generated mnemonics are 24 valid words from fresh entropy.
 */
import { describe, expect, it } from 'vitest';
import { mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { InvalidMnemonicError } from '../../../lib/errors.js';
import { entropyToMnemonic, generateMnemonic, normalizeMnemonic } from '../../../lib/keys/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VALID_24 =
  'quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten';
const VALID_12 = `${'abandon '.repeat(11)}about`;

function rejection(text: string): InvalidMnemonicError {
  try {
    normalizeMnemonic(encoder.encode(text));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMnemonicError);
    return error as InvalidMnemonicError;
  }
  throw new Error('expected normalizeMnemonic to throw');
}

function withWord(mnemonic: string, position: number, word: string): string {
  const words = mnemonic.split(' ');
  words[position - 1] = word;
  return words.join(' ');
}

describe('normalizeMnemonic errors', () => {
  it.each([0, 1, 11, 13, 14, 16, 23, 25, 48])('%i words → word-count', (count) => {
    const error = rejection(Array.from({ length: count }, () => 'abandon').join(' '));
    expect(error.reason).toBe('word-count');
    expect(error.code).toBe('INVALID_MNEMONIC');
    expect(error.message).toContain(`got ${count}`);
    expect(error.context).toEqual({ words: count });
  });

  it('whitespace only → word-count 0', () => {
    expect(rejection(' \t\r\n  ').reason).toBe('word-count');
  });

  it.each([
    [1, 'zzzunknown'],
    [7, 'bitcoinword'],
    [24, 'notaword'],
    [3, 'aban'], // a prefix of a real word
    [5, 'abandons'], // a real word with a suffix
    [9, 'about,'],
    [12, 'zoo.'],
  ])('an unknown word at position %i is named by position, never by the word', (position, word) => {
    const error = rejection(withWord(VALID_24, position, word));
    expect(error.reason).toBe('unknown-word');
    expect(error.message).toContain(`word ${position} `);
    expect(error.context).toEqual({ position });
    expect(error.message).not.toContain(word);
    expect(JSON.stringify(error.context)).not.toContain(word);
    expect(String(error.stack)).not.toContain(word);
  });

  it('uppercase and capitalized words are unknown (the wordlist is lowercase)', () => {
    for (const word of ['QUANTUM', 'Quantum', 'quantuM']) {
      const error = rejection(withWord(VALID_24, 1, word));
      expect(error.reason).toBe('unknown-word');
      expect(error.context).toEqual({ position: 1 });
      expect(error.message.toLowerCase()).not.toContain('quantum');
    }
    expect(rejection(VALID_12.toUpperCase()).reason).toBe('unknown-word');
  });

  it('non-ASCII whitespace does not separate words', () => {
    const error = rejection(VALID_12.replace(' ', '\u00a0'));
    expect(error.reason).toBe('word-count');
  });

  it('the first unknown word is reported', () => {
    const error = rejection(withWord(withWord(VALID_24, 20, 'xxxx'), 4, 'yyyy'));
    expect(error.context).toEqual({ position: 4 });
  });

  it('a wrong checksum → checksum, without any word in the error', () => {
    for (const text of [`${'abandon '.repeat(11)}abandon`, `${'zoo '.repeat(23)}zoo`, withWord(VALID_24, 24, 'abandon')]) {
      const error = rejection(text);
      expect(error.reason).toBe('checksum');
      for (const word of new Set(text.split(' '))) expect(error.message).not.toContain(word);
      expect(error.context).toEqual({});
    }
  });

  it('swapping two words of a valid mnemonic breaks the checksum', () => {
    const words = VALID_24.split(' ');
    [words[0], words[1]] = [words[1]!, words[0]!];
    expect(rejection(words.join(' ')).reason).toBe('checksum');
  });
});

describe('normalizeMnemonic whitespace', () => {
  it.each([
    ['surrounding spaces', `   ${VALID_24}   `],
    ['tabs', VALID_24.replaceAll(' ', '\t')],
    ['newlines', `${VALID_24.replaceAll(' ', '\n')}\n`],
    ['CRLF', `${VALID_24.replaceAll(' ', '\r\n')}\r\n`],
    ['double spaces', VALID_24.replaceAll(' ', '  ')],
    ['a mix', `\n\t ${VALID_24.split(' ').join(' \t \n')} \r\n`],
  ])('%s → single spaces, no surrounding whitespace', (_name, text) => {
    const input = encoder.encode(text);
    const copy = Uint8Array.from(input);
    expect(decoder.decode(normalizeMnemonic(input))).toBe(VALID_24);
    expect(input).toEqual(copy); // the input stays the caller's, untouched
  });

  it('a canonical mnemonic comes back equal, in a buffer of its own', () => {
    const input = encoder.encode(VALID_12);
    const out = normalizeMnemonic(input);
    expect(out).toEqual(input);
    out.fill(0);
    expect(decoder.decode(input)).toBe(VALID_12);
  });
});

describe('generateMnemonic and entropyToMnemonic', () => {
  it('gives 24 valid words, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const mnemonic = generateMnemonic();
      const text = decoder.decode(mnemonic);
      expect(text.split(' ')).toHaveLength(24);
      expect(normalizeMnemonic(mnemonic)).toEqual(mnemonic);
      expect(validateMnemonic(text, wordlist)).toBe(true);
      seen.add(text);
    }
    expect(seen.size).toBe(20);
  });

  it('256-bit entropy round trips through the mnemonic', () => {
    for (let i = 0; i < 20; i++) {
      const entropy = crypto.getRandomValues(new Uint8Array(32));
      const mnemonic = entropyToMnemonic(entropy);
      expect(decoder.decode(mnemonic).split(' ')).toHaveLength(24);
      expect(mnemonicToEntropy(decoder.decode(mnemonic), wordlist)).toEqual(entropy);
    }
  });

  it.each([0, 12, 15, 17, 31, 33, 36, 64])('refuses %i bytes of entropy', (length) => {
    expect(() => entropyToMnemonic(new Uint8Array(length))).toThrow(RangeError);
  });
});
