/**
 * Envelope encryption, format v1 (ARCHITECTURE §Custody, docs/envelope.md): each secret under its own
 * fresh 256-bit data key, AES-256-GCM, random 96-bit IV, 128-bit tag, the canonical encryption context
 * as additional data. The data key is wrapped by the KeyProvider under the same context.
 *
 * Ownership: `secret` passed to sealSecret belongs to the caller (who wipes it); the plaintext returned by
 * openSecret belongs to the caller (who wipes it). Data keys are wiped here before returning or throwing.
 */
import { getRandomValues } from 'node:crypto';
import type { Envelope } from './envelope-types.js';
import type { DataKey, EncryptionContext, KeyProvider, ProviderKind } from './key-provider.js';
import { InvalidInputError } from '../errors.js';
import { CustodyError, tamperedSecretError } from './custody-error.js';
import { assertWalletContext, canonicalContextBytes } from './context.js';
import { GCM_IV_BYTES, GCM_KEY_BYTES, gcmOpen, gcmSeal } from './aes-gcm.js';
import { decodeEnvelope, MAX_EDK_BYTES, MAX_SECRET_BYTES, type DecodedEnvelope } from './envelope-format.js';
import { encodeBase64 } from './strict-base64.js';

export { parseEnvelope } from './envelope-format.js';
export { publicHashOf, walletContext } from './context.js';

/** One GenerateDataKey (or local equivalent) per call: data keys are never reused across secrets. */
export async function sealSecret(provider: KeyProvider, secret: Uint8Array, context: EncryptionContext): Promise<Envelope> {
  assertWalletContext(context);
  assertSecretSize(secret);
  const dataKey = await provider.generateDataKey(context);
  try {
    return sealWithFixedRandomness(provider.kind, dataKey, secret, context, getRandomValues(new Uint8Array(GCM_IV_BYTES)));
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/**
 * The deterministic core of sealSecret, exposed for known-answer tests (docs/envelope.md §KAT): the data
 * key and IV are inputs. Production code calls sealSecret; reusing an (data key, IV) pair breaks GCM.
 * Does not wipe `dataKey.plaintext` (the caller owns it).
 */
export function sealWithFixedRandomness(
  provider: ProviderKind,
  dataKey: DataKey,
  secret: Uint8Array,
  context: EncryptionContext,
  iv: Uint8Array,
): Envelope {
  assertWalletContext(context);
  assertSecretSize(secret);
  if (dataKey.plaintext.length !== GCM_KEY_BYTES) {
    throw new CustodyError('KEY_PROVIDER_FAILED', `data key must be 32 bytes, the provider returned ${dataKey.plaintext.length}`, {
      keyId: dataKey.keyId,
    });
  }
  if (dataKey.wrapped.length === 0 || dataKey.wrapped.length > MAX_EDK_BYTES) {
    throw new CustodyError('KEY_PROVIDER_FAILED', `wrapped data key must be 1-${MAX_EDK_BYTES} bytes, got ${dataKey.wrapped.length}`, {
      keyId: dataKey.keyId,
    });
  }
  const { ct, tag } = gcmSeal(dataKey.plaintext, iv, secret, canonicalContextBytes(context));
  return {
    v: 1,
    alg: 'AES-256-GCM',
    provider,
    keyId: dataKey.keyId,
    edk: encodeBase64(dataKey.wrapped),
    iv: encodeBase64(iv),
    ct: encodeBase64(ct),
    tag: encodeBase64(tag),
  };
}

/**
 * Opens an envelope (validated again here: it may come straight from storage) under the context of the
 * record it is stored in. Any change to the envelope or the context fails with a CustodyError; the
 * caller never sees bytes that did not authenticate.
 */
export async function openSecret(provider: KeyProvider, envelope: Envelope, context: EncryptionContext): Promise<Uint8Array> {
  assertWalletContext(context);
  const decoded = decodeEnvelope(envelope);
  if (decoded.provider !== provider.kind) {
    throw new CustodyError(
      'KEY_MISMATCH',
      `the sealed secret of ${context.signatureId} was sealed by a ${decoded.provider} provider, this one is ${provider.kind}`,
      { signatureId: context.signatureId, keyId: decoded.keyId },
    );
  }
  const dataKey = await provider.decryptDataKey(decoded.edk, decoded.keyId, context);
  try {
    return openWithDataKey(dataKey, decoded, context);
  } finally {
    dataKey.fill(0);
  }
}

/** Open a decoded envelope with its unwrapped data key (which stays the caller's to wipe). */
export function openWithDataKey(dataKey: Uint8Array, decoded: DecodedEnvelope, context: EncryptionContext): Uint8Array {
  if (dataKey.length !== GCM_KEY_BYTES) {
    throw new CustodyError('KEY_PROVIDER_FAILED', `data key must be 32 bytes, the provider returned ${dataKey.length}`, {
      signatureId: context.signatureId,
      keyId: decoded.keyId,
    });
  }
  const secret = gcmOpen(dataKey, decoded.iv, decoded.ct, decoded.tag, canonicalContextBytes(context));
  if (secret === undefined) throw tamperedSecretError(context.signatureId, { keyId: decoded.keyId });
  return secret;
}

function assertSecretSize(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
    throw new InvalidInputError(`a secret to seal must be 1-${MAX_SECRET_BYTES} bytes, got ${got}`);
  }
}
