/**
 * The KeyProvider port: where data keys come from. One AWS KMS adapter, one local adapter; both pass
 * test/contract/key-provider.contract.ts.
 *
 * Invariants:
 * - Every data key is fresh, 256-bit, and bound to an encryption context: a data key wrapped under one
 *   context never unwraps under another (KMS enforces it; the local adapter uses the context as GCM AAD).
 * - `decryptDataKey` always names the key id it expects (never "whatever key this blob says").
 * - Plaintext data keys are returned as Uint8Array that the caller wipes after use.
 */

/** ARCHITECTURE §Custody: the context bound to each sealed wallet secret. Values are public. */
export interface EncryptionContext {
  readonly app: 'sigil';
  readonly purpose: 'wallet-secret';
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  /** Hex sha256 of the stored xpub (mnemonic wallets) or address (private-key wallets). */
  readonly publicHash: string;
}

export interface DataKey {
  /** 32 bytes; the caller wipes it. */
  readonly plaintext: Uint8Array;
  /** The data key wrapped by the provider (KMS CiphertextBlob, or the local wrap). */
  readonly wrapped: Uint8Array;
  /** The key that wrapped it (a KMS key ARN, or the local key's id). */
  readonly keyId: string;
}

export type ProviderKind = 'aws-kms' | 'local';

export interface KeyProvider {
  readonly kind: ProviderKind;
  /** The key id new data keys are wrapped under. */
  readonly keyId: string;
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /** Unwrap; throws CustodyError when the blob, key or context do not match. */
  decryptDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext): Promise<Uint8Array>;
}
