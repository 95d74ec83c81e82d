/**
 * BIP32 derivation at a chain's Tatum path (TATUM-COMPAT §3): the account node is at `chain.derivationPath`
 * (e.g. m/44'/0'/0'/0), its xpub is what Tatum stores, and child i is the non-hardened index i below it.
 * Version bytes come from the registry (LTC `Ltub`/`ttub`, BTC/DOGE `tpub` on testnet, EVM and TRON
 * always `xpub`). Intermediate nodes are wiped as the path is walked; the account node is wiped by its owner.
 */
import type { BIP32Interface } from 'bip32';
import type { ChainNetwork } from '../chains/registry.js';
import { InvalidInputError } from '../errors.js';
import { bip32 } from './ecc.js';
import { wipe } from './wipe.js';
import { mnemonicToSeed } from './mnemonic.js';

const HARDENED = 0x80000000;
const MAX_CHILD_INDEX = 0x7fffffff;

export interface AccountNode {
  /** The account xpub, with the chain's version bytes. */
  readonly xpub: string;
  /** The private key of non-hardened child `index`; a new buffer the caller wipes. */
  childPrivateKey(index: number): Uint8Array;
  /** The compressed public key of child `index`. */
  childPublicKey(index: number): Uint8Array;
  /** Wipe the account's private key and chain code; the node is unusable afterwards. */
  wipe(): void;
}

function bip32Network(chain: ChainNetwork) {
  return { bip32: chain.xpubVersion, wif: chain.utxo?.wif ?? 0x80 };
}

function wipeNode(node: BIP32Interface): void {
  wipe(node.privateKey, node.chainCode);
}

export function assertChildIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_CHILD_INDEX) {
    throw new InvalidInputError(`a derivation index is an integer from 0 to ${MAX_CHILD_INDEX}; got ${String(index)}`, { index });
  }
}

/** One path step: a decimal index without leading zeros, `'` when hardened (BIP32 notation). */
const PATH_STEP = /^(0|[1-9][0-9]{0,9})'?$/;

function parsePath(path: string): number[] {
  const parts = path.split('/');
  if (parts[0] !== 'm') throw new InvalidInputError(`a derivation path starts with m/; got ${path}`, { path });
  return parts.slice(1).map((part) => {
    // Number() alone would read '' as 0 and '1e3' as 1000, silently deriving another path.
    if (!PATH_STEP.test(part)) {
      throw new InvalidInputError(`a derivation path step is a decimal index, ' when hardened; got ${JSON.stringify(part)} in ${path}`, { path });
    }
    const hardened = part.endsWith("'");
    const n = Number(hardened ? part.slice(0, -1) : part);
    assertChildIndex(n);
    return hardened ? n + HARDENED : n;
  });
}

/** The account node of `chain` from a BIP39 seed. The seed stays the caller's to wipe. */
export function deriveAccount(seed: Uint8Array, chain: ChainNetwork): AccountNode {
  let node = bip32.fromSeed(seed, bip32Network(chain));
  for (const index of parsePath(chain.derivationPath)) {
    const next = node.derive(index);
    wipeNode(node);
    node = next;
  }
  const account = node;
  const xpub = account.neutered().toBase58();
  let wiped = false;
  const child = (index: number): BIP32Interface => {
    if (wiped) throw new Error('account node used after wipe');
    assertChildIndex(index);
    return account.derive(index);
  };
  return {
    xpub,
    childPrivateKey(index) {
      const node = child(index);
      const key = Uint8Array.from(node.privateKey!);
      wipeNode(node);
      return key;
    },
    childPublicKey(index) {
      const node = child(index);
      const publicKey = Uint8Array.from(node.publicKey);
      wipeNode(node);
      return publicKey;
    },
    wipe() {
      wipeNode(account);
      wiped = true;
    },
  };
}

/** The account node of `chain` from a canonical mnemonic (see normalizeMnemonic). */
export function accountFromMnemonic(mnemonic: Uint8Array, chain: ChainNetwork): AccountNode {
  const seed = mnemonicToSeed(mnemonic);
  try {
    return deriveAccount(seed, chain);
  } finally {
    wipe(seed);
  }
}

/** Parse an account xpub of `chain`; wrong version bytes, a private key or bad base58 → InvalidInputError. */
export function parseXpub(xpub: string, chain: ChainNetwork): BIP32Interface {
  let node: BIP32Interface;
  try {
    node = bip32.fromBase58(xpub, bip32Network(chain));
  } catch (cause) {
    throw new InvalidInputError(`not an extended public key of ${chain.chain} ${chain.network}: ${(cause as Error).message}`, { chain: chain.chain, network: chain.network });
  }
  if (!node.isNeutered()) {
    wipeNode(node);
    throw new InvalidInputError('expected an extended public key, got an extended private key', { chain: chain.chain });
  }
  return node;
}

/** Compressed public key of child `index` of an account xpub (no secret involved). */
export function childPublicKeyFromXpub(xpub: string, index: number, chain: ChainNetwork): Uint8Array {
  assertChildIndex(index);
  return parseXpub(xpub, chain).derive(index).publicKey;
}
