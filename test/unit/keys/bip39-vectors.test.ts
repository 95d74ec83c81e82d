/**
 * BIP39 known answers: the English vectors of trezor/python-mnemonic (the reference implementation named by
 * BIP39), byte for byte: entropy → mnemonic, mnemonic accepted as canonical, and the seed with passphrase
 * "TREZOR". The vectors' master xprv pins the seed → BIP32 master step too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HDKey } from '@scure/bip32';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { deriveAccount, entropyToMnemonic, mnemonicToSeed, normalizeMnemonic } from '../../../lib/keys/index.js';

interface TrezorVector {
  entropy: string;
  mnemonic: string;
  seed: string;
  xprv: string;
}
const file = JSON.parse(readFileSync(new URL('../../vectors/bip39-trezor.json', import.meta.url), 'utf8')) as {
  passphrase: string;
  vectors: TrezorVector[];
};

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('BIP39 trezor vectors (English)', () => {
  it('holds all 24 vectors of every length', () => {
    expect(file.vectors).toHaveLength(24);
    expect(new Set(file.vectors.map((v) => v.entropy.length / 2))).toEqual(new Set([16, 24, 32]));
  });

  describe.each(file.vectors.map((v, i) => [i, v] as const))('vector %i', (_i, vector) => {
    it('entropyToMnemonic gives the mnemonic bytes', () => {
      const mnemonic = entropyToMnemonic(Buffer.from(vector.entropy, 'hex'));
      expect(mnemonic).toEqual(encoder.encode(vector.mnemonic));
    });

    it('normalizeMnemonic accepts it and returns it unchanged in a new buffer', () => {
      const input = encoder.encode(vector.mnemonic);
      const canonical = normalizeMnemonic(input);
      expect(canonical).toEqual(input);
      expect(canonical.buffer).not.toBe(input.buffer);
    });

    it('mnemonicToSeed with passphrase TREZOR gives the seed and the master xprv', () => {
      const seed = mnemonicToSeed(encoder.encode(vector.mnemonic), file.passphrase);
      expect(hex(seed)).toBe(vector.seed);
      // The vector's master xprv, read by @scure/bip32, against Sigil's master node (path "m").
      const master = deriveAccount(seed, { ...defaultRegistry.resolve('BTC', 'mainnet'), derivationPath: 'm' });
      expect(master.xpub).toBe(HDKey.fromExtendedKey(vector.xprv).publicExtendedKey);
      expect(master.childPrivateKey(0)).toEqual(HDKey.fromExtendedKey(vector.xprv).deriveChild(0).privateKey);
      master.wipe();
    });
  });

  it('the passphrase is part of the salt (empty passphrase gives another seed)', () => {
    const vector = file.vectors[0]!;
    const seed = mnemonicToSeed(encoder.encode(vector.mnemonic));
    // BIP39 "abandon … about" with an empty passphrase (well known: Ian Coleman's tool, BIP39 reference).
    expect(hex(seed)).toBe(
      '5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4',
    );
  });

  it('the passphrase is NFKD-normalized (BIP39): composed and decomposed forms give one seed', () => {
    const mnemonic = encoder.encode(file.vectors[0]!.mnemonic);
    expect(hex(mnemonicToSeed(mnemonic, '\u00e9'))).toBe(hex(mnemonicToSeed(mnemonic, 'e\u0301')));
    expect(hex(mnemonicToSeed(mnemonic, '\u00e9'))).not.toBe(hex(mnemonicToSeed(mnemonic, 'e')));
  });
});
