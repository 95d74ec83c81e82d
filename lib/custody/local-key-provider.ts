/**
 * The embedded KeyProvider: a 256-bit key-encryption key (KEK) held in this process wraps each data key
 * with AES-256-GCM, the canonical encryption context as AAD — the local equivalent of KMS binding a data
 * key to its EncryptionContext. The KEK comes from a key file (key-file.ts) or a password
 * (password-key.ts).
 *
 * Wrapped data key (edk), 61 bytes: 0x01 (wrap version) ‖ IV (12) ‖ AES-256-GCM(KEK, data key) (32) ‖ tag (16).
 * Key id: "local:" ‖ first 16 hex digits of sha256("sigil-kek-id" ‖ KEK) — names the KEK, reveals nothing.
 */
import { createHash, getRandomValues } from 'node:crypto';
import type { DataKey, EncryptionContext } from './key-provider.js';
import type { RewrappableKeyProvider, WrappedDataKey } from './rewrappable-key-provider.js';
import { InvalidInputError } from '../errors.js';
import { CustodyError } from './custody-error.js';
import { assertWalletContext, canonicalContextBytes } from './context.js';
import { GCM_IV_BYTES, GCM_KEY_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm.js';
import { openKeyFile } from './key-file.js';
import { deriveKekFromPassword, type PasswordKeyHeader } from './password-key.js';

export const LOCAL_WRAP_VERSION = 0x01;
export const LOCAL_WRAP_BYTES = 1 + GCM_IV_BYTES + GCM_KEY_BYTES + GCM_TAG_BYTES;
const KEY_ID_LABEL = new TextEncoder().encode('sigil-kek-id');

export function localKeyIdOf(kek: Uint8Array): string {
  assertKek(kek);
  return `local:${createHash('sha256').update(KEY_ID_LABEL).update(kek).digest('hex').slice(0, 16)}`;
}

/** The local wrap with the IV as input: deterministic, for known-answer tests and for encryptDataKey. */
export function wrapDataKeyWithIv(kek: Uint8Array, dataKey: Uint8Array, context: EncryptionContext, iv: Uint8Array): Uint8Array {
  assertKek(kek);
  assertWalletContext(context);
  if (dataKey.length !== GCM_KEY_BYTES) throw new RangeError(`data key must be 32 bytes, got ${dataKey.length}`);
  const { ct, tag } = gcmSeal(kek, iv, dataKey, canonicalContextBytes(context));
  const wrapped = new Uint8Array(LOCAL_WRAP_BYTES);
  wrapped[0] = LOCAL_WRAP_VERSION;
  wrapped.set(iv, 1);
  wrapped.set(ct, 1 + GCM_IV_BYTES);
  wrapped.set(tag, 1 + GCM_IV_BYTES + GCM_KEY_BYTES);
  return wrapped;
}

export class LocalKeyProvider implements RewrappableKeyProvider {
  readonly kind = 'local' as const;
  readonly keyId: string;
  readonly #kek: Uint8Array;
  #closed = false;

  /** Copies `kek`: the caller still owns (and wipes) the array it passed. */
  constructor(kek: Uint8Array) {
    assertKek(kek);
    this.#kek = Uint8Array.from(kek);
    this.keyId = localKeyIdOf(this.#kek);
  }

  /** A provider over the key file at `path`, created (0600, race-free) when `create` and absent. */
  static async fromKeyFile(path: string, options: { readonly create: boolean }): Promise<LocalKeyProvider> {
    const { kek } = await openKeyFile(path, options);
    try {
      return new LocalKeyProvider(kek);
    } finally {
      kek.fill(0);
    }
  }

  /** A provider over the KEK derived from `password` and a stored header; WRONG_PASSWORD if it does not match. */
  static async fromPassword(password: Uint8Array, header: PasswordKeyHeader): Promise<LocalKeyProvider> {
    const kek = await deriveKekFromPassword(password, header);
    try {
      return new LocalKeyProvider(kek);
    } finally {
      kek.fill(0);
    }
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.#assertOpen();
    const plaintext = getRandomValues(new Uint8Array(GCM_KEY_BYTES));
    try {
      const { wrapped, keyId } = await this.encryptDataKey(plaintext, context);
      return { plaintext, wrapped, keyId };
    } catch (error) {
      plaintext.fill(0);
      throw error;
    }
  }

  async encryptDataKey(plaintext: Uint8Array, context: EncryptionContext): Promise<WrappedDataKey> {
    this.#assertOpen();
    const iv = getRandomValues(new Uint8Array(GCM_IV_BYTES));
    return { wrapped: wrapDataKeyWithIv(this.#kek, plaintext, context, iv), keyId: this.keyId };
  }

  async decryptDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext): Promise<Uint8Array> {
    this.#assertOpen();
    assertWalletContext(context);
    if (keyId !== this.keyId) {
      throw new CustodyError(
        'KEY_MISMATCH',
        `the data key of ${context.signatureId} is wrapped under ${keyId}, this local key is ${this.keyId}`,
        { signatureId: context.signatureId, keyId, providerKeyId: this.keyId },
      );
    }
    const dataKey =
      wrapped.length === LOCAL_WRAP_BYTES && wrapped[0] === LOCAL_WRAP_VERSION
        ? gcmOpen(
            this.#kek,
            wrapped.subarray(1, 1 + GCM_IV_BYTES),
            wrapped.subarray(1 + GCM_IV_BYTES, 1 + GCM_IV_BYTES + GCM_KEY_BYTES),
            wrapped.subarray(1 + GCM_IV_BYTES + GCM_KEY_BYTES),
            canonicalContextBytes(context),
          )
        : undefined;
    if (dataKey === undefined) {
      throw new CustodyError(
        'TAMPERED',
        `the data key of ${context.signatureId} does not unwrap under ${keyId}: tampered, or bound to another wallet`,
        { signatureId: context.signatureId, keyId },
      );
    }
    return dataKey;
  }

  /** Wipes the KEK; later calls fail with KEY_UNAVAILABLE. */
  close(): void {
    this.#kek.fill(0);
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CustodyError('KEY_UNAVAILABLE', `local key ${this.keyId} was closed`, { keyId: this.keyId });
  }
}

function assertKek(kek: Uint8Array): void {
  if (!(kek instanceof Uint8Array) || kek.length !== GCM_KEY_BYTES) {
    throw new InvalidInputError(`a local key-encryption key must be 32 bytes, got ${kek instanceof Uint8Array ? kek.length : typeof kek}`);
  }
}
