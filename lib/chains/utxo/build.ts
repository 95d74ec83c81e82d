/**
 * The typed transaction as a bitcoinjs-lib `Transaction` (v7: Uint8Array, bigint values), unsigned: every
 * scriptSig empty, no witnesses. Its id is the double-SHA256 of the legacy serialization (BIP141: witness
 * data never enters the txid), which is what bitcore's `toObject().hash` holds.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { UtxoTransaction } from './types.js';

/** Hex to bytes; callers pass only hex already checked at the boundary. */
export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** The unsigned transaction; the caller may sign it in place. */
export function buildUnsignedTransaction(tx: UtxoTransaction): Transaction {
  const built = new Transaction();
  built.version = tx.version;
  built.locktime = tx.nLockTime;
  for (const input of tx.inputs) {
    // Outpoint hashes are serialized little-endian: the reverse of the displayed txid.
    built.addInput(hexBytes(input.prevTxId).reverse(), input.outputIndex, input.sequenceNumber, new Uint8Array(0));
  }
  for (const output of tx.outputs) built.addOutput(hexBytes(output.script), output.satoshis);
  return built;
}

/** The txid of the unsigned transaction (big-endian hex), as bitcore's `hash` and Tatum's `hash` field. */
export function buildUnsignedTxId(tx: UtxoTransaction): string {
  return buildUnsignedTransaction(tx).getId();
}

