/**
 * Every chain of the registry, mainnet and testnet, three mnemonics: Sigil reproduces byte for byte what an
 * independent implementation computed (test/vectors/generate-keys-vectors.ts: @scure/bip39 + @scure/bip32,
 * bitcoinjs-lib payments, ethers, bs58check; chain table transcribed from TATUM-COMPAT §3).
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

interface Entry {
  mnemonic: string;
  chain: string;
  network: 'mainnet' | 'testnet';
  path: string;
  xpub: string;
  children: Array<{ index: number; publicKey: string; address: string; privateKey: string }>;
}
const vectors = JSON.parse(readFileSync(new URL('../../vectors/keys-vectors.json', import.meta.url), 'utf8')) as {
  mnemonics: Record<string, string>;
  entries: Entry[];
};

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** TATUM-COMPAT §3: BTC xpub/tpub, LTC Ltub/ttub, DOGE xpub/tpub; EVM chains and TRON always xpub. */
const XPUB_PREFIX: Record<string, { mainnet: string; testnet: string }> = {
  BTC: { mainnet: 'xpub', testnet: 'tpub' },
  LTC: { mainnet: 'Ltub', testnet: 'ttub' },
  DOGE: { mainnet: 'xpub', testnet: 'tpub' },
};
/** What an address looks like, per chain and network (TATUM-COMPAT §3). */
const ADDRESS_SHAPE: Record<string, { mainnet: RegExp; testnet: RegExp }> = {
  BTC: { mainnet: /^bc1q[02-9ac-hj-np-z]{38}$/, testnet: /^tb1q[02-9ac-hj-np-z]{38}$/ },
  LTC: { mainnet: /^L[1-9A-HJ-NP-Za-km-z]{33}$/, testnet: /^[mn][1-9A-HJ-NP-Za-km-z]{33}$/ },
  DOGE: { mainnet: /^D[1-9A-HJ-NP-Za-km-z]{33}$/, testnet: /^n[1-9A-HJ-NP-Za-km-z]{33}$/ },
  XDC: { mainnet: /^xdc[0-9a-f]{40}$/, testnet: /^xdc[0-9a-f]{40}$/ },
  TRON: { mainnet: /^T[1-9A-HJ-NP-Za-km-z]{33}$/, testnet: /^T[1-9A-HJ-NP-Za-km-z]{33}$/ },
};
const EVM_ADDRESS = /^0x[0-9a-f]{40}$/;
const KEY_SHAPE: Record<string, RegExp> = {
  BTC: /^[KLc][1-9A-HJ-NP-Za-km-z]{51}$/,
  LTC: /^[Tc][1-9A-HJ-NP-Za-km-z]{51}$/,
  DOGE: /^[Qc][1-9A-HJ-NP-Za-km-z]{51}$/,
  TRON: /^[0-9a-f]{64}$/,
};
const EVM_KEY = /^0x[0-9a-f]{64}$/;

