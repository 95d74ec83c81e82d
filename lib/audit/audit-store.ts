/**
 * The AuditStore port: audit entries by (stream, seq). One SQLite adapter (lib/store/audit-sqlite.ts), one
 * DynamoDB adapter (lib/store/audit-dynamodb.ts); both pass test/contract/audit-store.contract.ts.
 *
 * Invariants:
 * - Append-only: `append` is create-only on (stream, seq) and never overwrites; the port has no update
 *   and no delete. A lost race (the seq exists) answers false and writes nothing.
 * - Reads never throw on a damaged entry: it comes back as an item with its `problem`, so that
 *   `sigil audit verify` can name it (the key, stream and seq, is always known).
 * - Writers only touch their own stream's head: no global counter, no cross-stream condition.
 */
import type { AuditEntry, StoredAuditItem } from './audit-entry.js';

export interface AuditStreamsPage {
  /** Stream names of this page (distinct within the page; a later page may repeat one on DynamoDB). */
  readonly streams: readonly string[];
  /** Pass back to get the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface AuditStore {
  /** The stream's entry with the highest seq, or undefined for a stream with no entry. */
  head(stream: string): Promise<StoredAuditItem | undefined>;
  /** Create-only write of entry (stream, seq): true when written, false when that seq already exists. */
  append(entry: AuditEntry): Promise<boolean>;
  /** Entries of one stream in seq order, from `fromSeq` (default: every stored seq, even a damaged one below 1), at most `limit` (default 500). */
  entries(stream: string, options?: { readonly fromSeq?: number; readonly limit?: number }): Promise<StoredAuditItem[]>;
  /** Every stream that holds at least one entry, page by page. */
  streams(options?: { readonly cursor?: string; readonly limit?: number }): Promise<AuditStreamsPage>;
  /** The most recent entries of all streams, newest first (by `at`). */
  recent(limit: number): Promise<StoredAuditItem[]>;
  close(): Promise<void>;
}

export const DEFAULT_ENTRIES_PAGE = 500;
export const MAX_ENTRIES_PAGE = 1000;
