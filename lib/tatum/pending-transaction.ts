/**
 * The boundary for Tatum's pending KMS transaction (TATUM-COMPAT §2.3): a strict parser from `unknown`
 * (parsed JSON) to a typed, normalised `PendingTransaction`, or a TatumResponseError naming the field.
 *
 * | field | accepted | normalised to |
 * | --- | --- | --- |
 * | id | 24 lower-case hex (a Mongo ObjectId) | string |
 * | chain | a chain code `^[A-Z][A-Z0-9_]{1,15}$` | string |
 * | serializedTransaction | non-empty string ≤ 4,000,000 characters | string (content checked by the chain family) |
 * | hashes | array (≤ 10,000) of UUIDs, lower-case, any version | string[] |
 * | index | integer 0 … 2^31−1, null or missing | number or null |
 * | signatures | array (≤ 10,000) of {id: UUID, index: 0 … 2^31−1}, null or missing | array or null |
 * | withdrawalId | non-empty printable ASCII ≤ 128, null or missing | string or null |
 * | withdrawalResponses | array (≤ 10,000), null or missing; items NOT checked here (the utxo family does) | unknown[] or null |
 * | txId | printable ASCII ≤ 256, null, missing or "" (not completed) | string or null |
 *
 * Unknown extra fields (on the transaction and on a signature item) are tolerated and dropped: Tatum adds
 * fields over time, and Sigil signs only `serializedTransaction`, which the chain family validates in full.
 * Only own properties are read and the result is a fresh object, so a `__proto__` key in the JSON is inert.
 *
 * A list with some bad items yields the good ones plus the rejected ids and reasons: one malformed
 * transaction must never block the others of its chain. Messages name fields and describe values by type
 * and size; they never echo a value (only an id once it passed the ObjectId check).
 */
import { TatumResponseError } from './tatum-errors.js';

export interface PendingSignature {
  /** The signatureId (UUID) of a mnemonic wallet. */
  readonly id: string;
  /** The derivation index of the key that signs (BIP32 non-hardened child). */
  readonly index: number;
}

export interface PendingTransaction {
  /** Tatum's pending id: the ledger key, and the `signatureId` of the broadcast and error calls. */
  readonly id: string;
  readonly chain: string;
  readonly serializedTransaction: string;
  /** Signature ids of the wallets involved; for UTXO chains in signing order. */
  readonly hashes: readonly string[];
  readonly index: number | null;
  readonly signatures: readonly PendingSignature[] | null;
  /** Set for a ledger (virtual account) withdrawal: broadcast through the withdrawal endpoint. */
  readonly withdrawalId: string | null;
  /** Raw entries; the utxo family validates them. */
  readonly withdrawalResponses: readonly unknown[] | null;
  /** Set once Tatum knows the transaction as completed. */
  readonly txId: string | null;
}

export interface RejectedPendingTransaction {
  /** The item's id when it passed the ObjectId check, else null (such an item cannot be reported to Tatum). */
  readonly id: string | null;
  /** Position in Tatum's answer. */
  readonly position: number;
  readonly field: string;
  readonly reason: string;
}

export interface PendingTransactionList {
  readonly transactions: readonly PendingTransaction[];
  readonly rejected: readonly RejectedPendingTransaction[];
}

export const PENDING_ID = /^[0-9a-f]{24}$/;
export const SIGNATURE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
const PRINTABLE_ID = /^[\x21-\x7e]{1,128}$/;
const PRINTABLE_TX_ID = /^[\x21-\x7e]{1,256}$/;
const MAX_SERIALIZED = 4_000_000;
const MAX_ITEMS = 10_000;
const MAX_INDEX = 2 ** 31 - 1;

/** What came, for a message: type and size, never content. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a non-integer number';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

interface ParseContext {
  readonly id?: string;
  readonly path?: string;
}

function fail(field: string, expected: string, value: unknown, ctx: ParseContext): never {
  const subject = ctx.id ? `pending transaction ${ctx.id}` : 'pending transaction';
  throw new TatumResponseError(`${subject}: field "${field}" must be ${expected}, got ${describe(value)}`, {
    field,
    ...(ctx.id ? { id: ctx.id } : {}),
    ...(ctx.path ? { path: ctx.path } : {}),
  });
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INDEX;
}

function parseHashes(value: unknown, ctx: ParseContext): string[] {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) fail('hashes', `an array of at most ${MAX_ITEMS} UUIDs`, value, ctx);
  return value.map((hash, i) => {
    if (typeof hash !== 'string' || !SIGNATURE_ID.test(hash)) fail(`hashes[${i}]`, 'a lower-case UUID', hash, ctx);
    return hash;
  });
}

function parseSignatures(value: unknown, ctx: ParseContext): PendingSignature[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length > MAX_ITEMS) fail('signatures', `an array of at most ${MAX_ITEMS} {id, index}, or null`, value, ctx);
  return value.map((item, i) => {
    if (!isRecord(item)) fail(`signatures[${i}]`, 'an object {id, index}', item, ctx);
    const id = own(item, 'id');
    const index = own(item, 'index');
    if (typeof id !== 'string' || !SIGNATURE_ID.test(id)) fail(`signatures[${i}].id`, 'a lower-case UUID', id, ctx);
    if (!isIndex(index)) fail(`signatures[${i}].index`, `an integer from 0 to ${MAX_INDEX}`, index, ctx);
    return { id, index };
  });
}

/**
 * Parse one pending transaction. `path` (the API path it came from) marks the error as describing an HTTP
 * answer. Throws TatumResponseError naming the first bad field.
 */