describe('own vectors: every registry chain, both networks', () => {
  it('cover every chain of the registry on mainnet and testnet for every mnemonic', () => {
    const expected = Object.keys(vectors.mnemonics).flatMap((m) =>
      defaultRegistry.codes().flatMap((code) => [`${m} ${code} mainnet`, `${m} ${code} testnet`]),
    );
    expect(vectors.entries.map((e) => `${e.mnemonic} ${e.chain} ${e.network}`).sort()).toEqual(expected.sort());
    expect(defaultRegistry.codes().sort()).toEqual(['BSC', 'BTC', 'CELO', 'DOGE', 'ETH', 'KCS', 'KLAY', 'LTC', 'MATIC', 'ONE', 'TRON', 'VET', 'XDC']);
  });

  describe.each(vectors.entries.map((e) => [`${e.mnemonic} ${e.chain} ${e.network}`, e] as const))('%s', (_name, entry) => {
    const chain = defaultRegistry.resolve(entry.chain, entry.network);
    const mnemonic = normalizeMnemonic(encoder.encode(vectors.mnemonics[entry.mnemonic]!));

    it('the registry path and xpub prefix are Tatum’s', () => {
      expect(chain.derivationPath).toBe(entry.path);
      const prefix = XPUB_PREFIX[entry.chain]?.[entry.network] ?? 'xpub';
      expect(entry.xpub.slice(0, 4)).toBe(prefix);
    });

    it('accountFromMnemonic reproduces xpub, public keys, addresses and private keys', () => {
      const account = accountFromMnemonic(mnemonic, chain);
      expect(account.xpub).toBe(entry.xpub);
      for (const child of entry.children) {
        const publicKey = account.childPublicKey(child.index);
        expect(hex(publicKey)).toBe(child.publicKey);
        expect(addressOf(publicKey, chain)).toBe(child.address);
        const privateKey = account.childPrivateKey(child.index);
        expect(encodePrivateKey(privateKey, chain)).toBe(child.privateKey);
        expect(hex(publicKeyOf(privateKey))).toBe(child.publicKey);
      }
      account.wipe();
    });

    it('addressFromXpub gives the same addresses', () => {
      for (const child of entry.children) expect(addressFromXpub(entry.xpub, child.index, chain)).toBe(child.address);
    });

    it('a bare private key gives the mnemonic-derived address', () => {
      for (const child of entry.children) {
        const key = decodePrivateKey(child.privateKey, chain);
        expect(addressOf(publicKeyOf(key), chain)).toBe(child.address);
      }
    });

    it('addresses and keys have the chain’s shape', () => {
      const addressShape = ADDRESS_SHAPE[entry.chain]?.[entry.network] ?? EVM_ADDRESS;
      const keyShape = KEY_SHAPE[entry.chain] ?? EVM_KEY;
      for (const child of entry.children) {
        expect(child.address).toMatch(addressShape);
        expect(child.privateKey).toMatch(keyShape);
      }
    });
  });
});

describe('well-known cross-checks ("abandon … about", BIP44 paths)', () => {
  const about = normalizeMnemonic(encoder.encode(`${'abandon '.repeat(11)}about`));

  it("TRON m/44'/195'/0'/0/0 is TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", () => {
    const chain = defaultRegistry.resolve('TRON', 'mainnet');
    const account = accountFromMnemonic(about, chain);
    expect(addressOf(account.childPublicKey(0), chain)).toBe('TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
    account.wipe();
  });

  it("ETH m/44'/60'/0'/0/0 is 0x9858EfFD232B4033E47d90003D41EC34EcaEda94 (lowercase in Sigil)", () => {
    const chain = defaultRegistry.resolve('ETH', 'mainnet');
    const account = accountFromMnemonic(about, chain);
    expect(addressOf(account.childPublicKey(0), chain)).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94'.toLowerCase());
    account.wipe();
  });

  it('ETH, BSC and KCS share a path; testnets of every EVM chain share m/44\'/1\'/0\'/0; TRON testnet is TRON mainnet', () => {
    const xpubOf = (code: string, network: string) => vectors.entries.find((e) => e.mnemonic === 'abandon-art' && e.chain === code && e.network === network)!.xpub;
    expect(xpubOf('BSC', 'mainnet')).toBe(xpubOf('ETH', 'mainnet'));
    expect(xpubOf('KCS', 'mainnet')).toBe(xpubOf('ETH', 'mainnet'));
    for (const code of ['BSC', 'MATIC', 'KLAY', 'ONE', 'XDC', 'CELO', 'KCS', 'VET']) expect(xpubOf(code, 'testnet')).toBe(xpubOf('ETH', 'testnet'));
    expect(xpubOf('TRON', 'testnet')).toBe(xpubOf('TRON', 'mainnet'));
    expect(xpubOf('MATIC', 'mainnet')).not.toBe(xpubOf('ETH', 'mainnet'));
  });
});
