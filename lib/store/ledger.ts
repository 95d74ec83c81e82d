/**
 * The Ledger port: the record of every pending transaction Sigil handles, keyed by Tatum's pending id,
 * that makes double signing and double spending impossible (ARCHITECTURE §ledger, docs/ledger.md).
 * Adapters: SqliteLedger (ledger-sqlite.ts) and DynamoDbLedger (ledger-dynamodb.ts); both pass
 * test/contract/ledger.contract.ts. Both run the same transition rules (ledger-transitions.ts).
 *
 *   CLAIMED → PREPARED → APPROVED → SIGNED(raw, hash) → BROADCAST(txId) → COMPLETED
 *   side states: APPROVAL_DENIED(retryAt), REJECTED(reason), FAILED(reason), BROADCAST_UNKNOWN
 *
 * Invariants:
 * - Every write is conditional on what was read (SQLite: one `BEGIN IMMEDIATE` transaction; DynamoDB: a
 *   condition on the record's `revision`, or `attribute_not_exists` for a new record). A write that lost a
 *   race is re-planned on the fresh record, never applied blind.
 * - Fencing: `claim` bumps `fence`. Every pre-sign transition names the fence it holds; a different stored
 *   fence means someone took over, and the write fails with LEASE_LOST. Time never decides a write: an
 *   owner whose lease ran out may still write as long as nobody took over (the fence is unchanged).
 * - The lease passed to `claim` MUST be longer than the worker's timeout (Lambda function timeout, or the
 *   daemon's per-transaction deadline): a lease that ends while its owner still works lets a second worker
 *   take over; fencing keeps that safe, but wastes the first worker's effort.
 * - Once SIGNED, the raw transaction is the only thing ever broadcast: `claim` returns the record with
 *   'skip' so the caller re-broadcasts the stored bytes; nothing re-signs (markSigned with other bytes is
 *   CONFLICT). The one exception is `replaceSigned` (operator, EVM, same nonce, old raw kept in history).
 * - markSigned claims what the transaction spends (EVM nonce, UTXO outpoints) in the same atomic write.
 *   A spend key held by another pending id, or by the same id with other bytes, writes NOTHING and throws
 *   DoubleSpendError. Spend claims and nonce counters never expire; only COMPLETED records do.
 * - A broadcast attempt is recorded before the request is sent (markBroadcastAttempt), so a crash after
 *   sending is never mistaken for "not broadcast": FAILED is refused once an attempt is on record.
 * - Re-marking a record with the content it already holds is idempotent: it returns the record unchanged.
 * - Records carry `schema`; a record from a newer Sigil is refused with StoreError UNSUPPORTED_SCHEMA and
 *   never overwritten. Other failures: StoreError STORE_UNAVAILABLE / CORRUPT_RECORD, InvalidInputError
 *   for malformed arguments. Reasons are normalized to one line of at most 500 characters; never put a
 *   secret in one.
 */
import { SigilError, type ErrorContext } from '../errors.js';

export const LEDGER_SCHEMA_VERSION = 1;

export const LEDGER_STATES = [
  'CLAIMED',
  'PREPARED',
  'APPROVED',
  'APPROVAL_DENIED',
  'REJECTED',
  'FAILED',
  'SIGNED',
  'BROADCAST',
  'BROADCAST_UNKNOWN',
  'COMPLETED',
] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

/** States in which a worker holds a lease and moves the transaction towards SIGNED. */
export const WORKING_STATES: readonly LedgerState[] = ['CLAIMED', 'PREPARED', 'APPROVED'];
/** States that hold a raw signed transaction which may be (or may have been) broadcast. */
export const SIGNED_STATES: readonly LedgerState[] = ['SIGNED', 'BROADCAST', 'BROADCAST_UNKNOWN', 'COMPLETED'];

/** What a transaction does, in public terms (lib/chains/family.ts TransactionSummary, amounts as decimal strings). */
export interface LedgerSummary {
  readonly outputs: ReadonlyArray<{ readonly to: string; readonly amount: string }>;
  readonly maxFee: string | null;
}

/** A raw transaction superseded by `replaceSigned`. */
export interface ReplacedRaw {
  readonly raw: string;
  readonly hash: string;
  readonly txId: string | null;
  /** Epoch ms. */
  readonly replacedAt: number;
  readonly reason: string;
  readonly operator: string;
}

