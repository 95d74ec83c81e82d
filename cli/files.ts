/** Files named on the command line: read with a one-line error naming the file, written without overwriting. */
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidInputError } from '../lib/errors.js';
import type { CommandContext } from './context.js';

/** A path from the command line, relative to the working directory. */
export function pathOperand(ctx: CommandContext, path: string): string {
  return resolve(ctx.io.cwd, path);
}

export async function readTextFile(ctx: CommandContext, path: string, what: string): Promise<string> {
  const full = pathOperand(ctx, path);
  try {
    return await readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new InvalidInputError(`cannot read the ${what} ${full} (${code === 'ENOENT' ? 'no such file' : code})`, { path: full });
  }
}

/** Create `path` with `mode`, refusing to replace an existing file (a backup or a key is never overwritten). */
export function writeNewFile(ctx: CommandContext, path: string, text: string, mode: number): string {
  const full = pathOperand(ctx, path);
  let fd: number;
  try {
    fd = openSync(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new InvalidInputError(`cannot create ${full} (${code === 'EEXIST' ? 'it exists; Sigil never overwrites it' : code})`, { path: full });
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return full;
}
