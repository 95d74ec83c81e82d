/**
 * The canonical unsigned form: the JSON bitcore-lib's `toObject()` writes for the same transaction (same keys,
 * same order, satoshis as JSON numbers, `hash` set to the unsigned txid), so that Tatum-side tooling reads it
 * and parse(serializeUnsigned(tx)) returns tx.
 */
import { buildUnsignedTxId } from './build.js';
import type { UtxoTransaction } from './types.js';

/** Amounts are below 2^53 by the boundary's rule, so the number is exact. */
function satoshisJson(value: bigint): number {
  return Number(value);
}

export function bitcoreObjectOf(tx: UtxoTransaction): Record<string, unknown> {
  const object: Record<string, unknown> = {
    hash: buildUnsignedTxId(tx),
    version: tx.version,
    inputs: tx.inputs.map((input) => ({
      prevTxId: input.prevTxId,
      outputIndex: input.outputIndex,
      sequenceNumber: input.sequenceNumber,
      script: '',
      scriptString: '',
      output: { satoshis: satoshisJson(input.prevout.satoshis), script: input.prevout.script },
    })),
    outputs: tx.outputs.map((output) => ({ satoshis: satoshisJson(output.satoshis), script: output.script })),
    nLockTime: tx.nLockTime,
  };
  const change = tx.change;
  if (change?.changeScript !== undefined) object.changeScript = change.changeScript;
  if (change?.changeAsm !== undefined) object.changeAsm = change.changeAsm;
  if (change?.changeIndex !== undefined) object.changeIndex = change.changeIndex;
  if (change?.fee !== undefined) object.fee = satoshisJson(change.fee);
  return object;
}

export function serializeUtxoTransaction(tx: UtxoTransaction): string {
  return JSON.stringify(bitcoreObjectOf(tx));
}
