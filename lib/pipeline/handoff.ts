/**
 * The AWS hand-overs, for the `sign` and `broadcast` functions: each takes only a pending id from its event
 * and loads everything else from the ledger, so a message that lies about the transaction changes nothing.
 * Duplicate deliveries are harmless: a record already past the step is left alone.
 */
import { SigilError } from '../errors.js';
import type { LedgerRecord } from '../store/ledger.js';
import { PENDING_ID } from '../tatum/pending-transaction.js';
import { broadcastSigned, settleSigned } from './broadcast.js';
import type { PipelineDeps } from './deps.js';
import { signApproved } from './sign.js';

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !PENDING_ID.test(id)) throw new SigilError('INVALID_EVENT', 'the event does not name a pending transaction id (24 hex)', {});
  return id;
}

/** `sign`: claim the APPROVED record and sign it; anything else is a duplicate or a late delivery. */
export async function signPendingById(deps: PipelineDeps, rawId: unknown): Promise<'signed' | 'failed' | 'rejected' | 'skipped'> {
  const id = checkId(rawId);
  const record = await deps.ledger.get(id);
  if (!record || record.state !== 'APPROVED') return 'skipped';
  const claim = await deps.ledger.claim(record, deps.owner, deps.now(), deps.config.leaseMs);
  if (claim.outcome !== 'claimed' || claim.record.state !== 'APPROVED') return 'skipped';
  return (await signApproved(deps, claim.record)).kind;
}

/** `broadcast`: send (or settle) the stored bytes of a signed record. */
export async function broadcastPendingById(deps: PipelineDeps, rawId: unknown): Promise<LedgerRecord | undefined> {
  const id = checkId(rawId);
  const record = await deps.ledger.get(id);
  if (!record) return undefined;
  if (record.state === 'SIGNED' && record.broadcastAttempts === 0) return broadcastSigned(deps, record);
  if (record.state === 'SIGNED' || record.state === 'BROADCAST_UNKNOWN' || record.state === 'BROADCAST') return settleSigned(deps, record);
  return record;
}
