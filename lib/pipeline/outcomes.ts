/**
 * The terminal outcomes a pipeline step can give a transaction before it is signed, each written once to the
 * ledger, the audit trail, the metrics and the event bus (whose alert rules reach a person). Reporting to
 * Tatum happens later, once, in report.ts.
 */
import type { LedgerRecord } from '../store/ledger.js';
import type { PipelineDeps } from './deps.js';
import { auditTx, countMetric } from './observe.js';

/** Failures a retry may cure: the record stays where it is. */
export const TRANSIENT = new Set(['LEASE_LOST', 'CONFLICT', 'STORE_UNAVAILABLE', 'KEY_UNAVAILABLE', 'KEY_PROVIDER_FAILED', 'RPC_ANSWER']);

/** → REJECTED (a cap or the policy): reported to Tatum once by report.ts, alerted once here, never re-evaluated. */
export async function reject(deps: PipelineDeps, record: LedgerRecord, reason: string, rule: string | null): Promise<'rejected'> {
  await deps.ledger.markRejected(record.id, record.fence, reason);
  countMetric(deps, 'TransactionsRejected', { Chain: record.chain });
  await auditTx(deps, record.id, 'tx.rejected', { reason, rule });
  await deps.events.emit('Transaction Rejected', { pendingId: record.id, chain: record.chain, reason, ...(rule ? { rule } : {}) });
  return 'rejected';
}

/** → FAILED: cannot be signed as sent; reported to Tatum once, alerted once. */
export async function failTransaction(deps: PipelineDeps, record: LedgerRecord, reason: string): Promise<'failed'> {
  await deps.ledger.markFailed(record.id, record.fence, reason);
  countMetric(deps, 'TransactionsFailed', { Chain: record.chain });
  await auditTx(deps, record.id, 'tx.failed', { reason });
  await deps.events.emit('Transaction Failed', { pendingId: record.id, chain: record.chain, reason });
  return 'failed';
}

