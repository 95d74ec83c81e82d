/**
 * Errors of the store part (wallets now, the ledger later). Same rules as lib/errors.ts: one line, what
 * was expected and what came, never a secret — a corrupt record is described by field names, types and
 * lengths, never by the values it holds (a plaintext wallet.dat entry could sit where a record should).
 */
import { SigilError, type ErrorContext } from '../errors.js';

export type StoreErrorCode =
  /** A stored record (row, item, file entry) fails the schema: refuse it, do not guess. */
  | 'CORRUPT_RECORD'
  /** A create-only write found the key holding other content; nothing was overwritten. */
  | 'CONFLICT'
  /** A conditional update expected another version; nothing was changed. */
  | 'VERSION_MISMATCH'
  /** The record to update does not exist. */
  | 'NOT_FOUND'
  /** The backend cannot be used (table missing, database locked, read-only open, network). */
  | 'STORE_UNAVAILABLE'
  /** A record or database written by a newer Sigil than this build (old and new code side by side). */
  | 'UNSUPPORTED_SCHEMA'
  /** The file is not a Sigil SQLite database (e.g. a Tatum wallet.dat). */
  | 'NOT_A_DATABASE'
  /** The DynamoDB table exists but its keys or index differ from the layout in docs/store.md. */
  | 'TABLE_MISMATCH';

export class StoreError extends SigilError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

/** The port's create-only invariant was hit: the signatureId exists with different content. */
export class WalletConflictError extends StoreError {
  readonly signatureId: string;

  constructor(signatureId: string, message: string, context: ErrorContext = {}) {
    super('CONFLICT', message, { ...context, signatureId });
    this.signatureId = signatureId;
  }
}
