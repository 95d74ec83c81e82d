/**
 * The local key file: one 256-bit key-encryption key, created on first use, never replaced.
 *
 * Format v1, 45 bytes (binary, so the key is read into a wipeable Uint8Array, never a string):
 *   "SIGILKEK" (8 ASCII bytes) ‖ 0x01 (version) ‖ KEK (32) ‖ first 4 bytes of sha256(the preceding 41 bytes)
 * The checksum tells a damaged file (INVALID_KEY_FILE) from a different key (KEY_MISMATCH on open).
 *
 * Creation is race-free across processes: the key is written and fsynced to a unique temporary file in
 * the same directory, then link(2)ed to the final name. link fails with EEXIST if the name exists, so
 * exactly one process's key becomes the file; every loser discards its key and reads the winner's.
 * Readers never see a partial file (link publishes a complete one). The file is 0600, a created parent
 * directory 0700; an existing file readable by group or others is refused, as ssh refuses such keys.
 */
import { createHash, getRandomValues, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CustodyError } from './custody-error.js';

const MAGIC = new TextEncoder().encode('SIGILKEK');
const VERSION = 0x01;
const KEY_BYTES = 32;
const CHECKSUM_BYTES = 4;
export const KEY_FILE_BYTES = MAGIC.length + 1 + KEY_BYTES + CHECKSUM_BYTES;

export interface OpenedKeyFile {
  /** 32 bytes; the caller wipes it. */
  readonly kek: Uint8Array;
  /** Whether this call created the file. */
  readonly created: boolean;
}

export async function openKeyFile(path: string, options: { readonly create: boolean }): Promise<OpenedKeyFile> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { kek: existing, created: false };
  if (!options.create) {
    throw new CustodyError('KEY_UNAVAILABLE', `key file ${path} does not exist (create it with the option to create)`, { path });
  }
  try {
    return await createKeyFile(path);
  } catch (error) {
    if (error instanceof CustodyError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CustodyError('KEY_UNAVAILABLE', `key file ${path} cannot be created: ${code}`, { path }, { cause: error });
  }
}

/** Encodes a KEK as a key file (exported for tests and tooling); the caller wipes the result. */
export function encodeKeyFile(kek: Uint8Array): Uint8Array {
  if (kek.length !== KEY_BYTES) throw new RangeError(`a key-encryption key must be 32 bytes, got ${kek.length}`);
  const bytes = new Uint8Array(KEY_FILE_BYTES);
  bytes.set(MAGIC, 0);
  bytes[MAGIC.length] = VERSION;
  bytes.set(kek, MAGIC.length + 1);
  const body = bytes.subarray(0, MAGIC.length + 1 + KEY_BYTES);
  bytes.set(createHash('sha256').update(body).digest().subarray(0, CHECKSUM_BYTES), body.length);
  return bytes;
}

async function createKeyFile(path: string): Promise<OpenedKeyFile> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const kek = getRandomValues(new Uint8Array(KEY_BYTES));
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const bytes = encodeKeyFile(kek);
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process won the race: its key is the key.
      kek.fill(0);
      const winner = await readKeyFile(path);
      if (winner === undefined) {
        throw new CustodyError('KEY_UNAVAILABLE', `key file ${path} vanished while it was being created`, { path });
      }
      return { kek: winner, created: false };
    }
    await syncDirectory(directory);
    return { kek, created: true };
  } catch (error) {
    kek.fill(0);
    throw error;
  } finally {
    bytes.fill(0);
    await unlink(temporary).catch(() => undefined);
  }
}

/** The KEK in the file, or undefined when there is no file. */
async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CustodyError('KEY_UNAVAILABLE', `key file ${path} cannot be opened: ${code}`, { path }, { cause: error });
  }
  const bytes = new Uint8Array(KEY_FILE_BYTES + 1);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw invalidFile(path, 'is not a regular file');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw invalidFile(path, `is accessible to group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); expected 0600`);
    }
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    if (bytesRead !== KEY_FILE_BYTES) {
      throw invalidFile(path, `must be ${KEY_FILE_BYTES} bytes, has ${bytesRead === bytes.length ? 'more' : bytesRead}`);
    }
    return decodeKeyFile(path, bytes.subarray(0, KEY_FILE_BYTES));
  } finally {
    bytes.fill(0);
    await handle.close();
  }
}

function decodeKeyFile(path: string, bytes: Uint8Array): Uint8Array {
  if (!MAGIC.every((byte, i) => bytes[i] === byte)) throw invalidFile(path, 'does not start with "SIGILKEK"');
  if (bytes[MAGIC.length] !== VERSION) throw invalidFile(path, `has version ${bytes[MAGIC.length]}, expected 1`);
  const bodyLength = MAGIC.length + 1 + KEY_BYTES;
  const checksum = createHash('sha256').update(bytes.subarray(0, bodyLength)).digest();
  for (let i = 0; i < CHECKSUM_BYTES; i++) {
    if (checksum[i] !== bytes[bodyLength + i]) throw invalidFile(path, 'fails its checksum (damaged)');
  }
  return bytes.slice(MAGIC.length + 1, bodyLength);
}

/** Makes the new directory entry durable (POSIX: fsync the directory after link). */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function invalidFile(path: string, problem: string): CustodyError {
  return new CustodyError('INVALID_KEY_FILE', `key file ${path} ${problem}`, { path });
}
