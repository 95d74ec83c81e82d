/**
 * `sign` (SQS event source fed by the rule on "Pending Transaction Approved"; private subnets, no route to the
 * internet; one of the two roles allowed kms:Decrypt). Each message only names a pending id: the approved tx is
 * loaded from the ledger. Partial-batch responses: only messages that hit a transient error are retried.
 */
import { SigilError } from '../lib/errors.js';
import { parseEventJson, pendingIdOfEvent, sqsRecordsOf } from '../lib/events/inbound.js';
import { signPendingById } from '../lib/pipeline/handoff.js';
import { runtime } from './runtime.js';

export async function handler(event: unknown, context: { readonly awsRequestId: string }) {
  const deps = await runtime().deps(`sign:${context.awsRequestId}`);
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const record of sqsRecordsOf(event)) {
    try {
      await signPendingById(deps, pendingIdOfEvent(parseEventJson(record.body), ['Pending Transaction Approved']));
    } catch (error) {
      // A malformed message will never succeed: drop it (logged) rather than poison the queue; all else retries.
      if (error instanceof SigilError && error.code === 'INVALID_EVENT') console.error(`sign: dropped message ${record.messageId}: ${error.message}`);
      else batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
