/**
 * `sigil audit verify | tail | show`: exit codes (0 intact or empty or missing, 1 broken naming the first
 * broken entry, 2 usage), JSON on stdout, messages on stderr — on the local store in-process, and with
 * --store aws as a child process against moto_server (DynamoDB table + KMS HMAC key).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openCliAuditTrail } from '../../cli/commands-audit.js';
import { main } from '../../cli/main.js';
import { memoryIo } from '../../cli/memory-io.js';
import { ChainedAuditTrail, KmsAuditMac, LocalHmacAuditMac, localAuditKeyPath } from '../../lib/audit/index.js';
import { parseConfig } from '../../lib/config.js';
import { createAuditTable, DynamoDbAuditStore } from '../../lib/store/audit-dynamodb.js';
import { SqliteAuditStore } from '../../lib/store/audit-sqlite.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

const root = mkdtempSync(join(tmpdir(), 'sigil-cli-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WALLET = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const TX = '0123456789abcdef01234567';

async function sigil(argv: string[], env: Record<string, string> = {}) {
  const mem = memoryIo({ cwd: root, homeDir: join(root, 'home'), env });
  const code = await main(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr(), json: () => JSON.parse(mem.stdout()) as Record<string, any> };
}

async function seed(path: string): Promise<void> {
  const store = SqliteAuditStore.open(path);
  const mac = await LocalHmacAuditMac.open(localAuditKeyPath(path), { create: true });
  let t = Date.UTC(2026, 0, 1);
  const trail = new ChainedAuditTrail(store, mac, { clock: () => new Date((t += 1000)) });
  await trail.record({ stream: { kind: 'wallet', id: WALLET }, action: 'wallet.created', actor: 'cli a@b', detail: { chain: 'ETH' } });
  for (const action of ['tx.claimed', 'tx.approved', 'tx.signed'] as const) await trail.record({ stream: { kind: 'tx', id: TX }, action, actor: 'daemon h:1', detail: { chain: 'ETH' } });
  await trail.record({ stream: { kind: 'wallet', id: WALLET }, action: 'secret.revealed', actor: 'cli a@b', detail: { action: 'getmanagedwallet' } });
  mac.close();
  await store.close();
}

describe('sigil audit (local store)', () => {
  it('verify on a missing store: exit 0, an empty result, and nothing created', async () => {
    const path = join(root, 'none', 'sigil.db');
    const run = await sigil(['audit', 'verify', '--path', path]);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ ok: true, streams: 0, entries: 0, brokenStreams: 0 });
    expect(existsSync(join(root, 'none'))).toBe(false);
    expect((await sigil(['audit', 'tail', '--path', path])).json()).toEqual([]);
  });

  it('verify, tail and show on an intact trail', async () => {
    const path = join(root, 'intact.db');
    await seed(path);
    const verified = await sigil(['audit', 'verify', '--path', path]);
    expect(verified.code).toBe(0);
    expect(verified.json()).toEqual({ ok: true, streams: 2, entries: 5, brokenStreams: 0 });
    const tail = await sigil(['audit', 'tail', '--limit', '2', '--path', path]);
    expect(tail.code).toBe(0);
    expect((tail.json() as unknown as Array<{ action: string }>).map((e) => e.action)).toEqual(['secret.revealed', 'tx.signed']);
    const show = await sigil(['audit', 'show', '--tx', TX, '--path', path]);
    expect(show.json()).toMatchObject({ stream: `tx#${TX}`, entries: [{ seq: 1, action: 'tx.claimed' }, { seq: 2 }, { seq: 3, action: 'tx.signed' }] });
    const wallet = await sigil(['audit', 'show', '--wallet', WALLET.toUpperCase(), '--path', path]);
    expect(wallet.json().entries).toHaveLength(2);
    expect((await sigil(['audit', 'verify', '--tx', TX, '--path', path])).json()).toMatchObject({ ok: true, streams: 1, entries: 3 });
  });

  it('verify on a tampered trail: exit 1, the first broken entry on stdout and stderr', async () => {
    const path = join(root, 'tampered.db');
    await seed(path);
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_entries_no_update');
    db.prepare("UPDATE audit_entries SET actor = 'mallory' WHERE stream = ? AND seq = 2").run(`tx#${TX}`);
    db.close();
    const run = await sigil(['audit', 'verify', '--path', path]);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ ok: false, brokenStreams: 1, firstBroken: { stream: `tx#${TX}`, seq: 2, kind: 'hash' } });
    expect(run.stderr).toContain(`tx#${TX} entry 2`);
    expect((await sigil(['audit', 'verify', '--wallet', WALLET, '--path', path])).code).toBe(0);
  });

  it('entries without their key file cannot be verified: exit 1, never a silent ok', async () => {
    const path = join(root, 'nokey.db');
    await seed(path);
    unlinkSync(localAuditKeyPath(path));
    const run = await sigil(['audit', 'verify', '--path', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/audit key: key file .* does not exist/);
  });

  it('wrong usage: no verb is 2; an unknown verb, a bad id or a missing stream flag is 1', async () => {
    expect((await sigil(['audit'])).code).toBe(2);
    expect((await sigil(['audit', 'erase'])).code).toBe(1);
    expect((await sigil(['audit', 'show', '--tx', 'nothex'])).code).toBe(1);
    expect((await sigil(['audit', 'show'])).code).toBe(1);
    expect((await sigil(['audit', 'show', '--tx', TX, '--wallet', WALLET])).code).toBe(1);
    expect((await sigil(['audit', 'tail', '--limit', '0'])).code).toBe(1);
  });

  it("openCliAuditTrail: the wallet commands' trail in the store's file, with a key file created 0600 on first record", async () => {
    const path = join(root, 'cli-trail.db');
    const config = parseConfig({ env: {}, flags: { path }, homeDir: root, cwd: root });
    const opened = openCliAuditTrail(config, {})!;
    expect(existsSync(path)).toBe(false);
    await opened.trail.record({ stream: { kind: 'wallet', id: WALLET }, action: 'wallet.created', actor: 'cli a@b', detail: { chain: 'BTC' } });
    await opened.close();
    expect(existsSync(localAuditKeyPath(path))).toBe(true);
    expect((await sigil(['audit', 'verify', '--path', path])).json()).toMatchObject({ ok: true, entries: 1 });
    const aws = parseConfig({ env: { SIGIL_STORE: 'aws', SIGIL_WALLET_TABLE: 'wallets', SIGIL_KMS_KEY_ID: 'alias/x' }, flags: {}, homeDir: root, cwd: root });
    expect(openCliAuditTrail(aws, {})).toBeUndefined();
    expect(() => openCliAuditTrail(aws, { SIGIL_AUDIT_TABLE: 'audit' })).toThrow(/SIGIL_AUDIT_KEY_ID/);
  });
});

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

describe.skipIf(!awsEndpoint)('sigil audit --store aws (moto_server)', () => {
  const dynamo = new DynamoDBClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());

  function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    const { region, credentials } = awsClientConfig();
    const fullEnv = {
      PATH: process.env.PATH ?? '',
      HOME: root,
      AWS_ENDPOINT_URL: awsEndpoint!,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      SIGIL_WALLET_TABLE: 'sigil-unused-wallets',
      SIGIL_KMS_KEY_ID: 'alias/sigil-unused',
      ...env,
    };
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [BIN, ...args, '--store', 'aws'], { cwd: root, env: fullEnv, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
      child.stdin!.end();
    });
  }

  it('verify: 0 on a missing table and on an intact trail, 1 naming the entry rewritten without the key', async () => {
    const table = uniqueName('sigil-cli-audit');
    const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!.Arn!;
    const env = { SIGIL_AUDIT_TABLE: table, SIGIL_AUDIT_KEY_ID: keyId };
    const missing = await run(['audit', 'verify'], env);
    expect(missing.code).toBe(0);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: true, streams: 0 });
    expect(missing.stderr).toContain('does not exist');

    await createAuditTable(dynamo, table);
    const trail = new ChainedAuditTrail(new DynamoDbAuditStore({ client: dynamo, tableName: table }), new KmsAuditMac({ client: kms, keyId }));
    for (const action of ['tx.claimed', 'tx.approved', 'tx.signed'] as const) await trail.record({ stream: { kind: 'tx', id: TX }, action, actor: 'sigil-ci-poll', detail: {} });
    const intact = await run(['audit', 'verify'], env);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, streams: 1, entries: 3 });
    const tail = await run(['audit', 'tail', '--limit', '5'], env);
    expect(JSON.parse(tail.stdout).map((e: { seq: number }) => e.seq)).toEqual([3, 2, 1]);

    // Someone who can write the table, but not GenerateMac, edits entry 2 and recomputes its hash.
    const { hashOfEntry } = await import('../../lib/audit/index.js');
    const [item] = await new DynamoDbAuditStore({ client: dynamo, tableName: table }).entries(`tx#${TX}`, { fromSeq: 2, limit: 1 });
    const forged = { ...item!.entry!, actor: 'mallory' };
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: `tx#${TX}` }, sk: { N: '2' } },
        UpdateExpression: 'SET actor = :a, #h = :h',
        ExpressionAttributeNames: { '#h': 'hash' },
        ExpressionAttributeValues: { ':a': { S: 'mallory' }, ':h': { S: hashOfEntry(forged) } },
      }),
    );
    const broken = await run(['audit', 'verify'], env);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBroken: { stream: `tx#${TX}`, seq: 2, kind: 'mac' } });
    expect(broken.stderr).toContain('entry 2 (mac)');
  });

  it('without SIGIL_AUDIT_TABLE: exit 1 saying what to set', async () => {
    const result = await run(['audit', 'tail'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGIL_AUDIT_TABLE');
  });
});
