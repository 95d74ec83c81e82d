/**
 * The schema of a stored wallet record (docs/store.md), checked on every read from any storage or file
 * and on every write. Exact fields, no coercion: a record that does not match is refused with
 * StoreError CORRUPT_RECORD, and one written by a newer Sigil with UNSUPPORTED_SCHEMA (during a deploy,
 * old and new code read the same table; the old code must refuse, never misread).
 *
 * Messages and contexts name fields, types and lengths only; values are echoed only once they passed a
 * syntax check that no secret can pass (chain codes, network names).
 */
import { publicHashOf } from '../custody/context.js';
import bs58check from 'bs58check';
import { defaultRegistry, type ChainRegistry } from '../chains/registry.js';
import type { Envelope } from '../custody/envelope-types.js';
import { WALLET_SCHEMA_VERSION, type WalletKind, type WalletRecord } from './wallet-store.js';
import { StoreError } from './store-error.js';

export interface ParseRecordOptions {
  /** Chains that mnemonic and privateKey records may name (a deployment may add EVM chains). */
  readonly registry?: Pick<ChainRegistry, 'has'>;
  /** Where the value came from, for the message ("sqlite wallets row", "dynamodb item"). */
  readonly origin?: string;
}

const RECORD_FIELDS = new Set(['schema', 'signatureId', 'chain', 'network', 'testnet', 'kind', 'xpub', 'address', 'publicHash', 'sealed', 'createdAt', 'version']);
const ENVELOPE_FIELDS = new Set(['v', 'alg', 'provider', 'keyId', 'edk', 'iv', 'ct', 'tag']);
const KINDS: readonly WalletKind[] = ['mnemonic', 'privateKey', 'foreign'];
const PROVIDERS = ['aws-kms', 'local'] as const;
const ENVELOPE_VERSION = 1;

/** Lower-case RFC 9562 UUID (versions 1–8, variant 10xx); Tatum KMS issues v4. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The registry's chain code syntax (lib/chains/registry.ts). */
const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
/** The registry's network name syntax. */
const NETWORK_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Printable ASCII without spaces: every chain's address format fits; the chain module checks the rest. */
const ADDRESS = /^[\x21-\x7e]{1,256}$/;
const KEY_ID = /^[\x21-\x7e]{1,2048}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** BIP32 serialization: version(4) depth(1) fingerprint(4) child(4) chain code(32) key(33). */
const XKEY_BYTES = 78;
const MAX_BASE64_CHARS = 65_536;

/** What came, for a message: type and size, never content. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a non-integer number';
  return typeof value;
}

/**
 * CORRUPT_RECORD for a stored value; the signatureId is shown only when it is a well-formed UUID (a
 * damaged key column could hold anything).
 */
export function corruptRecordError(origin: string, signatureId: unknown, message: string, field?: string): StoreError {
  const id = typeof signatureId === 'string' && UUID.test(signatureId) ? signatureId : undefined;
  return new StoreError('CORRUPT_RECORD', `${origin}${id ? ` ${id}` : ''}: ${message}`, {
    origin,
    ...(id ? { signatureId: id } : {}),
    ...(field ? { field } : {}),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

class RecordReader {
  constructor(
    private readonly origin: string,
    private readonly signatureId: string | undefined,
  ) {}

  fail(message: string, field?: string): never {
    throw corruptRecordError(this.origin, this.signatureId, message, field);
  }

  exactFields(value: unknown, allowed: ReadonlySet<string>, what: string): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(`${what} must be a JSON object, got ${describeValue(value)}`, what);
    const unknown = Object.keys(value).filter((key) => !allowed.has(key));
    if (unknown.length > 0) {
      // Key names are shown capped: a field name is not a secret, but a corrupt key could be anything.
      const names = unknown.slice(0, 5).map((key) => (/^[A-Za-z0-9_]{1,32}$/.test(key) ? key : '<unprintable>'));
      this.fail(`${what} has unknown field(s) ${names.join(', ')}; expected only ${[...allowed].join(', ')}`, what);
    }
    return value;
  }

  string(value: unknown, field: string, pattern: RegExp, expected: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) this.fail(`${field} must be ${expected}, got ${describeValue(value)}`, field);
    return value;
  }

  integer(value: unknown, field: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(`${field} must be an integer ≥ ${min}, got ${describeValue(value)}`, field);
    }
    return value;
  }

  /** Canonical base64 (padding and zero trailing bits), decoding to a length the format allows. */
  base64(value: unknown, field: string, bytes: { readonly exactly?: number; readonly min?: number }): string {
    const expected = bytes.exactly !== undefined ? `base64 of ${bytes.exactly} bytes` : `base64 of at least ${bytes.min ?? 1} byte(s)`;
    if (typeof value !== 'string' || value.length > MAX_BASE64_CHARS || !BASE64.test(value)) {
      this.fail(`${field} must be ${expected}, got ${describeValue(value)}`, field);
    }
    const decoded = Buffer.from(value, 'base64');
    const lengthOk = bytes.exactly !== undefined ? decoded.length === bytes.exactly : decoded.length >= (bytes.min ?? 1);
    if (!lengthOk || decoded.toString('base64') !== value) {
      this.fail(`${field} must be ${expected}, got ${decoded.length} byte(s)${lengthOk ? ' in non-canonical base64' : ''}`, field);
    }
    return value;
  }
}

