/**
 * The `unusual:` section of the policy file: a valid section in YAML and JSON gives the same UnusualConfig
 * (canonical values, exact decimals, windows in ms); every mistake stops with the line, the field path and
 * the reason, like the rest of the file; no section means no detection.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicyFile, PolicyFileError, type UnusualConfig } from '../../../lib/policy/index.js';

const YAML = `rules: []
default: REQUIRE_APPROVAL
unusual:
  amount:
    percentile: 95
    window: 30d
    minSamples: 20
    factor: "1.5"
    fixed: { ETH: "10", BTC: "0.5" }
  burst: { window: 10m, maxCount: 20 }
  firstTimeDestination: true
  hours: { from: "20:00", to: "08:00", timezone: Europe/Prague }
`;

const JSON_TEXT = JSON.stringify(
  {
    rules: [],
    default: 'REQUIRE_APPROVAL',
    unusual: {
      amount: { percentile: 95, window: '30d', minSamples: 20, factor: '1.5', fixed: { ETH: '10', BTC: '0.5' } },
      burst: { window: '10m', maxCount: 20 },
      firstTimeDestination: true,
      hours: { from: '20:00', to: '08:00', timezone: 'Europe/Prague' },
    },
  },
  null,
  2,
);

function plain(config: UnusualConfig | undefined): unknown {
  return JSON.parse(JSON.stringify({ ...config, line: undefined }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v)));
}

describe('parsePolicyFile: the unusual section', () => {
  it('reads every threshold into exact values', () => {
    const unusual = parsePolicyFile(YAML).unusual;
    expect(unusual?.line).toBe(4);
    expect(unusual?.amount?.usual).toEqual({ percentile: 95, window: '30d', windowMs: 30 * 86_400_000, minSamples: 20, factor: { digits: 15n, scale: 1, text: '1.5' } });
    expect([...(unusual?.amount?.fixed ?? [])]).toEqual([
      ['ETH', { digits: 10n, scale: 0, text: '10' }],
      ['BTC', { digits: 5n, scale: 1, text: '0.5' }],
    ]);
    expect(unusual?.burst).toEqual({ window: '10m', windowMs: 600_000, maxCount: 20 });
    expect(unusual?.firstTimeDestination).toBe(true);
    expect(unusual?.hours).toEqual({ from: 1200, to: 480, timezone: 'Europe/Prague', text: '20:00–08:00 Europe/Prague' });
  });

  it('JSON and YAML forms are the same section', () => {
    expect(plain(parsePolicyFile(JSON_TEXT).unusual)).toEqual(plain(parsePolicyFile(YAML).unusual));
  });

  it('the example in docs/policy.md is a valid section', () => {
    const doc = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');
    const example = /```yaml\n(unusual:[\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const unusual = parsePolicyFile(`rules: []\ndefault: BLOCK\n${example}`).unusual;
    expect(unusual?.amount?.usual).toMatchObject({ percentile: 95, windowMs: 30 * 86_400_000, minSamples: 20 });
    expect(unusual?.amount?.fixed?.get('BTC')?.text).toBe('0.5');
    expect(unusual?.burst).toEqual({ window: '10m', windowMs: 600_000, maxCount: 20 });
    expect(unusual?.firstTimeDestination).toBe(true);
    expect(unusual?.hours?.timezone).toBe('Europe/Prague');
  });

  it('is optional, and each part of it is', () => {
    expect(parsePolicyFile('rules: []\ndefault: BLOCK\n').unusual).toBeUndefined();
    const only = (part: string) => parsePolicyFile(`rules: []\ndefault: BLOCK\nunusual:\n  ${part}\n`).unusual;
    expect(only('firstTimeDestination: false')).toEqual({ line: 4, firstTimeDestination: false });
    expect(only('amount: { fixed: { DOGE: "1000" } }')?.amount).toEqual({ fixed: new Map([['DOGE', { digits: 1000n, scale: 0, text: '1000' }]]) });
    // Without a factor, "above the percentile" itself.
    expect(only('amount: { percentile: 50, window: 7d, minSamples: 1 }')?.amount?.usual?.factor).toEqual({ digits: 1n, scale: 0, text: '1' });
  });
});

const U = (body: string) => `rules: []\ndefault: BLOCK\nunusual:\n  ${body}\n`;

/** [what, text, line, path, reason fragment] */
const BAD: Array<[string, string, number, string, string]> = [
  ['unknown key', U('amounts: { fixed: { ETH: "1" } }'), 4, 'unusual', 'unknown key "amounts"'],
  ['empty section', 'rules: []\ndefault: BLOCK\nunusual: {}\n', 3, 'unusual', 'expected at least one of'],
  ['null section', 'rules: []\ndefault: BLOCK\nunusual:\n', 3, 'unusual', 'expected a mapping'],
  ['a list', 'rules: []\ndefault: BLOCK\nunusual: [burst]\n', 3, 'unusual', 'expected a mapping'],
  ['amount without a threshold', U('amount: { minSamples: 3 }'), 4, 'unusual.amount', 'expected "percentile"'],
  ['window without percentile', U('amount: { window: 1d, fixed: { ETH: "1" } }'), 4, 'unusual.amount.window', 'belongs to a percentile'],
  ['factor without percentile', U('amount:\n    fixed: { ETH: "1" }\n    factor: "2"'), 6, 'unusual.amount.factor', 'belongs to a percentile'],
  ['percentile without window', U('amount: { percentile: 95, minSamples: 3 }'), 4, 'unusual.amount', 'missing key "window"'],
  ['percentile without minSamples', U('amount: { percentile: 95, window: 1d }'), 4, 'unusual.amount', 'missing key "minSamples"'],
  ['percentile 0', U('amount: { percentile: 0, window: 1d, minSamples: 3 }'), 4, 'unusual.amount.percentile', 'integer from 1 to 100'],
  ['percentile 101', U('amount: { percentile: 101, window: 1d, minSamples: 3 }'), 4, 'unusual.amount.percentile', 'integer from 1 to 100'],
  ['fractional percentile', U('amount: { percentile: 99.5, window: 1d, minSamples: 3 }'), 4, 'unusual.amount.percentile', 'integer from 1 to 100'],
  ['minSamples 0', U('amount: { percentile: 95, window: 1d, minSamples: 0 }'), 4, 'unusual.amount.minSamples', 'integer from 1 to 10000'],
  ['window too long', U('amount: { percentile: 95, window: 367d, minSamples: 3 }'), 4, 'unusual.amount.window', '366 days'],
  ['factor below 1', U('amount: { percentile: 95, window: 1d, minSamples: 3, factor: "0.99" }'), 4, 'unusual.amount.factor', 'below 1'],
  ['factor as a number', U('amount: { percentile: 95, window: 1d, minSamples: 3, factor: 2 }'), 4, 'unusual.amount.factor', 'quoted decimal string'],
  ['fixed unknown chain', U('amount: { fixed: { ETHER: "1" } }'), 4, 'unusual.amount.fixed', 'unknown key "ETHER"'],
  ['fixed empty', U('amount: { fixed: {} }'), 4, 'unusual.amount.fixed', 'at least one chain'],
  ['fixed as a number', U('amount:\n    fixed:\n      ETH: 10'), 6, 'unusual.amount.fixed.ETH', 'quoted decimal string'],
  ['fixed negative', U('amount: { fixed: { ETH: "-1" } }'), 4, 'unusual.amount.fixed.ETH', 'quoted decimal string'],
  ['burst without maxCount', U('burst: { window: 1m }'), 4, 'unusual.burst', 'missing key "maxCount"'],
  ['burst maxCount 0', U('burst: { window: 1m, maxCount: 0 }'), 4, 'unusual.burst.maxCount', 'integer from 1 to 9999'],
  ['burst maxCount too big', U('burst: { window: 1m, maxCount: 10000 }'), 4, 'unusual.burst.maxCount', 'integer from 1 to 9999'],
  ['burst bad window', U('burst: { window: 10 minutes, maxCount: 2 }'), 4, 'unusual.burst.window', 'window like'],
  ['burst extra key', U('burst: { window: 1m, maxCount: 2, maxSum: "1" }'), 4, 'unusual.burst', 'unknown key "maxSum"'],
  ['firstTimeDestination yes', U('firstTimeDestination: yes'), 4, 'unusual.firstTimeDestination', 'expected true or false'],
  ['firstTimeDestination "true"', U('firstTimeDestination: "true"'), 4, 'unusual.firstTimeDestination', 'expected true or false'],
  ['firstTimeDestination 1', U('firstTimeDestination: 1'), 4, 'unusual.firstTimeDestination', 'expected true or false'],
  ['hours empty', U('hours: { from: "08:00", to: "08:00", timezone: UTC }'), 4, 'unusual.hours', 'from equals to'],
  ['hours unknown zone', U('hours: { from: "08:00", to: "18:00", timezone: Moon/Base }'), 4, 'unusual.hours.timezone', 'unknown time zone'],
  ['hours missing zone', U('hours: { from: "08:00", to: "18:00" }'), 4, 'unusual.hours', 'missing key "timezone"'],
  ['anchor', U('burst: &b { window: 1m, maxCount: 2 }'), 4, 'unusual.burst', 'anchors'],
  ['duplicate key', U('burst: { window: 1m, maxCount: 2 }\n  burst: { window: 2m, maxCount: 2 }'), 5, '', 'DUPLICATE_KEY'],
];

describe('parsePolicyFile: invalid unusual sections', () => {
  it.each(BAD)('%s', (_what, text, line, path, reason) => {
    let error: unknown;
    try {
      parsePolicyFile(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyFileError);
    const e = error as PolicyFileError;
    expect({ line: e.line, path: e.path }).toEqual({ line, path });
    expect(e.message).toContain(reason);
    expect(e.message).not.toMatch(/\n/);
  });
});
