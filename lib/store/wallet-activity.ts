/**
 * The wallet-activity history: one entry per approved transaction per signing wallet, which velocity
 * (lib/policy/evaluate.ts) and unusual-activity detection (lib/policy/unusual.ts) read. Two adapters
 * (SQLite, DynamoDB) pass one contract suite (test/contract/wallet-activity.contract.ts).
 *
 * Invariants every adapter keeps:
 * - `record` is idempotent on (wallet, pendingId): the first entry stored for a pair is kept; a repeat with
 *   the same content (its `at` may differ: an approve step retried after a crash) changes nothing and returns
 *   the same first-time destinations; a repeat with another chain, amount or destinations is a CONFLICT.
 * - A destination is first-time for the entry that first recorded it under that wallet, and for no other
 *   entry, even when records race (the marker write is conditional).
 * - `since` returns newest first in one total order: `at` descending, then pendingId descending.
 * - Entries expire after ACTIVITY_RETENTION_MS (longer than any window a policy may name); destination
 *   markers never do, so "first time" means first time ever.
 */
import { InvalidInputError } from '../errors.js';

export interface ActivityEntry {
  /** The signing wallet's signatureId (UUID; stored lowercase). */
  readonly wallet: string;
  /** Tatum's pending-transaction id (24 lowercase hex). */
  readonly pendingId: string;
  readonly chain: string;
  /** Epoch ms of the approval. */
  readonly at: number;
  /** Native value in base units, as a decimal string. */
  readonly amount: string;
  /** Canonical destinations (lib/policy/units.ts canonicalDestination), deduplicated in order. */
  readonly destinations: readonly string[];
}

export interface ActivitySinceOptions {
  /** At most this many entries (default and maximum DEFAULT_SINCE_LIMIT). */
  readonly limit?: number;
  readonly excludePendingId?: string;
}

export interface WalletActivity {
  /** Idempotent on (wallet, pendingId). Returns the destinations this wallet never sent to before (first-time). */
  record(entry: ActivityEntry): Promise<{ readonly firstTimeDestinations: readonly string[] }>;
  /** Entries of `wallet` with at > sinceMs (at most `limit`, newest first), excluding `excludePendingId`. */
  since(wallet: string, sinceMs: number, options?: ActivitySinceOptions): Promise<ActivityEntry[]>;
  /** Whether `wallet` ever had an entry to `destination` (other than excludePendingId). */
  hasSentTo(wallet: string, destination: string, options?: { readonly excludePendingId?: string }): Promise<boolean>;
  close(): Promise<void>;
}

/** 400 days: longer than the longest window a policy may name (366 d), so every window sees all its entries. */
export const ACTIVITY_RETENTION_MS = 400 * 86_400_000;
/** Reads are bounded: `since` never returns (or pages through) more than this. */
export const DEFAULT_SINCE_LIMIT = 10_000;
export const ACTIVITY_SCHEMA_VERSION = 1;

const WALLET = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const PENDING_ID = /^[0-9a-f]{24}$/;
const CHAIN = /^[A-Z][A-Z0-9_]{1,15}$/;
const AMOUNT = /^(0|[1-9][0-9]{0,77})$/;
/** Printable ASCII without spaces: addresses, `script:<hex>`, `contract-creation`. */
const DESTINATION = /^[\x21-\x7e]{1,4096}$/;
const MAX_DESTINATIONS = 10_000;
/** Keeps one entry well inside DynamoDB's 400 KB item limit. */
const MAX_DESTINATION_CHARS = 256 * 1024;
/** Epoch ms fit 16 digits until the year 318857. */
const TIME_DIGITS = 16;

/** The wallet as stored: a UUID, lowercase. Throws InvalidInputError otherwise. */
export function checkWallet(wallet: unknown): string {
  if (typeof wallet !== 'string' || !WALLET.test(wallet)) throw new InvalidInputError('wallet activity: wallet must be a signatureId (UUID)', { field: 'wallet' });
  return wallet.toLowerCase();
}

export function checkPendingId(pendingId: unknown, field = 'pendingId'): string {
  if (typeof pendingId !== 'string' || !PENDING_ID.test(pendingId)) throw new InvalidInputError(`wallet activity: ${field} must be 24 lowercase hex characters`, { field });
  return pendingId;
}

