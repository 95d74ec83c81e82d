/**
 * Public facts about the wallets a pending transaction names — read from wallet records, never from a
 * secret: which records exist, and the EVM sender address of a key reference (from the xpub or the stored
 * address), so prepare can fill a nonce and estimate gas before anything is decrypted.
 */
import type { ChainNetwork } from '../chains/registry.js';
import { addressFromXpub } from '../keys/index.js';
import type { WalletRecord, WalletStore } from '../store/wallet-store.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';
import { walletIdsOf, type KeyRef } from './key-resolution.js';

export async function loadWallets(store: WalletStore, pending: PendingTransaction): Promise<Map<string, WalletRecord>> {
  return loadWalletsById(store, walletIdsOf(pending));
}

/** The records of `ids` that exist. */
export async function loadWalletsById(store: WalletStore, ids: Iterable<string>): Promise<Map<string, WalletRecord>> {
  const wallets = new Map<string, WalletRecord>();
  for (const id of ids) {
    const record = await store.get(id);
    if (record) wallets.set(id, record);
  }
  return wallets;
}

/** Lower-case `0x` address of an EVM key reference (XDC's `xdc` prefix folded back to `0x`). */
export function evmSenderOf(ref: KeyRef, wallets: ReadonlyMap<string, WalletRecord>, chain: ChainNetwork): string {
  const wallet = wallets.get(ref.signatureId)!;
  const address = wallet.kind === 'mnemonic' ? addressFromXpub(wallet.xpub!, ref.index!, chain) : wallet.address!;
  return `0x${address.slice(-40).toLowerCase()}`;
}
