/**
 * Public facts about a UTXO transaction for policy, alerts and the ledger: where the value goes (addresses
 * of the chain's network, `script:<hex>` for non-standard scripts), the fee (inputs − outputs, exact for a
 * UTXO transaction) and the outpoints it spends (`<prevTxId>:<outputIndex>`, which the ledger claims).
 */
import { UnsupportedChainError } from '../../errors.js';
import type { TransactionSummary } from '../family.js';
import type { ChainNetwork, UtxoParams } from '../registry.js';
import { hexBytes } from './build.js';
import { describeOutputScript } from './templates.js';
import type { UtxoTransaction } from './types.js';

export function utxoParamsOf(chain: ChainNetwork): UtxoParams {
  if (chain.family !== 'utxo' || !chain.utxo) {
    throw new UnsupportedChainError(`chain ${chain.chain} on ${chain.network} is not a UTXO chain`, { chain: chain.chain, network: chain.network });
  }
  return chain.utxo;
}

export function summarizeUtxoTransaction(tx: UtxoTransaction, chain: ChainNetwork): TransactionSummary {
  const network = utxoParamsOf(chain);
  const totalIn = tx.inputs.reduce((sum, input) => sum + input.prevout.satoshis, 0n);
  const totalOut = tx.outputs.reduce((sum, output) => sum + output.satoshis, 0n);
  return {
    outputs: tx.outputs.map((output) => ({ to: describeOutputScript(hexBytes(output.script), network), amount: output.satoshis })),
    maxFee: totalIn - totalOut,
    spends: tx.inputs.map((input) => `${input.prevTxId}:${input.outputIndex}`),
  };
}