export interface LedgerRecord {
  readonly schema: number;
  /** Tatum's pending transaction id: 24 lower-case hex. */
  readonly id: string;
  readonly chain: string;
  readonly network: string;
  /** The pending transaction as received from Tatum (JSON text). */
  readonly pending: string;
  readonly state: LedgerState;
  /** Bumped by every write; the DynamoDB adapter's compare-and-set token. */
  readonly revision: number;
  /** Fencing token: bumped by every claim. */
  readonly fence: number;
  /** Who holds the lease (working states only), else null. */
  readonly owner: string | null;
  /** Epoch ms; 0 when nobody holds a lease. */
  readonly leaseExpiresAt: number;
  /** The serialized transaction as prepared (what prepare filled in); signed exactly as stored. */
  readonly prepared: string | null;
  readonly summary: LedgerSummary | null;
  /** APPROVAL_DENIED: when approval may be asked again (epoch ms). */
  readonly retryAt: number | null;
  /** Why the record is APPROVAL_DENIED, REJECTED, FAILED or BROADCAST_UNKNOWN (one line). */
  readonly reason: string | null;
  readonly raw: string | null;
  readonly hash: string | null;
  /** Spend keys claimed by markSigned (evmNonceSpendKey, utxoOutpointSpendKey). */
  readonly spends: readonly string[];
  /** Broadcast requests that may have left this process (markBroadcastAttempt). */
  readonly broadcastAttempts: number;
  readonly lastBroadcastAt: number | null;
  readonly txId: string | null;
  /** When a FAILED/REJECTED record was reported to Tatum's batch endpoint (epoch ms). */
  readonly failureReportedAt: number | null;
  readonly history: readonly ReplacedRaw[];
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Epoch SECONDS (DynamoDB TTL's unit); set on COMPLETED records only. */
  readonly expiresAt: number | null;
}

/** What claim needs to create a record; a LedgerRecord fits too (a signer re-claiming what it loaded). */
export interface ClaimRequest {
  readonly id: string;
  readonly chain: string;
  readonly network: string;
  /** The pending transaction as received (JSON text of an object whose `id` is `id`). */
  readonly pending: string;
}

export type ClaimResult =
  /** The caller holds the lease with `record.fence`; continue from `record.state` (CLAIMED, PREPARED or APPROVED). */
  | { readonly outcome: 'claimed'; readonly record: LedgerRecord }
  /** Someone else holds it, or it is past the working states: SIGNED / BROADCAST_UNKNOWN → re-broadcast `record.raw`. */
  | { readonly outcome: 'skip'; readonly record: LedgerRecord };

export interface SignedPayload {
  readonly raw: string;
  readonly hash: string;
  /** Spend keys of the transaction (distinct); UTXO keys must name the record's chain. */
  readonly spends: readonly string[];
}

export interface LedgerListQuery {
  readonly state?: LedgerState;
  readonly chain?: string;
  /** Page size, 1–1000; default 100. */
  readonly limit?: number;
  /** From a previous page. */
  readonly cursor?: string;
}

export interface LedgerPage {
  readonly records: LedgerRecord[];
  /** Present when more records may follow. */
  readonly cursor?: string;
}

export interface StaleQuery {
  /** SIGNED / BROADCAST / BROADCAST_UNKNOWN records untouched for this long are due for re-broadcast or settling. */
  readonly settleAfterMs: number;
  /** At most this many of each kind (expired leases, due denials, due settlements); default 100. */
  readonly limit?: number;
}

export interface Ledger {
  /**
   * Create CLAIMED if absent; take over a working state whose lease expired (≤ now), or an APPROVAL_DENIED
   * whose retryAt ≤ now (it resumes as PREPARED: the prepared tx, and its nonce, are kept). Otherwise 'skip'.
   * A takeover keeps the stored `pending`; a request naming another chain or network is CONFLICT.
   */
  claim(pending: ClaimRequest, owner: string, now: number, leaseMs: number): Promise<ClaimResult>;
  /** Extend the lease of a working state (LEASE_LOST if the fence or owner changed). */
  renewLease(id: string, owner: string, fence: number, now: number, leaseMs: number): Promise<LedgerRecord>;
  /** Give the lease up (SIGTERM): the record stays in its state and is claimable at once. */
  releaseLease(id: string, owner: string, fence: number): Promise<LedgerRecord>;
  /** CLAIMED → PREPARED. */
  markPrepared(id: string, fence: number, prepared: string, summary: LedgerSummary): Promise<LedgerRecord>;
  /** PREPARED → APPROVED; `releaseLease` hands the record to another worker (the signer) in the same write. */
  markApproved(id: string, fence: number, options?: { readonly releaseLease?: boolean }): Promise<LedgerRecord>;
  /** PREPARED → APPROVAL_DENIED; claimable again from `retryAt`. */
  markApprovalDenied(id: string, fence: number, retryAt: number, reason: string): Promise<LedgerRecord>;
  /** CLAIMED / PREPARED / APPROVED → REJECTED (policy); never re-evaluated. */
  markRejected(id: string, fence: number, reason: string): Promise<LedgerRecord>;
  /** CLAIMED / PREPARED / APPROVED, or SIGNED with no broadcast attempt → FAILED. */
  markFailed(id: string, fence: number, reason: string): Promise<LedgerRecord>;
  /** APPROVED → SIGNED, claiming every spend key in the same write; DoubleSpendError writes nothing. */
  markSigned(id: string, fence: number, signed: SignedPayload): Promise<LedgerRecord>;
  /** Before each broadcast request (SIGNED, BROADCAST_UNKNOWN): counts the attempt. */
  markBroadcastAttempt(id: string): Promise<LedgerRecord>;
  /** SIGNED (with an attempt on record) / BROADCAST_UNKNOWN → BROADCAST. */
  markBroadcast(id: string, txId: string): Promise<LedgerRecord>;
  /** SIGNED (with an attempt on record) → BROADCAST_UNKNOWN. */
  markBroadcastUnknown(id: string, reason: string): Promise<LedgerRecord>;
  /** SIGNED / BROADCAST / BROADCAST_UNKNOWN → COMPLETED; sets expiresAt. */
  markCompleted(id: string, txId: string): Promise<LedgerRecord>;
  /** FAILED / REJECTED, not yet reported → reported. A second call is CONFLICT (someone else reported it). */
  recordFailureReported(id: string): Promise<LedgerRecord>;
  /** Operator: swap the raw of an EVM tx in SIGNED / BROADCAST / BROADCAST_UNKNOWN for one at the same nonce key. */
  replaceSigned(id: string, replacement: SignedPayload, reason: string, operator: string): Promise<LedgerRecord>;
  /** n = max(stored next, chainPendingCount); stores n + 1. Concurrent callers get distinct consecutive nonces. */
  allocateNonce(chainId: bigint, from: string, chainPendingCount: number): Promise<number>;
  get(id: string): Promise<LedgerRecord | undefined>;
  list(query?: LedgerListQuery): Promise<LedgerPage>;
  /** Working states whose lease expired, APPROVAL_DENIED due for retry, and signed states due for settling. */
  listStale(now: number, query: StaleQuery): Promise<LedgerRecord[]>;
  /** FAILED / REJECTED records not yet reported, oldest first. */
  listUnreported(limit?: number): Promise<LedgerRecord[]>;
  /** Delete COMPLETED records whose expiresAt passed; returns how many. DynamoDB: 0 (TTL deletes them). */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}

export type LedgerErrorCode = 'CONFLICT' | 'NOT_FOUND' | 'LEASE_LOST' | 'DOUBLE_SPEND' | 'INVALID_TRANSITION';

/** A ledger write refused by its condition; nothing was written. `context.state` is the stored state. */
export class LedgerError extends SigilError {
  declare readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

/** A spend key is claimed by another pending id (or by this one with other bytes); the caller emits `Double Spend Prevented`. */
export class DoubleSpendError extends LedgerError {
  readonly spendKey: string;
  readonly otherPendingId: string;

