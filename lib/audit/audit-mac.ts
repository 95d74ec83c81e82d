/**
 * The MAC of audit entries (docs/audit.md §Keys): HMAC-SHA-256 over "sigil-audit-v1:" ‖ entry hash.
 *
 * - KmsAuditMac: a KMS HMAC key (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC). Writers hold only
 *   kms:GenerateMac, the auditor only kms:VerifyMac, so whoever can write the table still cannot forge an
 *   entry, and the auditor who checks them cannot write one either. The key never leaves KMS.
 * - LocalHmacAuditMac: off AWS, a 32-byte key in a 0600 file beside the store, created race-free by
 *   lib/custody/key-file.ts. The MAC key is derived from the file's key with a domain label, so the file
 *   can never double as a wallet key-encryption key (or the reverse) under the same bytes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { GenerateMacCommand, VerifyMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import { openKeyFile } from '../custody/key-file.js';
import { SigilError } from '../errors.js';
import { AuditError } from './audit-error.js';

export interface AuditMac {
  /** Written into every entry as `macKeyId`; a verifier accepts only entries naming its own key. */
  readonly keyId: string;
  generate(message: Uint8Array): Promise<Uint8Array>;
  verify(message: Uint8Array, mac: Uint8Array): Promise<boolean>;
}

const MAC_BYTES = 32;
const LOCAL_DERIVATION_LABEL = 'sigil-audit-mac-key-v1';

/** The local audit key's file: next to the SQLite store (`<store>.audit.key`), never the wallet key file. */
export function localAuditKeyPath(storePath: string): string {
  return `${storePath}.audit.key`;
}

export class LocalHmacAuditMac implements AuditMac {
  readonly keyId: string;
  readonly #key: Uint8Array;

  /** Takes ownership of `key` (32 bytes): wiped by close(). */
  constructor(key: Uint8Array) {
    if (key.length !== MAC_BYTES) throw new RangeError(`an audit MAC key is 32 bytes, got ${key.length}`);
    this.#key = key;
    const fingerprint = createHash('sha256').update('sigil-audit-key-id').update(key).digest('hex').slice(0, 16);
    this.keyId = `local:${fingerprint}`;
  }

  /** The key of the file at `path` (created 0600 when `create` and missing). */
  static async open(path: string, options: { readonly create: boolean }): Promise<LocalHmacAuditMac> {
    let fileKey: Uint8Array;
    try {
      ({ kek: fileKey } = await openKeyFile(path, options));
    } catch (error) {
      if (error instanceof SigilError) {
        throw new AuditError('MAC_UNAVAILABLE', `audit key: ${error.message}`, { path }, { cause: error });
      }
      throw error;
    }
    try {
      return new LocalHmacAuditMac(new Uint8Array(createHmac('sha256', fileKey).update(LOCAL_DERIVATION_LABEL).digest()));
    } finally {
      fileKey.fill(0);
    }
  }

  async generate(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(createHmac('sha256', this.#key).update(message).digest());
  }

  async verify(message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    const expected = await this.generate(message);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }

  close(): void {
    this.#key.fill(0);
  }
}

export interface KmsAuditMacOptions {
  readonly client: Pick<KMSClient, 'send'>;
  /** The HMAC key: its ARN (what writers and the auditor must both configure), id or alias. */
  readonly keyId: string;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

export class KmsAuditMac implements AuditMac {
  readonly keyId: string;
  readonly #client: Pick<KMSClient, 'send'>;

  constructor(options: KmsAuditMacOptions) {
    if (typeof options.keyId !== 'string' || !/^[\x21-\x7e]{1,2048}$/.test(options.keyId)) {
      throw new AuditError('MAC_UNAVAILABLE', 'the audit MAC key id must be a KMS key id, ARN or alias of 1-2048 characters');
    }
    this.keyId = options.keyId;
    this.#client = options.client;
  }

  async generate(message: Uint8Array): Promise<Uint8Array> {
    let mac: Uint8Array | undefined;
    try {
      mac = (await this.#client.send(new GenerateMacCommand({ KeyId: this.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).Mac;
    } catch (error) {
      throw new AuditError('MAC_UNAVAILABLE', `KMS GenerateMac with audit key ${this.keyId} failed (${errorName(error)})`, { keyId: this.keyId, aws: errorName(error) }, { cause: error });
    }
    if (!(mac instanceof Uint8Array) || mac.length !== MAC_BYTES) {
      throw new AuditError('MAC_UNAVAILABLE', `KMS GenerateMac with audit key ${this.keyId} returned no 32-byte MAC`, { keyId: this.keyId });
    }
    return mac;
  }

  /** false for a MAC that does not match (KMSInvalidMacException); any other failure throws. */
  async verify(message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    try {
      const response = await this.#client.send(new VerifyMacCommand({ KeyId: this.keyId, Message: message, Mac: mac, MacAlgorithm: 'HMAC_SHA_256' }));
      return response.MacValid === true;
    } catch (error) {
      if (errorName(error) === 'KMSInvalidMacException') return false;
      throw new AuditError('MAC_UNAVAILABLE', `KMS VerifyMac with audit key ${this.keyId} failed (${errorName(error)})`, { keyId: this.keyId, aws: errorName(error) }, { cause: error });
    }
  }
}
