/**
 * The schema of a ledger record (docs/ledger.md), shared by both adapters: one checker validates the
 * arguments of every ledger operation (ledger-input.ts: a bad one is InvalidInputError) and every record
 * read back from storage (a bad one is StoreError CORRUPT_RECORD, a newer one UNSUPPORTED_SCHEMA). Exact fields, no
 * coercion. Messages name fields, types and sizes, never values: a raw signed transaction is public, but
 * a corrupt field could hold anything.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { StoreError } from './store-error.js';
import {
  EVM_SPEND_KEY,
  LEDGER_SCHEMA_VERSION,
  LEDGER_STATES,
  UTXO_SPEND_KEY,
  type LedgerRecord,
  type LedgerState,
  type LedgerSummary,
  type ReplacedRaw,
} from './ledger.js';

export const PENDING_ID = /^[0-9a-f]{24}$/;
const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
const NETWORK_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Owner, operator, hash, txId: printable ASCII without spaces. */
const TOKEN = /^[\x21-\x7e]{1,128}$/;
const DECIMAL = /^(0|[1-9]\d{0,77})$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Pending JSON, prepared tx, raw tx: DynamoDB items hold 400 KB in all, so each field is capped. */
export const MAX_TEXT_CHARS = 120_000;
/** The encoded record, all fields together, stays under DynamoDB's 400 KB item limit with room for keys. */
export const MAX_RECORD_BYTES = 350_000;
export const MAX_SPENDS = 10_000;
const MAX_OUTPUTS = 10_000;
const MAX_HISTORY = 16;
export const MAX_REASON_CHARS = 500;

const RECORD_FIELDS = [
  'schema', 'id', 'chain', 'network', 'pending', 'state', 'revision', 'fence', 'owner', 'leaseExpiresAt', 'prepared', 'summary', 'retryAt',
  'reason', 'raw', 'hash', 'spends', 'broadcastAttempts', 'lastBroadcastAt', 'txId', 'failureReportedAt', 'history', 'createdAt', 'updatedAt',
  'expiresAt',
] as const;
const HISTORY_FIELDS = ['raw', 'hash', 'txId', 'replacedAt', 'reason', 'operator'] as const;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'an integer' : 'a number out of range';
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks values and reports through `fail`: InvalidInputError for arguments, CORRUPT_RECORD for stored records. */
export class LedgerChecker {
  constructor(readonly fail: (message: string, field: string) => never) {}

