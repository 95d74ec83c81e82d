/**
 * Fuzzing the UTXO boundary: random JSON and strings, and vectors mutated at random paths (wrong types,
 * huge, negative and fractional amounts, bad hex, extra and missing fields, duplicated inputs, wrong hash).
 * parse throws only InvalidTransactionError, sign only KeyMismatchError; and parse accepts exactly what an
 * independent model of the schema (written here, with its own txid computation) accepts, so nothing invalid
 * ever reaches sign.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utxoFamily, type UtxoTransaction } from '../../lib/chains/utxo/index.js';
import { defaultRegistry, type ChainNetwork } from '../../lib/chains/registry.js';
import { InvalidTransactionError, KeyMismatchError } from '../../lib/errors.js';
import { decodePrivateKey } from '../../lib/keys/index.js';

interface Vector { chain: string; network: string; keys: Array<{ wif: string }>; serializedTransaction: string }
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/utxo-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const cases = vectors.map((v) => {
  const chain = defaultRegistry.resolve(v.chain, v.network);
  return { chain, keys: v.keys.map((k) => ({ privateKey: decodePrivateKey(k.wif, chain) })), object: JSON.parse(v.serializedTransaction) as Record<string, unknown> };
});

// ---- the model: TATUM-COMPAT §4 and the UTXO brief, restated independently ----
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnly = (o: Json, required: string[], optional: string[] = []) =>
  required.every((k) => Object.hasOwn(o, k)) && Object.keys(o).every((k) => required.includes(k) || optional.includes(k));
const u32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4294967295;
function sats(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
  if (typeof v === 'string' && /^(0|[1-9]\d*)$/.test(v) && BigInt(v) <= 9007199254740991n) return BigInt(v);
  return null;
}
const hexOk = (v: unknown, maxBytes: number): v is string => typeof v === 'string' && v.length <= 2 * maxBytes && /^([0-9a-fA-F]{2})*$/.test(v);
const txidOk = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v);
const outputOk = (o: unknown) => isObject(o) && hasOnly(o, ['satoshis', 'script']) && sats(o.satoshis) !== null && hexOk(o.script, 10000);

/** Legacy serialization of the unsigned transaction (BIP144 without witness): [txid, size]. */
function modelTxid(o: Json): [string, number] {
  const u64le = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };
  const u32le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const varint = (n: number) => (n < 0xfd ? Buffer.from([n]) : n <= 0xffff ? Buffer.concat([Buffer.from([0xfd]), Buffer.from([n & 0xff, n >> 8])]) : Buffer.concat([Buffer.from([0xfe]), u32le(n)]));
  const script = (hex: string) => Buffer.concat([varint(hex.length / 2), Buffer.from(hex, 'hex')]);
  const inputs = o.inputs as Json[];
  const outputs = o.outputs as Json[];
  const parts = [u32le(o.version as number), varint(inputs.length)];
  for (const i of inputs) parts.push(Buffer.from(i.prevTxId as string, 'hex').reverse(), u32le(i.outputIndex as number), varint(0), u32le(i.sequenceNumber as number));
  parts.push(varint(outputs.length));
  for (const out of outputs) parts.push(u64le(sats(out.satoshis)!), script(out.script as string));
  parts.push(u32le(o.nLockTime as number));
  const raw = Buffer.concat(parts);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();
  return [sha(sha(raw)).reverse().toString('hex'), raw.length];
}

function modelAccepts(text: string): boolean {
  if (text.length > 2_000_000) return false;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(o) || !hasOnly(o, ['version', 'inputs', 'outputs', 'nLockTime'], ['hash', 'changeScript', 'changeAsm', 'changeIndex', 'fee'])) return false;
  if (o.version !== 1 && o.version !== 2) return false;
  if (!u32(o.nLockTime) || !Array.isArray(o.inputs) || !Array.isArray(o.outputs) || o.inputs.length === 0 || o.outputs.length === 0) return false;
  for (const i of o.inputs as unknown[]) {
    if (!isObject(i) || !hasOnly(i, ['prevTxId', 'outputIndex', 'sequenceNumber', 'script', 'output'], ['scriptString'])) return false;
    if (i.script !== '' || (Object.hasOwn(i, 'scriptString') && i.scriptString !== '')) return false;
    if (!txidOk(i.prevTxId) || !u32(i.outputIndex) || !u32(i.sequenceNumber) || !outputOk(i.output)) return false;
  }
  if (!(o.outputs as unknown[]).every(outputOk)) return false;
  for (const k of ['changeScript', 'changeAsm']) if (Object.hasOwn(o, k) && !(typeof o[k] === 'string' && (o[k] as string).length <= 80000)) return false;
  if (Object.hasOwn(o, 'changeIndex') && !(u32(o.changeIndex) && o.changeIndex < o.outputs.length && Object.hasOwn(o, 'changeScript'))) return false;
  if (Object.hasOwn(o, 'fee') && sats(o.fee) === null) return false;
  const inputs = o.inputs as Json[];
  const outpoints = inputs.map((i) => `${(i.prevTxId as string).toLowerCase()}:${i.outputIndex}`);
  if (new Set(outpoints).size !== outpoints.length) return false;
  const sum = (list: Json[], get: (x: Json) => unknown) => list.reduce((s, x) => s + sats(get(x))!, 0n);
  if (sum(inputs, (i) => (i.output as Json).satoshis) < sum(o.outputs as Json[], (x) => x.satoshis)) return false;
  const [txid, size] = modelTxid(o);
  if (size > 100_000) return false;
  return !Object.hasOwn(o, 'hash') || (txidOk(o.hash) && o.hash.toLowerCase() === txid);
}

