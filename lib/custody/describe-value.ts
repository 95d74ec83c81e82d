/**
 * How custody errors say "what came" without echoing it: a value from storage or a caller may sit in a
 * secret-bearing field (a mnemonic pasted into the wrong place), so messages name its type and size only.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31 ? `the number ${value}` : 'a number out of range';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** A field name from untrusted input, quoted and cut to 40 characters. */
export function safeFieldName(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

/** Checks that an object has exactly `fields`; returns a sentence naming what is missing and unknown. */
export function fieldSetProblem(record: object, fields: readonly string[]): string | undefined {
  const keys = Object.keys(record);
  const unknown = keys.filter((key) => !fields.includes(key)).sort();
  const missing = fields.filter((key) => !Object.prototype.hasOwnProperty.call(record, key));
  if (unknown.length === 0 && missing.length === 0) return undefined;
  return (
    `must have exactly the fields ${fields.join(', ')}` +
    (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
    (unknown.length > 0 ? `; unknown ${unknown.slice(0, 5).map(safeFieldName).join(', ')}` : '')
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
