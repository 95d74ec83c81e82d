/**
 * `sigil sandbox [--once] [--reset]` (`npm start`): Sigil end to end on this machine, with no account
 * anywhere — a local EVM chain, a Bitcoin regtest node, a Tatum simulator and the daemon, on the embedded
 * defaults (local key file, SQLite, console events) in a data folder of its own, `~/.sigil/sandbox` unless
 * `--dataDir` says otherwise (sandbox/run.ts has the rest).
 *
 * stdout: the summary JSON only; the live view (a terminal) or log lines (a pipe) go to stderr. Exit 0 on
 * success and after Ctrl-C; `--once` exits 1 when a payment did not confirm or a balance is not exact.
 * The sandbox never uses the configured store, Tatum URL or API key: those global flags are ignored, loudly.
 */
import { resolve } from 'node:path';
import { InvalidInputError } from '../lib/errors.js';
import { JsonLinesEventSink } from '../lib/events/event-sink.js';
import { runSandbox } from '../sandbox/run.js';
import type { Command } from './context.js';

const IGNORED_GLOBALS = ['path', 'store', 'testnet', 'apiKey'] as const;

const sandbox: Command = {
  name: 'sandbox',
  usage: 'sandbox [--once] [--reset]',
  summary: 'local chains, a Tatum simulator and the daemon: watch demo payments get signed (npm start)',
  positionals: [0, 0],
  flags: {
    once: { type: 'boolean', description: 'the fixed scenario (ETH legacy and EIP-1559, BTC P2WPKH, and a 6 ETH payment the policy blocks), a summary, exit 0 on success' },
    reset: { type: 'boolean', description: "wipe the sandbox's wallets and ledger first" },
    dataDir: { type: 'string', value: 'DIR', description: "the sandbox's data folder (default ~/.sigil/sandbox)" },
    period: { type: 'string', value: 'SECONDS', description: 'seconds between daemon passes (default 2)' },
  },
  async run(ctx) {
    const f = ctx.args.flags;
    for (const name of IGNORED_GLOBALS) {
      if (ctx.args.given.has(name)) ctx.warn(`--${name} is ignored by sandbox: it runs on its own store, chains and Tatum simulator`);
    }
    let periodMs: number | undefined;
    if (typeof f.period === 'string') {
      const seconds = Number(f.period);
      if (!/^\d+(\.\d+)?$/.test(f.period) || !(seconds >= 0.1 && seconds <= 60)) {
        throw new InvalidInputError(`--period must be a number of seconds from 0.1 to 60; got ${JSON.stringify(f.period.slice(0, 20))}`);
      }
      periodMs = seconds * 1000;
    }
    const dataDir = typeof f.dataDir === 'string' ? resolve(ctx.io.cwd, f.dataDir) : resolve(ctx.io.homeDir, '.sigil', 'sandbox');
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) {
        // Forced quit: give the terminal its cursor back (the live view hides it while it redraws).
        if (ctx.io.stderrIsTty) ctx.io.stderr('\x1b[?25h\n');
        process.exit(130);
      }
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const { code } = await runSandbox({
        dataDir,
        once: f.once === true,
        reset: f.reset === true,
        ...(periodMs !== undefined ? { periodMs } : {}),
        stdout: (text) => ctx.io.stdout(text),
        stderr: { write: (text) => ctx.io.stderr(text), tty: ctx.io.stderrIsTty, columns: process.stderr.columns ?? 100 },
        signal: controller.signal,
        ...(ctx.config.eventsFile ? { events: new JsonLinesEventSink(ctx.config.eventsFile) } : {}),
      });
      return code;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

export const sandboxCommands: readonly Command[] = [sandbox];