  exact(value: unknown, fields: readonly string[], what: string): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(`${what} must be an object, got ${describeValue(value)}`, what);
    const extra = Object.keys(value).filter((key) => !fields.includes(key));
    if (extra.length > 0) {
      const names = extra.slice(0, 5).map((key) => (/^[A-Za-z0-9_]{1,32}$/.test(key) ? key : '<unprintable>'));
      this.fail(`${what} has unknown field(s) ${names.join(', ')}`, what);
    }
    const missing = fields.filter((key) => !(key in value));
    if (missing.length > 0) this.fail(`${what} lacks field(s) ${missing.join(', ')}`, what);
    return value;
  }

  match(value: unknown, field: string, pattern: RegExp, expected: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) this.fail(`${field} must be ${expected}, got ${describeValue(value)}`, field);
    return value;
  }

  text(value: unknown, field: string, maxChars = MAX_TEXT_CHARS): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) {
      this.fail(`${field} must be a non-empty string of at most ${maxChars} characters, got ${describeValue(value)}`, field);
    }
    return value;
  }

  integer(value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(`${field} must be an integer in [${min}, ${max}], got ${describeValue(value)}`, field);
    }
    return value === 0 ? 0 : value; // JSON may say -0; a count or a time is never negative zero
  }

  nullable<T>(value: unknown, read: (v: unknown) => T): T | null {
    return value === null ? null : read(value);
  }

  pendingId(value: unknown, field = 'id'): string {
    return this.match(value, field, PENDING_ID, 'a Tatum pending id (24 lower-case hex)');
  }

  chain(value: unknown, field = 'chain'): string {
    return this.match(value, field, CHAIN_CODE, 'an upper-case chain code');
  }

  network(value: unknown, field = 'network'): string {
    return this.match(value, field, NETWORK_NAME, 'a network name');
  }

  token(value: unknown, field: string): string {
    return this.match(value, field, TOKEN, '1–128 printable characters without spaces');
  }

  state(value: unknown, field = 'state'): LedgerState {
    const state = LEDGER_STATES.find((s) => s === value);
    if (!state) this.fail(`${field} must be one of ${LEDGER_STATES.join(', ')}, got ${describeValue(value)}`, field);
    return state;
  }

  reason(value: unknown, field = 'reason'): string {
    const text = this.text(value, field, MAX_REASON_CHARS);
    if (/[\x00-\x1f\x7f]/.test(text) || text.trim() !== text) this.fail(`${field} must be one trimmed line`, field);
    return text;
  }

  summary(value: unknown, field = 'summary'): LedgerSummary {
    const raw = this.exact(value, ['outputs', 'maxFee'], field);
    if (!Array.isArray(raw.outputs) || raw.outputs.length > MAX_OUTPUTS) this.fail(`${field}.outputs must be an array of at most ${MAX_OUTPUTS}, got ${describeValue(raw.outputs)}`, `${field}.outputs`);
    const outputs = raw.outputs.map((output: unknown, i) => {
      const o = this.exact(output, ['to', 'amount'], `${field}.outputs[${i}]`);
      return { to: this.text(o.to, `${field}.outputs[${i}].to`, 512), amount: this.match(o.amount, `${field}.outputs[${i}].amount`, DECIMAL, 'a decimal amount in base units') };
    });
    const maxFee = this.nullable(raw.maxFee, (v) => this.match(v, `${field}.maxFee`, DECIMAL, 'a decimal amount in base units'));
    return { outputs, maxFee };
  }

  /** Spend keys; with `chain`, UTXO keys must name it. */
  spends(value: unknown, chain: string | null, field = 'spends'): string[] {
    if (!Array.isArray(value) || value.length > MAX_SPENDS) this.fail(`${field} must be an array of at most ${MAX_SPENDS} spend keys, got ${describeValue(value)}`, field);
    const keys = value.map((key: unknown, i) => {
      if (typeof key !== 'string' || !(EVM_SPEND_KEY.test(key) || UTXO_SPEND_KEY.test(key))) {
        this.fail(`${field}[${i}] must be evm:<chainId>:<0xfrom>:nonce:<n> or utxo:<chain>:<txid>:<vout>, got ${describeValue(key)}`, field);
      }
      const utxoChain = UTXO_SPEND_KEY.exec(key)?.[1];
      if (chain !== null && utxoChain !== undefined && utxoChain !== chain) this.fail(`${field}[${i}] names chain ${utxoChain}, but the transaction is on ${chain}`, field);
      return key;
    });
    if (new Set(keys).size !== keys.length) this.fail(`${field} must not repeat a key`, field);
    return keys;
  }

  history(value: unknown): ReplacedRaw[] {
    if (!Array.isArray(value) || value.length > MAX_HISTORY) this.fail(`history must be an array of at most ${MAX_HISTORY}, got ${describeValue(value)}`, 'history');
    return value.map((entry: unknown, i) => {
      const e = this.exact(entry, HISTORY_FIELDS, `history[${i}]`);
      return {
        raw: this.text(e.raw, `history[${i}].raw`),
        hash: this.token(e.hash, `history[${i}].hash`),
        txId: this.nullable(e.txId, (v) => this.token(v, `history[${i}].txId`)),
        replacedAt: this.integer(e.replacedAt, `history[${i}].replacedAt`),
        reason: this.reason(e.reason, `history[${i}].reason`),
        operator: this.token(e.operator, `history[${i}].operator`),
      };
    });
  }
}

function storedChecker(origin: string, id: string | undefined): LedgerChecker {
  return new LedgerChecker((message, field) => {
    throw new StoreError('CORRUPT_RECORD', `${origin}${id ? ` ${id}` : ''}: ${message}`, { origin, field, ...(id ? { pendingId: id } : {}) });
  });
}

