/**
 * Sigil's error hierarchy. Every error carries a stable `code` (for programs and tests), a one-line
 * message for people, and structured `context`. Invariant: neither the message nor the context ever holds
 * a secret (mnemonic, private key, data key, password, API key) — callers pass ids, chains, field names and
 * public values only.
 */
export type ErrorContext = Readonly<Record<string, unknown>>;

export class SigilError extends Error {
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** Input from outside (a CLI flag, an env var, a pending tx, an event, a file) is not what was expected. */
export class InvalidInputError extends SigilError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, context, options);
  }
}

/** A mnemonic failed BIP39 validation; `reason` names which check failed. */
export class InvalidMnemonicError extends SigilError {
  readonly reason: 'word-count' | 'unknown-word' | 'checksum';
  constructor(reason: 'word-count' | 'unknown-word' | 'checksum', message: string, context: ErrorContext = {}) {
    super('INVALID_MNEMONIC', message, context);
    this.reason = reason;
  }
}

/** A serialized transaction from Tatum failed its schema or a consistency check. */
export class InvalidTransactionError extends SigilError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('INVALID_TRANSACTION', message, context, options);
  }
}

/** A transaction is well formed but cannot be signed yet (e.g. an EVM tx without nonce, gas or fee). */
export class IncompleteTransactionError extends SigilError {
  readonly missing: readonly string[];
  constructor(missing: readonly string[], context: ErrorContext = {}) {
    super('INCOMPLETE_TRANSACTION', `transaction is missing ${missing.join(', ')}; the prepare step must fill it`, {
      ...context,
      missing,
    });
    this.missing = missing;
  }
}

/** None of the given keys can sign what the transaction asks (an input no key owns, a wrong key). */
export class KeyMismatchError extends SigilError {
  constructor(message: string, context: ErrorContext = {}) {
    super('KEY_MISMATCH', message, context);
  }
}

/** A chain code or network that the registry does not know, or a chain that cannot sign yet. */
export class UnsupportedChainError extends SigilError {
  constructor(message: string, context: ErrorContext = {}) {
    super('UNSUPPORTED_CHAIN', message, context);
  }
}
