/**
 * Storm folding (issue 7 §3): the same alert repeated within a window becomes one message with a count.
 *
 * Per fold key (lib/alerts/alert.ts) there is at most one window:
 *
 *     t0 alert ─► no open window: SEND now, open [t0, t0 + W)
 *     t1 alert ─► t1 < t0 + W: FOLD (count 1, since t1)
 *     t2 alert ─► FOLD (count 2)
 *     t3 alert ─► t3 ≥ t0 + W: SEND now, carrying "2 more like this since t1"; open [t3, t3 + W)
 *     or, if no alert comes: a flush after t0 + W sends "2 more like this since t1" on its own
 *
 * So a continuous storm costs one message per window, and a person always learns the count.
 *
 * Idempotency: every admitted event is recorded by its EventBridge event id in the same atomic write that
 * moves its window. A redelivered event (EventBridge and Lambda deliver at least once) finds its record and
 * gets the decision taken the first time — it is never counted twice — plus the channels it already
 * reached, so a retry sends only what did not go. Concurrent handlers are serialised per fold key by the
 * window's revision (optimistic: read, decide, write if the revision is unchanged, else re-read).
 */
import { SigilError } from '../errors.js';
import type { Alert } from './alert.js';

export interface FoldWindow {
  /** ms since the epoch. */
  readonly openedAt: number;
  readonly closesAt: number;
  /** Alerts folded into this window (not sent). */
  readonly folded: number;
  /** When the first folded alert came (null while folded = 0). */
  readonly firstFoldedAt: number | null;
  /** The alert that opened the window: the model of the flush message. */
  readonly sample: Alert;
  /** Bumped by every write; the optimistic lock. */
  readonly revision: number;
}

/** Repeats of a previous window that a message reports. */
export interface Carried {
  readonly count: number;
  readonly since: number;
}

export interface DeliveryRecord {
  readonly decision: 'send' | 'fold';
  readonly carried?: Carried;
  /** The channels (sns, webhook, console, …) this event's message already reached. */
  readonly delivered: readonly string[];
}

export type CommitResult = 'committed' | 'duplicate' | 'conflict';

/** Where windows and delivery records live: DynamoDB on AWS, memory in the daemon. test/contract/fold-store.contract.ts. */
export interface FoldStore {
  readEvent(eventId: string): Promise<DeliveryRecord | undefined>;
  readWindow(foldKey: string): Promise<FoldWindow | undefined>;
  /**
   * Atomically: record `record` for `eventId` (→ 'duplicate' if one exists) AND replace the window of
   * `foldKey` by `next` if its revision is still `expectedRevision` (undefined = no window) (→ 'conflict').
   * Nothing is written unless both hold.
   */
  commit(eventId: string, record: DeliveryRecord, foldKey: string, next: FoldWindow, expectedRevision: number | undefined): Promise<CommitResult>;
  /** Adds `channel` to the delivered channels of `eventId`'s record. */
  markDelivered(eventId: string, channel: string): Promise<void>;
  /** Windows closed by `now` that still hold folded alerts (oldest first, at most `limit`). */
  dueWindows(now: number, limit: number): Promise<Array<{ readonly foldKey: string; readonly window: FoldWindow }>>;
  /** Replaces a window if its revision is still `expectedRevision`; false if someone else moved it. */
  replaceWindow(foldKey: string, next: FoldWindow, expectedRevision: number): Promise<boolean>;
}

export type Admission =
  | { readonly decision: 'send'; readonly alert: Alert; readonly carried?: Carried; readonly delivered: readonly string[]; readonly duplicate: boolean }
  | { readonly decision: 'fold'; readonly alert: Alert; readonly duplicate: boolean };

/** A closed window's folded alerts, to be reported on their own. */
export interface FoldSummary {
  readonly foldKey: string;
  readonly alert: Alert;
  readonly carried: Carried;
  readonly revision: number;
  readonly window: FoldWindow;
}

export class FoldContentionError extends SigilError {
  constructor(attempts: number) {
    super('STORE_UNAVAILABLE', `the alert fold window kept changing under this handler (${attempts} attempts); the event will be retried`);
  }
}

export interface AlertFolderOptions {
  readonly windowMs: number;
  readonly clock?: () => number;
  /** Optimistic-lock retries before giving up (the event is then retried by its deliverer). */
  readonly maxAttempts?: number;
}

export class AlertFolder {
  readonly #store: FoldStore;
  readonly #windowMs: number;
  readonly #clock: () => number;
  readonly #maxAttempts: number;

  constructor(store: FoldStore, options: AlertFolderOptions) {
    if (!Number.isSafeInteger(options.windowMs) || options.windowMs < 0) throw new TypeError(`windowMs must be a non-negative integer; got ${options.windowMs}`);
    this.#store = store;
    this.#windowMs = options.windowMs;
    this.#clock = options.clock ?? Date.now;
    this.#maxAttempts = options.maxAttempts ?? 25;
  }

