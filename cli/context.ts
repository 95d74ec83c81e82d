/**
 * What every command runs with: the parsed arguments, the configuration, the ports, and the two output
 * channels — `print` for the one result on stdout, `warn` for everything else on stderr.
 */
import type { ChainRegistry } from '../lib/chains/registry.js';
import type { SigilConfig } from '../lib/config.js';
import { ConsoleEventSink, FanOutEventSink, JsonLinesEventSink, type EventSink } from '../lib/events/event-sink.js';
import { walletService, type WalletService } from '../lib/wallets/index.js';
import type { ParsedArgs, FlagSpec } from './args.js';
import type { CliIo } from './io.js';
import type { AuditTrail } from '../lib/audit/audit-trail.js';
import { cliActor, openCliAuditTrail } from './commands-audit.js';
import { openStore, type StoreAccess, type StoreHandle } from './open-store.js';

export interface CommandContext {
  readonly io: CliIo;
  readonly args: ParsedArgs;
  readonly config: SigilConfig;
  readonly registry: ChainRegistry;
  readonly version: string;
  /** The .env variables that were read (checkconfig shows them). */
  readonly dotenv: Readonly<Record<string, string>>;
  /** Open the store (lazily) and the wallet service over it; closed by main when the command ends. */
  open(access: StoreAccess, options?: { allowPendingRotation?: boolean }): { handle: StoreHandle; service: WalletService; audit: AuditTrail | undefined };
  /** The result, as upstream prints single results: JSON.stringify(value, null, 2). */
  print(value: unknown): void;
  /** One compact JSON line (upstream's batch output). */
  printLine(value: unknown): void;
  warn(message: string): void;
  /** 'testnet' with --testnet, else 'mainnet'. */
  network(): string;
}

export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly flags?: Readonly<Record<string, FlagSpec>>;
  /** Number of positionals after the command: [min, max]. */
  readonly positionals: readonly [number, number];
  run(ctx: CommandContext): Promise<number>;
}

export function makeContext(io: CliIo, args: ParsedArgs, config: SigilConfig, registry: ChainRegistry, version: string, dotenv: Readonly<Record<string, string>>) {
  const handles: StoreHandle[] = [];
  // One audit trail per command (opened on first write): the store's SQLite file and its .audit.key, or the
  // stack's audit table and HMAC key (SIGIL_AUDIT_TABLE, SIGIL_AUDIT_KEY_ID) with --store aws.
  let audit: ReturnType<typeof openCliAuditTrail> | null = null;
  const auditTrail = (access: StoreAccess) => {
    if (audit === null) {
      audit = openCliAuditTrail(config, { ...dotenv, ...io.env });
      if (!audit && config.store.kind === 'aws' && access !== 'read') io.stderr('sigil: no audit trail: set SIGIL_AUDIT_TABLE and SIGIL_AUDIT_KEY_ID to record wallet operations\n');
    }
    return audit?.trail;
  };
  const consoleSink = new ConsoleEventSink((line) => io.stderr(line));
  const events: EventSink = config.eventsFile ? new FanOutEventSink([consoleSink, new JsonLinesEventSink(config.eventsFile)]) : consoleSink;
  const context: CommandContext = {
    io,
    args,
    config,
    registry,
    version,
    dotenv,
    open(access, options) {
      const handle = openStore(config, io, access, { ...options, registry });
      handles.push(handle);
      const trail = auditTrail(access);
      return { handle, service: walletService({ store: handle.store, keys: handle.keys, events, registry, ...(trail ? { audit: trail, actor: cliActor() } : {}) }), audit: trail };
    },
    print: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
    printLine: (value) => io.stdout(`${JSON.stringify(value)}\n`),
    warn: (message) => io.stderr(`sigil: ${message}\n`),
    network: () => (config.testnet ? 'testnet' : 'mainnet'),
  };
  const closeAll = async () => {
    for (const handle of handles.splice(0)) await handle.close();
    await audit?.close();
    audit = null;
  };
  return { context, closeAll };
}
