/**
 * Errors of the audit trail. Same rules as lib/errors.ts: one line, what was expected and what came, never
 * a secret (an audit detail is refused by its field name, never echoed).
 */
import { SigilError, type ErrorContext } from '../errors.js';

export type AuditErrorCode =
  /** A record() input is not what the trail takes (unknown action, secret-shaped field, bad stream id). */
  | 'INVALID_AUDIT_INPUT'
  /** The head of a stream does not parse: the stream was tampered with or damaged; nothing is appended. */
  | 'CORRUPT_HEAD'
  /** An append lost the race for the next seq too many times in a row; nothing was written. */
  | 'CONFLICT'
  /** The MAC key cannot be used (KMS denied, key missing or disabled, no key file). */
  | 'MAC_UNAVAILABLE';

export class AuditError extends SigilError {
  declare readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}
