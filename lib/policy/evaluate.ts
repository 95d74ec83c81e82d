/**
 * Policy evaluation (docs/policy.md): rules in file order, first match wins, else the default. A rule
 * matches when every condition it states holds. Reading of a condition over a transaction with several
 * parts (wallets, destinations): in an ALLOW rule EVERY part must meet it, in a BLOCK or REQUIRE_APPROVAL
 * rule ONE part suffices — so a mixed transaction never slips into an ALLOW through its harmless part, nor
 * out of a BLOCK. A condition on a fact the transaction lacks (no fee known, no gas for UTXO, no ERC-20
 * transfer for tokenAmount) does not hold.
 *
 * Evaluation is pure: the clock and the ledger's velocity come in `context`.
 */
import type { Policy, PolicyAction, PolicyConditions, PolicyRule } from './policy.js';
import { destinationsOf, type PolicyInput } from './policy-input.js';
import { canonicalDestination, compareToDecimal, formatUnits, nativeDecimals, type DecimalAmount } from './units.js';

export interface VelocityTotals {
  /** Transactions the wallet signed in the window (not counting this one). */
  readonly count: number;
  /** Their native value in base units. */
  readonly sum: bigint;
}

export interface PolicyContext {
  readonly now: Date;
  /** Approvals of `wallet` in the `windowMs` before `now`, from the wallet-activity history. */
  readonly velocity: (wallet: string, windowMs: number) => VelocityTotals;
}

export interface PolicyDecision {
  readonly action: PolicyAction;
  /** The rule that matched, or null when the default applied. */
  readonly rule: string | null;
  /** One line: which rule and why, or that the default applied. */
  readonly reason: string;
}

/** Decide what may happen to `input` under `policy`. */
export function evaluatePolicy(policy: Policy, input: PolicyInput, context: PolicyContext): PolicyDecision {
  for (const rule of policy.rules) {
    const facts = matchRule(rule, input, context);
    if (facts !== null) {
      const why = facts.length > 0 ? `: ${facts.join('; ')}` : ' (no conditions)';
      return { action: rule.action, rule: rule.name, reason: oneLine(`rule "${rule.name}"${rule.line > 0 ? ` (line ${rule.line})` : ''} matched${why}`) };
    }
  }
  return { action: policy.default, rule: null, reason: `no rule matched; default ${policy.default}` };
}

/** Describe each condition that holds, or null as soon as one does not. */
function matchRule(rule: PolicyRule, input: PolicyInput, context: PolicyContext): string[] | null {
  const when = rule.when;
  const every = rule.action === 'ALLOW';
  const facts: string[] = [];
  const check = (fact: string | null): boolean => {
    if (fact === null) return false;
    facts.push(fact);
    return true;
  };
  const quantifier = <T>(items: readonly T[], test: (item: T) => boolean): T | undefined =>
    every ? (items.length > 0 && items.every(test) ? items[0] : undefined) : items.find(test);

  if (when.chain && !check(when.chain.includes(input.chain) ? `chain ${input.chain}` : null)) return null;
  if (when.network && !check(when.network.includes(input.network) ? `network ${input.network}` : null)) return null;
  const wallets = input.wallets.map((w) => w.toLowerCase());
  if (when.wallet) {
    const list = when.wallet;
    const hit = quantifier(wallets, (w) => list.includes(w));
    if (!check(hit !== undefined ? `wallet ${hit}` : null)) return null;
  }
  const destinations = destinationsOf(input);
  if (when.to?.allow) {
    const allow = when.to.allow;
    const hit = quantifier(destinations, (d) => allow.has(d));
    if (!check(hit !== undefined ? (every ? 'every destination on the allow list' : `destination ${hit} on the allow list`) : null)) return null;
  }
  if (when.to?.deny) {
    const deny = when.to.deny;
    const hit = destinations.find((d) => deny.has(d));
    if (!check(hit !== undefined ? `destination ${hit} on the deny list` : null)) return null;
  }
  const total = input.outputs.reduce((sum, o) => sum + o.amount, 0n);
  if (when.amount && !check(bounded('amount', total, decimalsOf(input), when.amount))) return null;
  if (when.tokenAmount && !check(tokenFact(when.tokenAmount, input))) return null;
  if (when.fee && !check(input.fee === undefined ? null : bounded('fee', input.fee, decimalsOf(input), when.fee))) return null;
  if (when.gas && !check(input.gas === undefined ? null : gasFact(input.gas, when.gas))) return null;
  if (when.contractCalls && !check(callFact(when.contractCalls.allowSelectors, input))) return null;
  if (when.velocity) {
    const velocity = when.velocity;
    const within = (w: string) => velocityHolds(velocity, context.velocity(w, velocity.windowMs), total, decimalsOf(input));
    const hit = quantifier(wallets, within);
    if (!check(hit !== undefined ? `velocity within ${describeVelocity(velocity)} per ${velocity.window}` : null)) return null;
  }
  if (when.hours && !check(withinHours(when.hours, context.now) ? `time within ${when.hours.text}` : null)) return null;
  return facts;
}

