/**
 * `sigil daemon` (TATUM-COMPAT §1, §2) and the operators' view of the ledger (`sigil ledger list|show`).
 * The daemon runs lib/pipeline's passes over the embedded adapters (the wallet store's SQLite file also holds
 * the ledger and the shared rate limiter, so several daemons may share it) or the AWS ones with --store aws.
 * stdout: one JSON summary line per pass (the result); events and logs go to stderr.
 */
import { hostname, userInfo } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsoleEventSink, FanOutEventSink, JsonLinesEventSink, type EventSink } from '../lib/events/event-sink.js';
import { InvalidInputError } from '../lib/errors.js';
import { DEFAULT_FEE_CAPS, type PipelineDeps } from '../lib/pipeline/deps.js';
import { parseDaemonSettings } from '../lib/pipeline/daemon-config.js';
import { runDaemon } from '../lib/pipeline/daemon.js';
import { OpenedWalletCache } from '../lib/pipeline/opened-wallets.js';
import { replaceStuckEvmTransaction } from '../lib/pipeline/replace.js';
import type { Ledger } from '../lib/store/ledger.js';
import { LEDGER_STATES, type LedgerState } from '../lib/store/ledger.js';
import { DynamoDbLedger } from '../lib/store/ledger-dynamodb.js';
import { SqliteLedger } from '../lib/store/ledger-sqlite.js';
import { DynamoDbRateLimiter } from '../lib/store/rate-limit-dynamodb.js';
import { SqliteRateLimiter } from '../lib/store/rate-limit-sqlite.js';
import { HttpTatumApi } from '../lib/tatum/client.js';
import { PENDING_ID } from '../lib/tatum/pending-transaction.js';
import { defaultBurstFor, MemoryRateLimiter, type RateLimiter } from '../lib/tatum/rate-limiter.js';
import { DynamoDbWalletActivity } from '../lib/store/wallet-activity-dynamodb.js';
import { SqliteWalletActivity } from '../lib/store/wallet-activity-sqlite.js';
import type { WalletActivity } from '../lib/store/wallet-activity.js';
import { checkPolicyDeployable } from '../lib/pipeline/policy-gate.js';
import { buildAlertingEventSink } from '../lib/alerts/alert-sink.js';
import { loadPolicyFile } from '../lib/policy/load-policy-file.js';
import type { Command, CommandContext } from './context.js';
import { pathOperand } from './files.js';

interface Backend {
  readonly ledger: Ledger;
  readonly rateLimiter: RateLimiter;
  /** Velocity and unusual-activity history; in the same SQLite file or its own DynamoDB table. */
  readonly activity?: WalletActivity;
  close(): Promise<void>;
}

function tableName(ctx: CommandContext, variable: string): string {
  const name = ctx.io.env[variable];
  if (!name || !/^[A-Za-z0-9_.-]{3,255}$/.test(name)) throw new InvalidInputError(`--store aws needs ${variable} (a DynamoDB table name)`);
  return name;
}

/** `sharedLimiter`: the daemon shares its Tatum budget with every process on the API key (the table is required). */
function openBackend(ctx: CommandContext, ratePerSecond: number, { sharedLimiter = true } = {}): Backend {
  const { config } = ctx;
  const rate = { ratePerSecond, burst: defaultBurstFor(ratePerSecond) };
  if (config.store.kind === 'local') {
    const ledger = SqliteLedger.open(config.store.path);
    const rateLimiter = SqliteRateLimiter.open(config.store.path, rate);
    const activity = SqliteWalletActivity.open(config.store.path);
    return { ledger, rateLimiter, activity, close: async () => (await activity.close(), rateLimiter.close(), ledger.close()) };
  }
  const client = new DynamoDBClient({ ...(config.aws.region ? { region: config.aws.region } : {}), ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) });
  const ledger = new DynamoDbLedger(client, tableName(ctx, 'SIGIL_LEDGER_TABLE'));
  // `ledger` (one replace at most, from a laptop) may go without the shared table.
  const rateLimiter =
    !sharedLimiter && !ctx.io.env.SIGIL_RATE_LIMIT_TABLE
      ? new MemoryRateLimiter(rate)
      : new DynamoDbRateLimiter({ client, tableName: tableName(ctx, 'SIGIL_RATE_LIMIT_TABLE'), ...rate });
  // Activity is optional from a laptop (`ledger` commands need none); the daemon refuses velocity rules without it.
  const activityTable = ctx.io.env.SIGIL_ACTIVITY_TABLE;
  const activity = activityTable ? new DynamoDbWalletActivity({ client, tableName: tableName(ctx, 'SIGIL_ACTIVITY_TABLE') }) : undefined;
  return { ledger, rateLimiter, ...(activity ? { activity } : {}), close: async () => (await ledger.close(), client.destroy()) };
}

