/**
 * Fuzzing the policy-file boundary: random text, random YAML/JSON values, and valid files mutated by
 * character edits and by structural edits (a key renamed, a value replaced). parsePolicyFile either returns
 * a policy that evaluates without throwing, or throws PolicyFileError — never anything else, never a hang.
 * The seed carries an `unusual:` section too, and a parsed section must run through detectUnusual cleanly.
 */
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { detectUnusual, evaluatePolicy, historyWindowMs, parsePolicyFile, PolicyFileError, type Policy, type PolicyInput } from '../../lib/policy/index.js';
import type { ActivityEntry } from '../../lib/store/wallet-activity.js';

const VALID_YAML = `rules:
  - name: deny-list
    action: BLOCK
    when:
      to: { deny: ["0x45Ed61920025dBB877F385DedD192A2408a8561c", bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl] }
  - name: payroll
    action: ALLOW
    when:
      chain: [ETH, BTC]
      network: [mainnet]
      wallet: ["0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10"]
      to: { allow: ["0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb"] }
      amount: { min: "0", max: "1.5" }
      tokenAmount: { token: "0xdac17f958d2ee523a2206206994597c13d831ec7", decimals: 6, max: "1000" }
      fee: { max: "0.01" }
      gas: { max: 100000 }
      contractCalls: { allowSelectors: ["0xa9059cbb"] }
      velocity: { window: 1h, maxCount: 10, maxSum: "5" }
      hours: { from: "22:00", to: "06:00", timezone: Europe/Prague }
default: REQUIRE_APPROVAL
unusual:
  amount: { percentile: 95, window: 30d, minSamples: 2, factor: "1.5", fixed: { ETH: "10", BTC: "0.5" } }
  burst: { window: 10m, maxCount: 2 }
  firstTimeDestination: true
  hours: { from: "08:00", to: "20:00", timezone: Europe/Prague }
`;
/** The seed as plain data, read by the yaml package directly (not through the code under test). */
const VALID_OBJECT: unknown = parseYaml(VALID_YAML);
const VALID_JSON = JSON.stringify(VALID_OBJECT);


const INPUTS: PolicyInput[] = [
  { chain: 'ETH', network: 'mainnet', family: 'evm', wallets: ['0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10'], outputs: [{ to: '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb', amount: 10n ** 17n }], fee: 1000n, gas: 21000n },
  { chain: 'BTC', network: 'testnet', family: 'utxo', wallets: [], outputs: [{ to: 'bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl', amount: 5n }] },
];

/** Parse; if it succeeds the result must be usable. Anything thrown must be a PolicyFileError. */
function parseOnlyPolicyFileError(text: string): void {
  let policy: Policy;
  try {
    policy = parsePolicyFile(text);
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    expect(error.message).not.toMatch(/\n/);
    expect(error.line).toBeGreaterThanOrEqual(0);
    return;
  }
  for (const input of INPUTS) {
    const decision = evaluatePolicy(policy, input, { now: new Date(0), velocity: () => ({ count: 3, sum: 10n }) });
    expect(['ALLOW', 'BLOCK', 'REQUIRE_APPROVAL']).toContain(decision.action);
    const history: ActivityEntry[] = [0, 1, 2].map((i) => ({ wallet: '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10', pendingId: `${i}`.repeat(24), chain: input.chain, at: i * 60_000, amount: `${i * 7}`, destinations: [] }));
    for (const finding of detectUnusual(policy.unusual, input, { history, firstTimeDestinations: [input.outputs[0]?.to ?? ''], now: new Date(3 * 60_000) })) {
      expect(finding.reason).not.toMatch(/\n/);
    }
    expect(historyWindowMs(policy.unusual)).toBeGreaterThanOrEqual(0);
  }
}

