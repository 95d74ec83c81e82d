/**
 * Secret hygiene of the account node (lib/keys/hd.ts): intermediate BIP32 nodes are wiped as the path is
 * walked, the mnemonic's seed is wiped by accountFromMnemonic, children are handed out as fresh buffers, and
 * wipe() zeroes the account's private key and chain code and makes the node unusable. The BIP32 nodes are
 * observed through spies on the shared bip32 factory (white box: the nodes are private to the closure).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BIP32Interface } from 'bip32';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { InvalidInputError } from '../../../lib/errors.js';
import { bip32 } from '../../../lib/keys/ecc.js';
import { accountFromMnemonic, childPublicKeyFromXpub, deriveAccount, normalizeMnemonic } from '../../../lib/keys/index.js';

const chain = defaultRegistry.resolve('BTC', 'mainnet'); // m/44'/0'/0'/0
const seed = () => Uint8Array.from({ length: 64 }, (_, i) => i + 1);
const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

/** Spy on the master node and every node derived from it (the BIP32 class prototype's derive). */
function watchNodes() {
  const fromSeed = vi.spyOn(bip32, 'fromSeed');
  const probe = bip32.fromSeed(new Uint8Array(16).fill(7));
  fromSeed.mockClear();
  const derive = vi.spyOn(Object.getPrototypeOf(probe) as BIP32Interface, 'derive');
  return {
    fromSeed,
    master: () => fromSeed.mock.results[0]!.value as BIP32Interface,
    derived: () => derive.mock.results.map((r) => r.value as BIP32Interface),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deriveAccount wiping', () => {
  it('wipes the master and the intermediate nodes, keeps the account node until wipe(), then zeroes it', () => {
    const nodes = watchNodes();
    const account = deriveAccount(seed(), chain);
    const path = nodes.derived();
    expect(path).toHaveLength(4); // 44', 0', 0', 0
    const walked = [nodes.master(), ...path.slice(0, -1)];
    for (const node of walked) {
      expect(isZero(node.privateKey!)).toBe(true);
      expect(isZero(node.chainCode)).toBe(true);
    }
    const accountNode = path.at(-1)!;
    expect(accountNode.depth).toBe(4);
    expect(isZero(accountNode.privateKey!)).toBe(false);
    expect(isZero(accountNode.chainCode)).toBe(false);

    account.wipe();
    expect(isZero(accountNode.privateKey!)).toBe(true);
    expect(isZero(accountNode.chainCode)).toBe(true);
  });

  it('wipes each child node it derives for childPrivateKey and childPublicKey', () => {
    const nodes = watchNodes();
    const account = deriveAccount(seed(), chain);
    const before = nodes.derived().length;
    account.childPrivateKey(0);
    account.childPublicKey(1);
    const children = nodes.derived().slice(before);
    expect(children).toHaveLength(2);
    for (const child of children) {
      expect(isZero(child.privateKey!)).toBe(true);
      expect(isZero(child.chainCode)).toBe(true);
    }
    account.wipe();
  });

  it('leaves the seed to its owner', () => {
    const input = seed();
    deriveAccount(input, chain).wipe();
    expect(input).toEqual(seed());
  });

  it('accountFromMnemonic wipes the seed it computed', () => {
    const nodes = watchNodes();
    const mnemonic = normalizeMnemonic(new TextEncoder().encode(`${'abandon '.repeat(11)}about`));
    const account = accountFromMnemonic(mnemonic, chain);
    const computedSeed = nodes.fromSeed.mock.calls[0]![0];
    expect(computedSeed).toHaveLength(64);
    expect(isZero(computedSeed)).toBe(true);
    expect(new TextDecoder().decode(mnemonic)).toBe(`${'abandon '.repeat(11)}about`); // the caller's to wipe
    account.wipe();
  });
});

describe('AccountNode', () => {
  it('after wipe(), every use throws and the xpub stays readable', () => {
    const account = deriveAccount(seed(), chain);
    const xpub = account.xpub;
    account.wipe();
    expect(() => account.childPrivateKey(0)).toThrow(/after wipe/);
    expect(() => account.childPublicKey(0)).toThrow(/after wipe/);
    expect(account.xpub).toBe(xpub);
    expect(() => account.wipe()).not.toThrow();
  });

  it('childPrivateKey returns a fresh buffer: mutating it does not affect the next call', () => {
    const account = deriveAccount(seed(), chain);
    const first = account.childPrivateKey(3);
    const copy = Uint8Array.from(first);
    first.fill(0);
    const second = account.childPrivateKey(3);
    expect(second).toEqual(copy);
    expect(second).not.toBe(first);
    second[0] = second[0]! ^ 0xff;
    expect(account.childPrivateKey(3)).toEqual(copy);
    account.wipe();
  });

  it('childPublicKey returns a fresh buffer too', () => {
    const account = deriveAccount(seed(), chain);
    const first = account.childPublicKey(3);
    const copy = Uint8Array.from(first);
    first.fill(0);
    expect(account.childPublicKey(3)).toEqual(copy);
    expect(childPublicKeyFromXpub(account.xpub, 3, chain)).toEqual(copy);
    account.wipe();
  });

  it.each([-1, 0x80000000, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses child index %s', (index) => {
    const account = deriveAccount(seed(), chain);
    expect(() => account.childPrivateKey(index)).toThrow(InvalidInputError);
    expect(() => account.childPublicKey(index)).toThrow(InvalidInputError);
    expect(() => childPublicKeyFromXpub(account.xpub, index, chain)).toThrow(InvalidInputError);
    account.wipe();
  });
});
