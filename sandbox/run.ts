/**
 * `sigil sandbox [--once]` as a function: start the sandbox (wiring.ts) in its data folder, begin a run,
 * let the daemon sign on its schedule while demo payments arrive, watch them (tracker.ts, status-view.ts),
 * and report.
 *
 * - `once`: the fixed scenario, passes every 200 ms until every payment is confirmed (or ended, or the
 *   deadline passed), then the checks of report.ts. Exit code 0 only if every payment confirmed (the one the
 *   policy must block: REJECTED and alerted) and every balance is exact.
 * - live: a demo payment every few seconds, passes every `periodMs`, until `signal` (Ctrl-C); then no new
 *   payments, a few seconds for those in flight to finish, the report, exit code 0.
 *
 * The summary JSON is the one thing written to stdout; everything else goes to `stderr` (the view).
 */
import { mkdirSync } from 'node:fs';
import { DEFAULT_FOLD_SECONDS, WEBHOOK_TIMEOUT_MS } from '../lib/alerts/alert-config.js';
import { buildAlertingEventSink, type AlertingEventSink } from '../lib/alerts/alert-sink.js';
import type { AlertChannel } from '../lib/alerts/dispatch.js';
import { ConsoleEventSink, FanOutEventSink, type EventSink } from '../lib/events/event-sink.js';
import { runDaemon } from '../lib/pipeline/daemon.js';
import type { PassSummary } from '../lib/pipeline/pass.js';
import { beginRun, type RunAccounts } from './demo-accounts.js';
import { checkRun, readBalances, type BalanceCheck, type Funded, type PaymentOutcome } from './report.js';
import { createOncePayments, DemoStream } from './scenario.js';
import { StatusView, type ViewOutput } from './status-view.js';
import { PaymentTracker } from './tracker.js';
import { resetSandboxData, SANDBOX_NETWORK, startSandbox, type Sandbox } from './wiring.js';

export interface SandboxRunOptions {
  readonly dataDir: string;
  readonly once: boolean;
  /** Remove the sandbox's files from the data folder first. */
  readonly reset?: boolean;
  /** Live mode: between daemon passes (default 2000 ms). */
  readonly periodMs?: number;
  /** Live mode: between demo payments (default 3000 ms). */
  readonly paymentEveryMs?: number;
  /** `once`: how long the scenario may take to confirm (default 45 s). */
  readonly deadlineMs?: number;
  /** The summary JSON. */
  readonly stdout: (text: string) => void;
  /** The view and log lines. */
  readonly stderr: ViewOutput;
  /** Ctrl-C: live mode drains and reports; `once` gives up waiting and reports. */
  readonly signal: AbortSignal;
  /** Another sink for every event (SIGIL_EVENTS_FILE), besides the view. */
  readonly events?: EventSink;
}

export interface SandboxSummary {
  readonly ok: boolean;
  readonly mode: 'once' | 'live';
  readonly run: number;
  readonly network: string;
  readonly dataDir: string;
  readonly seconds: number;
  readonly passes: number;
  readonly chains: { readonly ETH: { readonly chainId: string; readonly rpcUrl: string }; readonly BTC: { readonly network: string; readonly height: number } };
  readonly wallets: { readonly ETH: string; readonly BTC: string };
  readonly payments: PaymentOutcome[];
  readonly balances: BalanceCheck[];
  readonly problems: string[];
  readonly unfinished: string[];
  /** The alerts the run raised (as the daemon's console shows them), oldest first. */
  readonly alerts: SandboxAlert[];
}

export interface SandboxAlert {
  readonly severity: string;
  readonly detailType: string;
  readonly summary: string;
  readonly pendingId: string | null;
}

/** Alerts as `sigil daemon` raises them (console; folded), also kept for the report and the summary. */
function alertingSink(inner: EventSink, view: StatusView, raised: SandboxAlert[]): AlertingEventSink {
  const keep: AlertChannel = {
    name: 'sandbox-report',
    deliver: async (message) => {
      const json = message.json as { severity?: unknown; detailType?: unknown; summary?: unknown; ids?: Record<string, unknown> };
      if (typeof json.summary !== 'string') return; // a folded-count summary: its first alert was kept already
      const pendingId = json.ids?.pendingId;
      raised.push({ severity: String(json.severity), detailType: String(json.detailType), summary: json.summary, pendingId: typeof pendingId === 'string' ? pendingId : null });
    },
  };
  const settings = { foldWindowMs: DEFAULT_FOLD_SECONDS * 1000, webhookTimeoutMs: WEBHOOK_TIMEOUT_MS };
  return buildAlertingEventSink(inner, settings, { stderr: (line) => view.log(line.trimEnd()), channels: [keep] });
}

const ONCE_PERIOD_MS = 200;
const DRAIN_MS = 8_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describeAccounts(accounts: RunAccounts): string[] {
  return (['ETH', 'BTC'] as const).map((chain) => {
    const a = accounts[chain];
    return `run ${accounts.run}: ${chain} wallet ${a.signatureId} pays from ${a.sender.address} (index ${a.sender.index}) to ${a.recipient.address} (index ${a.recipient.index})`;
  });
}