  /** Decide (once per event id) whether `alert` is sent now or folded into its open window. */
  async admit(eventId: string, alert: Alert): Promise<Admission> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const seen = await this.#store.readEvent(eventId);
      if (seen) return admissionOf(alert, seen, true);
      const now = this.#clock();
      const window = await this.#store.readWindow(alert.foldKey);
      let record: DeliveryRecord;
      let next: FoldWindow;
      if (!window || now >= window.closesAt) {
        const carried = window && window.folded > 0 ? { count: window.folded, since: window.firstFoldedAt ?? window.openedAt } : undefined;
        record = { decision: 'send', ...(carried ? { carried } : {}), delivered: [] };
        next = { openedAt: now, closesAt: now + this.#windowMs, folded: 0, firstFoldedAt: null, sample: alert, revision: (window?.revision ?? 0) + 1 };
      } else {
        record = { decision: 'fold', delivered: [] };
        next = { ...window, folded: window.folded + 1, firstFoldedAt: window.firstFoldedAt ?? now, revision: window.revision + 1 };
      }
      const result = await this.#store.commit(eventId, record, alert.foldKey, next, window?.revision);
      if (result === 'committed') return admissionOf(alert, record, false);
      // 'duplicate': another delivery of this event won the race; the loop reads its record.
      // 'conflict': another event moved the window; decide again from its new state.
    }
    throw new FoldContentionError(this.#maxAttempts);
  }

  markDelivered(eventId: string, channel: string): Promise<void> {
    return this.#store.markDelivered(eventId, channel);
  }

  /** Closed windows whose folded alerts no later alert has reported yet. */
  async dueSummaries(limit = 100): Promise<FoldSummary[]> {
    const now = this.#clock();
    const summaries: FoldSummary[] = [];
    for (const { foldKey } of await this.#store.dueWindows(now, limit)) {
      // An index may lag (DynamoDB's GSI): re-read the window itself before anyone is told.
      const window = await this.#store.readWindow(foldKey);
      if (!window || window.folded === 0 || window.closesAt > now) continue;
      summaries.push({ foldKey, alert: window.sample, carried: { count: window.folded, since: window.firstFoldedAt ?? window.openedAt }, revision: window.revision, window });
    }
    return summaries;
  }

  /**
   * After a summary went out: zero its count. False if the window moved meanwhile (a new alert sent the
   * count itself, or another flush ran): the summary may then have been heard twice, never lost.
   */
  settleSummary(summary: FoldSummary): Promise<boolean> {
    const { window } = summary;
    return this.#store.replaceWindow(summary.foldKey, { ...window, folded: 0, firstFoldedAt: null, revision: window.revision + 1 }, window.revision);
  }
}

function admissionOf(alert: Alert, record: DeliveryRecord, duplicate: boolean): Admission {
  if (record.decision === 'fold') return { decision: 'fold', alert, duplicate };
  return { decision: 'send', alert, ...(record.carried ? { carried: record.carried } : {}), delivered: record.delivered, duplicate };
}

/** The daemon's FoldStore: one process, so a map is the whole truth. Records are kept for `retentionMs`. */
export class MemoryFoldStore implements FoldStore {
  readonly #events = new Map<string, DeliveryRecord & { readonly at: number }>();
  readonly #windows = new Map<string, FoldWindow>();
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly retentionMs = 24 * 3_600_000,
  ) {}

  async readEvent(eventId: string): Promise<DeliveryRecord | undefined> {
    const record = this.#events.get(eventId);
    return record ? { decision: record.decision, ...(record.carried ? { carried: record.carried } : {}), delivered: [...record.delivered] } : undefined;
  }

  async readWindow(foldKey: string): Promise<FoldWindow | undefined> {
    return this.#windows.get(foldKey);
  }

  async commit(eventId: string, record: DeliveryRecord, foldKey: string, next: FoldWindow, expectedRevision: number | undefined): Promise<CommitResult> {
    if (this.#events.has(eventId)) return 'duplicate';
    if (this.#windows.get(foldKey)?.revision !== expectedRevision) return 'conflict';
    this.#prune();
    this.#events.set(eventId, { ...record, delivered: [...record.delivered], at: this.clock() });
    this.#windows.set(foldKey, next);
    return 'committed';
  }

  async markDelivered(eventId: string, channel: string): Promise<void> {
    const record = this.#events.get(eventId);
    if (record && !record.delivered.includes(channel)) this.#events.set(eventId, { ...record, delivered: [...record.delivered, channel] });
  }

  async dueWindows(now: number, limit: number): Promise<Array<{ foldKey: string; window: FoldWindow }>> {
    return [...this.#windows]
      .filter(([, w]) => w.folded > 0 && w.closesAt <= now)
      .sort(([, a], [, b]) => a.closesAt - b.closesAt)
      .slice(0, limit)
      .map(([foldKey, window]) => ({ foldKey, window }));
  }

  async replaceWindow(foldKey: string, next: FoldWindow, expectedRevision: number): Promise<boolean> {
    if (this.#windows.get(foldKey)?.revision !== expectedRevision) return false;
    this.#windows.set(foldKey, next);
    return true;
  }

  /** Forget delivery records older than the retention, and empty windows long closed (bounded memory). */
  #prune(): void {
    const now = this.clock();
    if (now - this.#prunedAt < 60_000) return; // a sweep at most once a minute: commits stay O(1)
    this.#prunedAt = now;
    const horizon = now - this.retentionMs;
    for (const [id, record] of this.#events) if (record.at < horizon) this.#events.delete(id);
    for (const [key, window] of this.#windows) if (window.folded === 0 && window.closesAt < horizon) this.#windows.delete(key);
  }
}
