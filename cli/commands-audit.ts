/**
 * `sigil audit verify | tail | show` (docs/audit.md) and the audit trail of the CLI's own wallet commands.
 *
 * Where the trail lives follows the store (cli/open-store.ts): the local store's SQLite file (table
 * audit_entries) with its key file `<path>.audit.key`, or with --store aws the DynamoDB table
 * SIGIL_AUDIT_TABLE and the KMS HMAC key SIGIL_AUDIT_KEY_ID (the key ARN, as the stack hands it to the
 * functions: entries name the key they were made with, and verify accepts only its own).
 *
 * Read commands never create anything: a missing database or table is an empty trail, which verifies (exit 0).
 * `verify` exits 1 when a chain is broken, after naming the first broken entry on stderr.
 */
import { hostname, userInfo } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsAuditTrail } from '../lib/audit/aws-audit-trail.js';
import {
  ChainedAuditTrail,
  KmsAuditMac,
  lazyAuditTrail,
  LocalHmacAuditMac,
  localAuditKeyPath,
  streamOf,
  verifyAuditTrail,
  type AuditMac,
  type AuditStore,
  type AuditTrail,
  type StoredAuditItem,
} from '../lib/audit/index.js';
import type { SigilConfig } from '../lib/config.js';
import { InvalidInputError, SigilError } from '../lib/errors.js';
import { DynamoDbAuditStore } from '../lib/store/audit-dynamodb.js';
import { SqliteAuditStore } from '../lib/store/audit-sqlite.js';
import { PENDING_ID } from '../lib/tatum/pending-transaction.js';
import { checkSignatureId } from '../lib/wallets/index.js';
import type { Command, CommandContext } from './context.js';
import { kmsClientOf } from './local-keys.js';

type Env = Readonly<Record<string, string | undefined>>;

const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;
const KEY_ID = /^[\x21-\x7e]{1,2048}$/;
const MAX_TAIL = 1000;

function awsClientOptions(config: SigilConfig) {
  return { ...(config.aws.region ? { region: config.aws.region } : {}), ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) };
}

function auditTableOf(env: Env): string {
  const table = env.SIGIL_AUDIT_TABLE;
  if (!table || !TABLE.test(table)) throw new InvalidInputError('--store aws needs SIGIL_AUDIT_TABLE (the audit DynamoDB table, stack output AuditTableName)');
  return table;
}

function auditKeyOf(env: Env): string {
  const keyId = env.SIGIL_AUDIT_KEY_ID;
  if (!keyId || !KEY_ID.test(keyId)) throw new InvalidInputError('--store aws needs SIGIL_AUDIT_KEY_ID (the ARN of the audit HMAC key, stack output AuditKeyArn)');
  return keyId;
}

/** Who the CLI's entries name. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return `cli ${user}@${hostname()}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);
}

interface AuditBackend {
  /** undefined: no database file / no table — an empty trail. */
  store(): Promise<AuditStore | undefined>;
  mac(): Promise<AuditMac>;
  close(): Promise<void>;
}

function isMissingTable(error: unknown): boolean {
  return error instanceof SigilError && error.context.aws === 'ResourceNotFoundException';
}

/** The trail for reading (verify, tail, show): nothing is created. */
function openReadBackend(ctx: CommandContext): AuditBackend {
  const { config } = ctx;
  const env: Env = { ...ctx.dotenv, ...ctx.io.env };
  if (config.store.kind === 'local') {
    const path = config.store.path;
    let store: SqliteAuditStore | undefined;
    let mac: LocalHmacAuditMac | undefined;
    return {
      store: async () => {
        const opened = SqliteAuditStore.open(path, { readonly: true });
        if (opened === 'missing') return undefined;
        return (store = opened);
      },
      mac: async () => (mac = await LocalHmacAuditMac.open(localAuditKeyPath(path), { create: false })),
      close: async () => {
        mac?.close();
        await store?.close();
      },
    };
  }
  const table = auditTableOf(env);
  const client = new DynamoDBClient(awsClientOptions(config));
  return {
    store: async () => {
      const store = new DynamoDbAuditStore({ client, tableName: table });
      try {
        await store.head('tx#probe');
      } catch (error) {
        if (isMissingTable(error)) {
          ctx.warn(`audit table ${table} does not exist: the trail is empty`);
          return undefined;
        }
        throw error;
      }
      return store;
    },
    mac: async () => new KmsAuditMac({ client: kmsClientOf(config), keyId: auditKeyOf(env) }),
    close: async () => client.destroy(),
  };
}

/**
 * The audit trail of the CLI's wallet commands (wallet.created, wallet.removed, secret.revealed), opened
 * on first record: the local store's file and key file (created as needed), or on --store aws the table
 * and KMS key of SIGIL_AUDIT_TABLE / SIGIL_AUDIT_KEY_ID. undefined on aws when neither is set (the caller
 * says so on stderr); one without the other is an error.
 */
