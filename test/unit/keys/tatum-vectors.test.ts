/**
 * Derivation vectors produced by the upstream Tatum libraries (TATUM-COMPAT §3; copied into
 * test/vectors/keys-tatum.json from the shared fixtures): xpub, child 0 and 1 addresses and private keys.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import {
  accountFromMnemonic,
  addressFromXpub,
  addressOf,
  decodePrivateKey,
  encodePrivateKey,
  normalizeMnemonic,
  publicKeyOf,
} from '../../../lib/keys/index.js';

const fixture = JSON.parse(readFileSync(new URL('../../vectors/keys-tatum.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; testnet: boolean; xpub: string; addresses: string[]; privateKeys: string[] }>;
};

describe('Tatum derivation vectors', () => {
  it('covers BTC and ETH', () => {
    expect(fixture.derivation.map((d) => d.chain)).toEqual(['BTC', 'ETH']);
  });

  describe.each(fixture.derivation.map((d) => [`${d.chain} ${d.testnet ? 'testnet' : 'mainnet'}`, d] as const))('%s', (_name, vector) => {
    const chain = defaultRegistry.resolve(vector.chain, vector.testnet ? 'testnet' : 'mainnet');
    const mnemonic = normalizeMnemonic(new TextEncoder().encode(fixture.mnemonic));

    it('accountFromMnemonic gives the xpub, addresses and private keys byte for byte', () => {
      const account = accountFromMnemonic(mnemonic, chain);
      expect(account.xpub).toBe(vector.xpub);
      vector.addresses.forEach((address, index) => {
        expect(addressOf(account.childPublicKey(index), chain)).toBe(address);
        expect(encodePrivateKey(account.childPrivateKey(index), chain)).toBe(vector.privateKeys[index]);
      });
      account.wipe();
    });

    it('addressFromXpub gives the addresses without any secret', () => {
      vector.addresses.forEach((address, index) => expect(addressFromXpub(vector.xpub, index, chain)).toBe(address));
    });

    it('each private key decodes to the key of its address', () => {
      vector.privateKeys.forEach((text, index) => {
        const key = decodePrivateKey(text, chain);
        expect(addressOf(publicKeyOf(key), chain)).toBe(vector.addresses[index]);
        expect(encodePrivateKey(key, chain)).toBe(text);
      });
    });
  });
});
