/**
 * The ledger's plans after SIGNED (ledger-transitions.ts has the rules they share): broadcast attempts and
 * results, completion, failure reports, the operator's replacement of a stuck EVM tx, and the nonce rule.
 * None takes a fence: nobody holds a lease on a signed record, and broadcasting the same bytes twice is
 * harmless; what matters is that a stored raw is never replaced except by replaceSigned.
 */
import { EVM_SPEND_KEY, type LedgerRecord, type SignedPayload } from './ledger.js';
import { contentHashOf } from './ledger-record.js';
import { change, conflict, found, refuse, sameSpends, unchanged, type Planner, type SpendMove } from './ledger-transitions.js';

/** A broadcast attempt is on record for the raw the record holds now (not only for a replaced one). */
export function attemptedCurrentRaw(record: LedgerRecord): boolean {
  const replacedAt = record.history.at(-1)?.replacedAt;
  return record.broadcastAttempts > 0 && (replacedAt === undefined || (record.lastBroadcastAt ?? -1) >= replacedAt);
}

export function planBroadcastAttempt(id: string, now: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state !== 'SIGNED' && record.state !== 'BROADCAST_UNKNOWN') refuse(record, 'record a broadcast attempt', 'SIGNED or BROADCAST_UNKNOWN');
    return change(record, now, { broadcastAttempts: record.broadcastAttempts + 1, lastBroadcastAt: now });
  };
}

export function planBroadcast(id: string, txId: string, now: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state === 'BROADCAST' || record.state === 'COMPLETED') {
      if (record.txId === txId) return unchanged(record);
      if (record.state === 'BROADCAST') conflict(record, 'already broadcast under another txId');
    }
    if (record.state === 'SIGNED' && !attemptedCurrentRaw(record)) refuse(record, 'mark broadcast without a recorded attempt', 'markBroadcastAttempt before sending');
    if (record.state !== 'SIGNED' && record.state !== 'BROADCAST_UNKNOWN') refuse(record, 'mark broadcast', 'SIGNED or BROADCAST_UNKNOWN');
    return change(record, now, { state: 'BROADCAST', txId, reason: null });
  };
}

export function planBroadcastUnknown(id: string, reason: string, now: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state === 'BROADCAST_UNKNOWN') return record.reason === reason ? unchanged(record) : change(record, now, { reason });
    if (record.state !== 'SIGNED') refuse(record, 'mark broadcast unknown', 'SIGNED (a confirmed broadcast is never downgraded)');
    if (!attemptedCurrentRaw(record)) refuse(record, 'mark broadcast unknown without a recorded attempt', 'markBroadcastAttempt before sending');
    return change(record, now, { state: 'BROADCAST_UNKNOWN', reason });
  };
}

export function planCompleted(id: string, txId: string, now: number, retentionMs: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state === 'COMPLETED') {
      if (record.txId === txId) return unchanged(record);
      conflict(record, 'already completed under another txId');
    }
    if (record.state !== 'SIGNED' && record.state !== 'BROADCAST' && record.state !== 'BROADCAST_UNKNOWN') {
      refuse(record, 'mark completed', 'SIGNED, BROADCAST or BROADCAST_UNKNOWN');
    }
    // The only expiring records (ARCHITECTURE §ledger). DynamoDB TTL reads epoch seconds.
    return change(record, now, { state: 'COMPLETED', txId, reason: null, expiresAt: Math.ceil((now + retentionMs) / 1000) });
  };
}

export function planFailureReported(id: string, now: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state !== 'FAILED' && record.state !== 'REJECTED') refuse(record, 'record a failure report', 'FAILED or REJECTED');
    if (record.failureReportedAt !== null) conflict(record, 'its failure was already reported');
    return change(record, now, { failureReportedAt: now });
  };
}

const MAX_REPLACEMENTS = 16;

export function planReplaceSigned(id: string, replacement: SignedPayload, reason: string, operator: string, now: number): Planner {
  return (current) => {
    const record = found(current, id);
    if (record.state !== 'SIGNED' && record.state !== 'BROADCAST' && record.state !== 'BROADCAST_UNKNOWN') {
      refuse(record, 'replace the signed tx', 'SIGNED, BROADCAST or BROADCAST_UNKNOWN');
    }
    const nonceKey = record.spends.length === 1 && EVM_SPEND_KEY.test(record.spends[0]!) ? record.spends[0]! : undefined;
    if (nonceKey === undefined) refuse(record, 'replace the signed tx of a non-EVM transaction', 'an EVM transaction with one nonce claim');
    if (!sameSpends(record.spends, replacement.spends)) {
      conflict(record, `a replacement must spend the same nonce key ${nonceKey}`);
    }
    if (record.raw === replacement.raw) {
      if (record.hash === replacement.hash) return unchanged(record);
      conflict(record, 'the replacement repeats the stored raw tx under another hash');
    }
    if (record.history.length >= MAX_REPLACEMENTS) refuse(record, `replace the signed tx more than ${MAX_REPLACEMENTS} times`, 'fewer replacements');
    const old = { raw: record.raw!, hash: record.hash!, txId: record.txId, replacedAt: now, reason, operator };
    const moveSpend: SpendMove = { key: nonceKey, pendingId: id, from: contentHashOf(record.raw!), to: contentHashOf(replacement.raw) };
    // broadcastAttempts stays: the old raw may be out there, so FAILED stays impossible.
    return change(record, now, { state: 'SIGNED', raw: replacement.raw, hash: replacement.hash, txId: null, reason: null, history: [...record.history, old] }, { moveSpend });
  };
}

/** The nonce to hand out: the larger of Sigil's counter and the chain's pending count. */
export function nextNonce(storedNext: number | undefined, chainPendingCount: number): number {
  return Math.max(storedNext ?? 0, chainPendingCount);
}

