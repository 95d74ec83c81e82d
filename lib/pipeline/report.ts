/**
 * Report: every FAILED or REJECTED transaction is sent once to Tatum's batch endpoint (which drives its
 * KMS_FAILED_TX webhook). A worker first claims each report in the ledger (recordFailureReported is a
 * conditional write that only one worker wins), then sends only the reports it won: concurrent workers never
 * send one failure twice (each would fire the customer's webhook again). The price is at-most-once: a worker
 * that crashes between claiming and sending loses that report (the ledger still shows it as FAILED/REJECTED,
 * with the reason, for operators). A send that fails is retried by the same process on its next pass.
 */
import type { LedgerRecord } from '../store/ledger.js';
import type { PipelineDeps } from './deps.js';

/** Reports this process won but could not send yet, per ledger. */
const unsent = new WeakMap<object, Map<string, LedgerRecord>>();

export async function reportFailures(deps: PipelineDeps, limit = 100): Promise<number> {
  let queue = unsent.get(deps.ledger);
  if (!queue) unsent.set(deps.ledger, (queue = new Map()));
  for (const record of await deps.ledger.listUnreported(limit)) {
    try {
      queue.set(record.id, await deps.ledger.recordFailureReported(record.id));
    } catch {
      // another worker claimed this report
    }
  }
  if (queue.size === 0) return 0;
  const batch = [...queue.values()];
  await deps.tatum.reportErrors(batch.map((record) => ({ signatureId: record.id, error: record.reason ?? record.state })));
  for (const record of batch) queue.delete(record.id);
  return batch.length;
}
