/**
 * Errors of the wallet service. Same rules as lib/errors.ts: one line, what was expected and what came,
 * wallets named by signatureId, never a secret or a value read from a secret.
 */
import { SigilError, type ErrorContext } from '../errors.js';

export type WalletErrorCode =
  /** No wallet with this signatureId in the store. */
  | 'UNKNOWN_WALLET'
  /** The operation does not apply to this kind of wallet (an xpub of a private-key wallet, a key of a foreign import). */
  | 'WRONG_WALLET_KIND'
  /** An opened secret does not re-derive the stored xpub or address, or a backup does not match the store. */
  | 'INTEGRITY_CHECK_FAILED'
  /** An import or restore would replace a wallet with different content; nothing was written. */
  | 'WALLET_CONFLICT'
  /** A backup document is not the format of docs/backup.md. */
  | 'INVALID_BACKUP_DOCUMENT';

export class WalletError extends SigilError {
  declare readonly code: WalletErrorCode;

  constructor(code: WalletErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

export function unknownWallet(signatureId: string): WalletError {
  return new WalletError('UNKNOWN_WALLET', `no wallet with signatureId ${signatureId} in this store`, { signatureId });
}

/** A secret-free one-line description of any error: SigilError messages are secret-free by construction, anything else is named by its class. */
export function problemOf(error: unknown): string {
  return error instanceof SigilError ? error.message : `unexpected ${error instanceof Error ? error.name : typeof error}`;
}