export function parsePendingTransaction(value: unknown, path?: string): PendingTransaction {
  const base: ParseContext = path ? { path } : {};
  if (!isRecord(value)) fail('(root)', 'an object', value, base);
  const id = own(value, 'id');
  if (typeof id !== 'string' || !PENDING_ID.test(id)) fail('id', 'a 24-character lower-case hex id', id, base);
  const ctx: ParseContext = { ...base, id };

  const chain = own(value, 'chain');
  if (typeof chain !== 'string' || !CHAIN_CODE.test(chain)) fail('chain', 'a chain code (upper-case letters and digits)', chain, ctx);

  const serialized = own(value, 'serializedTransaction');
  if (typeof serialized !== 'string' || serialized.length === 0 || serialized.length > MAX_SERIALIZED) {
    fail('serializedTransaction', `a non-empty string of at most ${MAX_SERIALIZED} characters`, serialized, ctx);
  }

  const hashes = parseHashes(own(value, 'hashes'), ctx);

  const index = own(value, 'index');
  if (index !== undefined && index !== null && !isIndex(index)) fail('index', `an integer from 0 to ${MAX_INDEX}, or null`, index, ctx);

  const signatures = parseSignatures(own(value, 'signatures'), ctx);

  const withdrawalId = own(value, 'withdrawalId');
  if (withdrawalId !== undefined && withdrawalId !== null && (typeof withdrawalId !== 'string' || !PRINTABLE_ID.test(withdrawalId))) {
    fail('withdrawalId', 'printable ASCII of 1 to 128 characters, or null', withdrawalId, ctx);
  }

  const responses = own(value, 'withdrawalResponses');
  if (responses !== undefined && responses !== null && (!Array.isArray(responses) || responses.length > MAX_ITEMS)) {
    fail('withdrawalResponses', `an array of at most ${MAX_ITEMS} entries, or null`, responses, ctx);
  }

  const txId = own(value, 'txId');
  if (txId !== undefined && txId !== null && txId !== '' && (typeof txId !== 'string' || !PRINTABLE_TX_ID.test(txId))) {
    fail('txId', 'printable ASCII of at most 256 characters, or null', txId, ctx);
  }

  return {
    id,
    chain,
    serializedTransaction: serialized,
    hashes,
    index: typeof index === 'number' ? index : null,
    signatures,
    withdrawalId: typeof withdrawalId === 'string' ? withdrawalId : null,
    withdrawalResponses: Array.isArray(responses) ? [...(responses as unknown[])] : null,
    txId: typeof txId === 'string' && txId !== '' ? txId : null,
  };
}

/**
 * Parse Tatum's answer to `POST /v3/kms/pending/{chain}`. The list itself must be an array (else
 * TatumResponseError); each item is parsed on its own. An item for another chain than `expectedChain`, or
 * repeating an id seen earlier in the list, is rejected too.
 */
export function parsePendingTransactionList(value: unknown, expectedChain: string, path?: string): PendingTransactionList {
  if (!Array.isArray(value)) {
    throw new TatumResponseError(`pending transactions of ${expectedChain}: expected an array, got ${describe(value)}`, {
      field: '(body)',
      chain: expectedChain,
      ...(path ? { path } : {}),
    });
  }
  const transactions: PendingTransaction[] = [];
  const rejected: RejectedPendingTransaction[] = [];
  const seen = new Set<string>();
  value.forEach((item, position) => {
    const rawId = isRecord(item) ? own(item, 'id') : undefined;
    const id = typeof rawId === 'string' && PENDING_ID.test(rawId) ? rawId : null;
    try {
      const tx = parsePendingTransaction(item, path);
      if (tx.chain !== expectedChain) {
        rejected.push({ id, position, field: 'chain', reason: `chain ${tx.chain} in the pending list of ${expectedChain}` });
      } else if (seen.has(tx.id)) {
        rejected.push({ id, position, field: 'id', reason: 'the id appears earlier in the same list' });
      } else {
        seen.add(tx.id);
        transactions.push(tx);
      }
    } catch (error) {
      if (!(error instanceof TatumResponseError)) throw error;
      rejected.push({ id, position, field: error.field, reason: error.message });
    }
  });
  return { transactions, rejected };
}
