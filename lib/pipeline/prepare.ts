/**
 * Prepare: turn a pending transaction into exactly what will be signed, from public data only (no secret is
 * opened here). UTXO transactions are complete as Tatum sends them. EVM transactions may leave nonce, gas or
 * fee open (TATUM-COMPAT §4); they are filled here:
 * - gas from `eth_estimateGas`, the fee from `eth_gasPrice` (legacy, as Tatum's own transactions are) or
 *   `eth_maxPriorityFeePerGas` when only the priority fee of a type-2 tx is open;
 * - every fee and gas value — given or filled — must be within the chain's caps, else the tx is REJECTED;
 * - the nonce last, and only once everything else passed (a rejected tx must not burn a nonce): Sigil's own
 *   allocator per (chainId, from), seeded by `eth_getTransactionCount(from, "pending")`, so many txs from one
 *   wallet in one pass get consecutive nonces.
 * The prepared tx is stored in the ledger and signed exactly as stored.
 */
import { familyOf } from '../chains/index.js';
import { chainIdOf, missingFields, withFilledFields, type EvmFill, type EvmTransaction } from '../chains/evm/index.js';
import type { ChainNetwork } from '../chains/registry.js';
import { SigilError } from '../errors.js';
import type { LedgerSummary } from '../store/ledger.js';
import type { WalletRecord } from '../store/wallet-store.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';
import { feeCapsFor, type PipelineDeps } from './deps.js';
import { resolveKeyRefs } from './key-resolution.js';
import { evmSenderOf } from './wallet-lookup.js';

export type PrepareOutcome =
  | { readonly kind: 'prepared'; readonly prepared: string; readonly summary: LedgerSummary }
  /** Blocked by a cap or the policy (`rule`): reported once, never re-evaluated. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly rule: string | null }
  /** Cannot be signed as sent (malformed, unknown wallet, unsupported chain): reported once. */
  | { readonly kind: 'failed'; readonly reason: string };

class CapExceeded extends Error {}

function hexQuantity(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    throw new SigilError('RPC_ANSWER', `the RPC node answered ${what} with something that is not a hex quantity`, { what });
  }
  return BigInt(value);
}

function toLedgerSummary(summary: { outputs: ReadonlyArray<{ to: string; amount: bigint }>; maxFee?: bigint }): LedgerSummary {
  return { outputs: summary.outputs.map((o) => ({ to: o.to, amount: o.amount.toString() })), maxFee: summary.maxFee === undefined ? null : summary.maxFee.toString() };
}

/** Fill gas and fee (never the nonce), checking every value against the chain's caps. */
async function fillEvmFees(deps: PipelineDeps, tx: EvmTransaction, chain: ChainNetwork, from: string): Promise<EvmTransaction> {
  const caps = feeCapsFor(deps.config, chain.chain);
  const check = (value: bigint | undefined, cap: bigint, what: string) => {
    if (value !== undefined && value > cap) throw new CapExceeded(`${what} ${value} is above the ${chain.chain} cap of ${cap}`);
  };
  const checkAll = (t: EvmTransaction) => {
    check(t.gas, caps.maxGas, 'gas');
    check(t.gasPrice, caps.maxGasPrice, 'gasPrice');
    check(t.maxFeePerGas, caps.maxGasPrice, 'maxFeePerGas');
  };
  checkAll(tx);
  const open = new Set(missingFields(tx));
  const fill: { -readonly [K in keyof EvmFill]: EvmFill[K] } = {};
  const rpc = (method: string, params: unknown[]) => deps.tatum.rpc(chain.chain, method, params);
  if (open.has('gas')) {
    const call = { from, ...(tx.to ? { to: tx.to } : {}), value: `0x${tx.value.toString(16)}`, data: tx.data };
    fill.gas = hexQuantity(await rpc('eth_estimateGas', [call]), 'eth_estimateGas');
  }
  if (open.has('fee')) fill.gasPrice = hexQuantity(await rpc('eth_gasPrice', []), 'eth_gasPrice');
  if (open.has('maxPriorityFeePerGas')) fill.maxPriorityFeePerGas = hexQuantity(await rpc('eth_maxPriorityFeePerGas', []), 'eth_maxPriorityFeePerGas');
  const filled = withFilledFields(tx, fill);
  checkAll(filled);
  return filled;
}

