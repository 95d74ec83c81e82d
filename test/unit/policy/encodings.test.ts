/**
 * A BLOCK cannot be bypassed by how a field is written. The same EVM transaction is serialized with its
 * amounts in decimal, hex (either digit case) or as a JSON number, its addresses lowercase, upper-case,
 * EIP-55 checksummed or (on XDC) `xdc`-prefixed, its call data in either case; each form is parsed by the
 * real EVM boundary, turned into a PolicyInput and evaluated. Every form must get the same decision, and
 * that decision must be the one an independent model of the policy gives. The policy file's own addresses
 * are written in random encodings too.
 */
import fc from 'fast-check';
import { getAddress } from 'ethers';
import { describe, expect, it } from 'vitest';
import { parseEvmTransaction } from '../../../lib/chains/evm/index.js';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { evaluatePolicy, parsePolicyFile, policyInputOfEvm, type PolicyDecision } from '../../../lib/policy/index.js';

const ETH = defaultRegistry.resolve('ETH', 'mainnet');
const XDC = defaultRegistry.resolve('XDC', 'mainnet');
const WALLET = '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10';
const TOKEN = '0xdac17f958d2ee523a2206206994597c13d831ec7';
const CAP = 10n ** 18n; // "1" native coin
const TOKEN_CAP = 5_000_000n; // "5" with 6 decimals
const quiet = { now: new Date('2026-03-02T12:00:00Z'), velocity: () => ({ count: 0, sum: 0n }) };

const hex40 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex'));
/** A small pool, so generated transactions hit the deny list often. */
const addressPool = fc.array(hex40, { minLength: 3, maxLength: 3 });

type AddressEncoding = 'lower' | 'upper' | 'checksum' | 'xdc' | 'XDC-upper';
const addressEncoding = (allowXdc: boolean) =>
  fc.constantFrom<AddressEncoding>(...(allowXdc ? (['lower', 'upper', 'checksum', 'xdc', 'XDC-upper'] as const) : (['lower', 'upper', 'checksum'] as const)));

function encodeAddress(body: string, how: AddressEncoding, forPolicy = false): string {
  switch (how) {
    case 'lower':
      return `0x${body}`;
    case 'upper':
      return `0x${body.toUpperCase()}`;
    case 'checksum':
      return getAddress(`0x${body}`);
    case 'xdc':
      return `xdc${body}`;
    case 'XDC-upper':
      // The chain boundary takes `xdc` + upper-case hex; a policy file may even write the prefix upper-case.
      return forPolicy ? `XDC${body.toUpperCase()}` : `xdc${body.toUpperCase()}`;
  }
}

type AmountEncoding = 'decimal' | 'hex' | 'HEX' | 'number';
const amountEncoding = fc.constantFrom<AmountEncoding>('decimal', 'hex', 'HEX', 'number');

function encodeAmount(value: bigint, how: AmountEncoding): string | number {
  if (how === 'number' && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (how === 'hex') return `0x${value.toString(16)}`;
  if (how === 'HEX') return `0x${value.toString(16).toUpperCase()}`;
  return value.toString();
}

/** Amounts clustered around the caps, where an off-by-one or a unit mistake would show. */
const amount = (cap: bigint) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: 2n * cap }),
    fc.constantFrom(0n, cap - 1n, cap, cap + 1n),
    fc.bigInt({ min: 0n, max: (1n << 200n) - 1n }),
  );

const txShape = fc.record({
  pool: addressPool,
  toIndex: fc.nat({ max: 2 }),
  recipientIndex: fc.nat({ max: 2 }),
  denyIndex: fc.nat({ max: 2 }),
  erc20: fc.boolean(),
  value: amount(CAP),
  tokenAmount: amount(TOKEN_CAP),
  xdc: fc.boolean(),
});

const encodingChoice = (allowXdc: boolean) =>
  fc.record({ to: addressEncoding(allowXdc), recipient: fc.constantFrom('lower', 'upper'), value: amountEncoding, gas: amountEncoding, dataCase: fc.constantFrom('lower', 'upper') });

