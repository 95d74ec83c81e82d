/**
 * What both Ledger adapters share: argument checks at the port's boundary, the clock, and the mapping of
 * every operation to a Planner (ledger-transitions.ts). An adapter only supplies storage: `apply` (read
 * the record, run the planner, write its plan atomically and conditionally, re-plan on a lost race), the
 * nonce counter, and the reads.
 */
import { InvalidInputError } from '../errors.js';
import {
  LEDGER_STATES,
  type ClaimRequest,
  type ClaimResult,
  type Ledger,
  type LedgerListQuery,
  type LedgerPage,
  type LedgerRecord,
  type LedgerState,
  type LedgerSummary,
  type SignedPayload,
  type StaleQuery,
} from './ledger.js';
import {
  checkChainId,
  checkClaimRequest,
  checkEvmAddress,
  checkLeaseMs,
  checkSignedPayload,
  checkTime,
  inputChecker,
  normalizeReason,
} from './ledger-input.js';
import * as presign from './ledger-transitions.js';
import * as postsign from './ledger-transitions-signed.js';
import type { Plan, Planner } from './ledger-transitions.js';

export interface LedgerOptions {
  /** Epoch ms for the timestamps of every write but claim (which is given `now`). Default Date.now. */
  readonly clock?: () => number;
  /**
   * How long a COMPLETED record is kept before it expires (default 30 days). Keep it well beyond the time
   * Tatum may still list a pending tx: a record that expired is claimable, and would be signed, anew.
   */
  readonly completedRetentionMs?: number;
}

export const DEFAULT_COMPLETED_RETENTION_MS = 30 * 24 * 3600 * 1000;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** A checked list query; `cursor` is the id of the last record of the previous page. */
export interface CheckedListQuery {
  readonly state?: LedgerState;
  readonly chain?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export abstract class LedgerBase implements Ledger {
  protected readonly clock: () => number;
  protected readonly completedRetentionMs: number;

  constructor(options: LedgerOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.completedRetentionMs = inputChecker.integer(options.completedRetentionMs ?? DEFAULT_COMPLETED_RETENTION_MS, 'completedRetentionMs', 1);
  }

  /** Read `id`, plan, write the plan conditionally (re-planning after a lost race); returns the plan that held. */
  protected abstract apply(id: string, action: string, planner: Planner): Promise<Plan>;
  /** The nonce counter's compare-and-set: returns n = max(stored next, floor) and stores n + 1. */
  protected abstract allocate(chainId: string, from: string, floor: number): Promise<number>;
  protected abstract read(id: string): Promise<LedgerRecord | undefined>;
  protected abstract readPage(query: CheckedListQuery): Promise<LedgerPage>;
  /** Records of one attention kind whose `at` ≤ `until`, oldest first, at most `limit`. */
  protected abstract readAttention(kind: presign.Attention['kind'], until: number, limit: number): Promise<LedgerRecord[]>;
  abstract purgeExpired(now: number): Promise<number>;
  abstract close(): Promise<void>;

  #now(): number {
    return checkTime(this.clock(), 'clock()');
  }

