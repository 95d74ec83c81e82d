/**
 * Reading secrets: a hidden prompt when stdin is a terminal, else the next line of stdin — never argv,
 * never an echo. Every function returns bytes the caller wipes.
 */
import { InvalidInputError } from '../lib/errors.js';
import { wipe } from '../lib/keys/index.js';
import type { CliIo } from './io.js';

function trimmed(bytes: Uint8Array): Uint8Array {
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  const out = bytes.slice(start, end);
  wipe(bytes);
  return out;
}

/** A secret from the prompt (TTY) or the next stdin line; empty input is an error naming `what`. */
export async function readSecret(io: CliIo, question: string, what: string): Promise<Uint8Array> {
  const raw = io.stdinIsTty ? await io.promptHidden(question) : await io.readLine();
  if (raw === undefined) throw new InvalidInputError(`expected ${what} on the first line of stdin; stdin was empty`);
  const secret = trimmed(raw);
  if (secret.length === 0) {
    throw new InvalidInputError(`expected ${what}${io.stdinIsTty ? '' : ' on the first line of stdin'}; got an empty line`);
  }
  return secret;
}

/** A new password: on a terminal asked twice and compared; from stdin read once. */
export async function readNewPassword(io: CliIo, question: string): Promise<Uint8Array> {
  const first = await readSecret(io, question, 'a new password');
  if (!io.stdinIsTty) return first;
  const second = await readSecret(io, 'Repeat it:', 'the new password again');
  try {
    if (first.length !== second.length || !first.every((byte, i) => byte === second[i])) {
      wipe(first);
      throw new InvalidInputError('the two passwords differ; nothing was changed');
    }
    return first;
  } finally {
    wipe(second);
  }
}