/** The pipeline's ports over the CLI's store handle and backend (the daemon, `ledger replace`). */
async function pipelineDeps(
  ctx: CommandContext,
  handle: ReturnType<CommandContext['open']>['handle'],
  backend: Backend,
  extra: Partial<PipelineDeps['config']>,
  events: EventSink = eventSink(ctx),
): Promise<PipelineDeps> {
  if (!ctx.config.tatumApiKey) throw new InvalidInputError('a Tatum API key is needed: set TATUM_API_KEY or pass --apiKey');
  return {
    registry: ctx.registry,
    wallets: handle.store,
    ledger: backend.ledger,
    tatum: new HttpTatumApi({ baseUrl: ctx.config.tatumApiUrl, apiKey: ctx.config.tatumApiKey.reveal(), rateLimiter: backend.rateLimiter }),
    keys: await handle.keys(),
    events,
    ...(backend.activity ? { activity: backend.activity } : {}),
    openedWallets: new OpenedWalletCache({ maxEntries: 1000, maxAgeMs: 15 * 60_000 }),
    now: Date.now,
    owner: `${hostname()}:${process.pid}`,
    config: {
      network: ctx.network(),
      leaseMs: 5 * 60_000,
      approvalRetryMs: 60_000,
      settleAfterMs: 60_000,
      feeCaps: DEFAULT_FEE_CAPS,
      concurrency: 8,
      ...extra,
    },
  };
}

function eventSink(ctx: CommandContext): EventSink {
  const consoleSink = new ConsoleEventSink((line) => ctx.io.stderr(line));
  return ctx.config.eventsFile ? new FanOutEventSink([consoleSink, new JsonLinesEventSink(ctx.config.eventsFile)]) : consoleSink;
}

const daemon: Command = {
  name: 'daemon',
  usage: 'daemon',
  summary: 'poll Tatum for pending transactions, approve, sign and broadcast them',
  positionals: [0, 0],
  flags: {
    period: { type: 'string', value: 'SECONDS', description: 'seconds between passes (default 5)' },
    chain: { type: 'string', value: 'CSV', description: 'only these chains' },
    wallets: { type: 'string', value: 'CSV', description: 'only these signatureIds' },
    transactionIds: { type: 'string', value: 'CSV', description: 'only these pending transaction ids' },
    runOnce: { type: 'boolean', description: 'one pass, then exit (non-zero if the pass hit errors)' },
    externalUrl: { type: 'string', value: 'URL', description: 'four-eye approval service (required on mainnet)' },
    externalUrlMethod: { type: 'string', value: 'GET|POST', description: 'how to call it (default GET)' },
    policy: { type: 'string', value: 'FILE', description: 'policy file (YAML or JSON, docs/policy.md); without it --externalUrl approves every tx' },
    alertWebhook: { type: 'string', value: 'URL', description: 'Slack-compatible webhook for alerts, https (or env SIGIL_ALERT_WEBHOOK)' },
    alertFile: { type: 'string', value: 'PATH', description: 'append alerts as JSON lines to this file (the console always gets them)' },
  },
  async run(ctx) {
    const network = ctx.network();
    const f = ctx.args.flags;
    const str = (name: string) => (typeof f[name] === 'string' ? (f[name] as string) : undefined);
    const settings = parseDaemonSettings(
      {
        period: str('period'),
        chain: str('chain'),
        wallets: str('wallets'),
        transactionIds: str('transactionIds'),
        runOnce: f.runOnce === true,
        externalUrl: str('externalUrl'),
        externalUrlMethod: str('externalUrlMethod'),
        alertWebhook: str('alertWebhook'),
        alertFile: str('alertFile') === undefined ? undefined : pathOperand(ctx, str('alertFile')!),
      },
      ctx.io.env,
      network,
    );
    const policyPath = str('policy');
    const policy = policyPath === undefined ? undefined : loadPolicyFile(pathOperand(ctx, policyPath), ctx.registry);
    const { handle, audit } = ctx.open('read');
    const backend = openBackend(ctx, settings.tatumRatePerSecond);
    checkPolicyDeployable(policy, { activity: backend.activity !== undefined, fourEye: settings.fourEye !== undefined });
    // Alerts for people (console always; --alertFile, --alertWebhook), folded so a storm is one message with a count.
    const alerting = buildAlertingEventSink(eventSink(ctx), settings.alerts, { stderr: (line) => ctx.io.stderr(line) });
    const controller = new AbortController();
    const stop = () => {
      if (!controller.signal.aborted) ctx.warn('stopping after the pass in flight (send the signal again to force)');
      else process.exit(130);
      controller.abort();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      const deps = {
        ...(await pipelineDeps(ctx, handle, backend, { concurrency: settings.concurrency, ...(settings.fourEye ? { fourEye: settings.fourEye } : {}) }, alerting)),
        ...(policy ? { policy } : {}),
        ...(audit ? { audit } : {}),
      };
      if (policy) ctx.warn(`policy ${policyPath}: ${policy.rules.length} rule(s), default ${policy.default}`);
      ctx.warn(`daemon on ${network}: ${settings.runOnce ? 'one pass' : `a pass every ${settings.periodMs / 1000} s`}, Tatum at ${ctx.config.tatumApiUrl}`);
      const summaries = await runDaemon(deps, {
        periodMs: settings.periodMs,
        runOnce: settings.runOnce,
        filters: settings.filters,
        signal: controller.signal,
        onPass: (summary) => {
          ctx.printLine(summary);
          for (const error of summary.errors) ctx.warn(error);
        },
      });
      return summaries.some((s) => s.errorCount > 0) && settings.runOnce ? 1 : 0;
    } finally {
      await alerting.flush();
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      await backend.close();
    }
  },
};