export function openCliAuditTrail(config: SigilConfig, env: Env): { readonly trail: AuditTrail; close(): Promise<void> } | undefined {
  if (config.store.kind === 'local') {
    const path = config.store.path;
    let store: SqliteAuditStore | undefined;
    let mac: LocalHmacAuditMac | undefined;
    const trail = lazyAuditTrail(async () => {
      store = SqliteAuditStore.open(path);
      mac = await LocalHmacAuditMac.open(localAuditKeyPath(path), { create: true });
      return new ChainedAuditTrail(store, mac);
    });
    return { trail, close: async () => (mac?.close(), await store?.close()) };
  }
  if (env.SIGIL_AUDIT_TABLE === undefined && env.SIGIL_AUDIT_KEY_ID === undefined) return undefined;
  const table = auditTableOf(env);
  const keyId = auditKeyOf(env);
  let client: DynamoDBClient | undefined;
  const trail = lazyAuditTrail(async () => {
    client = new DynamoDBClient(awsClientOptions(config));
    return awsAuditTrail(client, kmsClientOf(config), { table, keyId });
  });
  return { trail, close: async () => client?.destroy() };
}

function streamFlag(ctx: CommandContext): string | undefined {
  const { wallet, tx } = ctx.args.flags;
  if (wallet !== undefined && tx !== undefined) throw new InvalidInputError('give --wallet or --tx, not both');
  if (typeof wallet === 'string') return streamOf('wallet', checkSignatureId(wallet));
  if (typeof tx === 'string') {
    if (!PENDING_ID.test(tx)) throw new InvalidInputError('--tx takes a pending transaction id (24 hex)');
    return streamOf('tx', tx);
  }
  return undefined;
}

/** An entry as printed: the entry itself, or where a damaged one sits and why. */
function printable(item: StoredAuditItem): unknown {
  return item.entry ?? { stream: item.stream, seq: item.seq, damaged: item.problem };
}

async function runVerify(ctx: CommandContext, backend: AuditBackend): Promise<number> {
  const stream = streamFlag(ctx);
  const store = await backend.store();
  const empty = { ok: true, streams: 0, entries: 0, brokenStreams: 0 };
  if (!store || (await store.streams({ limit: 1 })).streams.length === 0) {
    ctx.print(empty);
    return 0;
  }
  const mac = await backend.mac();
  const result = await verifyAuditTrail(store, mac, stream ? { stream } : {});
  ctx.print(result);
  if (result.ok) return 0;
  const broken = result.firstBroken!;
  ctx.warn(`audit trail BROKEN: ${broken.stream} entry ${broken.seq} (${broken.kind}): ${broken.reason}; ${result.brokenStreams} stream(s) broken`);
  return 1;
}

async function runTail(ctx: CommandContext, backend: AuditBackend): Promise<number> {
  const text = ctx.args.flags.limit;
  const limit = typeof text === 'string' ? Number(text) : 20;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TAIL) throw new InvalidInputError(`--limit takes 1-${MAX_TAIL}`);
  const store = await backend.store();
  ctx.print(store ? (await store.recent(limit)).map(printable) : []);
  return 0;
}

async function runShow(ctx: CommandContext, backend: AuditBackend): Promise<number> {
  const stream = streamFlag(ctx);
  if (!stream) throw new InvalidInputError('audit show needs --wallet <signatureId> or --tx <pendingId>');
  const store = await backend.store();
  const items: StoredAuditItem[] = [];
  let fromSeq: number | undefined;
  while (store) {
    const page = await store.entries(stream, { ...(fromSeq !== undefined ? { fromSeq } : {}), limit: 500 });
    items.push(...page);
    if (page.length < 500) break;
    fromSeq = page[page.length - 1]!.seq + 1;
  }
  ctx.print({ stream, entries: items.map(printable) });
  return 0;
}

const audit: Command = {
  name: 'audit',
  usage: 'audit verify [--wallet ID | --tx ID] | tail [--limit N] | show --wallet ID | --tx ID',
  summary: "prove the audit trail intact (exit 1 naming the first broken entry), its latest entries, or one wallet's or transaction's history",
  positionals: [1, 1],
  flags: {
    limit: { type: 'string', value: 'N', description: `with tail: how many entries (1-${MAX_TAIL}, default 20)` },
    wallet: { type: 'string', value: 'SIGNATURE_ID', description: "with show or verify: one wallet's stream" },
    tx: { type: 'string', value: 'PENDING_ID', description: "with show or verify: one pending transaction's stream" },
  },
  async run(ctx) {
    const [verb] = ctx.args.positionals;
    const runners: Record<string, (ctx: CommandContext, backend: AuditBackend) => Promise<number>> = { verify: runVerify, tail: runTail, show: runShow };
    const runner = verb !== undefined ? runners[verb] : undefined;
    if (!runner) throw new InvalidInputError('usage: sigil audit verify [--wallet ID | --tx ID] | tail [--limit N] | show --wallet ID | --tx ID');
    const backend = openReadBackend(ctx);
    try {
      return await runner(ctx, backend);
    } finally {
      await backend.close();
    }
  },
};

export const auditCommands: readonly Command[] = [audit];
