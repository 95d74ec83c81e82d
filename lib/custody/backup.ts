/**
 * Disaster recovery to an offline recipient (docs/backup.md): each secret sealed to an X25519 public key
 * whose private half lives offline (paper, HSM, a safe). Sealing needs only the public key, so a running
 * Sigil can write backups it can never read back.
 *
 * Sealed blob v1 (ECIES-style, one ephemeral key per blob):
 *   shared = X25519(ephemeral private, recipient public)                       (RFC 7748)
 *   key    = HKDF-SHA256(IKM = shared, salt = epk ‖ recipient public, info = "sigil-backup-v1", L = 32)  (RFC 5869)
 *   ct,tag = AES-256-GCM(key, random 96-bit iv, plaintext, AAD = caller's aad)
 *   { v: 1, alg: "X25519-HKDF-SHA256-AES-256-GCM", recipient: <fingerprint>, epk, iv, ct, tag }  (binary fields base64)
 * Fingerprint: hex sha256 of the recipient's raw 32-byte public key; it names the key that opens a backup.
 */
import {
  createPrivateKey,
  createPublicKey,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  getRandomValues,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { CustodyError } from './custody-error.js';
import { GCM_IV_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm.js';
import { describeValue, fieldSetProblem, isPlainObject } from './describe-value.js';
import { MAX_SECRET_BYTES } from './envelope-format.js';
import { decodeBase64Strict, encodeBase64, toHex } from './strict-base64.js';

export const BACKUP_SEAL_ALG = 'X25519-HKDF-SHA256-AES-256-GCM';
const HKDF_INFO = new TextEncoder().encode('sigil-backup-v1');
const SEALED_FIELDS = ['alg', 'ct', 'epk', 'iv', 'recipient', 'tag', 'v'] as const;
const X25519_KEY_BYTES = 32;

export interface SealedToRecipient {
  readonly v: 1;
  readonly alg: typeof BACKUP_SEAL_ALG;
  /** Hex sha256 of the recipient's raw public key. */
  readonly recipient: string;
  /** The ephemeral X25519 public key, raw 32 bytes, base64. */
  readonly epk: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

export interface RecipientKeyPair {
  /** SPKI PEM: goes into Sigil's configuration. */
  readonly publicKeyPem: string;
  /** PKCS#8 PEM: goes offline at once; a JS string, so it cannot be wiped (docs/backup.md). */
  readonly privateKeyPem: string;
}

export function generateRecipientKeyPair(): RecipientKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** Hex sha256 of the raw 32-byte X25519 public key in `publicKeyPem`. */
export function recipientFingerprint(publicKeyPem: string): string {
  return fingerprintOf(rawPublicKey(importRecipientPublicKey(publicKeyPem)));
}

/** Seals `plaintext` (the caller owns and wipes it) so that only the recipient's private key opens it. */
export function sealToRecipient(recipientPublicKeyPem: string, plaintext: Uint8Array, aad: Uint8Array): SealedToRecipient {
  if (!(plaintext instanceof Uint8Array) || plaintext.length === 0 || plaintext.length > MAX_SECRET_BYTES) {
    throw new InvalidInputError(`a backup secret must be 1-${MAX_SECRET_BYTES} bytes`);
  }
  const recipient = importRecipientPublicKey(recipientPublicKeyPem);
  const recipientRaw = rawPublicKey(recipient);
  const ephemeral = generateKeyPairSync('x25519');
  const epk = rawPublicKey(ephemeral.publicKey);
  const key = deriveKey(ephemeral.privateKey, recipient, epk, recipientRaw, () =>
    new InvalidInputError('the recipient public key is a low-order X25519 point; expected a real recipient key'),
  );
  try {
    const iv = getRandomValues(new Uint8Array(GCM_IV_BYTES));
    const { ct, tag } = gcmSeal(key, iv, plaintext, aad);
    return {
      v: 1,
      alg: BACKUP_SEAL_ALG,
      recipient: fingerprintOf(recipientRaw),
      epk: encodeBase64(epk),
      iv: encodeBase64(iv),
      ct: encodeBase64(ct),
      tag: encodeBase64(tag),
    };
  } finally {
    key.fill(0);
  }
}

/**
 * Opens a sealed blob with the recipient's private key and the same aad; the plaintext belongs to the
 * caller (who wipes it). WRONG_RECIPIENT for another key, TAMPERED for any altered byte or aad.
 */
export function openFromRecipient(privateKeyPem: string, sealed: unknown, aad: Uint8Array): Uint8Array {
  const blob = parseSealedToRecipient(sealed);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new InvalidInputError('the recipient private key must be a PKCS#8 PEM X25519 key', {}, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'x25519') {
    throw new InvalidInputError(`the recipient private key must be X25519, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const recipientRaw = rawPublicKey(createPublicKey(privateKey));
  const fingerprint = fingerprintOf(recipientRaw);
  if (fingerprint !== blob.recipient) {
    throw new CustodyError('WRONG_RECIPIENT', `the backup is sealed to recipient ${blob.recipient}, this private key is ${fingerprint}`, {
      recipient: blob.recipient,
      offered: fingerprint,
    });
  }
  const epk = decodeBase64Strict(blob.epk) as Uint8Array;
  const ephemeral = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(epk).toString('base64url') }, format: 'jwk' });
  const key = deriveKey(privateKey, ephemeral, epk, recipientRaw, () =>
    new CustodyError('INVALID_BACKUP', 'the backup blob epk is a low-order X25519 point', { recipient: blob.recipient }),
  );
  try {
    const plaintext = gcmOpen(
      key,
      decodeBase64Strict(blob.iv) as Uint8Array,
      decodeBase64Strict(blob.ct) as Uint8Array,
      decodeBase64Strict(blob.tag) as Uint8Array,
      aad,
    );
    if (plaintext === undefined) {
      throw new CustodyError(
        'TAMPERED',
        `the backup blob for recipient ${blob.recipient} does not open: tampered, or its public fields were altered`,
        { recipient: blob.recipient },
      );
    }
    return plaintext;
  } finally {
    key.fill(0);
  }
}

/** Validates a sealed blob read from a backup file; CustodyError INVALID_BACKUP naming the first problem. */
export function parseSealedToRecipient(value: unknown): SealedToRecipient {
  if (!isPlainObject(value)) throw invalidBackup(`must be an object, got ${describeValue(value)}`);
  const fieldProblem = fieldSetProblem(value, SEALED_FIELDS);
  if (fieldProblem !== undefined) throw invalidBackup(fieldProblem);
  if (value.v !== 1) throw invalidBackup(`v must be 1, got ${describeValue(value.v)}`);
  if (value.alg !== BACKUP_SEAL_ALG) throw invalidBackup(`alg must be "${BACKUP_SEAL_ALG}", got ${describeValue(value.alg)}`);
  if (typeof value.recipient !== 'string' || !/^[0-9a-f]{64}$/.test(value.recipient)) {
    throw invalidBackup(`recipient must be 64 lowercase hex characters, got ${describeValue(value.recipient)}`);
  }
  const sizes: ReadonlyArray<readonly ['epk' | 'iv' | 'ct' | 'tag', number, number]> = [
    ['epk', X25519_KEY_BYTES, X25519_KEY_BYTES],
    ['iv', GCM_IV_BYTES, GCM_IV_BYTES],
    ['ct', 1, MAX_SECRET_BYTES],
    ['tag', GCM_TAG_BYTES, GCM_TAG_BYTES],
  ];
  for (const [field, min, max] of sizes) {
    const text = value[field];
    const bytes = typeof text === 'string' ? decodeBase64Strict(text) : undefined;
    if (bytes === undefined || bytes.length < min || bytes.length > max) {
      const expected = min === max ? `${min} bytes` : `${min}-${max} bytes`;
      throw invalidBackup(`${field} must be canonical base64 of ${expected}, got ${bytes ? `${bytes.length} bytes` : describeValue(text)}`);
    }
  }
  return {
    v: 1,
    alg: BACKUP_SEAL_ALG,
    recipient: value.recipient,
    epk: value.epk as string,
    iv: value.iv as string,
    ct: value.ct as string,
    tag: value.tag as string,
  };
}

function deriveKey(
  privateKey: KeyObject,
  publicKey: KeyObject,
  epk: Uint8Array,
  recipientRaw: Uint8Array,
  lowOrder: () => Error,
): Uint8Array {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    throw lowOrder(); // OpenSSL refuses an all-zero X25519 output (RFC 7748 §6.1)
  }
  try {
    if (shared.every((byte) => byte === 0)) throw lowOrder();
    const salt = new Uint8Array(epk.length + recipientRaw.length);
    salt.set(epk, 0);
    salt.set(recipientRaw, epk.length);
    return new Uint8Array(hkdfSync('sha256', shared, salt, HKDF_INFO, 32));
  } finally {
    shared.fill(0);
  }
}

function importRecipientPublicKey(publicKeyPem: string): KeyObject {
  // createPublicKey also accepts a private key (and derives its public half): refuse it, so a private
  // key pasted into the configuration is noticed instead of silently working.
  if (typeof publicKeyPem !== 'string' || publicKeyPem.includes('PRIVATE KEY')) {
    throw new InvalidInputError('the backup recipient must be the PUBLIC key (SPKI PEM); a private key belongs offline');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (error) {
    throw new InvalidInputError('the backup recipient must be an SPKI PEM X25519 public key', {}, { cause: error });
  }
  if (key.asymmetricKeyType !== 'x25519') {
    throw new InvalidInputError(`the backup recipient must be an X25519 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}

function fingerprintOf(raw: Uint8Array): string {
  return toHex(createHash('sha256').update(raw).digest());
}

function invalidBackup(problem: string): CustodyError {
  return new CustodyError('INVALID_BACKUP', `sealed backup blob ${problem}`);
}
