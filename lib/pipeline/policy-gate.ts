/**
 * The policy gate (docs/policy.md, issue 7): the decision the approve step takes on a prepared transaction, and
 * the same decision the signer takes again before it opens a secret. Built only from the ledger's prepared
 * transaction and the wallet records (public data); the velocity facts come from the wallet-activity history.
 *
 * Which policy applies (effectivePolicy): the configured file; without one, `--externalUrl` means
 * REQUIRE_APPROVAL for every transaction (as Tatum KMS asks its approval service about every one), and no
 * approval service means ALLOW (upstream's behaviour).
 *
 * Invariant: the transaction's own activity entry never counts towards its own velocity (`excludePendingId`),
 * so the approver and the signer see the same history for it, whatever order they run in.
 */
import { familyOf } from '../chains/index.js';
import type { EvmTransaction } from '../chains/evm/index.js';
import type { ChainNetwork } from '../chains/registry.js';
import type { UtxoTransaction } from '../chains/utxo/types.js';
import { SigilError } from '../errors.js';
import { addressFromXpub } from '../keys/index.js';
import { evaluatePolicy, type PolicyDecision, type VelocityTotals } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy.js';
import { policyInputOfEvm, policyInputOfUtxo, type PolicyInput } from '../policy/policy-input.js';
import type { LedgerRecord } from '../store/ledger.js';
import type { WalletRecord } from '../store/wallet-store.js';
import type { WalletActivity } from '../store/wallet-activity.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';
import type { PipelineDeps } from './deps.js';
import { resolveKeyRefs } from './key-resolution.js';
import { loadWallets } from './wallet-lookup.js';

const ALLOW_ALL: Policy = { rules: [], default: 'ALLOW' };
const APPROVE_ALL: Policy = { rules: [], default: 'REQUIRE_APPROVAL' };

/** The policy in force: the file's, else one decided by whether an approval service is configured. */
export function effectivePolicy(policy: Policy | undefined, hasApprovalService: boolean): Policy {
  return policy ?? (hasApprovalService ? APPROVE_ALL : ALLOW_ALL);
}

/** Every velocity window (ms) the policy's rules name. */
export function velocityWindowsOf(policy: Policy): number[] {
  return [...new Set(policy.rules.flatMap((rule) => (rule.when.velocity ? [rule.when.velocity.windowMs] : [])))];
}

/**
 * A policy whose decisions need facts this deployment cannot provide is refused at start, not at the first
 * transaction: velocity without an activity history; REQUIRE_APPROVAL without an approval service.
 */
export function checkPolicyDeployable(policy: Policy | undefined, options: { readonly activity: boolean; readonly fourEye: boolean }): void {
  if (!policy) return;
  if (!options.activity && velocityWindowsOf(policy).length > 0) {
    throw new SigilError('POLICY_UNDEPLOYABLE', 'the policy has velocity rules but this deployment keeps no wallet-activity history');
  }
  if (!options.fourEye && (policy.default === 'REQUIRE_APPROVAL' || policy.rules.some((r) => r.action === 'REQUIRE_APPROVAL'))) {
    throw new SigilError('POLICY_UNDEPLOYABLE', 'the policy can decide REQUIRE_APPROVAL but no approval service is configured (--externalUrl)');
  }
}

export interface GateFacts {
  readonly input: PolicyInput;
  readonly wallets: ReadonlyMap<string, WalletRecord>;
}

/**
 * The policy input of a prepared ledger record. UTXO change: the addresses of the keys that sign (derived from
 * the wallet records, never taken from the transaction) are the wallet's own, and outputs to them are not
 * counted as sent. Throws SigilError for a record that cannot be read (the caller fails the tx).
 */
export async function gateFactsOf(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction): Promise<GateFacts> {
  if (record.prepared === null) throw new SigilError('NOT_PREPARED', `pending tx ${record.id} has no prepared transaction`, { pendingId: record.id });
  const chain = deps.registry.resolve(record.chain, record.network);
  const wallets = await loadWallets(deps.wallets, pending);
  return { input: policyInputOfSerialized(chain, record.prepared, pending, wallets), wallets };
}

/** The policy input of serialized transaction `serialized` of `pending`, signed by `wallets` (public records). */
export function policyInputOfSerialized(chain: ChainNetwork, serialized: string, pending: PendingTransaction, wallets: ReadonlyMap<string, WalletRecord>): PolicyInput {
  return policyInputOfParsed(chain, familyOf(chain).parse(serialized, chain), pending, wallets);
}

/** The policy input of a parsed transaction (`tx` as the chain family's parse returns it). */
export function policyInputOfParsed(chain: ChainNetwork, tx: unknown, pending: PendingTransaction, wallets: ReadonlyMap<string, WalletRecord>): PolicyInput {
  const refs = resolveKeyRefs(pending, chain, wallets, tx);
  const signers = [...new Set(refs.map((r) => r.signatureId))];
  if (chain.family === 'evm') return policyInputOfEvm(tx as EvmTransaction, chain, signers);
  const own = refs.map((ref) => ownAddressOf(wallets.get(ref.signatureId)!, ref.index, chain));
  return policyInputOfUtxo(tx as UtxoTransaction, chain, signers, own);
}

function ownAddressOf(wallet: WalletRecord, index: number | null, chain: ChainNetwork): string {
  return wallet.kind === 'mnemonic' ? addressFromXpub(wallet.xpub!, index!, chain) : wallet.address!;
}

/** Velocity totals per (wallet, window), read once so evaluation stays pure and synchronous. */
async function velocityLookup(activity: WalletActivity | undefined, policy: Policy, input: PolicyInput, now: number, pendingId: string) {
  const totals = new Map<string, VelocityTotals>();
  const windows = velocityWindowsOf(policy);
  if (windows.length > 0 && !activity) throw new SigilError('POLICY_UNDEPLOYABLE', 'the policy has velocity rules but no wallet-activity history is configured');
  for (const wallet of input.wallets) {
    for (const windowMs of windows) {
      const entries = await activity!.since(wallet, now - windowMs, { excludePendingId: pendingId });
      totals.set(`${wallet}|${windowMs}`, { count: entries.length, sum: entries.reduce((sum, e) => sum + BigInt(e.amount), 0n) });
    }
  }
  return (wallet: string, windowMs: number): VelocityTotals => totals.get(`${wallet}|${windowMs}`) ?? { count: 0, sum: 0n };
}

/** Decide `input`, of pending tx `pendingId`, under the policy in force for `deps` (every pipeline step's entry point). */
export async function decideFor(deps: PipelineDeps, pendingId: string, input: PolicyInput): Promise<PolicyDecision> {
  return decideInput(effectivePolicy(deps.policy, deps.config.fourEye !== undefined), input, { activity: deps.activity, now: deps.now(), pendingId });
}

/** Decide `input` under `policy`, with velocity from `activity` (the pending tx's own entry left out). */
export async function decideInput(policy: Policy, input: PolicyInput, facts: { readonly activity: WalletActivity | undefined; readonly now: number; readonly pendingId: string }): Promise<PolicyDecision> {
  const velocity = await velocityLookup(facts.activity, policy, input, facts.now, facts.pendingId);
  return evaluatePolicy(policy, input, { now: new Date(facts.now), velocity });
}
