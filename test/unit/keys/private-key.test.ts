/**
 * Private key text formats (TATUM-COMPAT §3): WIF (compressed, the network's version byte) for UTXO chains,
 * 0x-hex for EVM chains and VET, bare hex for TRON. Round trips per chain and network, and every rejection
 * is an InvalidInputError whose message and context never hold the key (text or bytes).
 */
import { randomBytes } from 'node:crypto';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import { defaultRegistry, type ChainNetwork } from '../../../lib/chains/registry.js';
import { InvalidInputError } from '../../../lib/errors.js';
import { accountFromMnemonic, addressOf, decodePrivateKey, encodePrivateKey, normalizeMnemonic, publicKeyOf } from '../../../lib/keys/index.js';

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const scalar = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
const wif = (version: number, key: Uint8Array, compressed = true) =>
  bs58check.encode(Uint8Array.from([version, ...key, ...(compressed ? [0x01] : [])]));

const networks = ['mainnet', 'testnet'] as const;
const allChains = defaultRegistry.codes().flatMap((code) => networks.map((network) => defaultRegistry.resolve(code, network)));
const resolve = (code: string, network: string = 'mainnet') => defaultRegistry.resolve(code, network);

/** Assert `run` throws InvalidInputError and that none of `secrets` appears in its message or context. */
function expectRejectedWithoutLeak(run: () => unknown, secrets: string[]): InvalidInputError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  const e = error as InvalidInputError;
  const context = JSON.stringify(e.context);
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    expect(e.message.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(context.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(String(e.stack).toLowerCase()).not.toContain(secret.toLowerCase());
  }
  return e;
}

describe('encodePrivateKey / decodePrivateKey round trip', () => {
  it.each(allChains.map((c) => [`${c.chain} ${c.network}`, c] as const))('%s', (_name, chain) => {
    for (let i = 0; i < 20; i++) {
      const key = Uint8Array.from(randomBytes(32));
      key[0] = key[0]! & 0x7f; // stay below n
      const text = encodePrivateKey(key, chain);
      expect(decodePrivateKey(text, chain)).toEqual(key);
      expect(decodePrivateKey(`  ${text}\n`, chain)).toEqual(key);
      if (chain.keyFormat === 'wif') expect(bs58check.decode(text)).toEqual(Uint8Array.from([chain.utxo!.wif, ...key, 0x01]));
      if (chain.keyFormat === 'hex0x') expect(text).toBe(`0x${hex(key)}`);
      if (chain.keyFormat === 'hex') expect(text).toBe(hex(key));
    }
  });

  it('keys at the edges of the range: 1 and n-1', () => {
    for (const chain of allChains) {
      for (const key of [scalar(1n), scalar(N - 1n)]) expect(decodePrivateKey(encodePrivateKey(key, chain), chain)).toEqual(key);
    }
  });

  it('hex keys are case-insensitive and encode back lowercase', () => {
    const key = scalar(N - 2n);
    expect(decodePrivateKey(`0X${hex(key).toUpperCase()}`, resolve('ETH'))).toEqual(key);
    expect(decodePrivateKey(hex(key).toUpperCase(), resolve('TRON'))).toEqual(key);
    expect(encodePrivateKey(key, resolve('ETH'))).toBe(`0x${hex(key)}`);
  });

  it('a decoded key is a fresh buffer the caller owns', () => {
    const chain = resolve('BTC');
    const text = encodePrivateKey(scalar(12345n), chain);
    const first = decodePrivateKey(text, chain);
    first.fill(0);
    expect(decodePrivateKey(text, chain)).toEqual(scalar(12345n));
  });
});

