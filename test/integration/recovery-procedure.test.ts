/**
 * The recovery procedures of docs/operations.md §7, run as written: every line of each `<!-- steps: … -->`
 * block, in order, through the CLI in-process (main() with an in-memory CliIo), placeholders substituted.
 * Each line must exit 0; afterwards the restored store must hold the same wallets (signatureIds, xpubs and
 * addresses through `report` and `getaddress`) and its audit trail must verify.
 *
 * §7a, from a backup export: wallets are made on an "old machine" (its own home, default store), the doc's
 * keygen and backup run there, the old store is deleted (the loss), and the restore block runs on a "new
 * machine" (another home) with only the backup file and the recipient key.
 *
 * §7b, from the KMS key and the tables, against moto_server: the stack's tables (wallets, ledger, audit) and
 * keys (a symmetric wallet key behind its alias, an HMAC audit key) are made as the stack names them, wallets
 * are created with `sigil --store aws`. Non-sigil lines are interpreted, and only these:
 * `aws dynamodb restore-table-to-point-in-time` (the same call through the SDK), `aws dynamodb wait
 * table-exists` (the SDK's waiter) and `export`. moto restores a table as it is at the call, ignoring
 * --restore-date-time, so the damage is done to the live tables right after the restore block: the state a
 * real restore to a time before the damage gives (restored = before, live = damaged).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteItemCommand, DeleteTableCommand, DynamoDBClient, RestoreTableToPointInTimeCommand, ScanCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { memoryIo } from '../../cli/memory-io.js';
import { createAuditTable } from '../../lib/store/audit-dynamodb.js';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { DynamoDbLedger } from '../../lib/store/ledger-dynamodb.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { docSteps, placeholders, substitute, type DocStep } from '../support/doc-steps.js';

const RUNBOOK = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'sigil-recovery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Machine {
  readonly cwd: string;
  readonly home: string;
  /** The environment every line gets (an `export` line adds to it). */
  readonly env: Record<string, string>;
}

async function sigil(machine: Machine, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  const mem = memoryIo({ cwd: machine.cwd, homeDir: machine.home, env: { ...machine.env, ...env } });
  const code = await main(args, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

const json = (run: Run) => JSON.parse(run.stdout) as Record<string, any>;

/** Interpreters of the few non-sigil commands the blocks may hold. */
type Interpreter = (step: DocStep, args: readonly string[]) => Promise<void>;

/**
 * Runs `steps` in order; a line naming `<signatureId>` runs once per wallet. Every sigil line must exit 0.
 * Returns the runs by line text (after substitution), for the assertions.
 */
async function follow(machine: Machine, steps: readonly DocStep[], values: Readonly<Record<string, string>>, wallets: readonly string[], others: Readonly<Record<string, Interpreter>> = {}): Promise<Map<string, Run>> {
  const runs = new Map<string, Run>();
  for (const step of steps) {
    const perWallet = step.text.includes('<signatureId>') ? wallets : [undefined];
    for (const signatureId of perWallet) {
      const given = signatureId ? { ...values, signatureId } : values;
      const args = step.args.map((arg) => substitute(arg, given));
      const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, substitute(v, given)]));
      if (step.program === 'export') {
        for (const assignment of args) {
          const at = assignment.indexOf('=');
          expect(at, `line ${step.line}: export ${assignment}`).toBeGreaterThan(0);
          machine.env[assignment.slice(0, at)] = assignment.slice(at + 1);
        }
        continue;
      }
      if (step.program !== 'sigil') {
        const interpreter = others[`${step.program} ${args[0]} ${args[1]}`] ?? others[`${step.program} ${args[0]} ${args[1]} ${args[2]}`];
        if (!interpreter) throw new Error(`line ${step.line}: the test cannot run \`${step.text}\` (only sigil, export and ${Object.keys(others).join(', ') || 'nothing else'})`);
        await interpreter(step, args);
        continue;
      }
      const run = await sigil(machine, args, env);
      expect(run.code, `line ${step.line}: sigil ${args.join(' ')}\n${run.stderr}`).toBe(0);
      runs.set([...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sigil', ...args].join(' '), run);
    }
  }
  return runs;
}

/** The run of the line whose text (after substitution) ends with `suffix`. */
function runOf(runs: Map<string, Run>, suffix: string): Run {
  const found = [...runs].filter(([text]) => text.endsWith(suffix));
  expect(found.map(([text]) => text), `one run ending with "${suffix}"`).toHaveLength(1);
  return found[0]![1];
}

/** What must survive a recovery: per wallet, its report entry and its first address. */
async function fingerprintOf(machine: Machine, wallets: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const id of wallets) {
    const report = await sigil(machine, ['report', id], env);
    const address = await sigil(machine, ['getaddress', id, '0'], env);
    expect(report.code, report.stderr).toBe(0);
    expect(address.code, address.stderr).toBe(0);
    const { sealedWith: _sealedWith, ...entry } = json(report).wallets[id] as Record<string, unknown>;
    out[id] = { ...entry, address: json(address).address };
  }
  return out;
}

