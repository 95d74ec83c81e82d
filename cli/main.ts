/**
 * `sigil`: parse argv, dispatch to a command, print its one result on stdout, and map errors to one line
 * on stderr — exit 0 on success, 1 on failure, 2 on wrong usage (docs/cli.md).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry, type ChainRegistry } from '../lib/chains/registry.js';
import { parseConfig, parseDotenv } from '../lib/config.js';
import { SigilError } from '../lib/errors.js';
import { GLOBAL_FLAGS, parseArgs, UsageError, type FlagSpec } from './args.js';
import { adminCommands } from './commands-admin.js';
import { recoveryCommands } from './commands-recovery.js';
import { walletCommands } from './commands-wallets.js';
import { daemonCommands } from './commands-daemon.js';
import { policyCommands } from './commands-policy.js';
import { sandboxCommands } from './commands-sandbox.js';
import { auditCommands } from './commands-audit.js';
import { makeContext, type Command } from './context.js';
import { processIo, type CliIo } from './io.js';

export const COMMANDS: readonly Command[] = [...walletCommands, ...adminCommands, ...recoveryCommands, ...daemonCommands, ...policyCommands, ...auditCommands, ...sandboxCommands];
const BY_NAME = new Map(COMMANDS.map((command) => [command.name, command]));
const ALL_FLAGS: Record<string, FlagSpec> = Object.assign({}, ...COMMANDS.map((command) => command.flags ?? {}));

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function flagHelp(flags: Readonly<Record<string, FlagSpec>>): string[] {
  return Object.entries(flags).map(([name, spec]) => `  --${name}${spec.value ? ` ${spec.value}` : ''}`.padEnd(34) + spec.description);
}

export function helpText(): string {
  return [
    'Usage: sigil <command> [arguments] [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.usage}`.padEnd(52) + command.summary),
    '',
    'Global flags (every command; camelCase or kebab-case):',
    ...flagHelp(GLOBAL_FLAGS),
    '',
    'Secrets are read from a hidden prompt on a terminal, else from the first line of stdin; never from arguments.',
    'stdout carries only the result JSON; everything else goes to stderr. See docs/cli.md.',
    '',
  ].join('\n');
}

/** A one-line, secret-free description of any error. */
export function errorLine(error: unknown): string {
  if (error instanceof SigilError) return error.message.split('\n')[0]!;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // System errors name a path and an errno, nothing read from a file; anything else may quote input.
  if (error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) return error.message.split('\n')[0]!;
  return `unexpected ${error instanceof Error ? error.name : typeof error} (a bug: please report it with the command you ran, never with secrets)`;
}

function readDotenv(io: CliIo, flag: string | undefined): { vars: Record<string, string>; file?: string } {
  const file = flag !== undefined ? resolve(io.cwd, flag) : resolve(io.cwd, '.env');
  if (flag === undefined && !existsSync(file)) return { vars: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the env file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { vars: parseDotenv(text, file), file };
}

export interface MainOptions {
  readonly registry?: ChainRegistry;
}

/** Run one command; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  let closeAll: (() => Promise<void>) | undefined;
  try {
    const args = parseArgs(argv, ALL_FLAGS, (name) => (name ? (BY_NAME.get(name)?.flags ?? {}) : {}));
    if (args.command === 'help' || args.flags.help === true) {
      io.stdout(helpText());
      return 0;
    }
    if (args.command === undefined) {
      io.stderr(helpText());
      return 2;
    }
    const command = BY_NAME.get(args.command);
    if (!command) {
      throw new UsageError(`unknown command ${JSON.stringify(args.command.slice(0, 40))}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    const [min, max] = command.positionals;
    if (args.positionals.length < min || args.positionals.length > max) {
      throw new UsageError(`usage: sigil ${command.usage}`);
    }
    const dotenv = readDotenv(io, typeof args.flags.envFile === 'string' ? args.flags.envFile : undefined);
    const config = parseConfig({
      env: io.env,
      dotenv: dotenv.vars,
      ...(dotenv.file ? { envFile: dotenv.file } : {}),
      cwd: io.cwd,
      homeDir: io.homeDir,
      flags: {
        ...(typeof args.flags.store === 'string' ? { store: args.flags.store } : {}),
        ...(typeof args.flags.path === 'string' ? { path: args.flags.path } : {}),
        ...(typeof args.flags.apiKey === 'string' ? { apiKey: args.flags.apiKey } : {}),
        ...(typeof args.flags.testnet === 'boolean' ? { testnet: args.flags.testnet } : {}),
      },
    });
    const made = makeContext(io, args, config, options.registry ?? defaultRegistry, version(), dotenv.vars);
    closeAll = made.closeAll;
    for (const warning of config.warnings) made.context.warn(warning);
    return await command.run(made.context);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`sigil: ${errorLine(error)} (see \`sigil help\`)\n`);
      return 2;
    }
    io.stderr(`sigil: ${errorLine(error)}\n`);
    return 1;
  } finally {
    try {
      await closeAll?.();
    } catch (error) {
      io.stderr(`sigil: closing the store: ${errorLine(error)}\n`);
    }
  }
}

/** The process entry (bin.js, `npm run sigil`). */
export async function runCli(): Promise<void> {
  // The AWS SDK warns on every run under Node < 22 that future SDK releases will need 22; Sigil pins its
  // SDK and supports Node 20 (docs/cli.md), so the CLI keeps stderr to its own messages unless asked.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await main(process.argv.slice(2), processIo());
  // Exit explicitly: an SDK keep-alive socket or a paused stdin must not hold the process open.
  process.exit(code);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await runCli();
