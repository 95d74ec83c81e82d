/**
 * Unusual-activity detection (issue 7, Build 2; docs/policy.md §Unusual activity): given the `unusual:`
 * section, a transaction and its wallets' history, the findings an `Unusual Activity` event reports.
 * Detection never changes a policy decision. Pure: the clock, the history (WalletActivity.since, fetched
 * once per wallet over historyWindowMs) and the first-time destinations (WalletActivity.record or
 * hasSentTo) come from the caller.
 *
 * Findings are per wallet of the transaction. Amounts are the sum of the outputs' native value in base
 * units, as the rules' `amount` (tokens are not counted), compared exactly: no float ever touches them.
 */
import type { ActivityEntry } from '../store/wallet-activity.js';
import type { VelocityTotals } from './evaluate.js';
import { withinHours } from './evaluate.js';
import type { UnusualConfig } from './policy.js';
import { destinationsOf, type PolicyInput } from './policy-input.js';
import { canonicalDestination, compareToDecimal, formatUnits, nativeDecimals } from './units.js';

interface FindingBase {
  readonly wallet: string;
  /** One line for people: what was seen and the threshold it crossed. */
  readonly reason: string;
}

/** Amounts are decimal strings of base units (wei, satoshi), so findings serialise to JSON as they are. */
export type UnusualFinding =
  | (FindingBase & {
      readonly kind: 'amount';
      readonly chain: string;
      readonly amount: string;
      readonly basis: 'fixed';
      /** The fixed threshold in native units, as written in the policy file. */
      readonly threshold: string;
    })
  | (FindingBase & {
      readonly kind: 'amount';
      readonly chain: string;
      readonly amount: string;
      readonly basis: 'percentile';
      readonly percentile: number;
      /** The percentile of the wallet's amounts, in base units. */
      readonly usual: string;
      readonly factor: string;
      readonly samples: number;
      readonly windowMs: number;
    })
  | (FindingBase & { readonly kind: 'burst'; readonly count: number; readonly maxCount: number; readonly windowMs: number })
  | (FindingBase & { readonly kind: 'first-time-destination'; readonly destinations: readonly string[] })
  | (FindingBase & { readonly kind: 'outside-hours'; readonly localTime: string; readonly hours: string });

export type UnusualKind = UnusualFinding['kind'];

export interface UnusualFacts {
  /** Entries of the transaction's wallets over at least historyWindowMs(config) before `now` (more is fine). */
  readonly history: readonly ActivityEntry[];
  /** Destinations none of the wallets sent to before this transaction (canonical or not: canonicalised here). */
  readonly firstTimeDestinations: readonly string[];
  readonly now: Date;
  /** The transaction itself, if the history already holds it (a re-check after record). */
  readonly excludePendingId?: string;
}

/** How far back detectUnusual reads history: the longest window it uses, or 0 when it needs none. */
export function historyWindowMs(config: UnusualConfig | undefined): number {
  return Math.max(0, config?.amount?.usual?.windowMs ?? 0, config?.burst?.windowMs ?? 0);
}

/**
 * Count and sum (base units) of `entries` with at > sinceMs (all when absent) and, when given, of `chain`,
 * as evaluatePolicy's velocity lookup returns them.
 */
export function velocityTotals(entries: readonly ActivityEntry[], options: { readonly sinceMs?: number; readonly chain?: string } = {}): VelocityTotals {
  let count = 0;
  let sum = 0n;
  for (const entry of entries) {
    if (options.sinceMs !== undefined && !(entry.at > options.sinceMs)) continue;
    if (options.chain !== undefined && entry.chain !== options.chain) continue;
    count++;
    sum += BigInt(entry.amount);
  }
  return { count, sum };
}

/** The nearest-rank percentile: the smallest value with at least p % of the values ≤ it. `values` non-empty. */
export function nearestRank(values: readonly bigint[], percentile: number): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // rank = ⌈p·n / 100⌉ in integers (p and n are integers), at least 1.
  const rank = Math.max(1, Math.ceil((percentile * sorted.length) / 100));
  return sorted[rank - 1] as bigint;
}

