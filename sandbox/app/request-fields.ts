/**
 * The boundary of the simulator's app-side endpoints: a typed 400 error, and field decoders that take an
 * `unknown` from JSON.parse and return a canonical value or throw AppRequestError naming the field (a path
 * such as `to[1].value`), what was expected and what came. Values in messages are public request data,
 * shortened; nothing here ever sees a secret.
 */
import { InvalidInputError, type ErrorContext } from '../../lib/errors.js';
import { SIGNATURE_ID } from '../../lib/tatum/pending-transaction.js';

/** A request body the endpoint refuses; the simulator answers HTTP 400 with the message. */
export class AppRequestError extends InvalidInputError {
  readonly status = 400;
  readonly field: string;
  constructor(field: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, { ...context, field }, options);
    this.field = field;
  }
}

/** A short, bounded rendering of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 48 ? `the string "${value.slice(0, 40)}…" (${value.length} chars)` : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  return `a ${typeof value}`;
}

export function invalid(field: string, expected: string, value: unknown): AppRequestError {
  return new AppRequestError(field, `request field "${field}": expected ${expected}, got ${describe(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An object with every `required` key and nothing beyond `required` and `optional`: a misspelt field
 * (`signatureID`, `changeAdress`) is refused rather than silently ignored. A null optional reads as absent.
 */
export function expectObject(field: string, value: unknown, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(field || 'body', 'an object', value);
  const where = (key: string): string => (field ? `${field}.${key}` : key);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw new AppRequestError(where(key), `request has an unknown field "${where(key).slice(0, 60)}"; expected only ${[...required, ...optional].join(', ')}`);
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key) || value[key] === undefined || value[key] === null) throw invalid(where(key), 'a value', undefined);
  }
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== null) out[key] = entry;
  return out;
}

export function expectArray(field: string, value: unknown, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) throw invalid(field, `an array of ${min} to ${max} entries`, value);
  return value;
}

/** A KMS signatureId: a lower-case UUID, as Tatum KMS generates them (and as the pending tx carries them). */
export function parseSignatureId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SIGNATURE_ID.test(value)) throw invalid(field, 'a lower-case UUID (a KMS signatureId)', value);
  return value;
}

/** A BIP32 non-hardened child index (or an output index): an integer 0 … 2^31−1. */
export function parseIndex(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw invalid(field, 'an integer from 0 to 2147483647', value);
  }
  return value;
}

export function parseString(field: string, value: unknown, pattern: RegExp, expected: string, maxLength = 200): string {
  if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) throw invalid(field, expected, value);
  return value;
}

const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * A non-negative decimal amount in a unit with `decimals` places (ETH 18, BTC 8, Gwei 9), returned in base
 * units. Strings are taken as written; a JSON number (Tatum's BTC `value` is one) by its shortest decimal
 * form, refused when that form is an exponent. More places than the unit has are refused, never rounded.
 */
export function parseDecimalAmount(field: string, value: unknown, decimals: number, unit: string, max: bigint): bigint {
  const expected = `a decimal amount of ${unit} with at most ${decimals} decimal places`;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) text = String(value);
  else throw invalid(field, expected, value);
  const match = text.length <= 100 ? DECIMAL.exec(text) : null;
  if (!match) throw invalid(field, typeof value === 'number' ? `${expected} (write small amounts as a decimal string)` : expected, value);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) throw invalid(field, expected, value);
  const amount = BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (amount > max) throw invalid(field, `${expected}, at most ${max} base units`, value);
  return amount;
}

/** A non-negative integer given as a decimal string or a JSON safe integer (Tatum's gasLimit, nonce). */
export function parseUnsignedInteger(field: string, value: unknown, max: bigint): bigint {
  const expected = `a non-negative integer ≤ ${max} (decimal string or number)`;
  let parsed: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) parsed = BigInt(value);
  else if (typeof value === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(value)) parsed = BigInt(value);
  else throw invalid(field, expected, value);
  if (parsed > max) throw invalid(field, expected, value);
  return parsed;
}
