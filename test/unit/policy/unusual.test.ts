/**
 * detectUnusual: table-driven cases at every boundary (amount equal to / one base unit above a threshold,
 * minSamples, window edges, burst counts, hours wrapping midnight, first-time destinations in any
 * encoding), and property tests of the percentile threshold against an independent model of the
 * nearest-rank method.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectUnusual, historyWindowMs, nearestRank, parsePolicyFile, velocityTotals, type PolicyInput, type UnusualConfig, type UnusualFinding } from '../../../lib/policy/index.js';
import type { ActivityEntry } from '../../../lib/store/wallet-activity.js';

const W = '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10';
const W2 = '5d0c2a7e-1111-4f6b-9a51-7d3b9c1e2a10';
const TO = '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb';
const TO_CHECKSUMMED = '0xaAC8C73348F1F92b2F9647E1e4f3CF14E2a8b3cb';
const NOW = new Date('2026-03-10T12:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

function unusual(section: string): UnusualConfig {
  const config = parsePolicyFile(`rules: []\ndefault: BLOCK\nunusual:\n${section}`).unusual;
  if (!config) throw new Error('no section');
  return config;
}

function eth(amount: bigint, wallets: string[] = [W], to = TO): PolicyInput {
  return { chain: 'ETH', network: 'mainnet', family: 'evm', wallets, outputs: [{ to, amount }] };
}

let counter = 0;
function entry(at: number, amount: bigint | number, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  counter++;
  return { wallet: W, pendingId: counter.toString(16).padStart(24, '0'), chain: 'ETH', at, amount: String(amount), destinations: [TO], ...overrides };
}

const facts = (history: ActivityEntry[], extra: Partial<{ firstTimeDestinations: string[]; now: Date; excludePendingId: string }> = {}) => ({ history, firstTimeDestinations: [], now: NOW, ...extra });
const kinds = (findings: UnusualFinding[]) => findings.map((f) => `${f.kind}:${f.wallet}`);

/** Independent model: the smallest sample v with #{x ≤ v} · 100 ≥ p · n. */
function modelPercentile(values: bigint[], p: number): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.find((v) => sorted.filter((x) => x <= v).length * 100 >= p * sorted.length) as bigint;
}

