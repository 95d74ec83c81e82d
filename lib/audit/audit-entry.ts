/**
 * The audit entry (docs/audit.md §Entry): one link of a per-stream hash chain.
 *
 *   hash = sha256( canonicalJson({v: 1, stream, seq, prevHash, at, action, actor, detail}) )   (RFC 8785 subset)
 *   mac  = MAC(key, "sigil-audit-v1:" ‖ hash)                                                 (HMAC-SHA-256)
 *
 * `prevHash` is the hash of entry seq − 1 of the same stream, 64 zeros for seq 1. Editing an entry breaks its
 * hash; deleting or reordering entries breaks a seq or prevHash link; recomputing the hashes of a rewritten
 * tail needs a MAC per entry, which only a holder of the key can make.
 *
 * Stored entries are parsed strictly here for both adapters: every field checked, the detail text required
 * to be in canonical form and `day` to be the date of `at`, so that any byte changed in a stored entry is
 * either refused here or caught by the hash, the link or the MAC.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type CanonicalValue } from '../custody/canonical-json.js';

export const AUDIT_ACTIONS = [
  'wallet.created',
  'wallet.removed',
  'secret.revealed',
  'tx.claimed',
  'tx.policy',
  'tx.approved',
  'tx.denied',
  'tx.rejected',
  'tx.signed',
  'tx.broadcast',
  'tx.settled',
  'tx.failed',
  'tx.replaced',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditStreamKind = 'wallet' | 'tx';
export type AuditDetailValue = string | number | boolean | null;
export type AuditDetail = Readonly<Record<string, AuditDetailValue>>;

export const AUDIT_FORMAT_VERSION = 1;
/** prevHash of every stream's first entry. */
export const GENESIS_HASH = '0'.repeat(64);
const MAC_PREFIX = 'sigil-audit-v1:';

export interface AuditEntry {
  /** `wallet#<signatureId>` or `tx#<pendingId>`. */
  readonly stream: string;
  /** 1, 2, … without gaps within a stream. */
  readonly seq: number;
  readonly prevHash: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly at: string;
  readonly action: AuditAction;
  readonly actor: string;
  readonly detail: AuditDetail;
  /** sha256 hex of the canonical entry (above). */
  readonly hash: string;
  /** hex MAC of the hash. */
  readonly mac: string;
  /** The MAC key that made `mac` (key ARN as configured, or `local:<fingerprint>`). */
  readonly macKeyId: string;
}

/** One stored entry as an adapter read it: parsed, or the reason it does not parse (its key is always known). */
export type StoredAuditItem =
  | { readonly stream: string; readonly seq: number; readonly entry: AuditEntry; readonly problem?: undefined }
  | { readonly stream: string; readonly seq: number; readonly entry?: undefined; readonly problem: string };

export const STREAM_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const STREAM = /^(wallet|tx)#[A-Za-z0-9._:-]{1,128}$/;
export const HASH_HEX = /^[0-9a-f]{64}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const ACTOR = /^[\x20-\x7e]{1,256}$/;
const MAC_KEY_ID = /^[\x21-\x7e]{1,2048}$/;
export const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const MAX_DETAIL_FIELDS = 32;
export const MAX_DETAIL_STRING = 1024;

export function streamOf(kind: AuditStreamKind, id: string): string {
  return `${kind}#${id}`;
}

/** The date part (UTC) of an entry's `at`: the partition of the tail index. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

type HashedFields = Omit<AuditEntry, 'hash' | 'mac' | 'macKeyId'>;

export function hashOfEntry(fields: HashedFields): string {
  const document: CanonicalValue = {
    v: AUDIT_FORMAT_VERSION,
    stream: fields.stream,
    seq: fields.seq,
    prevHash: fields.prevHash,
    at: fields.at,
    action: fields.action,
    actor: fields.actor,
    detail: fields.detail,
  };
  return createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex');
}

/** What the MAC covers: a domain prefix and the entry hash (hex), so the MAC can never stand for another message. */
export function macMessageOf(hash: string): Uint8Array {
  return new TextEncoder().encode(`${MAC_PREFIX}${hash}`);
}

