/**
 * The ledger's state machine as pure functions: given the stored record (or none) and an operation, a
 * Plan says what to write — or that nothing changes — or throws a LedgerError. Both adapters run these
 * same plans inside their conditional write (SQLite: under BEGIN IMMEDIATE; DynamoDB: a put conditioned
 * on the revision that was read, re-planned on a lost race), so they cannot disagree on a rule.
 *
 * Order of checks for fenced operations: NOT_FOUND, then LEASE_LOST (a stale fence never learns more),
 * then idempotent repeat (same target state and content → 'unchanged'), then CONFLICT (target state with
 * other content), then INVALID_TRANSITION. The table of transitions is in docs/ledger.md. This file holds
 * the plans up to SIGNED; ledger-transitions-signed.ts those after it.
 */
import {
  LEDGER_SCHEMA_VERSION,
  DoubleSpendError,
  LedgerError,
  WORKING_STATES,
  EVM_SPEND_KEY,
  type ClaimRequest,
  type LedgerRecord,
  type LedgerState,
  type LedgerSummary,
  type SignedPayload,
} from './ledger.js';
import { contentHashOf, summariesEqual } from './ledger-record.js';

export type PlanOutcome = 'claimed' | 'skip' | 'changed' | 'unchanged';

/** Spend keys to create for `pendingId` with `contentHash`, in the same atomic write as the record. */
export interface SpendClaims {
  readonly pendingId: string;
  readonly contentHash: string;
  readonly keys: readonly string[];
}

/** A spend claim whose content hash moves from `from` to `to` (replaceSigned), in the same write. */
export interface SpendMove {
  readonly key: string;
  readonly pendingId: string;
  readonly from: string;
  readonly to: string;
}

export type Plan =
  | { readonly write: false; readonly outcome: PlanOutcome; readonly record: LedgerRecord }
  | {
      readonly write: true;
      readonly outcome: PlanOutcome;
      readonly record: LedgerRecord;
      /** undefined: create the record (it must not exist); else the record that was read. */
      readonly previous: LedgerRecord | undefined;
      readonly claimSpends?: SpendClaims;
      readonly moveSpend?: SpendMove;
    };

export type Planner = (current: LedgerRecord | undefined) => Plan;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Where a record needs attention next (the sparse index both adapters keep), or null when it needs none. */
export interface Attention {
  readonly kind: 'lease' | 'retry' | 'settle' | 'report';
  /** Epoch ms: lease expiry, retryAt, or the last change. */
  readonly at: number;
}

export function attentionOf(record: LedgerRecord): Attention | null {
  switch (record.state) {
    case 'CLAIMED':
    case 'PREPARED':
    case 'APPROVED':
      return { kind: 'lease', at: record.leaseExpiresAt };
    case 'APPROVAL_DENIED':
      return { kind: 'retry', at: record.retryAt ?? 0 };
    case 'SIGNED':
    case 'BROADCAST':
    case 'BROADCAST_UNKNOWN':
      return { kind: 'settle', at: record.updatedAt };
    case 'FAILED':
    case 'REJECTED':
      return record.failureReportedAt === null ? { kind: 'report', at: record.updatedAt } : null;
    case 'COMPLETED':
      return null;
  }
}

export function unchanged(record: LedgerRecord, outcome: PlanOutcome = 'unchanged'): Plan {
  return { write: false, outcome, record };
}

export function change(current: LedgerRecord, now: number, changes: Partial<Mutable<LedgerRecord>>, extra: Pick<Plan & { write: true }, 'claimSpends' | 'moveSpend'> = {}, outcome: PlanOutcome = 'changed'): Plan {
  return { write: true, outcome, previous: current, record: { ...current, ...changes, revision: current.revision + 1, updatedAt: now }, ...extra };
}

const NO_LEASE = { owner: null, leaseExpiresAt: 0 } as const;

export function found(current: LedgerRecord | undefined, id: string): LedgerRecord {
  if (!current) throw new LedgerError('NOT_FOUND', `pending transaction ${id} is not in the ledger`, { pendingId: id });
  return current;
}

