/**
 * Errors of envelope encryption, the key providers, rotation and backup. Invariant (lib/errors.ts): the
 * message and the context name wallets, keys and files by their public ids, never a secret, a data key,
 * a key-encryption key or a password — nor a value read from a secret-bearing field.
 */
import { SigilError, type ErrorContext } from '../errors.js';

export type CustodyErrorCode =
  /** An envelope from storage does not have the v1 shape (docs/envelope.md). */
  | 'INVALID_ENVELOPE'
  /** An encryption context is not a Sigil wallet-secret context (fields, fixed values, formats). */
  | 'CONTEXT_MISMATCH'
  /** AES-GCM authentication failed: the bytes were altered, or belong to another wallet or context. */
  | 'TAMPERED'
  /** The envelope names a provider or key other than the one offered (KMS IncorrectKeyException). */
  | 'KEY_MISMATCH'
  /** The key cannot be used: KMS key disabled, missing, pending deletion or access denied; no key file. */
  | 'KEY_UNAVAILABLE'
  /** The password does not match the password key header's check value. */
  | 'WRONG_PASSWORD'
  /** A key file exists but is malformed, or is readable by group or others. */
  | 'INVALID_KEY_FILE'
  /** A password key header does not have the v1 shape, or names scrypt parameters out of range. */
  | 'INVALID_KEY_HEADER'
  /** The key provider failed for another reason (throttling, network, a malformed KMS response). */
  | 'KEY_PROVIDER_FAILED'
  /** A blob sealed to a backup recipient does not have the v1 shape (docs/backup.md). */
  | 'INVALID_BACKUP'
  /** A backup blob is sealed to another recipient key than the one offered. */
  | 'WRONG_RECIPIENT';

export class CustodyError extends SigilError {
  declare readonly code: CustodyErrorCode;

  constructor(code: CustodyErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

/** The one message for a secret that fails GCM authentication, so callers and operators see one story. */
export function tamperedSecretError(signatureId: string, context: ErrorContext = {}): CustodyError {
  return new CustodyError(
    'TAMPERED',
    `the sealed secret of ${signatureId} does not open: tampered, or bound to another wallet`,
    { signatureId, ...context },
  );
}