function policyText(denied: string, friend: string): string {
  return `rules:
  - name: deny
    action: BLOCK
    when:
      to: { deny: ["${denied}"] }
  - name: token-cap
    action: ALLOW
    when:
      to: { allow: ["${TOKEN}", "${friend}"] }
      tokenAmount: { token: "${getAddress(TOKEN)}", decimals: 6, max: "5" }
  - name: native-cap
    action: ALLOW
    when:
      to: { allow: ["${friend}"] }
      amount: { max: "1" }
      contractCalls: { allowSelectors: [] }
default: BLOCK
`;
}

describe('a BLOCK or a cap cannot be bypassed by field encodings', () => {
  it('every encoding of the same transaction gets the same decision, and the model’s decision', () => {
    fc.assert(
      fc.property(
        txShape,
        fc.array(encodingChoice(true), { minLength: 3, maxLength: 3 }),
        addressEncoding(true),
        addressEncoding(true),
        (shape, encodings, denyHow, friendHow) => {
          const chain = shape.xdc ? XDC : ETH;
          const denied = shape.pool[shape.denyIndex] as string;
          const friend = shape.pool[(shape.denyIndex + 1) % 3] as string;
          const policy = parsePolicyFile(policyText(encodeAddress(denied, denyHow, true), encodeAddress(friend, friendHow, true)));
          const decisions: PolicyDecision[] = [];
          for (const enc of encodings) {
            const toBody = shape.erc20 ? TOKEN.slice(2) : (shape.pool[shape.toIndex] as string);
            const recipient = shape.pool[shape.recipientIndex] as string;
            const json: Record<string, unknown> = {
              to: encodeAddress(toBody, chain === XDC ? enc.to : enc.to === 'xdc' || enc.to === 'XDC-upper' ? 'checksum' : enc.to),
              value: encodeAmount(shape.erc20 ? 0n : shape.value, enc.value),
              gas: encodeAmount(60_000n, enc.gas),
              gasPrice: '1',
              nonce: 0,
            };
            if (shape.erc20) {
              const data = `a9059cbb${'0'.repeat(24)}${recipient}${shape.tokenAmount.toString(16).padStart(64, '0')}`;
              json.data = `0x${enc.dataCase === 'upper' ? data.toUpperCase() : data}`;
            }
            const input = policyInputOfEvm(parseEvmTransaction(JSON.stringify(json), chain), chain, [WALLET]);
            decisions.push(evaluatePolicy(policy, input, quiet));
          }
          for (const d of decisions) expect(d).toEqual(decisions[0]);

          // The model: what the decision must be, from the shape alone.
          const recipient = shape.pool[shape.recipientIndex] as string;
          const to = shape.erc20 ? TOKEN.slice(2) : (shape.pool[shape.toIndex] as string);
          const touchesDenied = to === denied || (shape.erc20 && recipient === denied);
          let expected: string;
          if (touchesDenied) expected = 'deny';
          else if (shape.erc20 && recipient === friend && shape.tokenAmount <= TOKEN_CAP) expected = 'token-cap';
          else if (!shape.erc20 && to === friend && shape.value <= CAP) expected = 'native-cap';
          else expected = 'default';
          expect(decisions[0]?.rule ?? 'default').toBe(expected);
          expect(decisions[0]?.action).toBe(expected === 'deny' || expected === 'default' ? 'BLOCK' : 'ALLOW');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a denied address is blocked whichever of its encodings the policy and the transaction use', () => {
    fc.assert(
      fc.property(hex40, addressEncoding(true), addressEncoding(true), amountEncoding, fc.bigInt({ min: 0n, max: 10n ** 30n }), (body, policyHow, txHow, valueHow, value) => {
        const policy = parsePolicyFile(`rules: [{name: deny, action: BLOCK, when: {to: {deny: ["${encodeAddress(body, policyHow, true)}"]}}}]\ndefault: ALLOW\n`);
        const tx = JSON.stringify({ to: encodeAddress(body, txHow), value: encodeAmount(value, valueHow), gas: 21000, gasPrice: '1', nonce: 1 });
        const decision = evaluatePolicy(policy, policyInputOfEvm(parseEvmTransaction(tx, XDC), XDC, [WALLET]), quiet);
        expect(decision).toMatchObject({ action: 'BLOCK', rule: 'deny' });
      }),
      { numRuns: 1500 },
    );
  });
});
