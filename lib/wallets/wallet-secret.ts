/**
 * What each kind of wallet stores as its sealed secret, and the public part that secret derives
 * (the part the record stores in the clear and binds into the encryption context):
 *
 * | kind       | sealed secret                                    | public part                            |
 * | ---------- | ------------------------------------------------ | -------------------------------------- |
 * | mnemonic   | the canonical mnemonic, UTF-8 (BIP39 words, one space) | xpub at the chain's Tatum path   |
 * | privateKey | the raw 32-byte secp256k1 key                    | address of child-less key (`address`)  |
 * | foreign    | UTF-8 JSON of the Tatum wallet.dat entry         | its `address`, else its `xpub`, else "-" |
 *
 * Foreign records hold wallet.dat entries of chains Sigil cannot derive or sign (XRP, SOL, …): Sigil keeps
 * them sealed so nothing is lost in a migration, and gives them back as they were.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ChainNetwork, ChainRegistry } from '../chains/registry.js';
import { accountFromMnemonic, addressOf, publicKeyOf } from '../keys/index.js';
import type { WalletKind, WalletRecord } from '../store/wallet-store.js';
import { WalletError } from './wallet-error.js';

/** The public value a foreign entry with neither address nor xpub is stored under. */
export const NO_PUBLIC_VALUE = '-';

/** A Tatum wallet.dat entry, as Tatum KMS prints it (getmanagedwallet, export). */
export type TatumEntry = Readonly<Record<string, string | boolean>>;

export type PublicPart = { readonly xpub: string; readonly address?: undefined } | { readonly address: string; readonly xpub?: undefined };

export function publicValueOf(part: { readonly xpub?: string | undefined; readonly address?: string | undefined }): string {
  const value = part.xpub ?? part.address;
  if (value === undefined) throw new TypeError('a wallet has an xpub or an address');
  return value;
}

/** The xpub of a canonical mnemonic at the chain's path (PBKDF2 + BIP32; every node wiped). */
export function xpubOfMnemonic(mnemonic: Uint8Array, chain: ChainNetwork): string {
  const account = accountFromMnemonic(mnemonic, chain);
  try {
    return account.xpub;
  } finally {
    account.wipe();
  }
}

export function addressOfPrivateKey(privateKey: Uint8Array, chain: ChainNetwork): string {
  return addressOf(publicKeyOf(privateKey), chain);
}

/**
 * Parse the sealed JSON of a foreign record. The bytes are the caller's (wiped by it); the strings this
 * returns cannot be wiped, which is why only reveal/export paths call it.
 */
export function parseForeignEntry(secret: Uint8Array, signatureId: string): TatumEntry {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(secret));
  } catch {
    throw new WalletError('INTEGRITY_CHECK_FAILED', `the sealed entry of foreign wallet ${signatureId} is not JSON`, { signatureId });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WalletError('INTEGRITY_CHECK_FAILED', `the sealed entry of foreign wallet ${signatureId} is not a JSON object`, { signatureId });
  }
  for (const field of Object.values(value)) {
    if (typeof field !== 'string' && typeof field !== 'boolean') {
      throw new WalletError('INTEGRITY_CHECK_FAILED', `the sealed entry of foreign wallet ${signatureId} has a field that is neither text nor boolean`, { signatureId });
    }
  }
  return value as TatumEntry;
}

/** The public part a foreign entry is recorded under. */
export function foreignPublicPart(entry: TatumEntry): PublicPart {
  const address = typeof entry.address === 'string' ? entry.address : typeof entry.xpub === 'string' ? entry.xpub : NO_PUBLIC_VALUE;
  return { address };
}

/** Re-derive the public part of an opened secret, as the record of `kind` on `chain` must hold it. */
export function derivePublicPart(kind: WalletKind, secret: Uint8Array, chain: string, network: string, registry: ChainRegistry, signatureId: string): PublicPart {
  if (kind === 'foreign') return foreignPublicPart(parseForeignEntry(secret, signatureId));
  const params = registry.resolve(chain, network);
  return kind === 'mnemonic' ? { xpub: xpubOfMnemonic(secret, params) } : { address: addressOfPrivateKey(secret, params) };
}

/** Constant-time equality of two secrets (lengths are not secret). */
export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a record's public fields equal the given ones. */
export function samePublicPart(record: WalletRecord, part: PublicPart): boolean {
  return record.xpub === part.xpub && record.address === part.address;
}