describe('nearestRank', () => {
  it('matches the textbook example', () => {
    const values = [15n, 20n, 35n, 40n, 50n];
    expect([5, 30, 40, 50, 100].map((p) => nearestRank(values, p))).toEqual([15n, 20n, 20n, 35n, 50n]);
    expect(nearestRank([7n], 1)).toBe(7n);
  });

  it('agrees with the counting model on any sample', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 30n }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        expect(nearestRank(values, p)).toBe(modelPercentile(values, p));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('detectUnusual: amount', () => {
  const config = unusual('  amount: { percentile: 50, window: 7d, minSamples: 3, factor: "1.5" }\n');
  const base = [entry(NOW.getTime() - DAY, 100), entry(NOW.getTime() - 2 * DAY, 200), entry(NOW.getTime() - 3 * DAY, 300)];

  it.each([
    ['at 1.5 × the median (not above)', base, 300n, []],
    ['one wei above 1.5 × the median', base, 301n, ['amount:' + W]],
    ['below minSamples', base.slice(0, 2), 10n ** 30n, []],
    ['samples on another chain do not count', [...base.slice(0, 2), entry(NOW.getTime() - DAY, 1, { chain: 'BSC' })], 10n ** 30n, []],
    ['samples of another wallet do not count', [...base.slice(0, 2), entry(NOW.getTime() - DAY, 1, { wallet: W2 })], 10n ** 30n, []],
    ['a sample exactly at the window start is out', [...base.slice(0, 2), entry(NOW.getTime() - 7 * DAY, 1)], 10n ** 30n, []],
    ['a sample one ms inside the window is in', [...base.slice(0, 2), entry(NOW.getTime() - 7 * DAY + 1, 1)], 301n, ['amount:' + W]],
  ] as Array<[string, ActivityEntry[], bigint, string[]]>)('%s', (_what, history, amount, expected) => {
    expect(kinds(detectUnusual(config, eth(amount), facts(history)))).toEqual(expected);
  });

  it('skips the excluded pending id (the transaction itself) as a sample', () => {
    const self = entry(NOW.getTime(), 10n ** 20n);
    expect(kinds(detectUnusual(config, eth(301n), facts([...base.slice(0, 2), self])))).toEqual(['amount:' + W]);
    expect(kinds(detectUnusual(config, eth(301n), facts([...base.slice(0, 2), self], { excludePendingId: self.pendingId })))).toEqual([]);
  });

  it('describes the percentile finding with exact numbers, serialisable as JSON', () => {
    const [finding] = detectUnusual(config, eth(10n ** 18n), facts(base));
    expect(finding).toEqual({
      kind: 'amount',
      basis: 'percentile',
      wallet: W,
      chain: 'ETH',
      amount: '1000000000000000000',
      percentile: 50,
      usual: '200',
      factor: '1.5',
      samples: 3,
      windowMs: 7 * DAY,
      reason: `wallet ${W}: amount 1 ETH above 1.5 × the 50th percentile 0.0000000000000002 ETH of 3 signings in 7d`,
    });
    expect(JSON.parse(JSON.stringify(finding))).toEqual(finding);
  });

  it('applies a fixed threshold in native units without history, exactly', () => {
    const fixed = unusual('  amount: { percentile: 99, window: 30d, minSamples: 100, fixed: { BTC: "0.5", ETH: "0.000000000000000001" } }\n');
    const btc = (amount: bigint): PolicyInput => ({ chain: 'BTC', network: 'mainnet', family: 'utxo', wallets: [W], outputs: [{ to: 'bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl', amount }] });
    expect(detectUnusual(fixed, btc(50_000_000n), facts([]))).toEqual([]);
    const [finding] = detectUnusual(fixed, btc(50_000_001n), facts([]));
    expect(finding).toMatchObject({ kind: 'amount', basis: 'fixed', amount: '50000001', threshold: '0.5', chain: 'BTC' });
    expect(finding?.reason).toBe(`wallet ${W}: amount 0.50000001 BTC above the fixed threshold 0.5 BTC`);
    expect(detectUnusual(fixed, eth(1n), facts([]))).toEqual([]);
    expect(kinds(detectUnusual(fixed, eth(2n), facts([])))).toEqual(['amount:' + W]);
    // A chain without a fixed threshold and too few samples: nothing.
    expect(detectUnusual(fixed, { ...eth(10n ** 30n), chain: 'BSC' }, facts([]))).toEqual([]);
  });

  it('property: a finding exactly when there are enough samples and amount > factor × nearest-rank percentile', () => {
    const now = NOW.getTime();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('1', '1.5', '2', '1.000000001', '10'),
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 10 * DAY }), fc.boolean()), { maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 10n ** 25n }),
        (percentile, minSamples, factor, samples, amount) => {
          const config = unusual(`  amount: { percentile: ${percentile}, window: 5d, minSamples: ${minSamples}, factor: "${factor}" }\n`);
          const history = samples.map(([value, age, otherChain]) => entry(now - age, value, otherChain ? { chain: 'BSC' } : {}));
          const counted = samples.filter(([, age, otherChain]) => !otherChain && age < 5 * DAY).map(([value]) => value);
          const [whole, fraction = ''] = factor.split('.');
          const scaled = BigInt(`${whole}${fraction}`);
          const expected = counted.length >= minSamples && amount * 10n ** BigInt(fraction.length) > scaled * modelPercentile(counted, percentile);
          const findings = detectUnusual(config, eth(amount), facts(history));
          expect(findings.length).toBe(expected ? 1 : 0);
          if (expected) expect(findings[0]).toMatchObject({ samples: counted.length, usual: modelPercentile(counted, percentile).toString() });
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('detectUnusual: burst', () => {
  const config = unusual('  burst: { window: 10m, maxCount: 3 }\n');
  const now = NOW.getTime();
  it.each([
    ['two before: the third signing is allowed', [now - MIN, now - 2 * MIN], []],
    ['three before: the fourth is a burst', [now - MIN, now - 2 * MIN, now - 9 * MIN], ['burst:' + W]],
    ['one exactly at the window start is out', [now - MIN, now - 2 * MIN, now - 10 * MIN], []],
    ['one ms later it is in', [now - MIN, now - 2 * MIN, now - 10 * MIN + 1], ['burst:' + W]],
  ] as Array<[string, number[], string[]]>)('%s', (_what, ats, expected) => {
    expect(kinds(detectUnusual(config, eth(1n), facts(ats.map((at) => entry(at, 1)))))).toEqual(expected);
  });

  it('counts signings on every chain of the wallet, and reports the numbers', () => {
    const history = [entry(now - MIN, 1, { chain: 'BSC' }), entry(now - MIN, 1, { chain: 'MATIC' }), entry(now - MIN, 1)];
    expect(detectUnusual(config, eth(1n), facts(history))).toEqual([
      { kind: 'burst', wallet: W, count: 4, maxCount: 3, windowMs: 10 * MIN, reason: `wallet ${W}: 4 signings in 10m (this one included), more than 3` },
    ]);
  });
});

describe('detectUnusual: outside hours', () => {
  const wrap = unusual('  hours: { from: "22:00", to: "06:00", timezone: UTC }\n');
  it.each([
    ['23:00', false],
    ['22:00', false],
    ['05:59', false],
    ['06:00', true],
    ['12:00', true],
    ['21:59', true],
  ])('at %s UTC with 22:00–06:00 (over midnight): finding %s', (time, expected) => {
    const findings = detectUnusual(wrap, eth(1n), facts([], { now: new Date(`2026-03-10T${time}:00Z`) }));
    expect(findings.length).toBe(expected ? 1 : 0);
    if (expected) expect(findings[0]).toMatchObject({ kind: 'outside-hours', localTime: time, hours: '22:00–06:00 UTC' });
  });

  it('reads the clock in the configured zone, daylight saving included', () => {
    const prague = unusual('  hours: { from: "08:00", to: "20:00", timezone: Europe/Prague }\n');
    // 06:30 UTC is 07:30 in winter (CET) and 08:30 in summer (CEST).
    expect(detectUnusual(prague, eth(1n), facts([], { now: new Date('2026-01-15T06:30:00Z') }))[0]).toMatchObject({ localTime: '07:30' });
    expect(detectUnusual(prague, eth(1n), facts([], { now: new Date('2026-07-15T06:30:00Z') }))).toEqual([]);
  });
});

describe('detectUnusual: first-time destinations', () => {
  const config = unusual('  firstTimeDestination: true\n');
  it('reports destinations of this transaction that the store found new, in any encoding', () => {
    const findings = detectUnusual(config, eth(1n, [W], TO), facts([], { firstTimeDestinations: [TO_CHECKSUMMED, '0x45ed61920025dbb877f385dedd192a2408a8561c'] }));
    expect(findings).toEqual([{ kind: 'first-time-destination', wallet: W, destinations: [TO], reason: `wallet ${W}: first payment to ${TO}` }]);
  });

  it('includes the ERC-20 recipient; nothing when nothing is new or detection is off', () => {
    const token: PolicyInput = { ...eth(0n), erc20: { token: TO, recipient: '0x45ed61920025dbb877f385dedd192a2408a8561c', amount: 5n } };
    expect(detectUnusual(config, token, facts([], { firstTimeDestinations: ['0x45ED61920025DBB877F385DEDD192A2408A8561C'] }))[0]).toMatchObject({ destinations: ['0x45ed61920025dbb877f385dedd192a2408a8561c'] });
    expect(detectUnusual(config, eth(1n), facts([]))).toEqual([]);
    expect(detectUnusual(unusual('  firstTimeDestination: false\n'), eth(1n), facts([], { firstTimeDestinations: [TO] }))).toEqual([]);
  });
});

describe('detectUnusual: the whole section', () => {
  const all = unusual(`  amount: { fixed: { ETH: "1" } }
  burst: { window: 1h, maxCount: 1 }
  firstTimeDestination: true
  hours: { from: "08:00", to: "09:00", timezone: UTC }
`);

  it('reports each kind for each wallet of the transaction (any case), in a fixed order', () => {
    const history = [entry(NOW.getTime() - MIN, 1), entry(NOW.getTime() - MIN, 1, { wallet: W2 })];
    const findings = detectUnusual(all, eth(2n * 10n ** 18n, [W.toUpperCase(), W2, W]), facts(history, { firstTimeDestinations: [TO] }));
    const expected = ['amount', 'burst', 'first-time-destination', 'outside-hours'];
    expect(kinds(findings)).toEqual([...expected.map((k) => `${k}:${W}`), ...expected.map((k) => `${k}:${W2}`)]);
    for (const f of findings) {
      expect(f.reason).toMatch(new RegExp(`^wallet ${f.wallet}: `));
      expect(f.reason).not.toMatch(/\n/);
    }
  });

  it('detects nothing without a section, and the history window is the longest one used', () => {
    expect(detectUnusual(undefined, eth(10n ** 30n), facts([], { firstTimeDestinations: [TO] }))).toEqual([]);
    expect(historyWindowMs(undefined)).toBe(0);
    expect(historyWindowMs(all)).toBe(3_600_000);
    expect(historyWindowMs(unusual('  amount: { percentile: 9, window: 30d, minSamples: 1 }\n  burst: { window: 10m, maxCount: 5 }\n'))).toBe(30 * DAY);
    expect(historyWindowMs(unusual('  firstTimeDestination: true\n'))).toBe(0);
  });
});

describe('velocityTotals', () => {
  it('counts and sums base units exactly, after sinceMs and on one chain when asked', () => {
    const big = 10n ** 30n;
    const entries = [entry(100, big), entry(200, big + 1n), entry(300, 5, { chain: 'BSC' })];
    expect(velocityTotals(entries)).toEqual({ count: 3, sum: 2n * big + 6n });
    expect(velocityTotals(entries, { sinceMs: 100 })).toEqual({ count: 2, sum: big + 6n });
    expect(velocityTotals(entries, { chain: 'ETH' })).toEqual({ count: 2, sum: 2n * big + 1n });
    expect(velocityTotals([], { sinceMs: 0 })).toEqual({ count: 0, sum: 0n });
  });
});
