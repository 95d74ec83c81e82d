/**
 * Canonical JSON for the values custody binds as authenticated data: RFC 8785 (JSON Canonicalization
 * Scheme) restricted to strings, booleans, null, safe integers, arrays and plain objects. Object members
 * are sorted by UTF-16 code units, no insignificant whitespace, strings escaped as ECMAScript
 * JSON.stringify does (which is what RFC 8785 §3.2.2.2 specifies). Members whose value is `undefined` are
 * omitted, so an absent optional field and a missing one encode alike.
 */
import { InvalidInputError } from '../errors.js';

export type CanonicalValue =
  | string
  | boolean
  | null
  | number
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    // Only safe integers: RFC 8785 number formatting of fractions is where implementations diverge.
    if (!Number.isSafeInteger(value)) {
      throw new InvalidInputError(`canonical JSON takes safe integers only, got ${String(value)}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: CanonicalValue) => canonicalJson(item)).join(',')}]`;
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new InvalidInputError(`canonical JSON takes plain objects, got ${typeof value}`);
  }
  const record = value as { readonly [key: string]: CanonicalValue | undefined };
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort(compareCodeUnits)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key] as CanonicalValue)}`);
  return `{${members.join(',')}}`;
}

export function canonicalJsonBytes(value: CanonicalValue): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** RFC 8785 §3.2.3: compare by UTF-16 code units, which is what `<` on JS strings does. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