function decimalsOf(input: PolicyInput): number {
  return nativeDecimals(input.chain, input.family);
}

/** The fact that min ≤ value ≤ max (inclusive), or null. */
function bounded(what: string, value: bigint, decimals: number, bounds: { readonly min?: DecimalAmount; readonly max?: DecimalAmount }): string | null {
  if (bounds.min && compareToDecimal(value, decimals, bounds.min) < 0) return null;
  if (bounds.max && compareToDecimal(value, decimals, bounds.max) > 0) return null;
  const range = [bounds.min ? `≥ ${bounds.min.text}` : '', bounds.max ? `≤ ${bounds.max.text}` : ''].filter(Boolean).join(' and ');
  return `${what} ${formatUnits(value, decimals)} ${range}`;
}

function tokenFact(rule: NonNullable<PolicyConditions['tokenAmount']>, input: PolicyInput): string | null {
  if (!input.erc20 || canonicalDestination(input.erc20.token) !== rule.token) return null;
  return bounded(`token ${rule.token} amount`, input.erc20.amount, rule.decimals, rule);
}

function gasFact(gas: bigint, bounds: NonNullable<PolicyConditions['gas']>): string | null {
  if (bounds.min !== undefined && gas < bounds.min) return null;
  if (bounds.max !== undefined && gas > bounds.max) return null;
  return `gas ${gas} within [${bounds.min ?? 0}, ${bounds.max ?? '∞'}]`;
}

/** No call at all holds; a creation never does; a call holds when its selector is listed. */
function callFact(allowed: ReadonlySet<string>, input: PolicyInput): string | null {
  if (input.createsContract === true) return null;
  if (input.selector === undefined) return 'no contract call';
  const selector = input.selector.toLowerCase();
  return allowed.has(selector) ? `call ${selector} allowed` : null;
}

function velocityHolds(rule: NonNullable<PolicyConditions['velocity']>, totals: VelocityTotals, amount: bigint, decimals: number): boolean {
  // The limits include this transaction: maxCount 10 allows the 10th signing in the window, not the 11th.
  if (rule.maxCount !== undefined && totals.count + 1 > rule.maxCount) return false;
  if (rule.maxSum !== undefined && compareToDecimal(totals.sum + amount, decimals, rule.maxSum) > 0) return false;
  return true;
}

function describeVelocity(rule: NonNullable<PolicyConditions['velocity']>): string {
  return [rule.maxCount !== undefined ? `${rule.maxCount} tx` : '', rule.maxSum ? `sum ${rule.maxSum.text}` : ''].filter(Boolean).join(', ');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `now` falls in [from, to) in the rule's time zone; a window with from > to wraps over midnight. */
export function withinHours(rule: NonNullable<PolicyConditions['hours']>, now: Date): boolean {
  let format = formatters.get(rule.timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: rule.timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    formatters.set(rule.timezone, format);
  }
  const parts = format.formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  const minutes = hour * 60 + minute;
  return rule.from < rule.to ? minutes >= rule.from && minutes < rule.to : minutes >= rule.from || minutes < rule.to;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 500 ? `${flat.slice(0, 499)}…` : flat;
}
