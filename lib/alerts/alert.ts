/**
 * What a person is told about one Sigil event (issue 7 §3): a severity, a one-line summary, the ids to look
 * up, and a fold key — the identity of "the same alert", so a storm of 500 failures for one reason is one
 * message with a count, while a different reason, rule or chain is heard at once.
 *
 * Invariant: an alert carries no secret. Only the fields named in ALERT_FIELDS are ever copied from a
 * detail (a field named `mnemonic` or anything unforeseen is dropped, not passed on), and free text
 * (`reason`) is cut to one line, shortened, and scrubbed of anything shaped like a key or a mnemonic.
 */
import type { DetailType, EventDetail, SigilEvent } from '../events/catalogue.js';

/** The detail types that alert (issue 7 §3), plus `Wallet Removed`, which alerted before the alert function existed. */
export const ALERT_DETAIL_TYPES = [
  'Transaction Failed',
  'Transaction Rejected',
  'Double Spend Prevented',
  'Unusual Activity',
  'Secret Exported',
  'Integrity Check Failed',
  'Wallet Removed',
] as const satisfies readonly DetailType[];

export type AlertDetailType = (typeof ALERT_DETAIL_TYPES)[number];

export function isAlertDetailType(type: string): type is AlertDetailType {
  return (ALERT_DETAIL_TYPES as readonly string[]).includes(type);
}

export type Severity = 'critical' | 'high' | 'medium';

/**
 * Why each severity:
 * - critical: something that must not happen happened or was attempted — a second spend of one nonce or
 *   outpoint, stored data that fails its integrity check (tampering, or a swapped public record), a secret
 *   leaving custody. A person acts now.
 * - high: a payment the application asked for did not go out (failed, or blocked by a policy rule). Money
 *   is late, nothing is lost; someone must look today.
 * - medium: worth a look, not necessarily wrong (an unusual amount, a first-time destination; an
 *   operator removing a wallet, which needs the custodian's MFA anyway).
 */
export const SEVERITY: Readonly<Record<AlertDetailType, Severity>> = {
  'Double Spend Prevented': 'critical',
  'Integrity Check Failed': 'critical',
  'Secret Exported': 'critical',
  'Transaction Failed': 'high',
  'Transaction Rejected': 'high',
  'Unusual Activity': 'medium',
  'Wallet Removed': 'medium',
};

/** Detail fields an alert may show, in display order. Ids first (what to look up), then context. */
const ID_FIELDS = ['pendingId', 'otherPendingId', 'signatureId', 'wallet', 'hash', 'txId', 'spendKey', 'rule'] as const;
const CONTEXT_FIELDS = ['chain', 'network', 'kind', 'action', 'code', 'scope', 'index', 'reason'] as const;
export const ALERT_FIELDS: readonly string[] = [...ID_FIELDS, ...CONTEXT_FIELDS];

export interface Alert {
  readonly detailType: AlertDetailType;
  readonly severity: Severity;
  /** One line, no secret. */
  readonly summary: string;
  /** The ids to look up (ledger, wallet store, chain explorer), in ID_FIELDS order. */
  readonly ids: Readonly<Record<string, string>>;
  /** The allow-listed detail fields (ids and context), values scrubbed. */
  readonly fields: Readonly<Record<string, string | number | boolean>>;
  /** Same key = the same alert for storm folding. Never a per-transaction id. */
  readonly foldKey: string;
  /** ISO 8601: when the event happened. */
  readonly time: string;
}

const REASON_MAX = 160;
const VALUE_MAX = 200;

/** Shapes of secrets that must never be echoed, even inside an error message: extended private keys,
 * WIF private keys, and runs of 12 or more short lower-case words (a BIP39 mnemonic). */
const SECRET_SHAPES: readonly RegExp[] = [
  /\b[xyzuvt]prv[1-9A-HJ-NP-Za-km-z]{20,}/g,
  /\b[5KLc9][1-9A-HJ-NP-Za-km-z]{50,51}\b/g,
  /\b(?:[a-z]{3,8}[\s,]+){11,}[a-z]{3,8}\b/g,
];

