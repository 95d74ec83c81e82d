/**
 * Field decoders for bitcore-lib's transaction JSON (TATUM-COMPAT §4). Each takes an `unknown` from JSON.parse
 * and returns a canonical value or throws InvalidTransactionError naming the field (a path such as
 * `inputs[2].output.satoshis`), what was expected and what came. Canonical forms: hex lowercase, satoshis
 * bigint. Values in messages are public transaction data, shortened.
 */
import { InvalidTransactionError } from '../../errors.js';

export const MAX_UINT32 = 0xffffffff;
/** Consensus MAX_SCRIPT_SIZE (Bitcoin Core script.h); larger scripts are unspendable, larger prevouts unsignable. */
export const MAX_SCRIPT_BYTES = 10_000;

const HEX_BYTES = /^(?:[0-9a-fA-F]{2})*$/;
const TXID = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/** A short, bounded rendering of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return value.length > 48 ? `the string "${value.slice(0, 40)}…" (${value.length} chars)` : `the string ${JSON.stringify(value)}`;
  }
  if (typeof value === 'number') return `the number ${String(value)}`;
  return `a ${typeof value}`;
}

export function invalidField(field: string, expected: string, value: unknown): InvalidTransactionError {
  const subject = field === '' ? 'UTXO transaction' : `UTXO transaction field "${field}"`;
  return new InvalidTransactionError(`${subject}: expected ${expected}, got ${describe(value)}`, { field });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A JSON object with all `required` keys and no keys beyond `required` and `optional` (bitcore's toObject
 * shape; an unknown key is a different producer or a tampered transaction, never ignored).
 */
export function expectObject(
  field: string,
  value: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalidField(field, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      const where = field === '' ? '' : ` in "${field}"`;
      throw new InvalidTransactionError(`UTXO transaction has an unknown field ${JSON.stringify(key.slice(0, 40))}${where}; expected only ${[...required, ...optional].join(', ')}`, { field: field === '' ? key : `${field}.${key}` });
    }
  }
  for (const key of required) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      throw invalidField(field === '' ? key : `${field}.${key}`, 'a value', undefined);
    }
  }
  return value;
}

/** A JSON array of `min`..`max` elements. */
export function expectArray(field: string, value: unknown, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw invalidField(field, `an array of ${min} to ${max} elements`, value);
  }
  return value;
}

/** An unsigned 32-bit integer given as a JSON number (output index, sequence, lock time). */
export function parseUint32(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw invalidField(field, 'an integer from 0 to 4294967295', value);
  }
  return value === 0 ? 0 : value; // -0 → 0
}

/**
 * An amount in satoshis: a safe non-negative integer as a JSON number or a plain decimal string (no sign,
 * exponent, fraction, whitespace or leading zero). bitcore holds amounts in JS numbers, so anything above
 * 2^53 − 1 could not have been meant exactly.
 */
export function parseSatoshis(field: string, value: unknown): bigint {
  const expected = 'a non-negative integer ≤ 2^53-1 (JSON number or decimal string)';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalidField(field, expected, value);
    return BigInt(value);
  }
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const parsed = BigInt(value);
    if (parsed <= BigInt(Number.MAX_SAFE_INTEGER)) return parsed;
  }
  throw invalidField(field, expected, value);
}

/** Hex of whole bytes, at most `maxBytes`, returned lowercase. */
export function parseHex(field: string, value: unknown, maxBytes: number): string {
  if (typeof value !== 'string' || value.length > maxBytes * 2 || !HEX_BYTES.test(value)) {
    throw invalidField(field, `hex of whole bytes, at most ${maxBytes} bytes`, value);
  }
  return value.toLowerCase();
}

/** A transaction id: 64 hex digits (big-endian display order), returned lowercase. */
export function parseTxId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !TXID.test(value)) throw invalidField(field, '64 hex digits', value);
  return value.toLowerCase();
}

/** A string of at most `maxLength` characters. */
export function parseString(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length > maxLength) {
    throw invalidField(field, `a string of at most ${maxLength} characters`, value);
  }
  return value;
}
