/**
 * The WalletStore port: sealed wallet records by signatureId. One DynamoDB adapter, one embedded (SQLite)
 * adapter; both pass test/contract/wallet-store.contract.ts.
 *
 * Invariants:
 * - A record never holds a plaintext secret or a plaintext data key: only the sealed envelope.
 * - `put` is create-only: an existing signatureId with identical content is a no-op (idempotent import),
 *   with different content a WalletConflictError. Nothing is ever silently overwritten.
 * - `replaceSealed` (rotation) is a conditional write on `version`, and bumps it, so a signer's cache can
 *   tell that a record it opened has changed.
 */
import type { Envelope } from '../custody/envelope-types.js';

export const WALLET_SCHEMA_VERSION = 1;

/** mnemonic and privateKey wallets sign; `foreign` records hold imported secrets of chains Sigil cannot sign yet. */
export type WalletKind = 'mnemonic' | 'privateKey' | 'foreign';

export interface WalletRecord {
  readonly schema: number;
  /** UUID v4, as Tatum KMS uses them; pending transactions at Tatum name wallets by it. */
  readonly signatureId: string;
  readonly chain: string;
  /** 'mainnet', 'testnet' or a custom network name. */
  readonly network: string;
  /** Tatum's testnet flag (derivation and formats). */
  readonly testnet: boolean;
  readonly kind: WalletKind;
  /** Account xpub at the chain's path (mnemonic wallets). */
  readonly xpub?: string;
  /** Address (private-key and foreign wallets). */
  readonly address?: string;
  /** Hex sha256 of xpub, else of address (UTF-8); part of the encryption context. */
  readonly publicHash: string;
  readonly sealed: Envelope;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Starts at 1, bumped by every replaceSealed. */
  readonly version: number;
}

export interface WalletFilter {
  readonly chain?: string;
  readonly network?: string;
}

export interface WalletStore {
  put(record: WalletRecord): Promise<'created' | 'unchanged'>;
  /** Several records at once, all or nothing (import, restore). */
  putMany(records: readonly WalletRecord[]): Promise<Array<'created' | 'unchanged'>>;
  get(signatureId: string): Promise<WalletRecord | undefined>;
  /** Signature ids matching the filter, without reading sealed secrets (the DynamoDB index projects none). */
  listIds(filter?: WalletFilter): Promise<string[]>;
  /** Every record (export, verify, backup), in signatureId order. */
  list(): Promise<WalletRecord[]>;
  /** true if it existed. */
  remove(signatureId: string): Promise<boolean>;
  /** Rotation: swap the envelope if the record is still at `expectedVersion`; returns the new record. */
  replaceSealed(signatureId: string, expectedVersion: number, sealed: Envelope): Promise<WalletRecord>;
  close(): Promise<void>;
}
