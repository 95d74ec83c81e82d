/**
 * The one interface every chain family implements: parse → validate → sign → serialize.
 *
 * Invariants every family keeps:
 * - `parse` is the boundary: it accepts any string from Tatum, checks it against a schema and the
 *   family's consistency rules, and either returns a typed transaction or throws InvalidTransactionError.
 *   It never throws anything else and never signs.
 * - `parse(serializeUnsigned(parse(s)))` equals `parse(s)` (a fixed point).
 * - `sign` never takes chain parameters from the transaction (the chain id, the network) — only from the
 *   registry's ChainNetwork. It does not wipe the keys it is given: their owner does.
 * - `sign` is deterministic: the same transaction and keys give the same bytes (RFC 6979, no grinding).
 */
import type { ChainNetwork } from './registry.js';

/** A private key handed to a family for one signing; the caller owns and wipes `privateKey`. */
export interface SigningKey {
  /** 32-byte secp256k1 private key. */
  readonly privateKey: Uint8Array;
}

export interface SignedTransaction {
  /** What Tatum's broadcast endpoint takes as `txData`: hex (EVM `0x`-prefixed, UTXO without prefix). */
  readonly raw: string;
  /** The transaction id / hash the chain will know it by (EVM `0x`-prefixed, UTXO big-endian hex). */
  readonly txId: string;
}

/** What a transaction does, in public terms, for policy, alerts and the ledger. Amounts in base units. */
export interface TransactionSummary {
  readonly outputs: ReadonlyArray<{ readonly to: string; readonly amount: bigint }>;
  /** The fee, or the most it can cost (EVM: gas × max fee), when known. */
  readonly maxFee?: bigint;
  /** What the transaction spends that must never be spent twice: EVM `nonce:<n>`, UTXO `txid:vout`. */
  readonly spends: readonly string[];
}

export interface ChainFamily<Tx> {
  readonly family: ChainNetwork['family'];
  /** Schema-check and decode a Tatum serializedTransaction for this chain and network. */
  parse(serialized: string, chain: ChainNetwork): Tx;
  /** The canonical unsigned form; parse(serializeUnsigned(tx)) is tx. */
  serializeUnsigned(tx: Tx, chain: ChainNetwork): string;
  /** Public facts about the transaction (no keys needed). */
  summarize(tx: Tx, chain: ChainNetwork): TransactionSummary;
  /** Sign with the given keys; throws IncompleteTransactionError or KeyMismatchError when it cannot. */
  sign(tx: Tx, keys: readonly SigningKey[], chain: ChainNetwork): SignedTransaction;
}