describe('docs/operations.md §7a: recovery from a backup export', () => {
  const transfer = join(root, 'local', 'transfer');
  mkdirSync(transfer, { recursive: true });
  const oldMachine: Machine = { cwd: transfer, home: join(root, 'local', 'old-home'), env: {} };
  const newMachine: Machine = { cwd: transfer, home: join(root, 'local', 'new-home'), env: {} };

  it('keygen and backup on the old machine, loss of its store, restore on a new one: the same wallets, a verified trail', async () => {
    const wallets: string[] = [];
    const xpubs: Record<string, string> = {};
    for (const chain of ['BTC', 'ETH', 'LTC']) {
      const created = await sigil(oldMachine, ['generatemanagedwallet', chain]);
      expect(created.code, created.stderr).toBe(0);
      wallets.push(json(created).signatureId);
      xpubs[json(created).signatureId] = json(created).xpub;
    }
    const batch = await sigil(oldMachine, ['generatemanagedprivatekeybatch', 'ETH', '1']);
    expect(batch.code, batch.stderr).toBe(0);
    wallets.push((JSON.parse(batch.stdout.trim()) as { signatureId: string }).signatureId);
    const before = await fingerprintOf(oldMachine, wallets);

    const keygen = docSteps(RUNBOOK, 'recovery-from-backup/keygen');
    const backup = docSteps(RUNBOOK, 'recovery-from-backup/backup');
    const restore = docSteps(RUNBOOK, 'recovery-from-backup/restore');
    expect([...keygen, ...backup, ...restore].every((s) => s.program === 'sigil')).toBe(true);
    expect(placeholders([...keygen, ...backup, ...restore])).toEqual(['<signatureId>']);

    await follow(oldMachine, keygen, {}, wallets);
    const backupRuns = await follow(oldMachine, backup, {}, wallets);
    expect(json([...backupRuns.values()][0]!)).toMatchObject({ wallets: wallets.length });

    // The loss: the store, its key file and its audit key are gone with the old machine.
    const oldStore = join(oldMachine.home, '.sigil');
    expect(existsSync(join(oldStore, 'sigil.db'))).toBe(true);
    rmSync(oldMachine.home, { recursive: true, force: true });

    const runs = await follow(newMachine, restore, {}, wallets);
    expect(existsSync(join(newMachine.home, '.sigil', 'sigil.db'))).toBe(true);
    expect(json(runOf(runs, 'sigil verify'))).toEqual({ checked: wallets.length, ok: wallets.length, failures: [] });
    expect(json(runOf(runs, 'sigil verify --backup sigil-backup.json --identity recovery.key.pem'))).toMatchObject({ checked: wallets.length, ok: wallets.length, failures: [] });
    expect(json(runOf(runs, 'sigil audit verify'))).toEqual({ ok: true, streams: wallets.length, entries: wallets.length, brokenStreams: 0 });
    for (const id of wallets) {
      expect(json(runOf(runs, `sigil report ${id}`)).wallets[id]).toMatchObject({ chain: (before[id] as { chain: string }).chain });
      expect(json(runOf(runs, `sigil getaddress ${id} 0`)).address).toBe((before[id] as { address: string }).address);
    }
    expect(await fingerprintOf(newMachine, wallets)).toEqual(before);
    // The mnemonic wallets come back with the very same xpub (getmanagedwallet shows it; it also reveals, so
    // only the xpub is compared).
    for (const [id, xpub] of Object.entries(xpubs)) {
      const entry = await sigil(newMachine, ['getmanagedwallet', id]);
      expect(json(entry).xpub).toBe(xpub);
    }
  });
});

