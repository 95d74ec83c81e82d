/**
 * `sigil --store aws` as child processes against moto_server (or AWS_ENDPOINT_URL): DynamoDbWalletStore on
 * a fresh table and AwsKmsKeyProvider on a fresh KMS key — generate, get, verify, rotate to another key —
 * and a scan of the raw DynamoDB items for the secrets.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

describe.skipIf(!awsEndpoint)(`sigil --store aws (${awsEndpoint ?? 'no endpoint'})`, () => {
  const table = uniqueName('sigil-cli-wallets');
  const dynamo = new DynamoDBClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const root = mkdtempSync(join(tmpdir(), 'sigil-aws-cli-'));
  const keyIds: string[] = [];
  const secrets: string[] = [];

  function sigil(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const { region, credentials } = awsClientConfig();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: root,
      AWS_ENDPOINT_URL: awsEndpoint!,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      SIGIL_WALLET_TABLE: table,
      SIGIL_KMS_KEY_ID: keyIds[0]!,
      ...extraEnv,
    };
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [BIN, ...args, '--store', 'aws'], { cwd: root, env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
      child.stdin!.end();
    });
  }

  beforeAll(async () => {
    await createWalletTable(dynamo, table, { deletionProtection: false });
    for (const name of ['a', 'b']) {
      const created = await kms.send(new CreateKeyCommand({ Description: uniqueName(`sigil-cli-${name}`) }));
      keyIds.push(created.KeyMetadata!.Arn!);
    }
  });

  afterAll(async () => {
    await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('generates, reads and verifies wallets sealed under KMS; no secret in any item', async () => {
    const created = await sigil(['generatemanagedwallet', 'ETH']);
    expect(created.code, created.stderr).toBe(0);
    const { signatureId, xpub } = JSON.parse(created.stdout) as { signatureId: string; xpub: string };
    const entry = await sigil(['getmanagedwallet', signatureId]);
    expect(entry.code, entry.stderr).toBe(0);
    const wallet = JSON.parse(entry.stdout) as { mnemonic: string; xpub: string; chain: string };
    expect(wallet).toMatchObject({ xpub, chain: 'ETH', testnet: false });
    const words = wallet.mnemonic.split(' ');
    for (let i = 0; i + 3 <= words.length; i++) secrets.push(words.slice(i, i + 3).join(' '));
    const address = await sigil(['getaddress', signatureId, '0']);
    expect(JSON.parse(address.stdout)).toEqual({ address: expect.stringMatching(/^0x[0-9a-f]{40}$/) });
    const verify = await sigil(['verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toEqual({ checked: 1, ok: 1, failures: [] });

    const items = JSON.stringify((await dynamo.send(new ScanCommand({ TableName: table }))).Items);
    expect(items).toContain(signatureId);
    expect(secrets.length).toBeGreaterThan(10);
    expect(secrets.filter((s) => items.includes(s))).toEqual([]);
  });

  it('rotates to another KMS key; every wallet still opens, under the new key', async () => {
    const rotated = await sigil(['rotate', '--new-kms-key', keyIds[1]!]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ rewrapped: 1, skipped: 0 });
    expect(rotated.stderr).toContain(`SIGIL_KMS_KEY_ID=${keyIds[1]}`);
    const verify = await sigil(['verify'], { SIGIL_KMS_KEY_ID: keyIds[1]! });
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: 1 });
    const items = JSON.stringify((await dynamo.send(new ScanCommand({ TableName: table }))).Items);
    expect(items).toContain(keyIds[1]);
    expect(items).not.toContain(keyIds[0]);
  });

  it('a missing table is a one-line error', async () => {
    const missing = uniqueName('no-such-table');
    const run = await sigil(['export'], { SIGIL_WALLET_TABLE: missing });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sigil: .*table ${missing} does not exist`))]);
  });
});