describe('decodePrivateKey rejects, without echoing the key', () => {
  const key = scalar(0x1234567890abcdef1234567890abcdefn * 7919n);
  const keyHex = hex(key);

  it.each([
    ['a BTC testnet WIF on BTC mainnet', 0xef, 'BTC', 'mainnet'],
    ['a BTC mainnet WIF on BTC testnet', 0x80, 'BTC', 'testnet'],
    ['an LTC WIF on BTC', 0xb0, 'BTC', 'mainnet'],
    ['a BTC WIF on LTC', 0x80, 'LTC', 'mainnet'],
    ['an LTC testnet WIF on LTC mainnet', 0xef, 'LTC', 'mainnet'],
    ['a DOGE WIF on BTC', 0x9e, 'BTC', 'mainnet'],
    ['a DOGE testnet WIF on DOGE mainnet', 0xf1, 'DOGE', 'mainnet'],
    ['a BTC testnet WIF on DOGE testnet', 0xef, 'DOGE', 'testnet'],
  ] as const)('%s', (_name, version, code, network) => {
    const text = wif(version, key);
    const error = expectRejectedWithoutLeak(() => decodePrivateKey(text, resolve(code, network)), [text, keyHex]);
    expect(error.message).toMatch(/another network/);
  });

  it('an uncompressed WIF', () => {
    const text = wif(0x80, key, false);
    const error = expectRejectedWithoutLeak(() => decodePrivateKey(text, resolve('BTC')), [text, keyHex]);
    expect(error.message).toMatch(/compressed/);
  });

  it('a WIF with a bad checksum (every position of the last characters)', () => {
    const text = wif(0x80, key);
    for (let at = text.length - 6; at < text.length; at++) {
      const replacement = text[at] === '2' ? '3' : '2';
      const bad = `${text.slice(0, at)}${replacement}${text.slice(at + 1)}`;
      expectRejectedWithoutLeak(() => decodePrivateKey(bad, resolve('BTC')), [bad, text, keyHex]);
    }
  });

  it('a WIF with characters outside base58', () => {
    const text = wif(0x80, key);
    const bad = `${text.slice(0, 10)}0${text.slice(11)}`;
    expectRejectedWithoutLeak(() => decodePrivateKey(bad, resolve('BTC')), [bad, keyHex]);
  });

  it('a WIF of 31 or 33 key bytes', () => {
    for (const length of [31, 33]) {
      const text = bs58check.encode(Uint8Array.from([0x80, ...randomBytes(length), 0x01]));
      expectRejectedWithoutLeak(() => decodePrivateKey(text, resolve('BTC')), [text]);
    }
  });

  it('a WIF of the zero key, of n and of 2^256-1', () => {
    for (const bad of [scalar(0n), scalar(N), scalar(N + 1n), new Uint8Array(32).fill(0xff)]) {
      const text = wif(0x80, bad);
      expectRejectedWithoutLeak(() => decodePrivateKey(text, resolve('BTC')), [text, hex(bad)]);
    }
  });

  it('a hex key given to a WIF chain and a WIF given to a hex chain', () => {
    expectRejectedWithoutLeak(() => decodePrivateKey(keyHex, resolve('BTC')), [keyHex]);
    const text = wif(0x80, key);
    expectRejectedWithoutLeak(() => decodePrivateKey(text, resolve('ETH')), [text, keyHex]);
  });

  it.each(['ETH', 'TRON', 'VET', 'XDC'])('%s: bad hex, 31 and 33 bytes, zero, n and above', (code) => {
    const chain = resolve(code);
    const bad = [
      `0x${keyHex.slice(0, 63)}g`,
      `${keyHex.slice(0, 10)} ${keyHex.slice(11)}`,
      `0x${keyHex.slice(2)}`,
      `0x${keyHex}00`,
      keyHex.slice(2),
      `${keyHex}ab`,
      `0x${'00'.repeat(32)}`,
      '00'.repeat(32),
      `0x${hex(scalar(N))}`,
      hex(scalar(N + 1n)),
      `0x${'ff'.repeat(32)}`,
      `0x0x${keyHex}`,
      '',
      '0x',
    ];
    for (const text of bad) expectRejectedWithoutLeak(() => decodePrivateKey(text, chain), [text, text.replace(/^0x/, ''), keyHex]);
  });
});

describe('encodePrivateKey and publicKeyOf reject what is not a private key', () => {
  const bad = [new Uint8Array(32), scalar(N), new Uint8Array(32).fill(0xff), new Uint8Array(31).fill(1), new Uint8Array(33).fill(1)];

  it('encodePrivateKey → InvalidInputError', () => {
    for (const chain of allChains) for (const key of bad) expectRejectedWithoutLeak(() => encodePrivateKey(key, chain), [hex(key)]);
  });

  it('publicKeyOf → InvalidInputError', () => {
    for (const key of bad) expectRejectedWithoutLeak(() => publicKeyOf(key), [hex(key)]);
  });

  it('publicKeyOf gives the compressed key (k = 1 is the generator)', () => {
    expect(hex(publicKeyOf(scalar(1n)))).toBe('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  });
});

describe('a bare private key has the address of its mnemonic-derived twin', () => {
  const mnemonic = normalizeMnemonic(new TextEncoder().encode(`${'abandon '.repeat(23)}art`));
  it.each(allChains.map((c) => [`${c.chain} ${c.network}`, c] as const))('%s', (_name, chain: ChainNetwork) => {
    const account = accountFromMnemonic(mnemonic, chain);
    for (const index of [0, 7]) {
      const text = encodePrivateKey(account.childPrivateKey(index), chain);
      expect(addressOf(publicKeyOf(decodePrivateKey(text, chain)), chain)).toBe(addressOf(account.childPublicKey(index), chain));
    }
    account.wipe();
  });
});