/** The one line a person reads at the end (the summary JSON follows on stdout). */
function verdictLine(summary: SandboxSummary): string {
  const confirmed = summary.payments.filter((p) => p.stage === 'confirmed').length;
  const blocked = summary.payments.filter((p) => p.blocked).length;
  const head = `run ${summary.run} ${summary.ok ? 'ok' : 'FAILED'}: ${confirmed} of ${summary.payments.length} payments confirmed${blocked > 0 ? `, ${blocked} blocked by the policy and alerted` : ''}`;
  const balances = summary.balances.every((b) => b.ok === true) ? 'every balance exact to the wei and the satoshi' : 'balances not checked (payments unfinished)';
  const tail = summary.ok ? balances : summary.problems.join('; ');
  return `${head}, ${tail}, ${summary.seconds} s, ${summary.passes} passes (summary JSON on stdout)`;
}

/** Poll the tracker until every payment is final, `until` passes, or `signal` aborts. */
async function waitForFinal(tracker: PaymentTracker, until: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    await tracker.refresh();
    if (tracker.allFinal() || Date.now() >= until || signal?.aborted) return;
    await sleep(100, signal);
  }
}

async function livePayments(sandbox: Sandbox, accounts: RunAccounts, funded: Funded, tracker: PaymentTracker, view: StatusView, options: SandboxRunOptions): Promise<void> {
  const stream = new DemoStream(sandbox, accounts, funded);
  const every = options.paymentEveryMs ?? 3_000;
  let nextAt = Date.now();
  while (!options.signal.aborted) {
    if (Date.now() >= nextAt) {
      try {
        tracker.add(await stream.next());
      } catch (error) {
        view.log(`a demo payment could not be made: ${(error as Error).message}`);
      }
      nextAt = Date.now() + every;
    }
    await tracker.refresh();
    await sleep(250, options.signal);
  }
  view.log('stopping: no new payments; finishing those in flight (Ctrl-C again quits at once)');
  await waitForFinal(tracker, Date.now() + DRAIN_MS);
}

export async function runSandbox(options: SandboxRunOptions): Promise<{ code: number; summary: SandboxSummary }> {
  const startedAt = Date.now();
  const mode = options.once ? 'once' : 'live';
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  if (options.reset) resetSandboxData(options.dataDir);
  options.stderr.write(`sandbox: data folder ${options.dataDir} (wallets and ledger are kept between runs; --reset wipes them)\n`);
  const view = new StatusView(options.stderr);
  const viewSink = new ConsoleEventSink((line) => view.event(line));
  const raised: SandboxAlert[] = [];
  const events = alertingSink(options.events ? new FanOutEventSink([viewSink, options.events]) : viewSink, view, raised);
  const sandbox = await startSandbox({ dataDir: options.dataDir, events, evmBlockTimeMs: options.once ? 0 : 1_000, btcAutoMineMs: options.once ? ONCE_PERIOD_MS : 2_000 });
  const daemonStop = new AbortController();
  let daemon: Promise<PassSummary[]> | undefined;
  try {
    const accounts = await beginRun(sandbox);
    view.setHeader(`sigil sandbox · run ${accounts.run} · network ${SANDBOX_NETWORK} (ETH chain ${sandbox.evm.chainId}, BTC regtest) · ${options.once ? '--once' : 'Ctrl-C stops'}`);
    for (const line of describeAccounts(accounts)) view.log(line);
    const tracker = new PaymentTracker(sandbox, accounts, view);
    const before = await readBalances(sandbox, accounts);
    const funded: Funded = { ETH: 0n, BTC: 0n };
    let passes = 0;
    daemon = runDaemon(sandbox.deps, {
      periodMs: options.once ? ONCE_PERIOD_MS : (options.periodMs ?? 2_000),
      runOnce: false,
      filters: {},
      signal: daemonStop.signal,
      onPass: (pass) => {
        passes++;
        for (const error of pass.errors) view.log(`daemon: ${error}`);
      },
    });
    if (options.once) {
      await createOncePayments(sandbox, accounts, funded, (payment) => tracker.add(payment));
      await waitForFinal(tracker, startedAt + (options.deadlineMs ?? 45_000), options.signal);
    } else {
      await livePayments(sandbox, accounts, funded, tracker, view, options);
    }
    daemonStop.abort();
    await daemon;
    await tracker.refresh();
    const alerted = new Set(raised.flatMap((a) => (a.pendingId ? [a.pendingId] : [])));
    const report = await checkRun(sandbox, accounts, tracker.entries, before, funded, alerted);
    const problems = options.once ? [...report.problems, ...report.unfinished.map((u) => `${u}: not confirmed in time`)] : report.problems;
    const summary: SandboxSummary = {
      ok: problems.length === 0,
      mode,
      run: accounts.run,
      network: SANDBOX_NETWORK,
      dataDir: options.dataDir,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      passes,
      chains: { ETH: { chainId: sandbox.evm.chainId.toString(), rpcUrl: sandbox.evm.rpcUrl }, BTC: { network: 'regtest', height: sandbox.btc.height() } },
      wallets: { ETH: accounts.ETH.signatureId, BTC: accounts.BTC.signatureId },
      payments: report.payments,
      balances: report.balances,
      problems,
      unfinished: report.unfinished,
      alerts: raised,
    };
    view.finish();
    options.stderr.write(`sandbox: ${verdictLine(summary)}\n`);
    options.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    return { code: options.once && !summary.ok ? 1 : 0, summary };
  } finally {
    daemonStop.abort();
    await daemon?.catch(() => undefined);
    view.finish();
    await sandbox.close();
  }
}