/** parse, and when it accepts, sign: only the allowed errors, and acceptance exactly as the model says. */
function check(text: string, chain: ChainNetwork, keys: Array<{ privateKey: Uint8Array }>): void {
  let tx: UtxoTransaction | undefined;
  try {
    tx = utxoFamily.parse(text, chain);
  } catch (error) {
    if (!(error instanceof InvalidTransactionError)) throw error;
    expect(error.message).not.toMatch(/\n/);
  }
  expect(tx !== undefined).toBe(modelAccepts(text));
  if (!tx) return;
  try {
    const signed = utxoFamily.sign(tx, keys, chain);
    expect(signed.raw).toMatch(/^([0-9a-f]{2})+$/);
  } catch (error) {
    if (!(error instanceof KeyMismatchError)) throw error;
  }
}

// ---- mutations ----
const nasty = fc.oneof(
  fc.constantFrom<unknown>(null, true, '', '0', '-1', '1.5', '1e3', ' 1', '0x10', 'zz', '00'.repeat(10_001), -1, -0, 0.5, 2 ** 32, 2 ** 53, 1e300, 4294967295, 9007199254740991, '9007199254740991', '9007199254740992', [], {}, 'a1'.repeat(32), 'A1'.repeat(32), '76a914', '00'),
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.string({ maxLength: 70 }),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b).toString('hex')),
);
type Path = Array<string | number>;
function paths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (isObject(value)) return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}
const mutation = fc.record({ pick: fc.nat(), op: fc.constantFrom('set', 'delete', 'extra', 'duplicate'), value: nasty, key: fc.constantFrom('extra', 'txid', 'hash', 'scriptString', 'fee', 'changeIndex', '__proto__') });
type Mutation = { pick: number; op: string; value: unknown; key: string };
function mutate(root: Json, m: Mutation): void {
  const all = paths(root).filter((p) => p.length > 0);
  const path = all[m.pick % all.length]!;
  const parent = path.slice(0, -1).reduce<any>((node, k) => node[k], root);
  const last = path[path.length - 1]!;
  if (m.op === 'set') parent[last] = m.value;
  else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
  else if (m.op === 'duplicate' && Array.isArray(parent)) parent.push(structuredClone(parent[last as number]));
  else if (isObject(parent[last])) Object.defineProperty(parent[last], m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  else parent[last] = m.value;
}

describe('UTXO parse fuzz', () => {
  it('random JSON values and strings are refused with InvalidTransactionError only', () => {
    const [{ chain, keys }] = cases as [typeof cases[number]];
    fc.assert(fc.property(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), fc.string({ maxLength: 200 })), (text) => check(text, chain, keys)), { numRuns: 3000 });
  });

  it('mutated vectors: accepted exactly when the model accepts; otherwise only InvalidTransactionError', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.nat(), fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, dropHash, mutations) => {
        const c = cases[which % cases.length]!;
        const object = structuredClone(c.object);
        if (dropHash) delete object.hash;
        for (const m of mutations) mutate(object, m);
        const text = JSON.stringify(object);
        check(text, c.chain, c.keys);
        if (modelAccepts(text)) accepted += 1;
      }),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(100); // the fuzz also exercises signing, not only rejection
  });

  it('amounts at and beyond the bounds, as numbers and all sorts of decimal strings', () => {
    const c = cases[0]!;
    const digits = fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String);
    const amount = fc.oneof(
      digits,
      fc.tuple(fc.constantFrom('0', '00', '+', '-', ' ', '\t'), digits).map(([prefix, d]) => prefix + d),
      fc.tuple(digits, fc.constantFrom('.0', '.5', 'e0', 'e2', ' ', 'n')).map(([d, suffix]) => d + suffix),
      fc.double(),
      fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.MAX_SAFE_INTEGER + 2, '9007199254740991', '9007199254740992'),
    );
    fc.assert(
      fc.property(amount, fc.nat({ max: 1 }), (value, where) => {
        const object = structuredClone(c.object);
        delete object.hash;
        const target = where === 0 ? (object.outputs as Json[])[0]! : ((object.inputs as Json[])[0]!.output as Json);
        target.satoshis = value;
        check(JSON.stringify(object), c.chain, c.keys);
      }),
      { numRuns: 2000 },
    );
  });

  it('outputs summing to just below, exactly, and just above the inputs', () => {
    const c = cases.find((x) => (x.object.inputs as Json[]).length > 1)!;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: -2, max: 2 }), fc.array(fc.nat({ max: 100 }), { minLength: 5, maxLength: 5 }), (ins, delta, weights) => {
        const object = structuredClone(c.object);
        delete object.hash;
        (object.inputs as Json[]).forEach((input, i) => ((input.output as Json).satoshis = ins[i % ins.length]));
        const total = BigInt((object.inputs as Json[]).reduce((s, i) => s + ((i.output as Json).satoshis as number), 0)) + BigInt(delta);
        const outputs = object.outputs as Json[];
        const weight = BigInt(weights.slice(0, outputs.length).reduce((s, w) => s + w, 0) || 1);
        let left = total < 0n ? 0n : total;
        outputs.forEach((output, i) => {
          const share = i === outputs.length - 1 ? left : (left * BigInt(weights[i]!)) / weight;
          output.satoshis = String(share);
          left -= share;
        });
        check(JSON.stringify(object), c.chain, c.keys);
        expect(modelAccepts(JSON.stringify(object))).toBe(delta <= 0 || total < 0n);
      }),
      { numRuns: 1000 },
    );
  });
});
