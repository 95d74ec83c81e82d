/**
 * Rotation: move an envelope to another key by re-wrapping its data key. The sealed secret (iv, ct, tag)
 * is untouched, so a rotation cannot corrupt a secret, and old and new envelopes differ only in
 * provider, keyId and edk.
 *
 * - KMS → KMS: ReEncrypt (source key named, same context on both sides); the data key never leaves KMS.
 *   The secret is not opened, so a damaged ct/tag is not noticed here (`sigil verify` opens every record).
 * - any other pair (local → local for a password change, local ↔ KMS): unwrap with `from`, open the secret
 *   once to prove the data key is the right one (the plaintext is wiped at once), wrap with `to`.
 */
import type { Envelope } from './envelope-types.js';
import type { EncryptionContext, KeyProvider } from './key-provider.js';
import type { RewrappableKeyProvider, WrappedDataKey } from './rewrappable-key-provider.js';
import { CustodyError } from './custody-error.js';
import { assertWalletContext } from './context.js';
import { decodeEnvelope, type DecodedEnvelope } from './envelope-format.js';
import { openWithDataKey } from './envelope.js';
import { AwsKmsKeyProvider } from './aws-kms-key-provider.js';
import { encodeBase64 } from './strict-base64.js';

export async function rewrapEnvelope(
  envelope: Envelope,
  context: EncryptionContext,
  from: KeyProvider,
  to: RewrappableKeyProvider,
): Promise<Envelope> {
  assertWalletContext(context);
  const decoded = decodeEnvelope(envelope);
  if (decoded.provider !== from.kind) {
    throw new CustodyError(
      'KEY_MISMATCH',
      `the sealed secret of ${context.signatureId} was sealed by a ${decoded.provider} provider, the source provider is ${from.kind}`,
      { signatureId: context.signatureId, keyId: decoded.keyId },
    );
  }
  const rewrapped =
    from instanceof AwsKmsKeyProvider && to instanceof AwsKmsKeyProvider
      ? await to.reEncryptDataKey(decoded.edk, decoded.keyId, context)
      : await rewrapThroughProcess(decoded, context, from, to);
  return {
    v: 1,
    alg: 'AES-256-GCM',
    provider: to.kind,
    keyId: rewrapped.keyId,
    edk: encodeBase64(rewrapped.wrapped),
    iv: envelope.iv,
    ct: envelope.ct,
    tag: envelope.tag,
  };
}

async function rewrapThroughProcess(
  decoded: DecodedEnvelope,
  context: EncryptionContext,
  from: KeyProvider,
  to: RewrappableKeyProvider,
): Promise<WrappedDataKey> {
  const dataKey = await from.decryptDataKey(decoded.edk, decoded.keyId, context);
  try {
    // Proves the data key is right before re-wrapping it; the secret itself is not needed.
    openWithDataKey(dataKey, decoded, context).fill(0);
    return await to.encryptDataKey(dataKey, context);
  } finally {
    dataKey.fill(0);
  }
}
