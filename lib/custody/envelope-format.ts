/**
 * Envelope v1 as stored (docs/envelope.md): parsing from storage and decoding to bytes. Strict: exactly
 * the eight fields, canonical base64, iv 12 bytes, tag 16 bytes, sizes bounded; a local envelope names a
 * local key id, a KMS envelope a KMS key ARN.
 */
import type { Envelope } from './envelope-types.js';
import type { ProviderKind } from './key-provider.js';
import { CustodyError } from './custody-error.js';
import { decodeBase64Strict } from './strict-base64.js';
import { GCM_IV_BYTES, GCM_TAG_BYTES } from './aes-gcm.js';
import { describeValue as describe, fieldSetProblem, isPlainObject } from './describe-value.js';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_ALG = 'AES-256-GCM';
/** Mnemonics are < 300 bytes; imported foreign secrets are small JSON. Bounded so storage cannot balloon. */
export const MAX_SECRET_BYTES = 16 * 1024;
/** KMS CiphertextBlob is at most 6144 bytes (KMS API reference, Decrypt). */
export const MAX_EDK_BYTES = 6144;

const ENVELOPE_FIELDS = ['alg', 'ct', 'edk', 'iv', 'keyId', 'provider', 'tag', 'v'] as const;
export const LOCAL_KEY_ID_PATTERN = /^local:[0-9a-f]{16}$/;
/** A KMS key ARN, as GenerateDataKey/Encrypt/ReEncrypt return it (never an alias). */
export const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]{1,32}:[0-9]{12}:key\/[A-Za-z0-9-]{1,128}$/;

export interface DecodedEnvelope {
  readonly provider: ProviderKind;
  readonly keyId: string;
  readonly edk: Uint8Array;
  readonly iv: Uint8Array;
  readonly ct: Uint8Array;
  readonly tag: Uint8Array;
}

/** Validates an envelope read from storage; throws CustodyError INVALID_ENVELOPE naming the first problem. */
export function parseEnvelope(value: unknown): Envelope {
  decodeEnvelope(value);
  const record = value as Envelope;
  return {
    v: 1,
    alg: 'AES-256-GCM',
    provider: record.provider,
    keyId: record.keyId,
    edk: record.edk,
    iv: record.iv,
    ct: record.ct,
    tag: record.tag,
  };
}

export function decodeEnvelope(value: unknown): DecodedEnvelope {
  if (!isPlainObject(value)) throw invalid(`envelope must be an object, got ${describe(value)}`);
  const record = value;
  const fieldProblem = fieldSetProblem(record, ENVELOPE_FIELDS);
  if (fieldProblem !== undefined) throw invalid(`envelope ${fieldProblem}`);
  if (record.v !== ENVELOPE_VERSION) throw invalid(`envelope.v must be 1, got ${describe(record.v)}`);
  if (record.alg !== ENVELOPE_ALG) throw invalid(`envelope.alg must be "AES-256-GCM", got ${describe(record.alg)}`);
  const provider = record.provider;
  if (provider !== 'local' && provider !== 'aws-kms') {
    throw invalid(`envelope.provider must be "local" or "aws-kms", got ${describe(provider)}`);
  }
  const keyId = record.keyId;
  const keyIdPattern = provider === 'local' ? LOCAL_KEY_ID_PATTERN : KMS_KEY_ARN_PATTERN;
  if (typeof keyId !== 'string' || !keyIdPattern.test(keyId)) {
    throw invalid(
      provider === 'local'
        ? `envelope.keyId of a local envelope must be "local:" and 16 hex digits, got ${describe(keyId)}`
        : `envelope.keyId of an aws-kms envelope must be a KMS key ARN, got ${describe(keyId)}`,
    );
  }
  return {
    provider,
    keyId,
    edk: bytesField(record, 'edk', 1, MAX_EDK_BYTES),
    iv: bytesField(record, 'iv', GCM_IV_BYTES, GCM_IV_BYTES),
    ct: bytesField(record, 'ct', 1, MAX_SECRET_BYTES),
    tag: bytesField(record, 'tag', GCM_TAG_BYTES, GCM_TAG_BYTES),
  };
}

function bytesField(record: Record<string, unknown>, field: string, min: number, max: number): Uint8Array {
  const expected = min === max ? `${min} bytes` : `${min}-${max} bytes`;
  const text = record[field];
  if (typeof text !== 'string') throw invalid(`envelope.${field} must be base64 of ${expected}, got ${describe(text)}`);
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined) {
    throw invalid(`envelope.${field} must be canonical base64 (RFC 4648, padded) of ${expected}, got other characters`);
  }
  if (bytes.length < min || bytes.length > max) {
    throw invalid(`envelope.${field} must be base64 of ${expected}, got ${bytes.length} bytes`);
  }
  return bytes;
}

function invalid(message: string): CustodyError {
  return new CustodyError('INVALID_ENVELOPE', message);
}
