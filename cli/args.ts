/**
 * The command line: `sigil <command> [positionals] [--flags]`, with TATUM-COMPAT §1's flags. Each flag
 * has one canonical camelCase name and is accepted in camelCase and kebab-case (`--apiKey`,
 * `--api-key`), as `--flag value` or `--flag=value`. Unknown flags are rejected (upstream silently
 * accepts them: a typo there silently changes nothing). Global flags are accepted by every command.
 */
import { SigilError } from '../lib/errors.js';

/** Wrong usage of the command line: exit code 2 and a pointer to `sigil help`. */
export class UsageError extends SigilError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export type FlagType = 'boolean' | 'string';

export interface FlagSpec {
  readonly type: FlagType;
  readonly description: string;
  /** Placeholder for help: `--out FILE`. */
  readonly value?: string;
}

export const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  testnet: { type: 'boolean', description: 'testnet wallets (Tatum\'s testnet derivation and formats); mainnet by default' },
  path: { type: 'string', value: 'FILE', description: 'the local store\'s SQLite file (default ~/.sigil/sigil.db)' },
  apiKey: { type: 'string', value: 'KEY', description: 'Tatum API key (or TATUM_API_KEY); the wallet commands do not call Tatum' },
  envFile: { type: 'string', value: 'FILE', description: '.env file to read variables from (default ./.env when present)' },
  store: { type: 'string', value: 'local|aws', description: 'the store backend (or SIGIL_STORE; default local)' },
  help: { type: 'boolean', description: 'show help' },
};

export interface ParsedArgs {
  readonly command: string | undefined;
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean>>;
  /** Flags given explicitly (to tell `--testnet` from its default). */
  readonly given: ReadonlySet<string>;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function shown(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Parse argv (without `node` and the script). Whether a flag takes the next token as its value is
 * decided by `allFlags` (every flag of every command: a name has one type everywhere), so flags may
 * stand before the command; then the flags are checked against the command's own (`flagsOf`) and the
 * global ones. `--` ends the flags.
 */
export function parseArgs(
  argv: readonly string[],
  allFlags: Readonly<Record<string, FlagSpec>>,
  flagsOf: (command: string | undefined) => Readonly<Record<string, FlagSpec>>,
): ParsedArgs {
  const positionals: string[] = [];
  const entries: Array<{ token: string; canonical: string; value: string | undefined; wellFormed: boolean }> = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
    const wellFormed = /^[a-z][a-zA-Z0-9-]*$/.test(name);
    const canonical = camelCase(name);
    let value = eq >= 0 ? token.slice(eq + 1) : undefined;
    if (wellFormed && ({ ...GLOBAL_FLAGS, ...allFlags })[canonical]?.type === 'string' && value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    entries.push({ token, canonical, value, wellFormed });
  }
  const command = positionals[0];
  const specs = { ...GLOBAL_FLAGS, ...flagsOf(command) };
  const flags: Record<string, string | boolean> = {};
  const given = new Set<string>();
  for (const { token, canonical, value, wellFormed } of entries) {
    const spec = wellFormed ? specs[canonical] : undefined;
    if (!spec) {
      const accepted = Object.keys(specs).map((f) => `--${f}`).join(', ');
      throw new UsageError(`unknown flag ${shown(token.split('=')[0]!)}${command ? ` for ${shown(command)}` : ''}; accepted: ${accepted}`);
    }
    if (given.has(canonical)) throw new UsageError(`flag --${canonical} is given twice`);
    given.add(canonical);
    if (spec.type === 'boolean') {
      if (value === undefined || value === 'true') flags[canonical] = true;
      else if (value === 'false') flags[canonical] = false;
      else throw new UsageError(`flag --${canonical} takes no value (or =true / =false)`);
    } else if (value === undefined || value === '') {
      throw new UsageError(`flag --${canonical} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    } else {
      flags[canonical] = value;
    }
  }
  return { command, positionals: positionals.slice(1), flags, given };
}
