/** The sandbox's local chains: an EVM chain (ganache) and a Bitcoin regtest full node (bcoin), in-process. */
export { startEvmChain, type EvmChain, type EvmChainOptions, type EvmReceipt } from './evm-chain.js';
export {
  startBitcoinRegtest,
  SANDBOX_REGTEST_PARAMS,
  SEGWIT_ACTIVATION_HEIGHT,
  type BitcoinRegtest,
  type BitcoinRegtestOptions,
  type Confirmation,
  type Utxo,
} from './bitcoin-chain.js';
export { ChainRejectedError, ChainTimeoutError, ChainUnavailableError } from './chain-errors.js';
export { callJsonRpc, relayJsonRpc, type RelayedOutcome } from './json-rpc-client.js';