/** The nonce, last: Sigil's allocator per (chainId, from), seeded by the node's pending count. */
async function fillEvmNonce(deps: PipelineDeps, tx: EvmTransaction, chain: ChainNetwork, from: string): Promise<EvmTransaction> {
  if (!missingFields(tx).includes('nonce')) return tx;
  const pendingCount = Number(hexQuantity(await deps.tatum.rpc(chain.chain, 'eth_getTransactionCount', [from, 'pending']), 'eth_getTransactionCount'));
  return withFilledFields(tx, { nonce: BigInt(await deps.ledger.allocateNonce(chainIdOf(chain), from, pendingCount)) });
}

/**
 * A policy screen run on the transaction with fees filled and the nonce still open: a BLOCK here rejects the
 * transaction before it takes a nonce (a nonce taken and never used stalls every later tx of the sender).
 */
export type PolicyScreen = (tx: unknown, wallets: ReadonlyMap<string, WalletRecord>) => Promise<{ readonly reason: string; readonly rule: string | null } | null>;

export async function prepareTransaction(
  deps: PipelineDeps,
  pending: PendingTransaction,
  chain: ChainNetwork,
  wallets: ReadonlyMap<string, WalletRecord>,
  screen?: PolicyScreen,
): Promise<PrepareOutcome> {
  let family;
  let tx: unknown;
  let refs;
  try {
    family = familyOf(chain);
    tx = family.parse(pending.serializedTransaction, chain);
    refs = resolveKeyRefs(pending, chain, wallets, tx);
  } catch (error) {
    if (error instanceof SigilError) return { kind: 'failed', reason: error.message };
    throw error;
  }
  if (chain.family === 'evm') {
    const from = evmSenderOf(refs[0]!, wallets, chain);
    const given = (tx as EvmTransaction).from;
    // Checked here, on public data, so a tx that sign would refuse never gets a nonce (no gap on chain).
    if (given !== undefined && given !== from) return { kind: 'failed', reason: `the transaction is from ${given} but wallet ${refs[0]!.signatureId} signs as ${from}` };
    try {
      tx = await fillEvmFees(deps, tx as EvmTransaction, chain, from);
    } catch (error) {
      if (error instanceof CapExceeded) return { kind: 'rejected', reason: error.message, rule: null };
      throw error;
    }
    const blocked = await screenOrFail(screen, tx, wallets);
    if (blocked) return blocked;
    tx = await fillEvmNonce(deps, tx as EvmTransaction, chain, from);
  } else {
    const blocked = await screenOrFail(screen, tx, wallets);
    if (blocked) return blocked;
  }
  return { kind: 'prepared', prepared: family.serializeUnsigned(tx, chain), summary: toLedgerSummary(family.summarize(tx, chain)) };
}

async function screenOrFail(screen: PolicyScreen | undefined, tx: unknown, wallets: ReadonlyMap<string, WalletRecord>): Promise<PrepareOutcome | null> {
  if (!screen) return null;
  try {
    const blocked = await screen(tx, wallets);
    return blocked ? { kind: 'rejected', reason: blocked.reason, rule: blocked.rule } : null;
  } catch (error) {
    // A transaction the policy cannot read (e.g. call data that poses as an ERC-20 transfer) is not signed.
    if (error instanceof SigilError && error.code !== 'POLICY_UNDEPLOYABLE' && error.code !== 'STORE_UNAVAILABLE') return { kind: 'failed', reason: error.message };
    throw error;
  }
}