const KEYS = ['rules', 'default', 'name', 'action', 'when', 'chain', 'network', 'wallet', 'to', 'allow', 'deny', 'amount', 'max', 'min', 'tokenAmount', 'token', 'decimals', 'fee', 'gas', 'contractCalls', 'allowSelectors', 'velocity', 'window', 'maxCount', 'maxSum', 'hours', 'from', 'timezone', 'unusual', 'percentile', 'minSamples', 'factor', 'fixed', 'burst', 'firstTimeDestination', 'ETH', 'BTC', '__proto__', 'constructor'];
const SCALARS = fc.oneof(
  fc.constantFrom('ALLOW', 'BLOCK', 'REQUIRE_APPROVAL', 'ETH', 'mainnet', '1.5', '0.5', '-1', '1e3', '0x10', '08:00', '24:00', '1h', '0h', '400d', 'UTC', 'Nowhere/Zone', '0xa9059cbb', '', ' ', '0x45Ed61920025dBB877F385DedD192A2408a8561c', 'bc1Q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl'),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const VALUE = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    SCALARS,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
})).value;

type Path = Array<string | number>;
function paths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}
function edit(root: unknown, path: Path, change: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  if (path.length === 0) return copy;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  change(node, path[path.length - 1] as string | number);
  return copy;
}
const ALL_PATHS = paths(VALID_OBJECT).filter((p) => p.length > 0);

describe('fuzz parsePolicyFile', () => {
  it('the seeds are valid', () => {
    expect(parsePolicyFile(VALID_YAML).rules).toHaveLength(2);
    expect(parsePolicyFile(VALID_JSON).rules).toHaveLength(2);
    expect(parsePolicyFile(VALID_YAML).unusual?.burst?.maxCount).toBe(2);
    expect(parsePolicyFile(VALID_JSON).unusual?.amount?.fixed?.size).toBe(2);
  });

  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), parseOnlyPolicyFileError), { numRuns: 3000 });
  });

  it('random YAML and JSON documents', () => {
    fc.assert(
      fc.property(VALUE, fc.boolean(), (value, asJson) => {
        parseOnlyPolicyFileError(asJson ? JSON.stringify(value) ?? 'null' : stringify(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('valid files with characters inserted, deleted or replaced', () => {
    const mutation = fc.tuple(fc.constantFrom(VALID_YAML, VALID_JSON), fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(mutation, ([seed, edits]) => {
        let text = seed;
        for (const [at, kind, chars] of edits) {
          const i = at % (text.length + 1);
          text = kind === 'insert' ? text.slice(0, i) + chars + text.slice(i) : kind === 'delete' ? text.slice(0, i) + text.slice(i + chars.length) : text.slice(0, i) + chars + text.slice(i + chars.length);
        }
        parseOnlyPolicyFileError(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('valid files with one value replaced or one key renamed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_PATHS), VALUE, fc.constantFrom(...KEYS, 'unknownKey'), fc.boolean(), fc.boolean(), (path, value, key, rename, asJson) => {
        const changed = edit(VALID_OBJECT, path, (parent, last) => {
          if (rename && !Array.isArray(parent) && typeof last === 'string' && key !== last) {
            parent[key] = parent[last];
            delete parent[last];
          } else {
            parent[last] = value;
          }
        });
        parseOnlyPolicyFileError(asJson ? JSON.stringify(changed, null, 1) : stringify(changed));
      }),
      { numRuns: 3000 },
    );
  });

  it('an unknown key anywhere is always refused, naming its line', () => {
    const mappings = paths(VALID_OBJECT).filter((p) => {
      let node: unknown = VALID_OBJECT;
      for (const k of p) node = (node as Record<string | number, unknown>)[k];
      return node !== null && typeof node === 'object' && !Array.isArray(node);
    });
    fc.assert(
      fc.property(fc.constantFrom(...mappings), fc.stringMatching(/^[a-z]{3,8}X$/), (path, key) => {
        const changed = path.length === 0 ? { ...(VALID_OBJECT as object), [key]: 1 } : edit(VALID_OBJECT, path, (parent, last) => ((parent[last] as Record<string, unknown>)[key] = 1));
        const text = JSON.stringify(changed, null, 1);
        const line = text.split('\n').findIndex((l) => l.includes(`"${key}"`)) + 1;
        let caught: unknown;
        try {
          parsePolicyFile(text);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(PolicyFileError);
        expect((caught as PolicyFileError).line).toBe(line);
        expect((caught as PolicyFileError).message).toContain(`unknown key "${key}"`);
      }),
      { numRuns: 1000 },
    );
  });
});
