/**
 * Broadcast and settle. Only the raw bytes stored by sign are ever sent, with `signatureId` = the pending id
 * (which is what completes the pending tx at Tatum), or through the withdrawal endpoint for ledger withdrawals.
 *
 * Timeline of the one subtle case: markBroadcastAttempt is written BEFORE the request leaves, so a crash or an
 * ambiguous answer after it can never be mistaken for "not broadcast". Any failure after that point is
 * BROADCAST_UNKNOWN — never FAILED, because reporting a tx failed that did go out can make Tatum refund a
 * payment that was sent. settle() resolves BROADCAST_UNKNOWN from Tatum (`GET /v3/kms/{id}` shows a txId) or
 * by re-broadcasting the same bytes (a chain accepts a duplicate of a known tx harmlessly).
 */
import { SigilError } from '../errors.js';
import type { LedgerRecord } from '../store/ledger.js';
import { parsePendingTransaction } from '../tatum/pending-transaction.js';
import type { PipelineDeps } from './deps.js';
import { auditTx, countMetric, timed } from './observe.js';

function describeFailure(error: unknown): string {
  return error instanceof SigilError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}`;
}

/** Send the stored raw tx of a SIGNED or BROADCAST_UNKNOWN record; returns the record as it ends. */
export async function broadcastSigned(deps: PipelineDeps, record: LedgerRecord): Promise<LedgerRecord> {
  if ((record.state !== 'SIGNED' && record.state !== 'BROADCAST_UNKNOWN') || record.raw === null) {
    throw new SigilError('NOT_SIGNED', `pending tx ${record.id} is ${record.state}: there are no signed bytes to broadcast`, { pendingId: record.id });
  }
  const chain = deps.registry.resolve(record.chain, record.network);
  const pending = parsePendingTransaction(JSON.parse(record.pending));
  await deps.ledger.markBroadcastAttempt(record.id);
  let txId: string;
  let completed: boolean;
  try {
    ({ txId, completed } = await timed(deps, 'broadcast', record.chain, () => sendRaw(deps, record, pending, chain.broadcastPath)));
  } catch (error) {
    const reason = `broadcast not confirmed: ${describeFailure(error)}`;
    return record.state === 'BROADCAST_UNKNOWN' ? ((await deps.ledger.get(record.id)) ?? record) : deps.ledger.markBroadcastUnknown(record.id, reason);
  }
  let stored = await deps.ledger.markBroadcast(record.id, txId);
  countMetric(deps, 'TransactionsBroadcast', { Chain: record.chain });
  await auditTx(deps, record.id, 'tx.broadcast', { txId });
  await deps.events.emit('Transaction Broadcast', { pendingId: record.id, chain: record.chain, txId });
  if (completed) stored = await complete(deps, record.id, txId);
  return stored;
}

async function sendRaw(deps: PipelineDeps, record: LedgerRecord, pending: ReturnType<typeof parsePendingTransaction>, broadcastPath: string): Promise<{ txId: string; completed: boolean }> {
  const raw = record.raw!;
  if (pending.withdrawalId !== null) {
    const result = await deps.tatum.withdrawalBroadcast({ currency: record.chain, txData: raw, withdrawalId: pending.withdrawalId, signatureId: record.id });
    return { txId: result.txId, completed: result.completed !== false };
  }
  const result = await deps.tatum.broadcast(broadcastPath, raw, record.id);
  return { txId: result.txId, completed: !result.completionFailed };
}

/** → COMPLETED, and its audit entry. */
async function complete(deps: PipelineDeps, id: string, txId: string): Promise<LedgerRecord> {
  const done = await deps.ledger.markCompleted(id, txId);
  await auditTx(deps, id, 'tx.settled', { txId });
  return done;
}

/**
 * Settle a signed record that has not reached COMPLETED: Tatum's view first (a txId on the pending tx means
 * it went out); a BROADCAST record Tatum did not complete is completed with its txId; otherwise the same
 * bytes again.
 */
export async function settleSigned(deps: PipelineDeps, record: LedgerRecord): Promise<LedgerRecord> {
  if (record.state === 'SIGNED' && record.broadcastAttempts === 0) return broadcastSigned(deps, record);
  let atTatum;
  try {
    atTatum = await deps.tatum.getPendingTransaction(record.id);
  } catch {
    return record; // Tatum unreachable: try again on a later pass
  }
  if (atTatum?.txId) return complete(deps, record.id, atTatum.txId);
  if (record.state === 'BROADCAST') {
    // Broadcast with a txId, but Tatum could not complete its pending tx (`failed: true`): complete it here,
    // or Tatum lists it, and its caller waits for it, forever.
    if (atTatum !== null) await deps.tatum.completePendingTransaction(record.id, record.txId!);
    return complete(deps, record.id, record.txId!);
  }
  if (record.state === 'SIGNED') {
    // An attempt is on record but no answer was stored (a crash mid-request): the outcome is unknown.
    record = await deps.ledger.markBroadcastUnknown(record.id, 'a broadcast was attempted but its answer was lost');
  }
  return broadcastSigned(deps, record);
}