export function detailText(detail: AuditDetail): string {
  return canonicalJson(detail as CanonicalValue);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Why a detail object is not storable, or undefined when it is (the shape only: the secret checks are the trail's). */
export function detailShapeProblem(detail: unknown): string | undefined {
  if (!isPlainObject(detail)) return 'detail must be a plain object';
  const keys = Object.keys(detail);
  if (keys.length > MAX_DETAIL_FIELDS) return `detail has ${keys.length} fields, at most ${MAX_DETAIL_FIELDS}`;
  for (const key of keys) {
    if (!DETAIL_KEY.test(key)) return `detail field names match ${DETAIL_KEY}; one of ${key.length} characters does not`;
    const value = detail[key];
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number' && Number.isSafeInteger(value)) continue;
    if (typeof value === 'string' && value.length <= MAX_DETAIL_STRING) continue;
    return `detail field ${key} must be a string of at most ${MAX_DETAIL_STRING} characters, a safe integer, a boolean or null`;
  }
  return undefined;
}

function isIsoMs(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_MS.test(value)) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
}

function parseDetail(text: unknown): AuditDetail | string {
  if (typeof text !== 'string') return 'detail is not text';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'detail is not JSON';
  }
  const problem = detailShapeProblem(parsed);
  if (problem) return problem;
  if (detailText(parsed as AuditDetail) !== text) return 'detail is not in canonical form';
  return parsed as AuditDetail;
}

/** The fields an adapter read, by name; `day` is the adapter's tail-index column, checked against `at`. */
export interface RawAuditFields {
  readonly prevHash: unknown;
  readonly at: unknown;
  readonly day: unknown;
  readonly action: unknown;
  readonly actor: unknown;
  readonly detail: unknown;
  readonly hash: unknown;
  readonly mac: unknown;
  readonly macKeyId: unknown;
}

/** Parse one stored entry whose key is (stream, seq). Never throws: a bad entry becomes an item with its problem. */
export function parseStoredAuditEntry(stream: string, seq: number, raw: RawAuditFields): StoredAuditItem {
  const bad = (problem: string): StoredAuditItem => ({ stream, seq, problem });
  if (!STREAM.test(stream)) return bad('stream key is malformed');
  if (!Number.isSafeInteger(seq) || seq < 1) return bad('seq is not a positive integer');
  if (typeof raw.prevHash !== 'string' || !HASH_HEX.test(raw.prevHash)) return bad('prevHash is not 64 lower-case hex');
  if (!isIsoMs(raw.at)) return bad('at is not an ISO 8601 UTC time with milliseconds');
  if (raw.day !== dayOf(raw.at)) return bad('day does not match at');
  if (typeof raw.action !== 'string' || !(AUDIT_ACTIONS as readonly string[]).includes(raw.action)) return bad('action is not an audit action');
  if (typeof raw.actor !== 'string' || !ACTOR.test(raw.actor)) return bad('actor is not 1-256 printable ASCII characters');
  const detail = parseDetail(raw.detail);
  if (typeof detail === 'string') return bad(detail);
  if (typeof raw.hash !== 'string' || !HASH_HEX.test(raw.hash)) return bad('hash is not 64 lower-case hex');
  if (typeof raw.mac !== 'string' || !HASH_HEX.test(raw.mac)) return bad('mac is not 64 lower-case hex');
  if (typeof raw.macKeyId !== 'string' || !MAC_KEY_ID.test(raw.macKeyId)) return bad('macKeyId is malformed');
  return {
    stream,
    seq,
    entry: {
      stream,
      seq,
      prevHash: raw.prevHash,
      at: raw.at,
      action: raw.action as AuditAction,
      actor: raw.actor,
      detail,
      hash: raw.hash,
      mac: raw.mac,
      macKeyId: raw.macKeyId,
    },
  };
}
