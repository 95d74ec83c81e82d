/**
 * Moving one claimed ledger record forward: CLAIMED → PREPARED → APPROVED (→ SIGNED → broadcast in the
 * daemon). Each step reads the record's state and does only the next thing, so a record claimed after a crash
 * resumes exactly where the crashed worker left it. No secret is opened before APPROVED.
 */
import type { ChainNetwork } from '../chains/registry.js';
import { SigilError } from '../errors.js';
import type { LedgerRecord } from '../store/ledger.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';
import { broadcastSigned } from './broadcast.js';
import type { PipelineDeps } from './deps.js';
import { requestApproval } from './four-eye.js';
import { noteActivity } from './activity.js';
import { auditTx, countMetric, recordDecision, timed } from './observe.js';
import { failTransaction, reject, TRANSIENT } from './outcomes.js';
import { decideFor, gateFactsOf, policyInputOfParsed } from './policy-gate.js';
import { prepareTransaction, type PolicyScreen } from './prepare.js';
import { signApproved } from './sign.js';
import { loadWallets } from './wallet-lookup.js';

/** 'approve': stop at APPROVED and hand over to the signer (AWS); 'all': sign and broadcast here (daemon). */
export type PassMode = 'approve' | 'all';

export type Outcome = 'approved' | 'denied' | 'rejected' | 'failed' | 'signed' | 'completed' | 'broadcast-unknown' | 'broadcast' | 'skipped';

async function prepare(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction, chain: ChainNetwork): Promise<LedgerRecord | Outcome> {
  const screen: PolicyScreen = async (tx, wallets) => {
    const decision = await decideFor(deps, record.id, policyInputOfParsed(chain, tx, pending, wallets));
    if (decision.action !== 'BLOCK') return null; // recorded at approve, which decides again on the prepared tx
    await recordDecision(deps, record.id, 'prepare', decision);
    return { reason: `policy: ${decision.reason}`, rule: decision.rule };
  };
  const outcome = await timed(deps, 'prepare', record.chain, async () => prepareTransaction(deps, pending, chain, await loadWallets(deps.wallets, pending), screen));
  if (outcome.kind === 'prepared') return deps.ledger.markPrepared(record.id, record.fence, outcome.prepared, outcome.summary);
  if (outcome.kind === 'rejected') return reject(deps, record, outcome.reason, outcome.rule);
  return failTransaction(deps, record, outcome.reason);
}

async function askReviewer(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction): Promise<{ approved: true } | { approved: false; reason: string }> {
  const fourEye = deps.config.fourEye;
  if (!fourEye) return { approved: false, reason: 'the policy requires approval but no approval service is configured' };
  const outputs = record.summary?.outputs ?? [];
  const decoded = {
    chain: record.chain,
    wallet: [...new Set([...pending.hashes, ...(pending.signatures ?? []).map((s) => s.id)])],
    to: outputs.map((o) => o.to),
    amount: outputs.reduce((sum, o) => sum + BigInt(o.amount), 0n).toString(),
    fee: record.summary?.maxFee ?? null,
  };
  return requestApproval(fourEye, record.id, pending as unknown as Record<string, unknown>, decoded, Math.floor(deps.now() / 1000));
}

/**
 * PREPARED → APPROVED, REJECTED (policy BLOCK) or APPROVAL_DENIED (the reviewer said no; asked again later).
 * The policy decides first; REQUIRE_APPROVAL asks the four-eye service; ALLOW approves without asking.
 */
async function approve(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction, mode: PassMode): Promise<LedgerRecord | Outcome> {
  let facts;
  try {
    facts = await gateFactsOf(deps, record, pending);
  } catch (error) {
    if (error instanceof SigilError && !TRANSIENT.has(error.code)) return failTransaction(deps, record, error.message);
    throw error;
  }
  const decision = await decideFor(deps, record.id, facts.input);
  await recordDecision(deps, record.id, 'approve', decision);
  if (decision.action === 'BLOCK') return reject(deps, record, `policy: ${decision.reason}`, decision.rule);
  if (decision.action === 'REQUIRE_APPROVAL') {
    const answer = await timed(deps, 'approve', record.chain, () => askReviewer(deps, record, pending));
    if (!answer.approved) {
      await deps.ledger.markApprovalDenied(record.id, record.fence, deps.now() + deps.config.approvalRetryMs, answer.reason);
      countMetric(deps, 'ApprovalsDenied', { Chain: record.chain });
      await auditTx(deps, record.id, 'tx.denied', { reason: answer.reason });
      return 'denied';
    }
  }
  await noteActivity(deps, record, facts.input);
  const approved = await deps.ledger.markApproved(record.id, record.fence, { releaseLease: mode === 'approve' });
  await auditTx(deps, record.id, 'tx.approved', { by: decision.action === 'ALLOW' ? `policy ${decision.rule ?? 'default'}` : 'four-eye' });
  if (mode === 'approve') {
    await deps.events.emit('Pending Transaction Approved', { pendingId: record.id, chain: record.chain, network: record.network });
    return 'approved';
  }
  return approved;
}

/** Drive a record this worker has claimed as far as `mode` allows. */
export async function advanceClaimed(deps: PipelineDeps, claimed: LedgerRecord, pending: PendingTransaction, chain: ChainNetwork, mode: PassMode): Promise<Outcome> {
  let record: LedgerRecord | Outcome = claimed;
  if (record.state === 'CLAIMED') record = await prepare(deps, record, pending, chain);
  if (typeof record === 'string') return record;
  if (record.state === 'PREPARED') record = await approve(deps, record, pending, mode);
  if (typeof record === 'string') return record;
  if (record.state === 'APPROVED' && mode === 'approve') {
    // Approved earlier but the hand-over event may have been lost: send it again and let go.
    await deps.ledger.releaseLease(record.id, deps.owner, record.fence);
    await deps.events.emit('Pending Transaction Approved', { pendingId: record.id, chain: record.chain, network: record.network });
    return 'approved';
  }
  const signed = await signApproved(deps, record);
  if (signed.kind !== 'signed') return signed.kind;
  const final = await broadcastSigned(deps, signed.record);
  return final.state === 'COMPLETED' ? 'completed' : final.state === 'BROADCAST' ? 'broadcast' : 'broadcast-unknown';
}
