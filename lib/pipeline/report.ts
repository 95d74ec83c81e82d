/**
 * Report: every FAILED or REJECTED transaction is sent once to Tatum's batch endpoint (which drives its
 * KMS_FAILED_TX webhook). The ledger's failureReportedAt makes "once" hold across passes and workers: a
 * record is marked after Tatum accepted the batch, and a crash in between re-sends it (at least once, with
 * duplicates only in that window — Tatum treats a repeated error for the same id as the same failure).
 */
import type { PipelineDeps } from './deps.js';

export async function reportFailures(deps: PipelineDeps, limit = 100): Promise<number> {
  const unreported = await deps.ledger.listUnreported(limit);
  if (unreported.length === 0) return 0;
  await deps.tatum.reportErrors(unreported.map((record) => ({ signatureId: record.id, error: record.reason ?? record.state })));
  let reported = 0;
  for (const record of unreported) {
    try {
      await deps.ledger.recordFailureReported(record.id);
      reported++;
    } catch {
      // another worker reported it meanwhile
    }
  }
  return reported;
}