function fenced(current: LedgerRecord | undefined, id: string, fence: number): LedgerRecord {
  const record = found(current, id);
  if (record.fence !== fence) {
    throw new LedgerError('LEASE_LOST', `pending transaction ${id}: fence ${fence} is stale (now ${record.fence}); another worker took it over`, {
      pendingId: id,
      fence,
      storedFence: record.fence,
      state: record.state,
    });
  }
  return record;
}

export function refuse(record: LedgerRecord, action: string, expected: string): never {
  throw new LedgerError('INVALID_TRANSITION', `pending transaction ${record.id}: cannot ${action} in state ${record.state}; expected ${expected}`, {
    pendingId: record.id,
    state: record.state,
    action,
  });
}

export function conflict(record: LedgerRecord, message: string): never {
  throw new LedgerError('CONFLICT', `pending transaction ${record.id}: ${message}; nothing was changed`, { pendingId: record.id, state: record.state });
}

function isWorking(state: LedgerState): boolean {
  return WORKING_STATES.includes(state);
}

export function planClaim(request: ClaimRequest, owner: string, now: number, leaseMs: number): Planner {
  return (current) => {
    const lease = { owner, leaseExpiresAt: now + leaseMs };
    if (!current) {
      const record: LedgerRecord = {
        schema: LEDGER_SCHEMA_VERSION, id: request.id, chain: request.chain, network: request.network, pending: request.pending,
        state: 'CLAIMED', revision: 1, fence: 1, ...lease, prepared: null, summary: null, retryAt: null, reason: null, raw: null,
        hash: null, spends: [], broadcastAttempts: 0, lastBroadcastAt: null, txId: null, failureReportedAt: null, history: [],
        createdAt: now, updatedAt: now, expiresAt: null,
      };
      return { write: true, outcome: 'claimed', previous: undefined, record };
    }
    if (current.chain !== request.chain || current.network !== request.network) {
      conflict(current, `stored for ${current.chain}/${current.network}, claimed for ${request.chain}/${request.network}`);
    }
    // Takeover: the previous owner's lease ran out (or was released). The new fence makes its writes fail.
    if (isWorking(current.state) && current.leaseExpiresAt <= now) {
      return change(current, now, { ...lease, fence: current.fence + 1 }, {}, 'claimed');
    }
    // A denied approval is asked again from PREPARED: the prepared tx (and its nonce) are kept, never re-filled.
    if (current.state === 'APPROVAL_DENIED' && (current.retryAt ?? 0) <= now) {
      return change(current, now, { ...lease, state: 'PREPARED', fence: current.fence + 1, retryAt: null, reason: null }, {}, 'claimed');
    }
    return unchanged(current, 'skip');
  };
}

export function planRenewLease(id: string, owner: string, fence: number, now: number, leaseMs: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (!isWorking(record.state)) refuse(record, 'renew a lease', 'CLAIMED, PREPARED or APPROVED');
    if (record.owner !== owner) throw new LedgerError('LEASE_LOST', `pending transaction ${id}: the lease of fence ${fence} is not held by this owner`, { pendingId: id, fence });
    return change(record, now, { leaseExpiresAt: now + leaseMs });
  };
}

export function planReleaseLease(id: string, owner: string, fence: number, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.owner === null && record.leaseExpiresAt === 0) return unchanged(record);
    if (record.owner !== owner) throw new LedgerError('LEASE_LOST', `pending transaction ${id}: the lease of fence ${fence} is not held by this owner`, { pendingId: id, fence });
    return change(record, now, NO_LEASE);
  };
}

export function planPrepared(id: string, fence: number, prepared: string, summary: LedgerSummary, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.state === 'PREPARED') {
      if (record.prepared === prepared && summariesEqual(record.summary, summary)) return unchanged(record);
      conflict(record, 'already prepared with other content; what prepare filled is signed as stored');
    }
    if (record.state !== 'CLAIMED') refuse(record, 'mark prepared', 'CLAIMED');
    return change(record, now, { state: 'PREPARED', prepared, summary });
  };
}