export function checkDestination(destination: unknown): string {
  if (typeof destination !== 'string' || !DESTINATION.test(destination)) {
    throw new InvalidInputError('wallet activity: a destination must be 1-4096 printable characters without spaces', { field: 'destination' });
  }
  return destination;
}

/** Validate an entry at the port's boundary; returns it normalised (wallet lowercase, destinations deduplicated). */
export function checkActivityEntry(entry: ActivityEntry): ActivityEntry {
  if (entry === null || typeof entry !== 'object') throw new InvalidInputError('wallet activity: expected an entry object', {});
  const wallet = checkWallet(entry.wallet);
  const pendingId = checkPendingId(entry.pendingId);
  if (typeof entry.chain !== 'string' || !CHAIN.test(entry.chain)) throw new InvalidInputError('wallet activity: chain must be a chain code like "ETH"', { field: 'chain', pendingId });
  if (!Number.isSafeInteger(entry.at) || entry.at < 0) throw new InvalidInputError('wallet activity: at must be epoch milliseconds (a non-negative safe integer)', { field: 'at', pendingId });
  if (typeof entry.amount !== 'string' || !AMOUNT.test(entry.amount)) {
    throw new InvalidInputError('wallet activity: amount must be base units as a decimal string without sign or leading zeros', { field: 'amount', pendingId });
  }
  if (!Array.isArray(entry.destinations) || entry.destinations.length > MAX_DESTINATIONS) {
    throw new InvalidInputError(`wallet activity: destinations must be a list of at most ${MAX_DESTINATIONS}`, { field: 'destinations', pendingId });
  }
  const destinations = [...new Set(entry.destinations.map(checkDestination))];
  if (destinations.reduce((n, d) => n + d.length, 0) > MAX_DESTINATION_CHARS) {
    throw new InvalidInputError(`wallet activity: destinations exceed ${MAX_DESTINATION_CHARS} characters in all`, { field: 'destinations', pendingId });
  }
  return { wallet, pendingId, chain: entry.chain, at: entry.at, amount: entry.amount, destinations };
}

/** Validated `since` arguments: sinceMs as an integer (anything before 0 is "everything"), limit in [1, max]. */
export function checkSinceArguments(wallet: string, sinceMs: number, options: ActivitySinceOptions = {}): { wallet: string; sinceMs: number; limit: number; exclude?: string } {
  const id = checkWallet(wallet);
  if (typeof sinceMs !== 'number' || Number.isNaN(sinceMs)) throw new InvalidInputError('wallet activity: sinceMs must be a number', { field: 'sinceMs' });
  const limit = options.limit ?? DEFAULT_SINCE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > DEFAULT_SINCE_LIMIT) {
    throw new InvalidInputError(`wallet activity: limit must be an integer from 1 to ${DEFAULT_SINCE_LIMIT}`, { field: 'limit' });
  }
  const exclude = options.excludePendingId === undefined ? undefined : checkPendingId(options.excludePendingId, 'excludePendingId');
  const floor = Math.floor(Math.min(Math.max(sinceMs, -1), Number.MAX_SAFE_INTEGER));
  return { wallet: id, sinceMs: floor, limit, ...(exclude !== undefined ? { exclude } : {}) };
}

/** `<at, 16 digits>#<pendingId>`: sorts as (at, pendingId), the total order of `since`. */
export function timeKey(at: number, pendingId: string): string {
  return `${String(at).padStart(TIME_DIGITS, '0')}#${pendingId}`;
}

/** The smallest key above every timeKey with at ≤ sinceMs ('#z' sorts after '#' + any hex id). */
export function timeKeyAfter(sinceMs: number): string {
  return sinceMs < 0 ? '' : `${String(sinceMs).padStart(TIME_DIGITS, '0')}#z`;
}

/** Whether two entries for one (wallet, pendingId) describe the same transaction (`at` may differ on a retry). */
export function sameTransaction(a: ActivityEntry, b: ActivityEntry): boolean {
  return a.chain === b.chain && a.amount === b.amount && a.destinations.length === b.destinations.length && a.destinations.every((d, i) => d === b.destinations[i]);
}
