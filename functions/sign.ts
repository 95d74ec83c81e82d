/**
 * `sign` (SQS event source fed by the rule on "Pending Transaction Approved"; private subnets, no route to the
 * internet; one of the two roles allowed kms:Decrypt). Each message only names a pending id: the approved tx is
 * loaded from the ledger. Partial-batch responses: only messages that hit a transient error are retried.
 */
import { SigilError } from '../lib/errors.js';
import { parseEventJson, pendingIdOfEvent, sqsRecordsOf } from '../lib/events/inbound.js';
import type { PipelineDeps } from '../lib/pipeline/deps.js';
import { signPendingById } from '../lib/pipeline/handoff.js';
import { runtime, withMetrics } from './runtime.js';

/**
 * Give up the claim this invocation took on `pendingId`, if it still holds it. Without this, a transient
 * failure (KMS or DynamoDB unavailable) leaves the APPROVED record leased to this invocation for the whole
 * lease, so SQS's redelivery — another invocation, another owner — finds it claimed, skips it, and the message
 * is deleted with nothing signed. Best effort: if the store is what failed, the lease simply runs out.
 */
async function releaseOwnClaim(deps: PipelineDeps, pendingId: string): Promise<void> {
  try {
    const record = await deps.ledger.get(pendingId);
    if (record?.state === 'APPROVED' && record.owner === deps.owner) await deps.ledger.releaseLease(pendingId, deps.owner, record.fence);
  } catch {
    // The retry finds the lease expired instead.
  }
}

export async function handler(event: unknown, context: { readonly awsRequestId: string }) {
  return withMetrics(() => signBatch(event, context));
}

async function signBatch(event: unknown, context: { readonly awsRequestId: string }) {
  const deps = await runtime().deps(`sign:${context.awsRequestId}`, { tatum: false });
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const record of sqsRecordsOf(event)) {
    let pendingId: string | undefined;
    try {
      pendingId = pendingIdOfEvent(parseEventJson(record.body), ['Pending Transaction Approved']);
      await signPendingById(deps, pendingId);
    } catch (error) {
      // A malformed message will never succeed: drop it (logged) rather than poison the queue; all else retries.
      if (error instanceof SigilError && error.code === 'INVALID_EVENT') {
        console.error(`sign: dropped message ${record.messageId}: ${error.message}`);
        continue;
      }
      batchItemFailures.push({ itemIdentifier: record.messageId });
      if (pendingId !== undefined) await releaseOwnClaim(deps, pendingId);
    }
  }
  return { batchItemFailures };
}
