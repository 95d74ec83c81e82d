/**
 * Policy decisions, table-driven: one policy file exercising every condition, and transactions that must
 * land on a given rule (or the default). Each row names the rule it expects, so a wrong match is visible.
 */
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, parsePolicyFile, type PolicyInput, type VelocityTotals } from '../../../lib/policy/index.js';

const WALLET_A = '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10';
const WALLET_B = '5b1c3d2e-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
const DENIED = '0x45ed61920025dbb877f385dedd192a2408a8561c';
const FRIEND = '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb';
const OTHER = '0x1111111111111111111111111111111111111111';
const TOKEN = '0xdac17f958d2ee523a2206206994597c13d831ec7';
const BTC_DENIED = 'bc1q0fpjqsj4852234296lq705fnkzamyrxn4hp8tl';
const BTC_FRIEND = 'bc1qh9h2spvlrm2hnecwh2lalz8g2ych78l2qwrjgy';
const ETH = 10n ** 18n;
const SAT = 10n ** 8n;

const POLICY = parsePolicyFile(`
rules:
  - name: deny-list
    action: BLOCK
    when:
      to:
        deny: ["0x45Ed61920025dBB877F385DedD192A2408a8561c", "${BTC_DENIED.toUpperCase()}"]
  - name: testnet-free
    action: ALLOW
    when: { network: [testnet] }
  - name: wallet-b-frozen
    action: BLOCK
    when: { wallet: ["${WALLET_B.toUpperCase()}"] }
  - name: fee-too-high
    action: BLOCK
    when: { fee: { min: "0.05" } }
  - name: gas-too-high
    action: BLOCK
    when: { gas: { min: "1000001" } }
  - name: usdt-small
    action: ALLOW
    when:
      chain: [ETH]
      to: { allow: ["${TOKEN}", "${FRIEND}"] }
      tokenAmount: { token: "${TOKEN}", decimals: 6, max: "1000" }
      contractCalls: { allowSelectors: ["0xA9059CBB"] }
  - name: friend-eth
    action: ALLOW
    when:
      chain: [ETH]
      to: { allow: ["${FRIEND}"] }
      amount: { max: "1.5" }
      contractCalls: { allowSelectors: [] }
      velocity: { window: 1h, maxCount: 3, maxSum: "2" }
  - name: btc-office-hours
    action: ALLOW
    when:
      chain: [BTC]
      to: { allow: ["${BTC_FRIEND}"] }
      amount: { max: "0.5" }
      hours: { from: "08:00", to: "18:00", timezone: UTC }
  - name: night-shift
    action: ALLOW
    when:
      chain: [LTC]
      hours: { from: "22:00", to: "06:00", timezone: UTC }
  - name: big
    action: BLOCK
    when: { amount: { min: "100" } }
default: REQUIRE_APPROVAL
`);

const NOON = new Date('2026-03-02T12:00:00Z');
const quiet = (): VelocityTotals => ({ count: 0, sum: 0n });

function eth(over: Partial<PolicyInput> = {}): PolicyInput {
  return { chain: 'ETH', network: 'mainnet', family: 'evm', wallets: [WALLET_A], outputs: [{ to: FRIEND, amount: ETH }], fee: 10n ** 15n, gas: 21_000n, ...over };
}
function btc(over: Partial<PolicyInput> = {}): PolicyInput {
  return { chain: 'BTC', network: 'mainnet', family: 'utxo', wallets: [WALLET_A], outputs: [{ to: BTC_FRIEND, amount: SAT / 10n }], fee: 1000n, ...over };
}
const transfer = (recipient: string, amount: bigint): Partial<PolicyInput> => ({
  outputs: [{ to: TOKEN, amount: 0n }],
  erc20: { token: TOKEN, recipient, amount },
  selector: '0xa9059cbb',
  gas: 60_000n,
});

interface Row {
  name: string;
  input: PolicyInput;
  expect: [string, string | null];
  now?: Date;
  velocity?: (wallet: string, windowMs: number) => VelocityTotals;
}

