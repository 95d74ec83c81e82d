/**
 * `sigil audit verify` (docs/audit.md §Verify): walk every stream in seq order and prove each link.
 *
 * Checks per entry, in this order (the first failure is the entry's reason):
 *   missing    a seq is absent (entries deleted; a stream whose seq 1 is gone counts too)
 *   corrupt    the stored entry does not parse (a field changed into something malformed)
 *   link       prevHash is not the previous entry's hash (deleted, reordered or replaced entries)
 *   hash       the entry does not hash to its stored hash (an edited field)
 *   key        the entry names another MAC key than the verifier's (a forger's own key)
 *   mac        the MAC does not verify (rewritten with a recomputed hash by someone without the key)
 *
 * What a hash chain cannot show by itself: the loss of a stream's LAST entries, or of a whole stream. The
 * docs say how PITR and the stack's retention cover that.
 *
 * MACs of a page are checked concurrently (a KMS call each on AWS); the first broken entry is still the
 * first in seq order.
 */
import { hashOfEntry, macMessageOf, GENESIS_HASH, type AuditEntry, type StoredAuditItem } from './audit-entry.js';
import type { AuditMac } from './audit-mac.js';
import { DEFAULT_ENTRIES_PAGE, type AuditStore } from './audit-store.js';

export type AuditBreak = 'missing' | 'corrupt' | 'link' | 'hash' | 'key' | 'mac';

export interface BrokenAuditEntry {
  readonly stream: string;
  readonly seq: number;
  readonly kind: AuditBreak;
  /** One line for people. */
  readonly reason: string;
}

export interface AuditVerifyResult {
  readonly streams: number;
  /** Entries proved intact. */
  readonly entries: number;
  readonly ok: boolean;
  /** The first broken entry (streams in name order, entries in seq order). */
  readonly firstBroken?: BrokenAuditEntry;
  /** How many streams are broken (each is checked up to its first broken entry). */
  readonly brokenStreams: number;
}

export interface VerifyAuditOptions {
  /** Only this stream (`wallet#<id>` or `tx#<id>`). */
  readonly stream?: string;
  /** MAC verifications in flight at once (default 8). */
  readonly concurrency?: number;
  readonly onStream?: (stream: string, done: number, total: number) => void;
}

async function allStreams(store: AuditStore): Promise<string[]> {
  const names = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.streams(cursor ? { cursor } : {});
    for (const name of page.streams) names.add(name);
    cursor = page.cursor;
  } while (cursor);
  return [...names].sort();
}

/** Indexes of entries whose MAC fails, checked `concurrency` at a time. */
async function macFailures(mac: AuditMac, entries: readonly AuditEntry[], concurrency: number): Promise<Set<number>> {
  const failed = new Set<number>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i]!;
      if (!(await mac.verify(macMessageOf(entry.hash), Buffer.from(entry.mac, 'hex')))) failed.add(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, entries.length)) }, worker));
  return failed;
}

/** The first structural break in a page, given the seq and hash the page must continue from. */
function structuralBreak(items: readonly StoredAuditItem[], mac: AuditMac, expectedSeq: number, prevHash: string): { index: number; broken: BrokenAuditEntry } | undefined {
  for (const [index, item] of items.entries()) {
    const seq = expectedSeq + index;
    const at = (kind: AuditBreak, reason: string, where = item.seq) => ({ index, broken: { stream: item.stream, seq: where, kind, reason } });
    if (item.seq < seq) return at('corrupt', `an entry with seq ${item.seq} is stored before entry ${seq}: seq was altered`, seq);
    if (item.seq !== seq) return at('missing', `entry ${seq} is missing (the next stored entry is ${item.seq}): entries were deleted`, seq);
    if (!item.entry) return at('corrupt', `entry ${seq} is damaged: ${item.problem}`);
    const entry = item.entry;
    const expectedPrev = index === 0 ? prevHash : items[index - 1]!.entry!.hash;
    if (entry.prevHash !== expectedPrev) return at('link', `entry ${seq} does not link to entry ${seq - 1} (prevHash differs): entries were deleted, reordered or replaced`);
    if (hashOfEntry(entry) !== entry.hash) return at('hash', `entry ${seq} does not match its hash: it was edited`);
    if (entry.macKeyId !== mac.keyId) return at('key', `entry ${seq} names MAC key ${entry.macKeyId.slice(0, 80)}, not the audit key ${mac.keyId}`);
  }
  return undefined;
}

/** Verify one stream; returns the entries proved and the first break. */
async function verifyStream(store: AuditStore, mac: AuditMac, stream: string, concurrency: number): Promise<{ entries: number; broken?: BrokenAuditEntry }> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    // The first page reads from below 1: an entry whose seq was changed to 0 or less must not hide.
    const items = await store.entries(stream, { ...(expectedSeq > 1 ? { fromSeq: expectedSeq } : {}), limit: DEFAULT_ENTRIES_PAGE });
    // A stream with no entry at all (a named stream never written) is empty, not broken.
    if (items.length === 0) return { entries: expectedSeq - 1 };
    const structural = structuralBreak(items, mac, expectedSeq, prevHash);
    const sound = items.slice(0, structural?.index ?? items.length).map((item) => item.entry!);
    const failed = await macFailures(mac, sound, concurrency);
    const firstMac = failed.size > 0 ? Math.min(...failed) : undefined;
    if (firstMac !== undefined) {
      const seq = sound[firstMac]!.seq;
      return { entries: seq - 1, broken: { stream, seq, kind: 'mac', reason: `entry ${seq} has no valid MAC: it was rewritten by someone without the audit key` } };
    }
    if (structural) return { entries: structural.broken.seq - 1, broken: structural.broken };
    expectedSeq += items.length;
    prevHash = sound[sound.length - 1]!.hash;
    if (items.length < DEFAULT_ENTRIES_PAGE) return { entries: expectedSeq - 1 };
  }
}

/** Prove every chain (or one); an empty or missing store is intact. */
export async function verifyAuditTrail(store: AuditStore, mac: AuditMac, options: VerifyAuditOptions = {}): Promise<AuditVerifyResult> {
  const streams = options.stream !== undefined ? [options.stream] : await allStreams(store);
  let entries = 0;
  let brokenStreams = 0;
  let firstBroken: BrokenAuditEntry | undefined;
  for (const [i, stream] of streams.entries()) {
    const result = await verifyStream(store, mac, stream, options.concurrency ?? 8);
    entries += result.entries;
    if (result.broken) {
      brokenStreams++;
      firstBroken ??= result.broken;
    }
    options.onStream?.(stream, i + 1, streams.length);
  }
  return { streams: streams.length, entries, ok: brokenStreams === 0, ...(firstBroken ? { firstBroken } : {}), brokenStreams };
}
