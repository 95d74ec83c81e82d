/**
 * The EVM chain family: ETH, BSC, MATIC, KLAY, ONE, XDC, CELO (without feeCurrency), KCS, and every EVM
 * chain a deployment adds to the registry by chain id. One implementation, parameterised only by the
 * registry's ChainNetwork (chain id, address format).
 */
import type { ChainFamily, TransactionSummary } from '../family.js';
import type { ChainNetwork } from '../registry.js';
import { signEvmTransaction } from './sign.js';
import { chainIdOf, parseEvmTransaction, serializeEvmTransaction, type EvmTransaction } from './transaction.js';

export { decodeErc20Transfer, ERC20_TRANSFER_SELECTOR, type Erc20Transfer } from './erc20.js';
export { evmAddressOfKey, signEvmTransaction } from './sign.js';
export {
  chainIdOf,
  missingFields,
  parseEvmTransaction,
  serializeEvmTransaction,
  withFilledFields,
  MAX_SERIALIZED_LENGTH,
  type EvmFill,
  type EvmTransaction,
  type MissingField,
} from './transaction.js';

/**
 * The `to` a summary reports for a contract creation: not an address, so no allow-list can match it,
 * while the value it carries still counts.
 */
export const CONTRACT_CREATION = 'contract-creation';

/** Public facts: one output (recipient or called contract, and the native value), worst-case fee, the nonce. */
export function summarizeEvmTransaction(tx: EvmTransaction, chain: ChainNetwork): TransactionSummary {
  chainIdOf(chain);
  const feeCap = tx.gasPrice ?? tx.maxFeePerGas;
  return {
    outputs: [{ to: tx.to ?? CONTRACT_CREATION, amount: tx.value }],
    ...(tx.gas !== undefined && feeCap !== undefined ? { maxFee: tx.gas * feeCap } : {}),
    spends: tx.nonce !== undefined ? [`nonce:${tx.nonce}`] : [],
  };
}

export const evmFamily: ChainFamily<EvmTransaction> = {
  family: 'evm',
  parse: parseEvmTransaction,
  serializeUnsigned: (tx, chain) => {
    chainIdOf(chain);
    return serializeEvmTransaction(tx);
  },
  summarize: summarizeEvmTransaction,
  sign: signEvmTransaction,
};