/** The envelope's shape (format v1, docs/envelope.md); the custody part checks what it decrypts to. */
function readEnvelope(reader: RecordReader, value: unknown): Envelope {
  if (isPlainObject(value) && typeof value.v === 'number' && Number.isInteger(value.v) && value.v > ENVELOPE_VERSION) {
    throw new StoreError('UNSUPPORTED_SCHEMA', `sealed envelope format v${value.v} is newer than this build reads (v${ENVELOPE_VERSION}); upgrade Sigil`, {
      envelopeVersion: value.v,
    });
  }
  const raw = reader.exactFields(value, ENVELOPE_FIELDS, 'sealed');
  if (raw.v !== ENVELOPE_VERSION) reader.fail(`sealed.v must be ${ENVELOPE_VERSION}, got ${describeValue(raw.v)}`, 'sealed.v');
  if (raw.alg !== 'AES-256-GCM') reader.fail(`sealed.alg must be AES-256-GCM, got ${describeValue(raw.alg)}`, 'sealed.alg');
  const provider = PROVIDERS.find((p) => p === raw.provider);
  if (!provider) reader.fail(`sealed.provider must be one of ${PROVIDERS.join(', ')}, got ${describeValue(raw.provider)}`, 'sealed.provider');
  return {
    v: ENVELOPE_VERSION,
    alg: 'AES-256-GCM',
    provider,
    keyId: reader.string(raw.keyId, 'sealed.keyId', KEY_ID, 'a key id of 1–2048 printable characters'),
    edk: reader.base64(raw.edk, 'sealed.edk', { min: 1 }),
    iv: reader.base64(raw.iv, 'sealed.iv', { exactly: 12 }),
    ct: reader.base64(raw.ct, 'sealed.ct', { min: 1 }),
    tag: reader.base64(raw.tag, 'sealed.tag', { exactly: 16 }),
  };
}

/** An extended public key: base58check of 78 bytes whose key data is a compressed point, never 0x00‖k (an xprv). */
function readXpub(reader: RecordReader, value: unknown): string {
  const text = reader.string(value, 'xpub', /^[1-9A-HJ-NP-Za-km-z]{100,120}$/, 'a base58check extended public key');
  const bytes = bs58check.decodeUnsafe(text);
  if (!bytes || bytes.length !== XKEY_BYTES) reader.fail('xpub must be a base58check extended public key of 78 bytes (checksum or length wrong)', 'xpub');
  if (bytes[45] !== 0x02 && bytes[45] !== 0x03) reader.fail('xpub holds an extended PRIVATE key or an invalid point; refusing it', 'xpub');
  return text;
}

function readCreatedAt(reader: RecordReader, value: unknown): string {
  const text = reader.string(value, 'createdAt', ISO_UTC, 'an ISO 8601 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.sss]Z)');
  const time = Date.parse(text);
  // Round trip rejects impossible dates that Date.parse rolls over (2025-02-30).
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 19) !== text.slice(0, 19)) {
    reader.fail('createdAt must be a real calendar date and time', 'createdAt');
  }
  return text;
}

/** The hash that binds a sealed secret to its public record: the one custody puts in the encryption context. */
export { publicHashOf };

/**
 * Parse a record read from storage or a file. Throws StoreError CORRUPT_RECORD for anything off-schema,
 * UNSUPPORTED_SCHEMA for a record (or envelope) from a newer Sigil. Returns a fresh object holding exactly
 * the record's fields.
 */
