/**
 * Fuzzing the EVM boundary: random JSON, mutated vectors, huge and negative numbers, wrong types and
 * extra fields. parse throws only InvalidTransactionError; sign only IncompleteTransactionError,
 * KeyMismatchError or InvalidTransactionError; and parse accepts exactly what an independent model of the
 * schema (written here with ethers' validators, not Sigil's) accepts, so nothing invalid is ever signed.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Transaction, isAddress } from 'ethers';
import { describe, expect, it } from 'vitest';
import { evmFamily, type EvmTransaction } from '../../lib/chains/evm/index.js';
import { defaultRegistry, type ChainNetwork } from '../../lib/chains/registry.js';
import { IncompleteTransactionError, InvalidTransactionError, KeyMismatchError } from '../../lib/errors.js';

interface EvmVector { chain: string; network: string; privateKey: string; serializedTransaction: string }
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/evm-vectors.json', import.meta.url), 'utf8')) as { vectors: EvmVector[] };
const cases = vectors.map((v) => ({
  chain: defaultRegistry.resolve(v.chain, v.network),
  key: Uint8Array.from(Buffer.from(v.privateKey.slice(2), 'hex')),
  input: JSON.parse(v.serializedTransaction) as Record<string, unknown>,
}));

const MAX64 = (1n << 64n) - 1n;
const MAX256 = (1n << 256n) - 1n;
const QUANTITIES: Record<string, bigint> = { value: MAX256, nonce: MAX64, gas: MAX64, gasLimit: MAX64, gasPrice: MAX256, maxFeePerGas: MAX256, maxPriorityFeePerGas: MAX256, chainId: MAX256 };
const FIELDS = ['from', 'to', 'data', 'feeCurrency', ...Object.keys(QUANTITIES)];

/** The schema of TATUM-COMPAT §4 and the EVM brief, as a model: the quantity an input denotes, or null if invalid. */
function modelQuantity(raw: unknown, max: bigint): bigint | null {
  let value: bigint;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) return null;
    value = BigInt(raw);
  } else if (typeof raw === 'string' && (/^0x[0-9a-f]+$/i.test(raw) && raw.startsWith('0x') || /^\d+$/.test(raw))) {
    value = BigInt(raw);
  } else {
    return null;
  }
  return value <= max ? value : null;
}
function modelAddress(raw: unknown, chain: ChainNetwork): boolean {
  if (typeof raw !== 'string') return false;
  const hex = chain.addressFormat === 'xdc' && raw.startsWith('xdc') ? `0x${raw.slice(3)}` : raw;
  return hex.startsWith('0x') && isAddress(hex);
}
function modelAccepts(input: unknown, chain: ChainNetwork): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const record = input as Record<string, unknown>;
  if (Object.keys(record).some((key) => !FIELDS.includes(key))) return false;
  const given = (key: string) => record[key] !== undefined && record[key] !== null;
  const q: Record<string, bigint | undefined> = {};
  for (const [field, max] of Object.entries(QUANTITIES)) {
    if (!given(field)) continue;
    const value = modelQuantity(record[field], max);
    if (value === null) return false;
    q[field] = value;
  }
  if (q.chainId !== undefined && q.chainId !== chain.chainId) return false;
  if (given('feeCurrency')) return false;
  if (given('from') && record.from !== 0 && !modelAddress(record.from, chain)) return false;
  if (given('to') && !modelAddress(record.to, chain)) return false;
  if (given('data') && !(typeof record.data === 'string' && /^0x([0-9a-f]{2})*$/i.test(record.data) && record.data.startsWith('0x'))) return false;
  if (!given('to') && !(given('data') && record.data !== '0x')) return false;
  if (q.gas !== undefined && q.gasLimit !== undefined && q.gas !== q.gasLimit) return false;
  if (q.gasPrice !== undefined && (q.maxFeePerGas !== undefined || q.maxPriorityFeePerGas !== undefined)) return false;
  if (q.maxFeePerGas !== undefined && q.maxPriorityFeePerGas !== undefined && q.maxPriorityFeePerGas > q.maxFeePerGas) return false;
  return true;
}

