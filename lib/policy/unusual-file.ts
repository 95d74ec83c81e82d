/**
 * The `unusual:` section of a policy file (docs/policy.md §Unusual activity), read as strictly as the
 * rules: unknown keys, missing companions, values out of range and unknown chains stop the start with the
 * line and the reason.
 *
 *   unusual:
 *     amount: { percentile: 95, window: 30d, minSamples: 20, factor: "2", fixed: { ETH: "10", BTC: "0.5" } }
 *     burst: { window: 10m, maxCount: 20 }
 *     firstTimeDestination: true
 *     hours: { from: "08:00", to: "20:00", timezone: Europe/Prague }
 */
import type { Node } from 'yaml';
import { DEFAULT_SINCE_LIMIT } from '../store/wallet-activity.js';
import type { RuleParser } from './policy-file.js';
import type { UnusualConfig } from './policy.js';
import type { DecimalAmount } from './units.js';

const SECTION_KEYS = ['amount', 'burst', 'firstTimeDestination', 'hours'] as const;
const AMOUNT_KEYS = ['percentile', 'window', 'minSamples', 'factor', 'fixed'] as const;
const USUAL_KEYS = ['window', 'minSamples', 'factor'] as const;

/** Parse the section; `parser` brings the reader and the registry of the file being read. */
export function parseUnusualSection(parser: RuleParser, node: Node | null | undefined, path: string): UnusualConfig {
  const r = parser.r;
  const f = r.map(node, path, SECTION_KEYS);
  if (f.size === 0) r.fail(node, path, `expected at least one of ${SECTION_KEYS.join(', ')}; omit the section to detect nothing`);
  const at = (key: string) => f.get(key)?.value;
  const config: { -readonly [K in keyof UnusualConfig]: UnusualConfig[K] } = { line: r.lineOf(node) };
  if (f.has('amount')) config.amount = amountSection(parser, at('amount'), `${path}.amount`);
  if (f.has('burst')) {
    const burst = r.map(at('burst'), `${path}.burst`, ['window', 'maxCount'], ['window', 'maxCount']);
    config.burst = {
      ...parser.window(burst.get('window')?.value, `${path}.burst.window`),
      // `since` reads at most DEFAULT_SINCE_LIMIT entries: a larger count could never be seen.
      maxCount: r.integer(burst.get('maxCount')?.value, `${path}.burst.maxCount`, 1, DEFAULT_SINCE_LIMIT - 1),
    };
  }
  if (f.has('firstTimeDestination')) config.firstTimeDestination = r.boolean(at('firstTimeDestination'), `${path}.firstTimeDestination`);
  if (f.has('hours')) config.hours = parser.hours(at('hours'), `${path}.hours`);
  return config;
}

function amountSection(parser: RuleParser, node: Node | null | undefined, path: string): NonNullable<UnusualConfig['amount']> {
  const r = parser.r;
  const f = r.map(node, path, AMOUNT_KEYS);
  if (!f.has('percentile') && !f.has('fixed')) r.fail(node, path, 'expected "percentile" (with "window" and "minSamples"), "fixed" or both');
  if (!f.has('percentile')) {
    for (const key of USUAL_KEYS) if (f.has(key)) r.fail(f.get(key)?.key, `${path}.${key}`, `"${key}" belongs to a percentile threshold; add "percentile" or remove it`);
  }
  const amount: { -readonly [K in keyof NonNullable<UnusualConfig['amount']>]: NonNullable<UnusualConfig['amount']>[K] } = {};
  if (f.has('percentile')) {
    for (const key of ['window', 'minSamples'] as const) if (!f.has(key)) r.fail(node, path, `missing key "${key}" (a percentile needs a window and a minimum number of samples)`);
    const factor = f.has('factor') ? parser.decimal(f.get('factor')?.value, `${path}.factor`) : ONE;
    if (factor.digits < 10n ** BigInt(factor.scale)) r.fail(f.get('factor')?.value, `${path}.factor`, `factor ${factor.text} is below 1: an amount below the usual one is not unusual`);
    amount.usual = {
      percentile: r.integer(f.get('percentile')?.value, `${path}.percentile`, 1, 100),
      ...parser.window(f.get('window')?.value, `${path}.window`),
      minSamples: r.integer(f.get('minSamples')?.value, `${path}.minSamples`, 1, DEFAULT_SINCE_LIMIT),
      factor,
    };
  }
  if (f.has('fixed')) {
    const fixedNode = f.get('fixed')?.value;
    const chains = r.map(fixedNode, `${path}.fixed`, parser.registry.codes());
    if (chains.size === 0) r.fail(fixedNode, `${path}.fixed`, 'expected at least one chain code with its amount, like ETH: "10"');
    amount.fixed = new Map([...chains].map(([chain, { value }]) => [chain, parser.decimal(value, `${path}.fixed.${chain}`)]));
  }
  return amount;
}

const ONE: DecimalAmount = { digits: 1n, scale: 0, text: '1' };
