/**
 * A key-encryption key from a password (TATUM_KMS_PASSWORD or a prompt; reading it is the CLI's job).
 *
 *   master = scrypt(password bytes, salt, dkLen 64, N, r, p)          (RFC 7914)
 *   KEK    = master[0..32]
 *   check  = HMAC-SHA256(master[32..64], "sigil-password-check-v1")   (stored; tells a wrong password apart)
 *
 * The header `{v:1, kdf:"scrypt", N, r, p, salt, check}` (salt 16 bytes, check 32 bytes, base64) is
 * public and persisted by the store. The check reveals nothing a guesser could not learn by trying to
 * open an envelope, and costs the same scrypt per guess. Parameters: docs/envelope.md §Password.
 */
import { createHmac, getRandomValues, scrypt, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { CustodyError } from './custody-error.js';
import { describeValue, fieldSetProblem, isPlainObject } from './describe-value.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface PasswordKeyHeader extends ScryptParams {
  readonly v: 1;
  readonly kdf: 'scrypt';
  /** 16 random bytes, base64. */
  readonly salt: string;
  /** HMAC-SHA256 of the check label under the second half of the scrypt output, base64 (32 bytes). */
  readonly check: string;
}

/** OWASP's scrypt minimum (2^17, 8, 1): 128 MiB, about 0.36 s on the project's 2-core machines. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** Headers below this are refused: a stored header must not be able to weaken the KDF. */
export const MIN_SCRYPT_N = 2 ** 15;
/** Headers above these are refused: a stored header must not be able to exhaust memory or time. */
export const MAX_SCRYPT_N = 2 ** 20;
const MAX_SCRYPT_R = 32;
const MAX_SCRYPT_P = 16;
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;
const SALT_BYTES = 16;
const CHECK_BYTES = 32;
const CHECK_LABEL = new TextEncoder().encode('sigil-password-check-v1');
const HEADER_FIELDS = ['N', 'check', 'kdf', 'p', 'r', 'salt', 'v'] as const;

export interface CreatedPasswordKey {
  readonly header: PasswordKeyHeader;
  /** 32 bytes; the caller wipes it. */
  readonly kek: Uint8Array;
}

/** A new header with a fresh salt, and the KEK it derives (so a first run costs one scrypt, not two). */
export async function createPasswordKeyHeader(
  password: Uint8Array,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<CreatedPasswordKey> {
  assertPassword(password);
  const problem = scryptParamsProblem(params.N, params.r, params.p);
  if (problem !== undefined) throw new InvalidInputError(`scrypt parameters ${problem}`);
  const salt = getRandomValues(new Uint8Array(SALT_BYTES));
  const { kek, check } = await derive(password, salt, params);
  const header: PasswordKeyHeader = {
    v: 1,
    kdf: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: encodeBase64(salt),
    check: encodeBase64(check),
  };
  return { header, kek };
}

/** The KEK for `password`; CustodyError WRONG_PASSWORD when the check value does not match. */
export async function deriveKekFromPassword(password: Uint8Array, header: PasswordKeyHeader): Promise<Uint8Array> {
  assertPassword(password);
  const parsed = parsePasswordKeyHeader(header);
  const salt = decodeBase64Strict(parsed.salt) as Uint8Array;
  const expected = decodeBase64Strict(parsed.check) as Uint8Array;
  const { kek, check } = await derive(password, salt, parsed);
  if (!timingSafeEqual(check, expected)) {
    kek.fill(0);
    throw new CustodyError('WRONG_PASSWORD', 'the password does not match the stored password key header');
  }
  return kek;
}

/** Validates a header read from storage; CustodyError INVALID_KEY_HEADER naming the first problem. */
export function parsePasswordKeyHeader(value: unknown): PasswordKeyHeader {
  if (!isPlainObject(value)) throw invalidHeader(`must be an object, got ${describeValue(value)}`);
  const fieldProblem = fieldSetProblem(value, HEADER_FIELDS);
  if (fieldProblem !== undefined) throw invalidHeader(fieldProblem);
  if (value.v !== 1) throw invalidHeader(`v must be 1, got ${describeValue(value.v)}`);
  if (value.kdf !== 'scrypt') throw invalidHeader(`kdf must be "scrypt", got ${describeValue(value.kdf)}`);
  const { N, r, p } = value;
  const problem = scryptParamsProblem(N, r, p);
  if (problem !== undefined) throw invalidHeader(problem);
  for (const [field, length] of [['salt', SALT_BYTES], ['check', CHECK_BYTES]] as const) {
    const text = value[field];
    const bytes = typeof text === 'string' ? decodeBase64Strict(text) : undefined;
    if (bytes === undefined || bytes.length !== length) {
      throw invalidHeader(`${field} must be canonical base64 of ${length} bytes, got ${describeValue(text)}`);
    }
  }
  return { v: 1, kdf: 'scrypt', N: N as number, r: r as number, p: p as number, salt: value.salt as string, check: value.check as string };
}

function scryptParamsProblem(N: unknown, r: unknown, p: unknown): string | undefined {
  if (typeof N !== 'number' || !Number.isSafeInteger(N) || N < MIN_SCRYPT_N || N > MAX_SCRYPT_N || (N & (N - 1)) !== 0) {
    return `N must be a power of two from 2^15 to 2^20, got ${describeValue(N)}`;
  }
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 8 || r > MAX_SCRYPT_R) {
    return `r must be an integer from 8 to ${MAX_SCRYPT_R}, got ${describeValue(r)}`;
  }
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1 || p > MAX_SCRYPT_P) {
    return `p must be an integer from 1 to ${MAX_SCRYPT_P}, got ${describeValue(p)}`;
  }
  if (128 * N * r > MAX_SCRYPT_MEMORY) return `N and r need ${(128 * N * r) / 2 ** 20} MiB, more than the 1024 MiB allowed`;
  return undefined;
}

async function derive(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<{ kek: Uint8Array; check: Uint8Array }> {
  const master = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, 64, { N: params.N, r: params.r, p: params.p, maxmem: 2 * 128 * params.N * params.r + 2 ** 20 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
  try {
    const kek = Uint8Array.from(master.subarray(0, 32));
    const check = createHmac('sha256', master.subarray(32, 64)).update(CHECK_LABEL).digest();
    return { kek, check: new Uint8Array(check.buffer, check.byteOffset, check.byteLength) };
  } finally {
    master.fill(0);
  }
}

function assertPassword(password: Uint8Array): void {
  if (!(password instanceof Uint8Array) || password.length === 0) {
    throw new InvalidInputError('a password must be a non-empty Uint8Array (its UTF-8 bytes)');
  }
}

function invalidHeader(problem: string): CustodyError {
  return new CustodyError('INVALID_KEY_HEADER', `password key header ${problem}`);
}
