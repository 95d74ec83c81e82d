/**
 * The encryption context of a wallet secret (ARCHITECTURE §Custody) and its one canonical encoding.
 *
 * The same context goes to KMS as EncryptionContext and, encoded canonically, into AES-GCM as additional
 * data (the envelope, and the local provider's data-key wrap). The encoding is RFC 8785 canonical JSON,
 * UTF-8 — members sorted by name, no whitespace — e.g.
 *   {"app":"sigil","chain":"BTC","network":"mainnet","publicHash":"<64 hex>","purpose":"wallet-secret","signatureId":"<uuid>"}
 * Values are restricted to a small ASCII alphabet, so no escaping ever happens and the bytes are exactly
 * what `jq -cS` prints. Changing any value changes the AAD: a sealed secret copied onto another record,
 * or a record whose public xpub/address was swapped, fails authentication.
 */
import { createHash } from 'node:crypto';
import type { EncryptionContext } from './key-provider.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { CustodyError } from './custody-error.js';
import { describeValue as describe, fieldSetProblem, isPlainObject } from './describe-value.js';

export interface WalletContextFields {
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  readonly publicHash: string;
}

/** Ids, chain codes and network names: what Tatum and the registry use, and nothing JSON must escape. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const PUBLIC_HASH_PATTERN = /^[0-9a-f]{64}$/;
const CONTEXT_KEYS = ['app', 'chain', 'network', 'publicHash', 'purpose', 'signatureId'] as const;

/** Hex sha256 of the UTF-8 bytes of the stored xpub (mnemonic wallets) or address (key wallets). */
export function publicHashOf(xpubOrAddress: string): string {
  if (xpubOrAddress.length === 0) {
    throw new CustodyError('CONTEXT_MISMATCH', 'publicHashOf expects a non-empty xpub or address, got an empty string');
  }
  return createHash('sha256').update(xpubOrAddress, 'utf8').digest('hex');
}

export function walletContext(fields: WalletContextFields): EncryptionContext {
  const context: EncryptionContext = {
    app: 'sigil',
    purpose: 'wallet-secret',
    signatureId: fields.signatureId,
    chain: fields.chain,
    network: fields.network,
    publicHash: fields.publicHash,
  };
  assertWalletContext(context);
  return context;
}

/**
 * Checks a context at every custody entry point (a context may come from a stored record): exactly the
 * six fields, the fixed `app` and `purpose`, ids in ID_PATTERN, publicHash 64 lowercase hex.
 */
export function assertWalletContext(context: unknown): asserts context is EncryptionContext {
  if (!isPlainObject(context)) {
    throw new CustodyError('CONTEXT_MISMATCH', `encryption context must be an object, got ${describe(context)}`);
  }
  const record = context;
  const fieldProblem = fieldSetProblem(record, CONTEXT_KEYS);
  if (fieldProblem !== undefined) throw new CustodyError('CONTEXT_MISMATCH', `encryption context ${fieldProblem}`);
  if (record.app !== 'sigil' || record.purpose !== 'wallet-secret') {
    throw new CustodyError('CONTEXT_MISMATCH', 'encryption context must have app "sigil" and purpose "wallet-secret"');
  }
  for (const field of ['signatureId', 'chain', 'network'] as const) {
    const value = record[field];
    if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
      throw new CustodyError(
        'CONTEXT_MISMATCH',
        `encryption context ${field} must be 1-128 characters of [A-Za-z0-9._:-], got ${describe(value)}`,
        { field },
      );
    }
  }
  if (typeof record.publicHash !== 'string' || !PUBLIC_HASH_PATTERN.test(record.publicHash)) {
    throw new CustodyError(
      'CONTEXT_MISMATCH',
      `encryption context publicHash must be 64 lowercase hex characters, got ${describe(record.publicHash)}`,
      { field: 'publicHash' },
    );
  }
}

/** The AAD: canonical JSON (RFC 8785) of the context, UTF-8. */
export function canonicalContextBytes(context: EncryptionContext): Uint8Array {
  return canonicalJsonBytes({ ...context });
}

/** The context as KMS takes it (a plain string map). */
export function kmsEncryptionContext(context: EncryptionContext): Record<string, string> {
  return { ...context };
}