export function parseWalletRecord(value: unknown, options: ParseRecordOptions = {}): WalletRecord {
  const origin = options.origin ?? 'wallet record';
  const registry = options.registry ?? defaultRegistry;
  const probeId = isPlainObject(value) && typeof value.signatureId === 'string' && UUID.test(value.signatureId) ? value.signatureId : undefined;
  const reader: RecordReader = new RecordReader(origin, probeId);

  // The schema is checked before the exact field set: a newer schema may add fields, and must get the
  // "upgrade" message rather than "unknown field".
  if (isPlainObject(value) && typeof value.schema === 'number' && Number.isInteger(value.schema) && value.schema > WALLET_SCHEMA_VERSION) {
    throw new StoreError(
      'UNSUPPORTED_SCHEMA',
      `${origin}${probeId ? ` ${probeId}` : ''} has schema ${value.schema}, newer than this build reads (up to ${WALLET_SCHEMA_VERSION}); upgrade Sigil before using this store`,
      { origin, schema: value.schema, supported: WALLET_SCHEMA_VERSION, ...(probeId ? { signatureId: probeId } : {}) },
    );
  }
  const raw = reader.exactFields(value, RECORD_FIELDS, 'record');
  const schema = reader.integer(raw.schema, 'schema', 1);
  const signatureId = reader.string(raw.signatureId, 'signatureId', UUID, 'a lower-case UUID');
  const kind = KINDS.find((k) => k === raw.kind);
  if (!kind) reader.fail(`kind must be one of ${KINDS.join(', ')}, got ${describeValue(raw.kind)}`, 'kind');

  const chain = reader.string(raw.chain, 'chain', CHAIN_CODE, 'an upper-case chain code');
  if (kind !== 'foreign' && !registry.has(chain)) {
    reader.fail(`chain ${chain} is not in the chain registry; a ${kind} wallet needs a known chain (kind foreign holds others)`, 'chain');
  }
  const network = reader.string(raw.network, 'network', NETWORK_NAME, `a network name matching ${NETWORK_NAME}`);
  if (typeof raw.testnet !== 'boolean') reader.fail(`testnet must be a boolean, got ${describeValue(raw.testnet)}`, 'testnet');
  const testnet = raw.testnet;
  if ((network === 'mainnet' && testnet) || (network === 'testnet' && !testnet)) {
    reader.fail(`testnet is ${testnet} on network ${network}`, 'testnet');
  }

  let publicValue: string;
  let publicField: { xpub: string } | { address: string };
  if (kind === 'mnemonic') {
    if (raw.address !== undefined) reader.fail('a mnemonic wallet has an xpub and no address', 'address');
    publicValue = readXpub(reader, raw.xpub);
    publicField = { xpub: publicValue };
  } else {
    if (raw.xpub !== undefined) reader.fail(`a ${kind} wallet has an address and no xpub`, 'xpub');
    publicValue = reader.string(raw.address, 'address', ADDRESS, 'an address of 1–256 printable characters');
    publicField = { address: publicValue };
  }
  const publicHash = reader.string(raw.publicHash, 'publicHash', HEX64, '64 lower-case hex characters');
  if (publicHash !== publicHashOf(publicValue)) {
    reader.fail(`publicHash is not the sha256 of the record's ${kind === 'mnemonic' ? 'xpub' : 'address'}`, 'publicHash');
  }
  const sealed = readEnvelope(reader, raw.sealed);
  const createdAt = readCreatedAt(reader, raw.createdAt);
  const version = reader.integer(raw.version, 'version', 1);

  return { schema, signatureId, chain, network, testnet, kind, ...publicField, publicHash, sealed, createdAt, version };
}

/** Content equality of two parsed records: what `put` compares to tell 'unchanged' from a conflict. */
export function walletRecordsEqual(a: WalletRecord, b: WalletRecord): boolean {
  return (
    a.schema === b.schema &&
    a.signatureId === b.signatureId &&
    a.chain === b.chain &&
    a.network === b.network &&
    a.testnet === b.testnet &&
    a.kind === b.kind &&
    a.xpub === b.xpub &&
    a.address === b.address &&
    a.publicHash === b.publicHash &&
    a.createdAt === b.createdAt &&
    a.version === b.version &&
    [...ENVELOPE_FIELDS].every((field) => a.sealed[field as keyof Envelope] === b.sealed[field as keyof Envelope])
  );
}