describe.skipIf(!awsEndpoint)(`docs/operations.md §7b: recovery from the KMS key and the tables (${awsEndpoint ?? 'no endpoint'})`, () => {
  const { region, credentials } = awsClientConfig();
  const dynamo = new DynamoDBClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const stage = uniqueName('ops');
  const table = (name: string) => `sigil-${stage}-${name}`;
  const cwd = join(root, 'aws');
  mkdirSync(cwd, { recursive: true });
  const machine: Machine = { cwd, home: join(root, 'aws-home'), env: { AWS_ENDPOINT_URL: awsEndpoint ?? '', AWS_REGION: region } };
  let auditKeyArn = '';
  const created: string[] = [];

  beforeAll(async () => {
    // The CLI's AWS clients take credentials from the SDK's chain, i.e. this process's environment.
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    await createWalletTable(dynamo, table('wallets'), { deletionProtection: false });
    await createLedgerTable(dynamo, table('ledger'));
    await createAuditTable(dynamo, table('audit'));
    created.push(table('wallets'), table('ledger'), table('audit'));
    const walletKey = (await kms.send(new CreateKeyCommand({ Description: `${stage} wallets` }))).KeyMetadata!.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/sigil-${stage}-wallets`, TargetKeyId: walletKey }));
    auditKeyArn = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!.Arn!;
  });

  afterAll(async () => {
    for (const name of created) await dynamo.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
  });

  it('restore beside the live tables, check them, copy the wallets back: the same wallets, verified trails', async () => {
    // The stack as it ran: wallets made with the CLI on its tables (audited), one transaction in the ledger.
    const live = {
      SIGIL_STORE: 'aws',
      SIGIL_WALLET_TABLE: table('wallets'),
      SIGIL_KMS_KEY_ID: `alias/sigil-${stage}-wallets`,
      SIGIL_AUDIT_TABLE: table('audit'),
      SIGIL_AUDIT_KEY_ID: auditKeyArn,
    };
    const wallets: string[] = [];
    for (const chain of ['ETH', 'BTC']) {
      const run = await sigil(machine, ['generatemanagedwallet', chain], live);
      expect(run.code, run.stderr).toBe(0);
      wallets.push(json(run).signatureId);
    }
    const before = await fingerprintOf(machine, wallets, live);
    const pendingId = '0123456789abcdef0123abcd';
    const ledger = new DynamoDbLedger(dynamo, table('ledger'));
    await ledger.claim({ id: pendingId, chain: 'ETH', network: 'mainnet', pending: JSON.stringify({ id: pendingId }) }, 'test', Date.now(), 60_000);
    await follow(machine, docSteps(RUNBOOK, 'recovery-from-backup/keygen'), {}, wallets);
    const beforeTheDamage = new Date().toISOString();

    const restoreSteps = docSteps(RUNBOOK, 'recovery-from-pitr/restore');
    const checkSteps = docSteps(RUNBOOK, 'recovery-from-pitr/check');
    const copyBackSteps = docSteps(RUNBOOK, 'recovery-from-pitr/copy-back');
    const values = { stage, region, 'audit-key-arn': auditKeyArn, 'time-before-the-damage': beforeTheDamage };
    expect(placeholders([...restoreSteps, ...checkSteps, ...copyBackSteps]).sort()).toEqual(['<audit-key-arn>', '<region>', '<signatureId>', '<stage>', '<time-before-the-damage>'].sort());

    const flag = (args: readonly string[], name: string): string => {
      const at = args.indexOf(name);
      if (at < 0 || args[at + 1] === undefined) throw new Error(`missing ${name} in ${args.join(' ')}`);
      return args[at + 1]!;
    };
    const interpreters: Record<string, Interpreter> = {
      'aws dynamodb restore-table-to-point-in-time': async (_step, args) => {
        const target = flag(args, '--target-table-name');
        created.push(target);
        const answer = await dynamo.send(
          new RestoreTableToPointInTimeCommand({ SourceTableName: flag(args, '--source-table-name'), TargetTableName: target, RestoreDateTime: new Date(flag(args, '--restore-date-time')) }),
        );
        expect(answer.TableDescription?.TableName).toBe(target);
      },
      'aws dynamodb wait table-exists': async (_step, args) => {
        await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: flag(args, '--table-name') });
      },
    };
    await follow(machine, restoreSteps, values, wallets, interpreters);

    // The damage (see the file header): every wallet record and the ledger record are deleted from the live tables.
    for (const id of wallets) await dynamo.send(new DeleteItemCommand({ TableName: table('wallets'), Key: { signatureId: { S: id } } }));
    const ledgerItems = (await dynamo.send(new ScanCommand({ TableName: table('ledger') }))).Items ?? [];
    for (const item of ledgerItems) await dynamo.send(new DeleteItemCommand({ TableName: table('ledger'), Key: { pk: item.pk! } }));
    expect(json(await sigil(machine, ['verify'], live))).toEqual({ checked: 0, ok: 0, failures: [] });

    const checked = await follow(machine, checkSteps, values, wallets);
    expect(machine.env).toMatchObject({ SIGIL_STORE: 'aws', SIGIL_KMS_KEY_ID: `alias/sigil-${stage}-wallets`, SIGIL_AUDIT_KEY_ID: auditKeyArn });
    expect(machine.env.SIGIL_WALLET_TABLE).toBe(table('wallets-restored'));
    expect(json(runOf(checked, 'sigil verify'))).toEqual({ checked: wallets.length, ok: wallets.length, failures: [] });
    for (const id of wallets) {
      expect(json(runOf(checked, `sigil report ${id}`)).wallets[id]).toMatchObject({ chain: (before[id] as { chain: string }).chain });
      expect(json(runOf(checked, `sigil getaddress ${id} 0`)).address).toBe((before[id] as { address: string }).address);
    }
    expect(json(runOf(checked, 'sigil audit verify'))).toEqual({ ok: true, streams: wallets.length, entries: wallets.length, brokenStreams: 0 });
    expect((json(runOf(checked, 'sigil audit tail --limit 100')) as unknown as Array<{ action: string }>).map((e) => e.action)).toEqual(wallets.map(() => 'wallet.created'));
    expect((json(runOf(checked, 'sigil ledger list')) as unknown as Array<{ id: string }>).map((r) => r.id)).toEqual([pendingId]);
    expect(await fingerprintOf(machine, wallets, { SIGIL_WALLET_TABLE: table('wallets-restored') })).toEqual(before);

    const copied = await follow(machine, copyBackSteps, values, wallets);
    expect(json(runOf(copied, `SIGIL_WALLET_TABLE=${table('wallets')} sigil verify`))).toEqual({ checked: wallets.length, ok: wallets.length, failures: [] });
    expect(json(runOf(copied, 'sigil verify --backup restored-wallets.json --identity recovery.key.pem'))).toMatchObject({ ok: wallets.length, failures: [] });
    // The live trail: per wallet wallet.created (its creation), secret.revealed (the backup) and wallet.created
    // again (the restore), one unbroken chain each.
    expect(json(runOf(copied, 'sigil audit verify'))).toEqual({ ok: true, streams: wallets.length, entries: 3 * wallets.length, brokenStreams: 0 });
    expect(await fingerprintOf(machine, wallets, live)).toEqual(before);
  });
});
