/**
 * BIP32 test vectors 1–5 (bitcoin/bips bip-0032.mediawiki). Sigil only derives along a chain's path, so each
 * vector node is reached through a test-only ChainNetwork whose `derivationPath` is the node's path (BTC
 * mainnet version bytes). Private keys are not exposed by AccountNode: they are checked through the children
 * (a node's child 0 private key depends on the node's private key and chain code), against @scure/bip32
 * reading the vector's xprv, and directly where the last step of a path is non-hardened.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HDKey } from '@scure/bip32';
import type { ChainNetwork } from '../../../lib/chains/registry.js';
import { InvalidInputError } from '../../../lib/errors.js';
import { childPublicKeyFromXpub, deriveAccount, parseXpub } from '../../../lib/keys/index.js';

interface SpecNode {
  path: string;
  xpub: string;
  xprv: string;
}
const spec = JSON.parse(readFileSync(new URL('../../vectors/bip32-spec.json', import.meta.url), 'utf8')) as {
  vectors: Array<{ vector: number; seed: string; chains: SpecNode[] }>;
  invalid: Array<{ key: string; reason: string }>;
};

const XPUB = { public: 0x0488b21e, private: 0x0488ade4 };

/** A chain whose account node is at `path`: BTC mainnet parameters, independent of the registry. */
function chainAt(path: string): ChainNetwork {
  return {
    chain: 'BTC',
    family: 'utxo',
    network: 'mainnet',
    testnet: false,
    derivationPath: path,
    xpubVersion: XPUB,
    addressFormat: 'p2wpkh',
    keyFormat: 'wif',
    utxo: { messagePrefix: '\x18Bitcoin Signed Message:\n', bech32: 'bc', bip32: XPUB, pubKeyHash: 0, scriptHash: 5, wif: 0x80 },
    signable: true,
    broadcastPath: 'bitcoin',
  };
}

/** The parent path and last index of a path whose last step is non-hardened, or undefined. */
function splitNonHardened(path: string): { parent: string; index: number } | undefined {
  const cut = path.lastIndexOf('/');
  const last = path.slice(cut + 1);
  if (cut < 0 || last.endsWith("'")) return undefined;
  return { parent: path.slice(0, cut), index: Number(last) };
}

describe('BIP32 spec vectors 1-4', () => {
  it('holds vectors 1-4 with their 17 nodes and vector 5 with 16 invalid keys', () => {
    expect(spec.vectors.map((v) => [v.vector, v.chains.length])).toEqual([[1, 6], [2, 6], [3, 2], [4, 3]]);
    expect(spec.invalid).toHaveLength(16);
  });

  const nodes = spec.vectors.flatMap((v) => v.chains.map((node) => [`${v.vector} ${node.path}`, v.seed, node] as const));

  describe.each(nodes)('vector %s', (_name, seedHex, node) => {
    const seed = Buffer.from(seedHex, 'hex');

    it('deriveAccount gives the xpub', () => {
      const account = deriveAccount(seed, chainAt(node.path));
      expect(account.xpub).toBe(node.xpub);
      account.wipe();
    });

    it("the node's children match the vector's xprv (private key and chain code)", () => {
      const oracle = HDKey.fromExtendedKey(node.xprv);
      expect(oracle.publicExtendedKey).toBe(node.xpub);
      const account = deriveAccount(seed, chainAt(node.path));
      for (const index of [0, 1, 0x7fffffff]) {
        expect(account.childPrivateKey(index)).toEqual(oracle.deriveChild(index).privateKey);
        expect(account.childPublicKey(index)).toEqual(oracle.deriveChild(index).publicKey);
      }
      account.wipe();
    });

    it('a non-hardened last step is reproduced from the parent, privately and from the parent xpub', () => {
      const split = splitNonHardened(node.path);
      if (!split) return;
      const oracle = HDKey.fromExtendedKey(node.xprv);
      const parent = deriveAccount(seed, chainAt(split.parent));
      expect(parent.childPrivateKey(split.index)).toEqual(oracle.privateKey);
      expect(parent.childPublicKey(split.index)).toEqual(oracle.publicKey);
      expect(childPublicKeyFromXpub(parent.xpub, split.index, chainAt(split.parent))).toEqual(oracle.publicKey);
      parent.wipe();
    });

    it('parseXpub accepts the xpub and refuses the xprv', () => {
      const parsed = parseXpub(node.xpub, chainAt(node.path));
      expect(parsed.toBase58()).toBe(node.xpub);
      expect(() => parseXpub(node.xprv, chainAt(node.path))).toThrow(InvalidInputError);
      expect(() => parseXpub(node.xprv, chainAt(node.path))).toThrow(/expected an extended public key/);
    });
  });
});

describe('derivation paths', () => {
  const seed = Buffer.from(spec.vectors[0]!.seed, 'hex');

  it.each([
    "m/44'/0'//0", // an empty step would read as 0
    'm/',
    'm/1e3', // Number() would read 1000
    'm/0x10',
    'm/ 1',
    'm/01',
    "m/1''",
    'm/-1',
    'm/1h',
    "m/2147483648'", // 2^31 cannot be hardened again
    'm/4294967296',
    'M/0',
    "44'/0'",
    '',
  ])('refuses %j', (path) => {
    expect(() => deriveAccount(seed, chainAt(path))).toThrow(InvalidInputError);
  });

  it("accepts the largest index, hardened or not: m/2147483647'/2147483647", () => {
    const oracle = HDKey.fromMasterSeed(seed).derive("m/2147483647'/2147483647");
    expect(deriveAccount(seed, chainAt("m/2147483647'/2147483647")).xpub).toBe(oracle.publicExtendedKey);
  });
});

describe('BIP32 spec vector 5: invalid extended keys', () => {
  it.each(spec.invalid.map((k) => [k.reason, k.key] as const))('parseXpub rejects (%s)', (_reason, key) => {
    let error: unknown;
    try {
      parseXpub(key, chainAt('m'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    // Rejected as malformed, not merely because it is an xprv: the decoder itself refused it.
    expect((error as Error).message).toMatch(/^not an extended public key of BTC mainnet: /);
    expect((error as Error).message).not.toContain(key);
    expect(JSON.stringify((error as InvalidInputError).context)).not.toContain(key);
  });
});
