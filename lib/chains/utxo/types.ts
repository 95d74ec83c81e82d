/**
 * The typed form of a UTXO transaction as Tatum sends it: the JSON of bitcore-lib's `Transaction.toObject()`
 * (TATUM-COMPAT §4), checked and decoded. Hex is lowercase, amounts are bigint satoshis (each below 2^53, as
 * bitcore holds them in JS numbers). Unsigned by construction: every input's scriptSig is empty.
 */

/** A transaction output, or the output an input spends (its value and scriptPubKey). */
export interface UtxoOutput {
  readonly satoshis: bigint;
  /** scriptPubKey, lowercase hex (possibly empty). */
  readonly script: string;
}

export interface UtxoInput {
  /** Id of the transaction that created the spent output: big-endian (display order) lowercase hex, 64 digits. */
  readonly prevTxId: string;
  readonly outputIndex: number;
  readonly sequenceNumber: number;
  /** The spent output; its script decides which key signs the input and how (P2PKH, P2WPKH, P2SH-P2WPKH). */
  readonly prevout: UtxoOutput;
}

/**
 * bitcore's change bookkeeping (`changeScript`, `changeIndex`, `fee`; some forks add `changeAsm`). Kept only so
 * that serializeUnsigned round-trips what came; never used to sign and never trusted for policy.
 */
export interface BitcoreChangeInfo {
  /** bitcore's human-readable `Script.toString()` of the change script. */
  readonly changeScript?: string;
  readonly changeAsm?: string;
  /** Index into `outputs`. */
  readonly changeIndex?: number;
  /** The fee the builder asked for (bitcore `_fee`); the real fee is inputs − outputs. */
  readonly fee?: bigint;
}

export interface UtxoTransaction {
  readonly version: 1 | 2;
  readonly inputs: readonly UtxoInput[];
  readonly outputs: readonly UtxoOutput[];
  readonly nLockTime: number;
  readonly change?: BitcoreChangeInfo;
}
