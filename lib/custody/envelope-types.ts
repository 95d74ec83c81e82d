/**
 * Envelope format v1 (docs/envelope.md): a wallet secret sealed with AES-256-GCM under its own data key.
 * JSON-safe: binary fields are base64. Never holds a plaintext secret or a plaintext data key.
 */
import type { ProviderKind } from './key-provider.js';

export interface Envelope {
  readonly v: 1;
  readonly alg: 'AES-256-GCM';
  readonly provider: ProviderKind;
  /** The key that wrapped the data key. */
  readonly keyId: string;
  /** The wrapped (encrypted) data key, base64. */
  readonly edk: string;
  /** 96-bit GCM IV, base64. */
  readonly iv: string;
  /** Ciphertext, base64. */
  readonly ct: string;
  /** 128-bit GCM tag, base64. */
  readonly tag: string;
}
