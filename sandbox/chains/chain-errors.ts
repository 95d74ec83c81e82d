/**
 * What a local chain can answer besides success. The sandbox's Tatum simulator maps these onto Tatum's
 * broadcast errors; tests assert on `code` and `reason`. Messages hold public data only (ids, node reasons).
 */
import { SigilError, type ErrorContext } from '../../lib/errors.js';

/** The node cannot be reached (stopped, closed, refused the connection, or timed out on the wire). */
export class ChainUnavailableError extends SigilError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('CHAIN_UNAVAILABLE', message, context, options);
  }
}

/**
 * The node answered and refused: a transaction its mempool does not accept (bcoin's reject reason, e.g.
 * `bad-txns-inputs-missingorspent`, or the EVM node's JSON-RPC error message, e.g. `nonce too low`).
 */
export class ChainRejectedError extends SigilError {
  /** The node's own short reason, verbatim. */
  readonly reason: string;
  constructor(reason: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('CHAIN_REJECTED', message, { ...context, reason }, options);
    this.reason = reason;
  }
}

/** Something expected on the chain (a receipt, a confirmation) did not happen in time. */
export class ChainTimeoutError extends SigilError {
  constructor(message: string, context: ErrorContext = {}) {
    super('CHAIN_TIMEOUT', message, context);
  }
}
