/**
 * What rotation needs beyond the KeyProvider port: wrapping a GIVEN data key (KMS Encrypt, or the local
 * wrap) so an envelope can move to another key without touching its sealed secret. Both adapters
 * implement it. (Proposed for the KeyProvider port itself; kept here because the port file is shared.)
 */
import type { EncryptionContext, KeyProvider } from './key-provider.js';

export interface WrappedDataKey {
  readonly wrapped: Uint8Array;
  /** The key that wrapped it (a KMS key ARN, or the local key's id). */
  readonly keyId: string;
}

export interface RewrappableKeyProvider extends KeyProvider {
  /** Wraps a 32-byte data key under this provider's key and `context`; does not wipe `plaintext`. */
  encryptDataKey(plaintext: Uint8Array, context: EncryptionContext): Promise<WrappedDataKey>;
}