/** Every unusual thing about `input` under `config`; empty when the section is absent. */
export function detectUnusual(config: UnusualConfig | undefined, input: PolicyInput, facts: UnusualFacts): UnusualFinding[] {
  if (!config) return [];
  const wallets = [...new Set(input.wallets.map((w) => w.toLowerCase()))];
  const now = facts.now.getTime();
  const findings: UnusualFinding[] = [];
  const amount = input.outputs.reduce((sum, o) => sum + o.amount, 0n);
  const newDestinations = config.firstTimeDestination === true ? firstTime(input, facts.firstTimeDestinations) : [];
  const outside = config.hours && !withinHours(config.hours, facts.now) ? localClock(config.hours.timezone, facts.now) : undefined;
  for (const wallet of wallets) {
    const own = facts.history.filter((e) => e.wallet.toLowerCase() === wallet && e.pendingId !== facts.excludePendingId);
    const found: UnusualFinding[] = [];
    if (config.amount) {
      const finding = amountFinding(config.amount, input, amount, own, now);
      if (finding) found.push(finding);
    }
    if (config.burst) {
      const { windowMs, maxCount, window } = config.burst;
      const count = velocityTotals(own, { sinceMs: now - windowMs }).count + 1;
      if (count > maxCount) found.push({ kind: 'burst', reason: `${count} signings in ${window} (this one included), more than ${maxCount}`, count, maxCount, windowMs, wallet });
    }
    if (newDestinations.length > 0) {
      found.push({ kind: 'first-time-destination', reason: `first payment to ${listed(newDestinations)}`, destinations: newDestinations, wallet });
    }
    if (outside !== undefined && config.hours) {
      found.push({ kind: 'outside-hours', reason: `signed at ${outside} ${config.hours.timezone}, outside ${config.hours.text}`, localTime: outside, hours: config.hours.text, wallet });
    }
    for (const finding of found) findings.push({ ...finding, wallet, reason: oneLine(`wallet ${wallet}: ${finding.reason}`) });
  }
  return findings;
}

/** The fixed threshold first (the operator's own number), then the percentile one. */
function amountFinding(rule: NonNullable<UnusualConfig['amount']>, input: PolicyInput, amount: bigint, own: readonly ActivityEntry[], now: number): UnusualFinding | undefined {
  const decimals = nativeDecimals(input.chain, input.family);
  const shown = `${formatUnits(amount, decimals)} ${input.chain}`;
  const fixed = rule.fixed?.get(input.chain);
  if (fixed && compareToDecimal(amount, decimals, fixed) > 0) {
    return { kind: 'amount', basis: 'fixed', chain: input.chain, amount: amount.toString(), threshold: fixed.text, wallet: '', reason: `amount ${shown} above the fixed threshold ${fixed.text} ${input.chain}` };
  }
  const usual = rule.usual;
  if (!usual) return undefined;
  const samples = own.filter((e) => e.chain === input.chain && e.at > now - usual.windowMs).map((e) => BigInt(e.amount));
  if (samples.length === 0 || samples.length < usual.minSamples) return undefined;
  const value = nearestRank(samples, usual.percentile);
  // amount > factor × value  ⟺  amount · 10^scale > digits · value, exactly.
  if (amount * 10n ** BigInt(usual.factor.scale) <= usual.factor.digits * value) return undefined;
  const times = usual.factor.text === '1' ? '' : `${usual.factor.text} × `;
  return {
    kind: 'amount',
    basis: 'percentile',
    chain: input.chain,
    amount: amount.toString(),
    percentile: usual.percentile,
    usual: value.toString(),
    factor: usual.factor.text,
    samples: samples.length,
    windowMs: usual.windowMs,
    wallet: '',
    reason: `amount ${shown} above ${times}the ${ordinal(usual.percentile)} percentile ${formatUnits(value, decimals)} ${input.chain} of ${samples.length} signings in ${usual.window}`,
  };
}

function firstTime(input: PolicyInput, reported: readonly string[]): string[] {
  const fresh = new Set(reported.map(canonicalDestination));
  return destinationsOf(input).filter((d) => fresh.has(d));
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** "HH:MM" of `now` in `timezone`. */
function localClock(timezone: string, now: Date): string {
  let format = clocks.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    clocks.set(timezone, format);
  }
  const parts = format.formatToParts(now);
  return `${parts.find((p) => p.type === 'hour')?.value ?? '??'}:${parts.find((p) => p.type === 'minute')?.value ?? '??'}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function listed(items: readonly string[]): string {
  const head = items.slice(0, 3).join(', ');
  return items.length > 3 ? `${head} and ${items.length - 3} more` : head;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 500 ? `${flat.slice(0, 499)}…` : flat;
}
