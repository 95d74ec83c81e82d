/**
 * A per-process cache of opened wallets (account nodes of mnemonic wallets, keys of private-key wallets), so
 * a warm signer makes at most one KMS Decrypt per wallet per cache period.
 *
 * Invariants:
 * - bounded in size (least recently used evicted first) and in age (an entry older than maxAgeMs is reopened);
 * - an entry is used only while the wallet record's `version` equals the version it was opened from, so a
 *   rotated or replaced record is reopened, never served stale;
 * - every eviction wipes the secret (AccountNode.wipe / fill(0)); `clear()` wipes everything (shutdown);
 * - concurrent misses for one wallet and version share a single open (one Decrypt, not one per caller), and
 *   an entry is never replaced without wiping the one it replaces.
 */
import type { AccountNode } from '../keys/hd.js';
import { wipe } from '../keys/wipe.js';

export type OpenedWallet =
  | { readonly kind: 'mnemonic'; readonly account: AccountNode }
  | { readonly kind: 'privateKey'; readonly privateKey: Uint8Array };

interface Entry {
  readonly wallet: OpenedWallet;
  readonly version: number;
  readonly openedAt: number;
}

export interface OpenedWalletCacheOptions {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

function wipeWallet(wallet: OpenedWallet): void {
  if (wallet.kind === 'mnemonic') wallet.account.wipe();
  else wipe(wallet.privateKey);
}

export class OpenedWalletCache {
  readonly #entries = new Map<string, Entry>();
  /** Opens in flight, by `signatureId#version`: settled (never rejected) when the open ends. */
  readonly #opening = new Map<string, Promise<void>>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** How many times `open` ran (each is one KMS Decrypt on AWS): the bench reports it. */
  opens = 0;

  constructor(options: OpenedWalletCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 0) throw new RangeError('maxEntries must be a non-negative integer');
    if (!(options.maxAgeMs >= 0)) throw new RangeError('maxAgeMs must be ≥ 0');
    this.#maxEntries = options.maxEntries;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Run `fn` with the opened wallet `signatureId` at `version`, opening it with `open` when it is not cached,
   * is stale or has another version. With maxEntries 0 the wallet is opened, used and wiped every time.
   */
  async use<T>(signatureId: string, version: number, open: () => Promise<OpenedWallet>, fn: (wallet: OpenedWallet) => T | Promise<T>): Promise<T> {
    const openingKey = `${signatureId}#${version}`;
    for (;;) {
      const now = this.#now();
      const cached = this.#entries.get(signatureId);
      if (cached && (cached.version !== version || now - cached.openedAt > this.#maxAgeMs)) this.#evict(signatureId);
      const entry = this.#entries.get(signatureId);
      if (entry) {
        this.#entries.delete(signatureId); // re-insert: Map order is the LRU order
        this.#entries.set(signatureId, entry);
        return fn(entry.wallet);
      }
      const inFlight = this.#maxEntries === 0 ? undefined : this.#opening.get(openingKey);
      if (!inFlight) break;
      await inFlight; // another caller is opening this wallet: look again once it is done
    }
    const openedAt = this.#now();
    let opened!: () => void;
    if (this.#maxEntries > 0) this.#opening.set(openingKey, new Promise<void>((resolve) => (opened = resolve)));
    let wallet: OpenedWallet;
    try {
      wallet = await open();
    } finally {
      if (this.#maxEntries > 0) {
        this.#opening.delete(openingKey);
        opened();
      }
    }
    this.opens++;
    if (this.#maxEntries === 0) {
      try {
        return await fn(wallet);
      } finally {
        wipeWallet(wallet);
      }
    }
    this.#evict(signatureId); // an entry another version's open stored meanwhile: wiped, not dropped
    const entry: Entry = { wallet, version, openedAt };
    this.#entries.set(signatureId, entry);
    while (this.#entries.size > this.#maxEntries) this.#evict(this.#entries.keys().next().value as string);
    return fn(wallet);
  }

  /** Drop and wipe one wallet (e.g. removed from the store). */
  #evict(signatureId: string): void {
    const entry = this.#entries.get(signatureId);
    if (!entry) return;
    this.#entries.delete(signatureId);
    wipeWallet(entry.wallet);
  }

  evict(signatureId: string): void {
    this.#evict(signatureId);
  }

  /** Wipe everything (shutdown, SIGTERM). */
  clear(): void {
    for (const id of [...this.#entries.keys()]) this.#evict(id);
  }
}
