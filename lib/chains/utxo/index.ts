/**
 * The UTXO chain family (BTC, LTC, DOGE): bitcore-lib transaction JSON in, a raw signed transaction out,
 * byte-identical to what Tatum KMS (bitcore-lib) produces for the same transaction and keys. Network
 * parameters come from the registry (`chain.utxo`), never from the transaction.
 */
import type { ChainFamily } from '../family.js';
import { parseUtxoTransaction } from './parse.js';
import { serializeUtxoTransaction } from './serialize.js';
import { signUtxoTransaction } from './sign.js';
import { summarizeUtxoTransaction } from './summarize.js';
import type { UtxoTransaction } from './types.js';

export const utxoFamily: ChainFamily<UtxoTransaction> = {
  family: 'utxo',
  // Parsing and signing are the same on every UTXO network here (no fork id); only summaries need chain.utxo.
  parse(serialized) {
    return parseUtxoTransaction(serialized);
  },
  serializeUnsigned(tx) {
    return serializeUtxoTransaction(tx);
  },
  summarize(tx, chain) {
    return summarizeUtxoTransaction(tx, chain);
  },
  sign(tx, keys) {
    return signUtxoTransaction(tx, keys);
  },
};

export type { UtxoInput, UtxoOutput, UtxoTransaction, BitcoreChangeInfo } from './types.js';
export { parseUtxoTransaction, decodeUtxoTransaction, MAX_UNSIGNED_TX_BYTES } from './parse.js';
export { serializeUtxoTransaction } from './serialize.js';
export { signUtxoTransaction, SignatureSelfCheckError } from './sign.js';
export { summarizeUtxoTransaction } from './summarize.js';
export { buildUnsignedTxId } from './build.js';
export { parseWithdrawalResponses, withdrawalSigningIndexes, type WithdrawalResponse, type WithdrawalAddress } from './withdrawal.js';