  constructor(pendingId: string, spendKey: string, otherPendingId: string) {
    const who = otherPendingId === pendingId ? 'this pending id with a different signed transaction' : `pending transaction ${otherPendingId}`;
    super('DOUBLE_SPEND', `pending transaction ${pendingId} spends ${spendKey}, already claimed by ${who}; nothing was written`, {
      pendingId,
      spendKey,
      otherPendingId,
    });
    this.spendKey = spendKey;
    this.otherPendingId = otherPendingId;
  }
}

/** `evm:<chainId>:<from>:nonce:<n>`: decimal numbers, lower-case 0x address. */
export const EVM_SPEND_KEY = /^evm:(0|[1-9]\d{0,19}):0x[0-9a-f]{40}:nonce:(0|[1-9]\d{0,19})$/;
/** `utxo:<chain>:<txid>:<vout>`: txid as 64 lower-case hex (big-endian, as explorers show it). */
export const UTXO_SPEND_KEY = /^utxo:([A-Z][A-Z0-9_]{1,15}):[0-9a-f]{64}:(0|[1-9]\d{0,9})$/;

/** The spend key of an EVM (chainId, from, nonce). */
export function evmNonceSpendKey(chainId: bigint, from: string, nonce: number | bigint): string {
  const key = `evm:${chainId}:${from.toLowerCase()}:nonce:${nonce}`;
  if (!EVM_SPEND_KEY.test(key)) throw new TypeError(`EVM spend key needs chainId ≥ 0, a 0x address of 40 hex and a nonce ≥ 0, got ${key.length} characters`);
  return key;
}

/** The spend key of a UTXO outpoint. */
export function utxoOutpointSpendKey(chain: string, txid: string, vout: number): string {
  const key = `utxo:${chain}:${txid.toLowerCase()}:${vout}`;
  if (!UTXO_SPEND_KEY.test(key)) throw new TypeError(`UTXO spend key needs a chain code, a txid of 64 hex and a vout ≥ 0, got ${key.length} characters`);
  return key;
}