  #id(id: string): string {
    return inputChecker.pendingId(id);
  }

  #fence(fence: number): number {
    return inputChecker.integer(fence, 'fence', 1);
  }

  async #record(id: string, action: string, planner: Planner): Promise<LedgerRecord> {
    return (await this.apply(id, action, planner)).record;
  }

  async claim(pending: ClaimRequest, owner: string, now: number, leaseMs: number): Promise<ClaimResult> {
    const request = checkClaimRequest(pending);
    const plan = await this.apply(request.id, 'claim', presign.planClaim(request, inputChecker.token(owner, 'owner'), checkTime(now, 'now'), checkLeaseMs(leaseMs)));
    return { outcome: plan.outcome === 'claimed' ? 'claimed' : 'skip', record: plan.record };
  }

  async renewLease(id: string, owner: string, fence: number, now: number, leaseMs: number): Promise<LedgerRecord> {
    const planner = presign.planRenewLease(this.#id(id), inputChecker.token(owner, 'owner'), this.#fence(fence), checkTime(now, 'now'), checkLeaseMs(leaseMs));
    return this.#record(id, 'renewLease', planner);
  }

  async releaseLease(id: string, owner: string, fence: number): Promise<LedgerRecord> {
    return this.#record(id, 'releaseLease', presign.planReleaseLease(this.#id(id), inputChecker.token(owner, 'owner'), this.#fence(fence), this.#now()));
  }

  async markPrepared(id: string, fence: number, prepared: string, summary: LedgerSummary): Promise<LedgerRecord> {
    const planner = presign.planPrepared(this.#id(id), this.#fence(fence), inputChecker.text(prepared, 'prepared'), inputChecker.summary(summary), this.#now());
    return this.#record(id, 'markPrepared', planner);
  }

  async markApproved(id: string, fence: number, options: { readonly releaseLease?: boolean } = {}): Promise<LedgerRecord> {
    return this.#record(id, 'markApproved', presign.planApproved(this.#id(id), this.#fence(fence), options.releaseLease === true, this.#now()));
  }

  async markApprovalDenied(id: string, fence: number, retryAt: number, reason: string): Promise<LedgerRecord> {
    const planner = presign.planApprovalDenied(this.#id(id), this.#fence(fence), checkTime(retryAt, 'retryAt'), normalizeReason(reason), this.#now());
    return this.#record(id, 'markApprovalDenied', planner);
  }

  async markRejected(id: string, fence: number, reason: string): Promise<LedgerRecord> {
    return this.#record(id, 'markRejected', presign.planRejected(this.#id(id), this.#fence(fence), normalizeReason(reason), this.#now()));
  }

  async markFailed(id: string, fence: number, reason: string): Promise<LedgerRecord> {
    return this.#record(id, 'markFailed', presign.planFailed(this.#id(id), this.#fence(fence), normalizeReason(reason), this.#now()));
  }

  async markSigned(id: string, fence: number, signed: SignedPayload): Promise<LedgerRecord> {
    const checkedId = this.#id(id);
    const checkedFence = this.#fence(fence);
    const payload = checkSignedPayload(signed, null);
    const now = this.#now();
    // UTXO spend keys must name the record's chain, known once the record is read.
    return this.#record(id, 'markSigned', (current) => {
      if (current) checkSignedPayload(payload, current.chain);
      return presign.planSigned(checkedId, checkedFence, payload, now)(current);
    });
  }

  async markBroadcastAttempt(id: string): Promise<LedgerRecord> {
    return this.#record(id, 'markBroadcastAttempt', postsign.planBroadcastAttempt(this.#id(id), this.#now()));
  }

  async markBroadcast(id: string, txId: string): Promise<LedgerRecord> {
    return this.#record(id, 'markBroadcast', postsign.planBroadcast(this.#id(id), inputChecker.token(txId, 'txId'), this.#now()));
  }

  async markBroadcastUnknown(id: string, reason: string): Promise<LedgerRecord> {
    return this.#record(id, 'markBroadcastUnknown', postsign.planBroadcastUnknown(this.#id(id), normalizeReason(reason), this.#now()));
  }

  async markCompleted(id: string, txId: string): Promise<LedgerRecord> {
    return this.#record(id, 'markCompleted', postsign.planCompleted(this.#id(id), inputChecker.token(txId, 'txId'), this.#now(), this.completedRetentionMs));
  }

  async recordFailureReported(id: string): Promise<LedgerRecord> {
    return this.#record(id, 'recordFailureReported', postsign.planFailureReported(this.#id(id), this.#now()));
  }

  async replaceSigned(id: string, replacement: SignedPayload, reason: string, operator: string): Promise<LedgerRecord> {
    const checkedId = this.#id(id);
    const why = normalizeReason(reason);
    const who = inputChecker.token(operator, 'operator');
    const payload = checkSignedPayload(replacement, null);
    const now = this.#now();
    return this.#record(id, 'replaceSigned', (current) => {
      if (current) checkSignedPayload(payload, current.chain);
      return postsign.planReplaceSigned(checkedId, payload, why, who, now)(current);
    });
  }

  async allocateNonce(chainId: bigint, from: string, chainPendingCount: number): Promise<number> {
    const id = checkChainId(chainId).toString(10);
    return this.allocate(id, checkEvmAddress(from), inputChecker.integer(chainPendingCount, 'chainPendingCount'));
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    return this.read(this.#id(id));
  }

  async list(query: LedgerListQuery = {}): Promise<LedgerPage> {
    const extra = Object.keys(query).filter((key) => !['state', 'chain', 'limit', 'cursor'].includes(key));
    if (extra.length > 0) throw new InvalidInputError(`ledger list: unknown option(s) ${extra.slice(0, 5).join(', ')}`, { options: extra.length });
    if (query.state !== undefined && !LEDGER_STATES.includes(query.state)) inputChecker.state(query.state, 'state');
    return this.readPage({
      ...(query.state !== undefined ? { state: query.state } : {}),
      ...(query.chain !== undefined ? { chain: inputChecker.chain(query.chain) } : {}),
      limit: inputChecker.integer(query.limit ?? DEFAULT_PAGE, 'limit', 1, MAX_PAGE),
      ...(query.cursor !== undefined ? { cursor: inputChecker.pendingId(query.cursor, 'cursor') } : {}),
    });
  }

  async listStale(now: number, query: StaleQuery): Promise<LedgerRecord[]> {
    const at = checkTime(now, 'now');
    const settleAfterMs = inputChecker.integer(query?.settleAfterMs, 'settleAfterMs');
    const limit = inputChecker.integer(query.limit ?? DEFAULT_PAGE, 'limit', 1, MAX_PAGE);
    const [leases, retries, settles] = await Promise.all([
      this.readAttention('lease', at, limit),
      this.readAttention('retry', at, limit),
      this.readAttention('settle', at - settleAfterMs, limit),
    ]);
    return [...leases, ...retries, ...settles];
  }

  async listUnreported(limit = DEFAULT_PAGE): Promise<LedgerRecord[]> {
    return this.readAttention('report', Number.MAX_SAFE_INTEGER, inputChecker.integer(limit, 'limit', 1, MAX_PAGE));
  }
}