/** Refuse a record (or item) written by a newer Sigil before looking at its fields: it may have others. */
export function checkSchemaVersion(schema: unknown, origin: string, id?: string): void {
  if (typeof schema === 'number' && Number.isInteger(schema) && schema > LEDGER_SCHEMA_VERSION) {
    throw new StoreError(
      'UNSUPPORTED_SCHEMA',
      `${origin}${id ? ` ${id}` : ''} has ledger schema ${schema}, newer than this build reads (up to ${LEDGER_SCHEMA_VERSION}); upgrade Sigil before using this ledger`,
      { origin, schema, supported: LEDGER_SCHEMA_VERSION, ...(id ? { pendingId: id } : {}) },
    );
  }
}

/** Parse a stored record (JSON text or value). Returns a fresh object with exactly the record's fields. */
export function parseLedgerRecord(value: unknown, origin: string): LedgerRecord {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new StoreError('CORRUPT_RECORD', `${origin}: record is not valid JSON`, { origin });
    }
  }
  const probeId = isPlainObject(parsed) && typeof parsed.id === 'string' && PENDING_ID.test(parsed.id) ? parsed.id : undefined;
  if (isPlainObject(parsed)) checkSchemaVersion(parsed.schema, origin, probeId);
  const c = storedChecker(origin, probeId);
  const r = c.exact(parsed, RECORD_FIELDS, 'record');
  const chain = c.chain(r.chain);
  return {
    schema: c.integer(r.schema, 'schema', 1, LEDGER_SCHEMA_VERSION),
    id: c.pendingId(r.id),
    chain,
    network: c.network(r.network),
    pending: c.text(r.pending, 'pending'),
    state: c.state(r.state),
    revision: c.integer(r.revision, 'revision', 1),
    fence: c.integer(r.fence, 'fence', 1),
    owner: c.nullable(r.owner, (v) => c.token(v, 'owner')),
    leaseExpiresAt: c.integer(r.leaseExpiresAt, 'leaseExpiresAt'),
    prepared: c.nullable(r.prepared, (v) => c.text(v, 'prepared')),
    summary: c.nullable(r.summary, (v) => c.summary(v)),
    retryAt: c.nullable(r.retryAt, (v) => c.integer(v, 'retryAt')),
    reason: c.nullable(r.reason, (v) => c.reason(v)),
    raw: c.nullable(r.raw, (v) => c.text(v, 'raw')),
    hash: c.nullable(r.hash, (v) => c.token(v, 'hash')),
    spends: c.spends(r.spends, chain),
    broadcastAttempts: c.integer(r.broadcastAttempts, 'broadcastAttempts'),
    lastBroadcastAt: c.nullable(r.lastBroadcastAt, (v) => c.integer(v, 'lastBroadcastAt')),
    txId: c.nullable(r.txId, (v) => c.token(v, 'txId')),
    failureReportedAt: c.nullable(r.failureReportedAt, (v) => c.integer(v, 'failureReportedAt')),
    history: c.history(r.history),
    createdAt: c.integer(r.createdAt, 'createdAt'),
    updatedAt: c.integer(r.updatedAt, 'updatedAt'),
    expiresAt: c.nullable(r.expiresAt, (v) => c.integer(v, 'expiresAt')),
  };
}

/** JSON text in a fixed field order; refuses a record too large for a DynamoDB item. */
export function encodeLedgerRecord(record: LedgerRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) ordered[field] = record[field];
  const text = JSON.stringify(ordered);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RECORD_BYTES) {
    throw new InvalidInputError(`ledger: record ${record.id} would take ${bytes} bytes; at most ${MAX_RECORD_BYTES} fit in one ledger item`, { pendingId: record.id, bytes });
  }
  return text;
}

/** The content a spend claim holds: sha256 of the raw transaction text. */
export function contentHashOf(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

export function isContentHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

export function summariesEqual(a: LedgerSummary | null, b: LedgerSummary | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