const ROWS: Row[] = [
  { name: 'small ETH to a friend', input: eth(), expect: ['ALLOW', 'friend-eth'] },
  { name: 'exactly the cap is allowed (inclusive)', input: eth({ outputs: [{ to: FRIEND, amount: 15n * ETH / 10n }] }), expect: ['ALLOW', 'friend-eth'] },
  { name: 'one wei above the cap falls through', input: eth({ outputs: [{ to: FRIEND, amount: 15n * ETH / 10n + 1n }] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'to a denied address', input: eth({ outputs: [{ to: DENIED, amount: 1n }] }), expect: ['BLOCK', 'deny-list'] },
  { name: 'denied address written checksummed', input: eth({ outputs: [{ to: '0x45Ed61920025dBB877F385DedD192A2408a8561c', amount: 1n }] }), expect: ['BLOCK', 'deny-list'] },
  { name: 'denied address written xdc', input: eth({ outputs: [{ to: 'xdc45ed61920025dbb877f385dedd192a2408a8561c', amount: 1n }] }), expect: ['BLOCK', 'deny-list'] },
  { name: 'denied even on testnet (earlier rule)', input: eth({ network: 'testnet', outputs: [{ to: DENIED, amount: 1n }] }), expect: ['BLOCK', 'deny-list'] },
  { name: 'testnet anything else', input: eth({ network: 'testnet', outputs: [{ to: OTHER, amount: 500n * ETH }] }), expect: ['ALLOW', 'testnet-free'] },
  { name: 'unknown destination', input: eth({ outputs: [{ to: OTHER, amount: 1n }] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'frozen wallet among signers', input: eth({ wallets: [WALLET_A, WALLET_B] }), expect: ['BLOCK', 'wallet-b-frozen'] },
  { name: 'fee at the ceiling', input: eth({ fee: 5n * ETH / 100n }), expect: ['BLOCK', 'fee-too-high'] },
  { name: 'fee just below the ceiling', input: eth({ fee: 5n * ETH / 100n - 1n }), expect: ['ALLOW', 'friend-eth'] },
  { name: 'gas above the ceiling', input: eth({ gas: 1_000_001n }), expect: ['BLOCK', 'gas-too-high'] },
  { name: 'token transfer to a friend within cap', input: eth(transfer(FRIEND, 1000n * 10n ** 6n)), expect: ['ALLOW', 'usdt-small'] },
  { name: 'token transfer above cap', input: eth(transfer(FRIEND, 1000n * 10n ** 6n + 1n)), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'token transfer to a denied recipient', input: eth(transfer(DENIED, 1n)), expect: ['BLOCK', 'deny-list'] },
  { name: 'token transfer to a stranger', input: eth(transfer(OTHER, 1n)), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'other call to the token contract', input: eth({ outputs: [{ to: TOKEN, amount: 0n }], selector: '0x095ea7b3' }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'contract call to a friend is not a plain payment', input: eth({ selector: '0x12345678' }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'contract creation', input: eth({ outputs: [{ to: 'contract-creation', amount: 0n }], selector: undefined, createsContract: true }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'velocity: third tx in the hour', input: eth(), velocity: () => ({ count: 2, sum: 0n }), expect: ['ALLOW', 'friend-eth'] },
  { name: 'velocity: fourth tx in the hour', input: eth(), velocity: () => ({ count: 3, sum: 0n }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'velocity: sum reaches 2 exactly', input: eth(), velocity: () => ({ count: 0, sum: ETH }), expect: ['ALLOW', 'friend-eth'] },
  { name: 'velocity: sum would exceed 2', input: eth(), velocity: () => ({ count: 0, sum: ETH + 1n }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'velocity: no wallet known', input: eth({ wallets: [] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'fee unknown: fee rule cannot match, ALLOW still can', input: eth({ fee: undefined }), expect: ['ALLOW', 'friend-eth'] },
  { name: 'BTC in office hours', input: btc(), expect: ['ALLOW', 'btc-office-hours'] },
  { name: 'BTC at 18:00 (to is exclusive)', input: btc(), now: new Date('2026-03-02T18:00:00Z'), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'BTC at 07:59', input: btc(), now: new Date('2026-03-02T07:59:59Z'), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'BTC satoshi cap 0.5 inclusive', input: btc({ outputs: [{ to: BTC_FRIEND, amount: SAT / 2n }] }), expect: ['ALLOW', 'btc-office-hours'] },
  { name: 'BTC one satoshi above', input: btc({ outputs: [{ to: BTC_FRIEND, amount: SAT / 2n + 1n }] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'BTC with a second output to a stranger', input: btc({ outputs: [{ to: BTC_FRIEND, amount: 1n }, { to: '1BoatSLRHtKNngkdXEeobR76b53LETtpyT', amount: 1n }] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'BTC denied (bech32 listed upper-case)', input: btc({ outputs: [{ to: BTC_FRIEND, amount: 1n }, { to: BTC_DENIED, amount: 1n }] }), expect: ['BLOCK', 'deny-list'] },
  { name: 'LTC at 23:30 (window wraps midnight)', input: btc({ chain: 'LTC', outputs: [] }), now: new Date('2026-03-02T23:30:00Z'), expect: ['ALLOW', 'night-shift'] },
  { name: 'LTC at 05:59', input: btc({ chain: 'LTC', outputs: [] }), now: new Date('2026-03-02T05:59:00Z'), expect: ['ALLOW', 'night-shift'] },
  { name: 'LTC at 06:00', input: btc({ chain: 'LTC', outputs: [] }), now: new Date('2026-03-02T06:00:00Z'), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'BTC 100 coins: 8 decimals, not 18', input: btc({ outputs: [{ to: OTHER, amount: 100n * SAT }] }), expect: ['BLOCK', 'big'] },
  { name: 'ETH 99.999… below big', input: eth({ outputs: [{ to: OTHER, amount: 100n * ETH - 1n }] }), expect: ['REQUIRE_APPROVAL', null] },
  { name: 'multi-output sum counts for the amount', input: btc({ outputs: [{ to: OTHER, amount: 60n * SAT }, { to: BTC_FRIEND, amount: 40n * SAT }] }), expect: ['BLOCK', 'big'] },
];

describe('evaluatePolicy', () => {
  it.each(ROWS)('$name', (row) => {
    const decision = evaluatePolicy(POLICY, row.input, { now: row.now ?? NOON, velocity: row.velocity ?? quiet });
    expect([decision.action, decision.rule]).toEqual(row.expect);
    expect(decision.reason).not.toMatch(/\n/);
    if (row.expect[1] !== null) expect(decision.reason).toContain(`rule "${row.expect[1]}"`);
    else expect(decision.reason).toBe('no rule matched; default REQUIRE_APPROVAL');
  });

  it('asks velocity for every wallet of an ALLOW rule, with the rule window', () => {
    const asked: Array<[string, number]> = [];
    const velocity = (wallet: string, windowMs: number) => {
      asked.push([wallet, windowMs]);
      return { count: wallet === WALLET_A ? 0 : 5, sum: 0n };
    };
    const other = '9c1e2a10-8f0e-4f6b-9a51-7d3b0f4a9c9e';
    const decision = evaluatePolicy(POLICY, eth({ wallets: [WALLET_A, other] }), { now: NOON, velocity });
    expect(decision.action).toBe('REQUIRE_APPROVAL');
    expect(asked).toContainEqual([WALLET_A, 3_600_000]);
    expect(asked).toContainEqual([other, 3_600_000]);
  });

  it('a policy with no rules applies its default, and an empty when matches everything', () => {
    expect(evaluatePolicy(parsePolicyFile('{"rules": [], "default": "BLOCK"}'), eth(), { now: NOON, velocity: quiet })).toEqual({
      action: 'BLOCK',
      rule: null,
      reason: 'no rule matched; default BLOCK',
    });
    const all = parsePolicyFile('rules: [{name: everything, action: REQUIRE_APPROVAL}]\ndefault: ALLOW');
    expect(evaluatePolicy(all, btc(), { now: NOON, velocity: quiet }).rule).toBe('everything');
  });

  it('time zones other than UTC follow the zone, including daylight saving', () => {
    const prague = parsePolicyFile('rules: [{name: day, action: ALLOW, when: {hours: {from: "09:00", to: "17:00", timezone: Europe/Prague}}}]\ndefault: BLOCK');
    const at = (iso: string) => evaluatePolicy(prague, eth(), { now: new Date(iso), velocity: quiet }).action;
    expect(at('2026-01-15T08:00:00Z')).toBe('ALLOW'); // 09:00 CET
    expect(at('2026-01-15T07:59:00Z')).toBe('BLOCK');
    expect(at('2026-07-15T07:00:00Z')).toBe('ALLOW'); // 09:00 CEST
    expect(at('2026-07-15T15:00:00Z')).toBe('BLOCK'); // 17:00 CEST
  });
});