/** One line, scrubbed of secret shapes and control characters, at most `max` characters. */
export function scrubText(text: string, max: number): string {
  let out = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  for (const shape of SECRET_SHAPES) out = out.replace(shape, '[redacted]');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/**
 * The class of a free-text reason: what stays the same when the same failure hits another transaction —
 * numbers, hex strings, addresses and quoted values are replaced by `#`, so "fee 1234 above cap 1000 for
 * 0xabc…" and "fee 99 above cap 1000 for 0xdef…" fold together.
 */
export function reasonClass(reason: string): string {
  return scrubText(reason, 400)
    .replace(/"[^"]*"|'[^']*'/g, '#')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '#')
    .replace(/\b0x[0-9a-fA-F]+\b/g, '#')
    .replace(/\b[1-9A-HJ-NP-Za-km-z]{25,}\b/g, '#')
    .replace(/\b[0-9a-fA-F]{12,}\b/g, '#')
    .replace(/\d+(\.\d+)?/g, '#')
    .slice(0, 120);
}

function text(value: EventDetail[string] | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

function foldKeyOf(type: AlertDetailType, d: EventDetail): string {
  const part = (name: string) => text(d[name]) ?? '-';
  const reason = () => reasonClass(text(d.reason) ?? '');
  switch (type) {
    case 'Transaction Failed':
      return [type, part('chain'), reason()].join('|');
    case 'Transaction Rejected':
      // A named rule is the reason's identity; without one, the reason's class is.
      return [type, part('chain'), d.rule !== undefined ? `rule:${part('rule')}` : reason()].join('|');
    case 'Double Spend Prevented':
      // One chain's conflicting spends are one incident: the first is heard at once, the rest counted.
      return [type, part('chain')].join('|');
    case 'Unusual Activity':
      return [type, part('chain'), part('wallet'), d.kind !== undefined ? part('kind') : reason()].join('|');
    case 'Secret Exported':
      // A backup of 200 wallets is one export; a getprivatekey is another kind of export.
      return [type, part('network'), part('action')].join('|');
    case 'Integrity Check Failed':
      return [type, part('network'), part('scope'), d.code !== undefined ? part('code') : reason()].join('|');
    case 'Wallet Removed':
      return [type, part('network')].join('|');
  }
}

function headline(type: AlertDetailType, f: Readonly<Record<string, string | number | boolean>>): string {
  const on = f.chain !== undefined ? ` on ${f.chain}` : f.network !== undefined ? ` on ${f.network}` : '';
  const pending = f.pendingId !== undefined ? ` pending ${f.pendingId}` : '';
  const wallet = f.signatureId !== undefined ? ` wallet ${f.signatureId}` : f.wallet !== undefined ? ` wallet ${f.wallet}` : '';
  switch (type) {
    case 'Double Spend Prevented':
      return `${type}${on}:${pending} spends ${f.spendKey ?? '?'} already claimed by ${f.otherPendingId ?? '?'}`;
    case 'Secret Exported':
      return `${type}${on}:${wallet} (${f.action ?? 'export'}${f.index !== undefined ? ` index ${f.index}` : ''})`;
    case 'Integrity Check Failed':
      return `${type}${on}:${pending}${wallet}${f.code !== undefined ? ` ${f.code}` : ''}${f.reason !== undefined ? ` — ${f.reason}` : ''}`;
    case 'Transaction Rejected':
      return `${type}${on}:${pending}${f.rule !== undefined ? ` by rule ${f.rule}` : ''}${f.reason !== undefined ? ` — ${f.reason}` : ''}`;
    case 'Unusual Activity':
      return `${type}${on}:${wallet}${pending}${f.kind !== undefined ? ` ${f.kind}` : ''}${f.reason !== undefined ? ` — ${f.reason}` : ''}`;
    case 'Transaction Failed':
      return `${type}${on}:${pending}${f.reason !== undefined ? ` — ${f.reason}` : ''}`;
    case 'Wallet Removed':
      return `${type}${on}:${wallet}${f.kind !== undefined ? ` (${f.kind})` : ''}`;
  }
}

/** The alert of a Sigil event of an alert detail type. */
export function alertOf(event: SigilEvent & { readonly detailType: AlertDetailType }): Alert {
  const fields: Record<string, string | number | boolean> = {};
  const ids: Record<string, string> = {};
  for (const name of ALERT_FIELDS) {
    const value = event.detail[name];
    if (value === undefined || value === null) continue;
    const shown = typeof value === 'number' || typeof value === 'boolean' ? value : scrubText(text(value)!, name === 'reason' ? REASON_MAX : VALUE_MAX);
    fields[name] = shown;
    if ((ID_FIELDS as readonly string[]).includes(name)) ids[name] = String(shown);
  }
  const severity = SEVERITY[event.detailType];
  return {
    detailType: event.detailType,
    severity,
    summary: scrubText(`[${severity.toUpperCase()}] ${headline(event.detailType, fields)}`, 300),
    ids,
    fields,
    foldKey: foldKeyOf(event.detailType, event.detail),
    time: event.time,
  };
}