/** Run parse and sign on `serialized`; assert only the allowed errors and that acceptance matches the model. */
function check(serialized: string, chain: ChainNetwork, key: Uint8Array): void {
  let json: unknown;
  let jsonOk = true;
  try {
    json = JSON.parse(serialized);
  } catch {
    jsonOk = false;
  }
  const expected = jsonOk && modelAccepts(json, chain);
  let tx: EvmTransaction;
  try {
    tx = evmFamily.parse(serialized, chain);
  } catch (error) {
    if (!(error instanceof InvalidTransactionError)) throw error;
    expect(expected, `parse refused a valid input: ${error.message}`).toBe(false);
    return;
  }
  expect(expected, `parse accepted an invalid input: ${serialized.slice(0, 300)}`).toBe(true);
  let raw: string;
  try {
    raw = evmFamily.sign(tx, [{ privateKey: key }], chain).raw;
  } catch (error) {
    if (!(error instanceof IncompleteTransactionError || error instanceof KeyMismatchError || error instanceof InvalidTransactionError)) throw error;
    return;
  }
  const decoded = Transaction.from(raw);
  expect(decoded.chainId).toBe(chain.chainId);
  expect(decoded.to?.toLowerCase()).toBe(tx.to);
  expect(decoded.value).toBe(tx.value);
  expect(decoded.data).toBe(tx.data);
}

const caseArb = fc.constantFrom(...cases);
const hugeDigits = fc.integer({ min: 60, max: 400 }).map((n) => '9'.repeat(n));
/** Values that are wrong, borderline or right for some field. */
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, -0, -1, 1.5, 1e21, 2 ** 53, Number.MAX_SAFE_INTEGER, true, false, [], {}, '', '0x', '0X1', '-1', '-0x1', ' 1', '1 ', '1e3', '0b1', '0o7', 'NaN', '+1', '0x0', '00'),
  // The bounds and their neighbours, in both spellings.
  fc.constantFrom(MAX64 - 1n, MAX64, MAX64 + 1n, MAX256 - 1n, MAX256, MAX256 + 1n).chain((v) => fc.constantFrom(v.toString(), `0x${v.toString(16)}`)),
  fc.bigInt({ min: -MAX256, max: (1n << 300n) }).map(String),
  fc.bigInt({ min: 0n, max: 1n << 300n }).map((v) => `0x${v.toString(16)}`),
  fc.bigInt({ min: 0n, max: 1n << 300n }).map((v) => `0x${v.toString(16).toUpperCase()}`),
  hugeDigits,
  hugeDigits.map((d) => `0x${d}`),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 50 }),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString('hex')}`),
  fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 })).map(
    ([b, upper]) => `0x${[...Buffer.from(b).toString('hex')].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')}`,
  ),
  fc.uint8Array({ maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString('hex')}`),
  fc.jsonValue({ maxDepth: 2 }),
);
const fieldArb = fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom('input', 'type', 'accessList', '__proto__', 'constructor', 'Gas', 'gas '), fc.string({ maxLength: 12 }));

type Mutation = { kind: 'set'; field: string; value: unknown } | { kind: 'delete'; field: string };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), field: fieldArb, value: weirdValue }),
  fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom(...FIELDS) }),
);

function mutate(input: Record<string, unknown>, mutations: Mutation[]): string {
  const copy: Record<string, unknown> = { ...input };
  for (const m of mutations) {
    if (m.kind === 'delete') delete copy[m.field];
    else Object.defineProperty(copy, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return JSON.stringify(copy);
}

describe('EVM parse fuzz', () => {
  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), caseArb, (value, c) => check(JSON.stringify(value) ?? 'null', c.chain, c.key)), { numRuns: 3000 });
  });

  it('random objects over the known field names', () => {
    const objectArb = fc.dictionary(fieldArb, weirdValue, { maxKeys: 8 });
    fc.assert(fc.property(objectArb, caseArb, (value, c) => check(JSON.stringify(value), c.chain, c.key)), { numRuns: 4000 });
  });

  it('vectors with fields replaced, removed or added', () => {
    fc.assert(
      fc.property(caseArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (c, mutations) => check(mutate(c.input, mutations), c.chain, c.key)),
      { numRuns: 5000 },
    );
  });

  it('vectors with characters inserted, deleted or replaced', () => {
    const editArb = fc.record({ at: fc.nat(), remove: fc.integer({ min: 0, max: 3 }), insert: fc.string({ maxLength: 4, unit: fc.constantFrom(...'0123456789abcdefxX-.e{}[]",: n') }) });
    fc.assert(
      fc.property(caseArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), (c, edits) => {
        let text = JSON.stringify(c.input);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        check(text, c.chain, c.key);
      }),
      { numRuns: 5000 },
    );
  });

  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), caseArb, (text, c) => check(text, c.chain, c.key)), { numRuns: 2000 });
  });
});
