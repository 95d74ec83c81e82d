/**
 * `broadcast` (target of the "Transaction Signed" rule; no VPC; cannot decrypt): sends the stored raw bytes of
 * the named pending id through Tatum, or settles them. A thrown error makes EventBridge retry (then the DLQ).
 */
import { pendingIdOfEvent } from '../lib/events/inbound.js';
import { broadcastPendingById } from '../lib/pipeline/handoff.js';
import { runtime, withMetrics } from './runtime.js';

export async function handler(event: unknown, context: { readonly awsRequestId: string }) {
  return withMetrics(() => broadcastOne(event, context));
}

async function broadcastOne(event: unknown, context: { readonly awsRequestId: string }) {
  const pendingId = pendingIdOfEvent(event, ['Transaction Signed']);
  const deps = await runtime().deps(`broadcast:${context.awsRequestId}`);
  const record = await broadcastPendingById(deps, pendingId);
  return { pendingId, state: record?.state ?? 'UNKNOWN' };
}
