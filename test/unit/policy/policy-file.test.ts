/**
 * The policy-file boundary: a valid file in YAML and in JSON gives the same Policy, canonical values
 * included; every kind of mistake stops with a PolicyFileError naming the right line and field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChainRegistry } from '../../../lib/chains/registry.js';
import { SigilError } from '../../../lib/errors.js';
import { parsePolicyFile, PolicyFileError, type Policy } from '../../../lib/policy/index.js';

const YAML_POLICY = `# guard rails
rules:
  - name: deny-list
    action: BLOCK
    when:
      to:
        deny:
          - "0x45Ed61920025dBB877F385DedD192A2408a8561c"
          - xdcAAC8C73348F1F92B2F9647E1E4F3CF14E2A8B3CB
          - BC1Q0FPJQSJ4852234296LQ705FNKZAMYRXN4HP8TL
          - 1BoatSLRHtKNngkdXEeobR76b53LETtpyT
  - name: payroll
    action: ALLOW
    when:
      chain: [ETH, BSC]
      network: [mainnet]
      wallet: ["0F4A9C9E-8F0E-4F6B-9A51-7D3B9C1E2A10"]
      amount: { max: "1.5" }
      tokenAmount: { token: "0xdAC17F958D2ee523a2206206994597C13D831ec7", decimals: 6, min: "0.01", max: "1000" }
      fee: { max: "0.01" }
      gas: { max: 100000 }
      contractCalls: { allowSelectors: ["0xA9059CBB"] }
      velocity: { window: 1h, maxCount: 10, maxSum: "5" }
      hours: { from: "08:00", to: "18:00", timezone: UTC }
default: REQUIRE_APPROVAL
`;

const JSON_POLICY = JSON.stringify(
  {
    rules: [
      {
        name: 'deny-list',
        action: 'BLOCK',
        when: {
          to: {
            deny: [
              '0x45Ed61920025dBB877F385DedD192A2408a8561c',
              'xdcAAC8C73348F1F92B2F9647E1E4F3CF14E2A8B3CB',
              'BC1Q0FPJQSJ4852234296LQ705FNKZAMYRXN4HP8TL',
              '1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
            ],
          },
        },
      },
      {
        name: 'payroll',
        action: 'ALLOW',
        when: {
          chain: ['ETH', 'BSC'],
          network: ['mainnet'],
          wallet: ['0F4A9C9E-8F0E-4F6B-9A51-7D3B9C1E2A10'],
          amount: { max: '1.5' },
          tokenAmount: { token: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6, min: '0.01', max: '1000' },
          fee: { max: '0.01' },
          gas: { max: '100000' },
          contractCalls: { allowSelectors: ['0xA9059CBB'] },
          velocity: { window: '1h', maxCount: 10, maxSum: '5' },
          hours: { from: '08:00', to: '18:00', timezone: 'UTC' },
        },
      },
    ],
    default: 'REQUIRE_APPROVAL',
  },
  null,
  2,
);

/** The policy with lines dropped and sets as sorted arrays, for comparing YAML and JSON forms. */
function shape(policy: Policy): unknown {
  return JSON.parse(
    JSON.stringify({ ...policy, rules: policy.rules.map(({ line: _line, ...rest }) => rest) }, (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Set ? [...(v as Set<string>)].sort() : v,
    ),
  );
}

describe('parsePolicyFile: valid files', () => {
  it('reads every condition into canonical values', () => {
    const policy = parsePolicyFile(YAML_POLICY);
    expect(policy.default).toBe('REQUIRE_APPROVAL');
    expect(policy.rules.map((r) => [r.name, r.action, r.line])).toEqual([
      ['deny-list', 'BLOCK', 3],
      ['payroll', 'ALLOW', 12],
    ]);
    expect([...(policy.rules[0]?.when.to?.deny ?? [])]).toEqual([
      '0x45ed61920025dbb877f385dedd192a2408a8561c',
      '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb',
      'bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl',
      '1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
    ]);
    const when = policy.rules[1]?.when;
    expect(when?.wallet).toEqual(['0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10']);
    expect(when?.amount?.max).toEqual({ digits: 15n, scale: 1, text: '1.5' });
    expect(when?.tokenAmount).toMatchObject({ token: '0xdac17f958d2ee523a2206206994597c13d831ec7', decimals: 6, min: { digits: 1n, scale: 2 } });
    expect(when?.gas).toEqual({ max: 100_000n });
    expect([...(when?.contractCalls?.allowSelectors ?? [])]).toEqual(['0xa9059cbb']);
    expect(when?.velocity).toEqual({ window: '1h', windowMs: 3_600_000, maxCount: 10, maxSum: { digits: 5n, scale: 0, text: '5' } });
    expect(when?.hours).toMatchObject({ from: 480, to: 1080, timezone: 'UTC' });
  });

  it('JSON and YAML forms of the same policy are the same policy', () => {
    expect(shape(parsePolicyFile(JSON_POLICY))).toEqual(shape(parsePolicyFile(YAML_POLICY)));
  });

  it('the example in docs/policy.md is a valid policy', () => {
    const doc = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const policy = parsePolicyFile(example);
    expect(policy.rules.map((r) => r.name)).toEqual(['deny-list', 'fee-ceiling', 'usdt-to-suppliers', 'small-payments']);
    expect(policy.default).toBe('REQUIRE_APPROVAL');
  });

  it('accepts the networks and chains of the given registry', () => {
    const registry = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', chainIds: { ETH: 1337n } }] });
    expect(parsePolicyFile('rules: [{name: a, action: ALLOW, when: {network: [sandbox]}}]\ndefault: BLOCK', { registry }).rules[0]?.when.network).toEqual(['sandbox']);
    expect(() => parsePolicyFile('rules: [{name: a, action: ALLOW, when: {network: [sandbox]}}]\ndefault: BLOCK')).toThrow(PolicyFileError);
  });
});

const RULE = (when: string) => `rules:\n  - name: r\n    action: BLOCK\n    when:\n      ${when}\ndefault: BLOCK\n`;
const ALLOW_RULE = (when: string) => `rules:\n  - name: r\n    action: ALLOW\n    when:\n      ${when}\ndefault: BLOCK\n`;

/** [what, text, line, path, reason fragment] */
const BAD: Array<[string, string, number, string, string]> = [
  ['empty file', '', 0, '', 'expected a mapping'],
  ['a list at the top', '- 1\n', 1, '', 'expected a mapping'],
  ['unknown top-level key', 'rules: []\ndefault: BLOCK\nversion: 2\n', 3, '', 'unknown key "version"'],
  ['missing default', 'rules: []\n', 1, '', 'missing key "default"'],
  ['bad default', 'rules: []\ndefault: allow\n', 2, 'default', 'expected ALLOW | BLOCK | REQUIRE_APPROVAL'],
  ['rules not a list', 'rules: {}\ndefault: BLOCK\n', 1, 'rules', 'expected a list'],
  ['rule without action', 'rules:\n  - name: x\ndefault: BLOCK\n', 2, 'rules[0]', 'missing key "action"'],
  ['duplicate rule name', 'rules:\n  - {name: x, action: BLOCK}\n  - {name: x, action: ALLOW}\ndefault: BLOCK\n', 3, 'rules[1].name', 'duplicate rule name'],
  ['bad rule name', 'rules:\n  - {name: "a b", action: BLOCK}\ndefault: BLOCK\n', 2, 'rules[0].name', 'a name of 1-64'],
  ['unknown condition', RULE('amout: {max: "1"}'), 5, 'rules[0].when', 'unknown key "amout"'],
  ['unknown chain', RULE('chain: [ETHER]'), 5, 'rules[0].when.chain[0]', 'unknown chain code "ETHER"'],
  ['unknown network', RULE('network: [mainet]'), 5, 'rules[0].when.network[0]', 'unknown network "mainet"'],
  ['empty chain list', RULE('chain: []'), 5, 'rules[0].when.chain', 'at least 1'],
  ['wallet not a UUID', RULE('wallet: [abc]'), 5, 'rules[0].when.wallet[0]', 'signatureId'],
  ['bad checksum', RULE('to: {deny: ["0x45ED61920025dbb877f385dedd192a2408a8561c"]}'), 5, 'rules[0].when.to.deny[0]', 'EIP-55'],
  ['mixed-case bech32', RULE('to: {deny: [bc1Q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl]}'), 5, 'rules[0].when.to.deny[0]', 'expected an address'],
  ['deny list in an ALLOW rule', ALLOW_RULE('to: {deny: ["0x45ed61920025dbb877f385dedd192a2408a8561c"]}'), 5, 'rules[0].when.to.deny', 'BLOCK or REQUIRE_APPROVAL'],
  ['empty to', RULE('to: {}'), 5, 'rules[0].when.to', 'expected "allow", "deny"'],
  ['amount as a YAML number', RULE('amount: {max: 1.5}'), 5, 'rules[0].when.amount.max', 'quoted decimal string'],
  ['negative amount', RULE('amount: {max: "-1"}'), 5, 'rules[0].when.amount.max', 'quoted decimal string'],
  ['exponent amount', RULE('amount: {max: "1e18"}'), 5, 'rules[0].when.amount.max', 'quoted decimal string'],
  ['hex amount', RULE('amount: {max: "0x10"}'), 5, 'rules[0].when.amount.max', 'quoted decimal string'],
  ['amount without bounds', RULE('amount: {}'), 5, 'rules[0].when.amount', 'expected "min", "max"'],
  ['min above max', RULE('fee: {min: "2", max: "1.99"}'), 5, 'rules[0].when.fee', 'min 2 exceeds max 1.99'],
  ['gas fraction', RULE('gas: {max: "21000.5"}'), 5, 'rules[0].when.gas.max', 'integer from 0'],
  ['token amount fraction without decimals', RULE('tokenAmount: {token: "0xdac17f958d2ee523a2206206994597c13d831ec7", max: "1.5"}'), 5, 'rules[0].when.tokenAmount.max', 'integer'],
  ['token not an address', RULE('tokenAmount: {token: USDT, max: "1"}'), 5, 'rules[0].when.tokenAmount.token', 'token contract address'],
  ['token decimals too big', RULE('tokenAmount: {token: "0xdac17f958d2ee523a2206206994597c13d831ec7", decimals: 99, max: "1"}'), 5, 'rules[0].when.tokenAmount.decimals', 'from 0 to 36'],
  ['bad selector', RULE('contractCalls: {allowSelectors: ["0xa9059cb"]}'), 5, 'rules[0].when.contractCalls.allowSelectors[0]', '4-byte selector'],
  ['bad window', RULE('velocity: {window: 1w, maxCount: 1}'), 5, 'rules[0].when.velocity.window', 'window like'],
  ['velocity without a limit', RULE('velocity: {window: 1h}'), 5, 'rules[0].when.velocity', 'maxCount'],
  ['window too long', RULE('velocity: {window: 400d, maxCount: 1}'), 5, 'rules[0].when.velocity.window', '366 days'],
  ['negative count', RULE('velocity: {window: 1h, maxCount: -1}'), 5, 'rules[0].when.velocity.maxCount', 'integer from 0'],
  ['bad time', RULE('hours: {from: "8:00", to: "18:00", timezone: UTC}'), 5, 'rules[0].when.hours.from', 'HH:MM'],
  ['24:00', RULE('hours: {from: "08:00", to: "24:00", timezone: UTC}'), 5, 'rules[0].when.hours.to', 'HH:MM'],
  ['unknown zone', RULE('hours: {from: "08:00", to: "18:00", timezone: Mars/Olympus}'), 5, 'rules[0].when.hours.timezone', 'unknown time zone'],
  ['empty hours', RULE('hours: {from: "08:00", to: "08:00", timezone: UTC}'), 5, 'rules[0].when.hours', 'from equals to'],
  ['duplicate key', 'rules: []\ndefault: BLOCK\ndefault: ALLOW\n', 3, '', 'DUPLICATE_KEY'],
  ['JSON duplicate key', '{\n"rules": [],\n"default": "BLOCK",\n"default": "ALLOW"\n}', 4, '', 'DUPLICATE_KEY'],
  ['anchor', 'rules: &r []\ndefault: BLOCK\n', 1, 'rules', 'anchors'],
  ['alias', 'x: &a BLOCK\nrules: []\ndefault: *a\n', 1, '', 'unknown key "x"'],
  ['alias value', RULE('chain: [ETH]\n      network: *n'), 6, 'rules[0].when.network', 'alias'],
  ['tag', 'rules: []\ndefault: !!str BLOCK\n', 2, 'default', 'tags'],
  ['two documents', 'rules: []\ndefault: BLOCK\n---\nrules: []\n', 3, '', 'MULTIPLE_DOCS'],
  ['broken YAML', 'rules: [\ndefault: BLOCK\n', 2, '', 'not valid YAML'],
  ['broken JSON', '{"rules": [],\n "default": "BLOCK",}', 2, '', 'not valid JSON'],
  ['non-string key', 'rules: []\ndefault: BLOCK\n1: x\n', 3, '', 'keys must be strings'],
];

describe('parsePolicyFile: invalid files', () => {
  it.each(BAD)('%s', (_what, text, line, path, reason) => {
    let error: unknown;
    try {
      parsePolicyFile(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyFileError);
    expect(error).toBeInstanceOf(SigilError);
    const e = error as PolicyFileError;
    expect({ line: e.line, path: e.path }).toEqual({ line, path });
    expect(e.code).toBe('POLICY_FILE_INVALID');
    expect(e.message).toContain(reason);
    expect(e.message).toMatch(line > 0 ? new RegExp(`^policy file line ${line}: `) : /^policy file file: /);
    expect(e.message).not.toMatch(/\n/);
  });

  it('refuses a file larger than 256 KiB before parsing it', () => {
    expect(() => parsePolicyFile(`# ${'x'.repeat(256 * 1024)}\nrules: []\ndefault: BLOCK\n`)).toThrow(/at most 262144/);
  });
});
