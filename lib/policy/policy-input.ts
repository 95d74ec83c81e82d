/**
 * PolicyInput: the normalised view of a prepared transaction that rules are evaluated on, and the helpers
 * that build it from a parsed EVM or UTXO transaction. Built only from the parsed, typed transaction (never
 * from Tatum's free-text fields or bitcore's change bookkeeping), so what the policy sees is what is signed.
 */
import type { TransactionSummary } from '../chains/family.js';
import { decodeErc20Transfer, summarizeEvmTransaction, type EvmTransaction } from '../chains/evm/index.js';
import type { ChainNetwork, Family } from '../chains/registry.js';
import { summarizeUtxoTransaction } from '../chains/utxo/summarize.js';
import type { UtxoTransaction } from '../chains/utxo/types.js';
import { canonicalDestination } from './units.js';

export interface PolicyInput {
  readonly chain: string;
  readonly network: string;
  readonly family: Family;
  /** The signatureIds of the wallets whose keys sign the transaction. */
  readonly wallets: readonly string[];
  /** Native value per destination, in base units (wei, satoshi). EVM: one output, the `to` (or `contract-creation`). */
  readonly outputs: ReadonlyArray<{ readonly to: string; readonly amount: bigint }>;
  /** The fee, or the most it can cost (EVM gas × max fee per gas), in base units; absent when unknown. */
  readonly fee?: bigint;
  /** EVM gas limit. */
  readonly gas?: bigint;
  /** The ERC-20 `transfer` the transaction makes (EVM). */
  readonly erc20?: { readonly token: string; readonly recipient: string; readonly amount: bigint };
  /** The first 4 bytes of EVM call data, lowercase `0x…` (fewer when the data is shorter); absent without data. */
  readonly selector?: string;
  /** An EVM contract creation (no `to`). */
  readonly createsContract?: boolean;
}

/** A PolicyInput from any family's summary (no call facts). */
export function policyInputOfSummary(summary: TransactionSummary, chain: ChainNetwork, wallets: readonly string[]): PolicyInput {
  return {
    chain: chain.chain,
    network: chain.network,
    family: chain.family,
    wallets: [...wallets],
    outputs: summary.outputs.map((o) => ({ to: canonicalDestination(o.to), amount: o.amount })),
    ...(summary.maxFee !== undefined ? { fee: summary.maxFee } : {}),
  };
}

/**
 * A PolicyInput from a parsed EVM transaction. Throws InvalidTransactionError for call data that carries the
 * ERC-20 transfer selector but is not a canonical transfer (decodeErc20Transfer), so padding cannot hide one.
 */
export function policyInputOfEvm(tx: EvmTransaction, chain: ChainNetwork, wallets: readonly string[]): PolicyInput {
  const base = policyInputOfSummary(summarizeEvmTransaction(tx, chain), chain, wallets);
  const erc20 = decodeErc20Transfer(tx);
  return {
    ...base,
    ...(tx.gas !== undefined ? { gas: tx.gas } : {}),
    ...(erc20 ? { erc20: { token: erc20.token, recipient: erc20.recipient, amount: erc20.amount } } : {}),
    ...(tx.data !== '0x' && tx.to !== undefined ? { selector: tx.data.slice(0, 10).toLowerCase() } : {}),
    ...(tx.to === undefined ? { createsContract: true } : {}),
  };
}

/**
 * A PolicyInput from a parsed UTXO transaction. `ownAddresses` (the wallet's change addresses, derived by
 * the caller from the wallet's xpub — never taken from the transaction) are left out of the outputs, so
 * change neither counts as an amount sent nor needs to be on an allow-list. Without it every output counts.
 */
export function policyInputOfUtxo(tx: UtxoTransaction, chain: ChainNetwork, wallets: readonly string[], ownAddresses: Iterable<string> = []): PolicyInput {
  const own = new Set([...ownAddresses].map(canonicalDestination));
  const input = policyInputOfSummary(summarizeUtxoTransaction(tx, chain), chain, wallets);
  return { ...input, outputs: input.outputs.filter((o) => !own.has(o.to)) };
}

/**
 * Every address the transaction sends value to or calls, canonical: the outputs (for an ERC-20 transfer that
 * includes the token contract) and the ERC-20 recipient. A contract creation appears as `contract-creation`,
 * which no address list can contain.
 */
export function destinationsOf(input: PolicyInput): string[] {
  const all = input.outputs.map((o) => canonicalDestination(o.to));
  if (input.erc20) all.push(canonicalDestination(input.erc20.recipient));
  return [...new Set(all)];
}
