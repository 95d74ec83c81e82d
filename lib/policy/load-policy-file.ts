/**
 * Reading a policy file from disk at start (the daemon's `--policy`, SIGIL_POLICY_FILE in a Lambda package,
 * `sigil policy test`). A file that cannot be read or parsed stops the start with one line naming the file,
 * the line and the reason; nothing runs on a policy that was not understood.
 */
import { readFileSync } from 'node:fs';
import type { ChainRegistry } from '../chains/registry.js';
import { InvalidInputError } from '../errors.js';
import type { Policy } from './policy.js';
import { parsePolicyFile, PolicyFileError } from './policy-file.js';

/** Refuse larger files before reading them whole (parsePolicyFile refuses over 256 KiB too). */
const MAX_BYTES = 256 * 1024;

export function loadPolicyFile(path: string, registry: ChainRegistry): Policy {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InvalidInputError(`cannot read the policy file ${path} (${code})`, { path });
  }
  if (bytes.length > MAX_BYTES) throw new PolicyFileError(0, '', `${path} is ${bytes.length} bytes; a policy file is at most ${MAX_BYTES}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PolicyFileError(0, '', `${path} is not UTF-8 text`);
  }
  try {
    return parsePolicyFile(text, { registry });
  } catch (error) {
    // Same line and field path, the file named once: "policy file line 12: rules[1].when…: reason (in x.yaml)".
    if (error instanceof PolicyFileError) throw new PolicyFileError(error.line, error.path, `${error.reason} (in ${path})`);
    throw error;
  }
}