export function planApproved(id: string, fence: number, releaseLease: boolean, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.state === 'APPROVED') return releaseLease && record.owner !== null ? change(record, now, NO_LEASE) : unchanged(record);
    if (record.state !== 'PREPARED') refuse(record, 'mark approved', 'PREPARED');
    return change(record, now, { state: 'APPROVED', ...(releaseLease ? NO_LEASE : {}) });
  };
}

export function planApprovalDenied(id: string, fence: number, retryAt: number, reason: string, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.state === 'APPROVAL_DENIED') {
      if (record.retryAt === retryAt && record.reason === reason) return unchanged(record);
      conflict(record, 'already denied with another retry time or reason');
    }
    if (record.state !== 'PREPARED') refuse(record, 'mark approval denied', 'PREPARED');
    return change(record, now, { state: 'APPROVAL_DENIED', retryAt, reason, ...NO_LEASE });
  };
}

export function planRejected(id: string, fence: number, reason: string, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.state === 'REJECTED') {
      if (record.reason === reason) return unchanged(record);
      conflict(record, 'already rejected for another reason');
    }
    if (!isWorking(record.state)) refuse(record, 'mark rejected', 'CLAIMED, PREPARED or APPROVED');
    return change(record, now, { state: 'REJECTED', reason, ...NO_LEASE });
  };
}

export function planFailed(id: string, fence: number, reason: string, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.state === 'FAILED') {
      if (record.reason === reason) return unchanged(record);
      conflict(record, 'already failed for another reason');
    }
    // After a broadcast attempt the tx may be on its way: reporting it failed could make Tatum refund a payment that went out.
    if (record.state === 'SIGNED' && record.broadcastAttempts > 0) {
      refuse(record, 'mark failed after a broadcast attempt', 'no broadcast attempt (settle it as BROADCAST_UNKNOWN instead)');
    }
    if (!isWorking(record.state) && record.state !== 'SIGNED') refuse(record, 'mark failed', 'CLAIMED, PREPARED, APPROVED, or SIGNED before any broadcast attempt');
    return change(record, now, { state: 'FAILED', reason, ...NO_LEASE });
  };
}

export function sameSpends(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((key, i) => key === [...b].sort()[i]);
}

export function planSigned(id: string, fence: number, signed: SignedPayload, now: number): Planner {
  return (current) => {
    const record = fenced(current, id, fence);
    if (record.raw !== null) {
      if (record.raw === signed.raw && record.hash === signed.hash && sameSpends(record.spends, signed.spends)) return unchanged(record);
      conflict(record, 'already signed with other bytes; a stored raw tx is re-broadcast, never re-signed');
    }
    if (record.state !== 'APPROVED') refuse(record, 'mark signed', 'APPROVED');
    const claimSpends: SpendClaims = { pendingId: id, contentHash: contentHashOf(signed.raw), keys: signed.spends };
    return change(record, now, { state: 'SIGNED', raw: signed.raw, hash: signed.hash, spends: [...signed.spends], reason: null, ...NO_LEASE }, { claimSpends });
  };
}

/** What a spend key holds: the pending id that claimed it, and the sha256 of the raw tx that spends it. */
export interface SpendClaim {
  readonly pendingId: string;
  readonly contentHash: string;
}

/**
 * Decide one spend key of a markSigned: absent → create it; held by this id with this content → already
 * ours (a retried write); anything else → DoubleSpendError (ledger.ts).
 */
export function decideSpendClaim(key: string, existing: SpendClaim | undefined, claims: SpendClaims): 'create' | 'held' {
  if (existing === undefined) return 'create';
  if (existing.pendingId === claims.pendingId && existing.contentHash === claims.contentHash) return 'held';
  throw new DoubleSpendError(claims.pendingId, key, existing.pendingId);
}