function publicView(record: Awaited<ReturnType<Ledger['get']>>) {
  if (!record) return undefined;
  const { pending: _pending, ...rest } = record;
  return rest;
}

const ledger: Command = {
  name: 'ledger',
  usage: 'ledger list [--state S] | show <id> | replace <id> --reason TEXT [--bump PERCENT] [--policy FILE]',
  summary: "the operators' view of the ledger (no secrets in it)",
  positionals: [1, 2],
  flags: {
    state: { type: 'string', value: 'STATE', description: `with list: only records in this state (${LEDGER_STATES.join(', ')})` },
    reason: { type: 'string', value: 'TEXT', description: 'with replace: why (kept in the ledger and the event)' },
    bump: { type: 'string', value: 'PERCENT', description: 'with replace: fee increase in percent, 10–500 (default 25)' },
    policy: { type: 'string', value: 'FILE', description: "with replace: the daemon's policy file; a replacement it blocks is refused" },
  },
  async run(ctx) {
    const [verb, id] = ctx.args.positionals;
    const backend = openBackend(ctx, 1, { sharedLimiter: false });
    try {
      if (verb === 'show' && id !== undefined) {
        if (!PENDING_ID.test(id)) throw new InvalidInputError('ledger show takes a pending transaction id (24 hex)');
        const record = await backend.ledger.get(id);
        if (!record) throw new InvalidInputError(`no ledger record for ${id}`);
        ctx.print({ ...publicView(record), pending: JSON.parse(record.pending) });
        return 0;
      }
      if (verb === 'list' && id === undefined) {
        const state = ctx.args.flags.state;
        if (state !== undefined && !LEDGER_STATES.includes(state as LedgerState)) throw new InvalidInputError(`--state must be one of ${LEDGER_STATES.join(', ')}`);
        const page = await backend.ledger.list({ ...(typeof state === 'string' ? { state: state as LedgerState } : {}), limit: 1000 });
        ctx.print(page.records.map((r) => ({ id: r.id, chain: r.chain, network: r.network, state: r.state, hash: r.hash, txId: r.txId, reason: r.reason, updatedAt: new Date(r.updatedAt).toISOString() })));
        return 0;
      }
      if (verb === 'replace' && id !== undefined) {
        if (!PENDING_ID.test(id)) throw new InvalidInputError('ledger replace takes a pending transaction id (24 hex)');
        const reason = typeof ctx.args.flags.reason === 'string' ? ctx.args.flags.reason : undefined;
        if (!reason) throw new InvalidInputError('ledger replace needs --reason: it is kept in the ledger history and the event');
        const bumpText = ctx.args.flags.bump;
        const bumpPercent = typeof bumpText === 'string' ? Number(bumpText) : undefined;
        const { handle, audit } = ctx.open('read');
        const policyPath = typeof ctx.args.flags.policy === 'string' ? ctx.args.flags.policy : undefined;
        const policy = policyPath === undefined ? undefined : loadPolicyFile(pathOperand(ctx, policyPath), ctx.registry);
        const deps = { ...(await pipelineDeps(ctx, handle, backend, {})), ...(policy ? { policy } : {}), ...(audit ? { audit } : {}) };
        const operator = `${userInfo().username}@${hostname()}`.replace(/\s+/g, '_');
        const record = await replaceStuckEvmTransaction(deps, { id, reason, operator, ...(bumpPercent !== undefined ? { bumpPercent } : {}) });
        deps.openedWallets.clear();
        ctx.print({ id: record.id, state: record.state, hash: record.hash, txId: record.txId, replaced: record.history.map((h) => h.hash) });
        return 0;
      }
      throw new InvalidInputError('usage: sigil ledger list [--state S] | show <id> | replace <id> --reason TEXT [--bump PERCENT]');
    } finally {
      await backend.close();
    }
  },
};

export const daemonCommands: readonly Command[] = [daemon, ledger];
