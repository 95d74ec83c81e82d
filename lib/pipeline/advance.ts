/**
 * Moving one claimed ledger record forward: CLAIMED → PREPARED → APPROVED (→ SIGNED → broadcast in the
 * daemon). Each step reads the record's state and does only the next thing, so a record claimed after a crash
 * resumes exactly where the crashed worker left it. No secret is opened before APPROVED.
 */
import type { ChainNetwork } from '../chains/registry.js';
import type { LedgerRecord } from '../store/ledger.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';
import { broadcastSigned } from './broadcast.js';
import type { PipelineDeps } from './deps.js';
import { requestApproval } from './four-eye.js';
import { prepareTransaction } from './prepare.js';
import { signApproved } from './sign.js';
import { loadWallets } from './wallet-lookup.js';

/** 'approve': stop at APPROVED and hand over to the signer (AWS); 'all': sign and broadcast here (daemon). */
export type PassMode = 'approve' | 'all';

export type Outcome = 'approved' | 'denied' | 'rejected' | 'failed' | 'signed' | 'completed' | 'broadcast-unknown' | 'broadcast' | 'skipped';

async function prepare(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction, chain: ChainNetwork): Promise<LedgerRecord | Outcome> {
  const outcome = await prepareTransaction(deps, pending, chain, await loadWallets(deps.wallets, pending));
  if (outcome.kind === 'prepared') return deps.ledger.markPrepared(record.id, record.fence, outcome.prepared, outcome.summary);
  if (outcome.kind === 'rejected') {
    await deps.ledger.markRejected(record.id, record.fence, outcome.reason);
    await deps.events.emit('Transaction Rejected', { pendingId: record.id, chain: record.chain, reason: outcome.reason });
    return 'rejected';
  }
  await deps.ledger.markFailed(record.id, record.fence, outcome.reason);
  await deps.events.emit('Transaction Failed', { pendingId: record.id, chain: record.chain, reason: outcome.reason });
  return 'failed';
}

async function approve(deps: PipelineDeps, record: LedgerRecord, pending: PendingTransaction, mode: PassMode): Promise<LedgerRecord | Outcome> {
  const fourEye = deps.config.fourEye;
  if (fourEye) {
    const outputs = record.summary?.outputs ?? [];
    const decoded = {
      chain: record.chain,
      wallet: [...new Set([...pending.hashes, ...(pending.signatures ?? []).map((s) => s.id)])],
      to: outputs.map((o) => o.to),
      amount: outputs.reduce((sum, o) => sum + BigInt(o.amount), 0n).toString(),
      fee: record.summary?.maxFee ?? null,
    };
    const decision = await requestApproval(fourEye, record.id, pending as unknown as Record<string, unknown>, decoded, Math.floor(deps.now() / 1000));
    if (!decision.approved) {
      await deps.ledger.markApprovalDenied(record.id, record.fence, deps.now() + deps.config.approvalRetryMs, decision.reason);
      return 'denied';
    }
  }
  const approved = await deps.ledger.markApproved(record.id, record.fence, { releaseLease: mode === 'approve' });
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
  if (signed.kind === 'failed') return 'failed';
  const final = await broadcastSigned(deps, signed.record);
  return final.state === 'COMPLETED' ? 'completed' : final.state === 'BROADCAST' ? 'broadcast' : 'broadcast-unknown';
}
