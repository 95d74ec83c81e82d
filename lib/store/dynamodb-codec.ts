/**
 * A tiny DynamoDB AttributeValue codec for the JSON-shaped records Sigil stores (strings, numbers,
 * booleans, null, maps, lists). `@aws-sdk/lib-dynamodb` is not a dependency; this is all it would do here.
 * Binary and set types are never written, so reading one means the item was not written by Sigil.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidInputError } from '../errors.js';
import { StoreError } from './store-error.js';

export type Item = Record<string, AttributeValue>;

export function toAttributeValue(value: unknown, path = 'value'): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(`${path} must be a finite number to be stored`, { path });
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map((v, i) => toAttributeValue(v, `${path}[${i}]`)) };
  if (typeof value === 'object') return { M: toItem(value as Record<string, unknown>, path) };
  throw new InvalidInputError(`${path} has type ${typeof value}, which is not stored`, { path });
}

/** An own field even when the key is `__proto__` (a plain assignment would set the prototype instead). */
function setOwn<T>(object: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Fields whose value is undefined are left out, as JSON.stringify does. */
export function toItem(object: Record<string, unknown>, path = 'item'): Item {
  const item: Item = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) setOwn(item, key, toAttributeValue(value, `${path}.${key}`));
  }
  return item;
}

export function fromAttributeValue(value: AttributeValue, path = 'value'): unknown {
  if (value.S !== undefined) return value.S;
  // A number that is not a JSON number stays a string, which the record schema then refuses.
  if (value.N !== undefined) return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.N) ? Number(value.N) : value.N;
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map((v, i) => fromAttributeValue(v, `${path}[${i}]`));
  if (value.M !== undefined) return fromItem(value.M, path);
  const type = Object.keys(value).find((key) => (value as unknown as Record<string, unknown>)[key] !== undefined) ?? 'unknown';
  throw new StoreError('CORRUPT_RECORD', `dynamodb item: ${path} has attribute type ${type}; Sigil stores only S, N, BOOL, NULL, M and L`, { path, type });
}

/** A stored key named `__proto__` stays an own (unknown, refused) field, never a prototype. */
export function fromItem(item: Item, path = 'item'): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) setOwn(object, key, fromAttributeValue(value, `${path}.${key}`));
  return object;
}
