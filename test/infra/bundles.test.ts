/**
 * The packaged Lambda artifacts: one zip per function holding its bundle and tiny-secp256k1's .wasm and
 * nothing else; the sign zip within 2 MB; no native module, nothing of the sandbox, CLI, tests or bench in
 * any bundle; and the bundles RUN as Lambda would run them — unzipped outside the repository (no
 * node_modules to fall back on), in a fresh Node process: create-wallet and verify against moto, sign on an
 * empty batch (which builds all its adapters). Load time is measured by bench/bundles.ts; here only a
 * gross regression is caught.
 */
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { packagedStack, POLICY_FILE, type PackagedStack } from '../support/osls-package.js';

const run = promisify(execFile);
const RESULT = '@@sigil-bundle-result@@';
const BUNDLE_OF: Record<string, string> = { poll: 'poll', sign: 'sign', broadcast: 'broadcast', verify: 'verify', createWallet: 'create-wallet', alert: 'alert' };
/** Bundles that derive or sign, and so carry tiny-secp256k1's .wasm; the alert function touches no key. */
const NO_WASM = new Set(['alert']);
const NATIVE = /(^|\/)node_modules\/(better-sqlite3|ganache|bcoin|bcrypto|leveldown|bindings|node-gyp-build|bufferutil|utf-8-validate|secp256k1|keccak|hardhat)\/|\.node$/;
const NOT_FOR_LAMBDA = /^(sandbox|cli|test|bench)\//;

let stack: PackagedStack;
const unzipped = mkdtempSync(join(tmpdir(), 'sigil-bundles-'));

beforeAll(async () => {
  stack = await packagedStack();
  for (const [key, zip] of Object.entries(stack.artifacts)) await run('unzip', ['-q', '-o', zip, '-d', join(unzipped, key)]);
}, 300_000);

afterAll(() => rmSync(unzipped, { recursive: true, force: true }));

/** Imports a packaged handler in a fresh process and calls it once; `null` event = import only. */
async function invokePackaged(key: string, event: unknown, env: Record<string, string> = {}): Promise<{ loadMs: number; result?: unknown }> {
  const file = join(unzipped, key, 'functions', `${BUNDLE_OF[key]}.mjs`);
  const script = [
    `const RESULT = ${JSON.stringify(RESULT)};`,
    'const t = performance.now();',
    `const mod = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const loadMs = performance.now() - t;',
    "if (typeof mod.handler !== 'function') throw new Error('no handler export');",
    'const event = JSON.parse(process.env.SIGIL_TEST_EVENT);',
    "const result = event === null ? undefined : await mod.handler(event, { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 600000 });",
    "process.stdout.write('\\n' + RESULT + JSON.stringify({ loadMs, result }));",
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(unzipped, key),
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env, SIGIL_TEST_EVENT: JSON.stringify(event) },
    timeout: 60_000,
  });
  // The handlers log on stdout too (as on Lambda): the answer follows the marker.
  return JSON.parse(stdout.slice(stdout.lastIndexOf(RESULT) + RESULT.length));
}

describe('packaged artifacts', () => {
  it('one zip per function: its bundle, secp256k1.wasm and (poll, sign) the policy file, nothing else; sign within 2 MB', async () => {
    expect(Object.keys(stack.artifacts).sort()).toEqual(Object.keys(BUNDLE_OF).sort());
    for (const [key, zip] of Object.entries(stack.artifacts)) {
      const { stdout } = await run('unzip', ['-Z1', zip]);
      const needsPolicy = key === 'poll' || key === 'sign';
      // The packager zips a shared output folder: a bundle may carry the .wasm or the policy file it does not need.
      const files = stdout
        .trim()
        .split('\n')
        .filter((f) => !(NO_WASM.has(key) && f === 'functions/secp256k1.wasm') && !(!needsPolicy && f === POLICY_FILE));
      const expected = [`functions/${BUNDLE_OF[key]}.mjs`, ...(NO_WASM.has(key) ? [] : ['functions/secp256k1.wasm']), ...(needsPolicy ? [POLICY_FILE] : [])];
      expect(files.sort(), key).toEqual(expected.sort());
    }
    expect(statSync(stack.artifacts.sign!).size).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('no native module and nothing of the sandbox, CLI, tests or bench reaches any bundle', () => {
    expect(Object.keys(stack.bundles).sort()).toEqual(Object.values(BUNDLE_OF).sort());
    for (const [name, report] of Object.entries(stack.bundles)) {
      const inputs = Object.keys(report.inputs);
      expect(inputs.length, name).toBeGreaterThan(100);
      expect(inputs.filter((i) => NATIVE.test(i) || NOT_FOR_LAMBDA.test(i)), name).toEqual([]);
      expect(inputs.some((i) => i.startsWith(`functions/${name}.ts`)), name).toBe(true);
      expect(report.wasm, name).toBe(!NO_WASM.has(name));
    }
  });

  it('the AWS SDK is bundled from its ES modules (tree-shaken), so the signer carries no client it does not call', () => {
    const inputs = Object.keys(stack.bundles.sign!.inputs);
    expect(inputs.some((i) => i.includes('@aws-sdk/client-kms/dist-es/'))).toBe(true);
    expect(inputs.filter((i) => i.includes('@aws-sdk/client-') && i.includes('/dist-cjs/'))).toEqual([]);
    expect(inputs.filter((i) => /@aws-sdk\/client-(lambda|s3|cloudformation|iam|sqs|sns)\//.test(i))).toEqual([]);
  });

  it('every bundle loads in a fresh process with nothing but its zip (the sign bundle well within a second)', async () => {
    for (const key of Object.keys(BUNDLE_OF)) await expect(invokePackaged(key, null), key).resolves.toMatchObject({ loadMs: expect.any(Number) });
    const loads = [];
    for (let i = 0; i < 3; i++) loads.push((await invokePackaged('sign', null)).loadMs);
    expect(loads.sort((a, b) => a - b)[1]).toBeLessThan(1000);
  }, 120_000);
});

describe.skipIf(!awsEndpoint)('packaged handlers on moto', () => {
  const dynamo = new DynamoDBClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const events = new EventBridgeClient(awsClientConfig());
  const ssm = new SSMClient(awsClientConfig());
  const walletTable = uniqueName('sigil-bundle-wallets');
  const ledgerTable = uniqueName('sigil-bundle-ledger');
  const bus = uniqueName('sigil-bundle-bus');
  const apiKeyParameter = `/${uniqueName('sigil-bundle')}/tatum-api-key`;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const keyArn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await createWalletTable(dynamo, walletTable, { deletionProtection: false });
    await createLedgerTable(dynamo, ledgerTable);
    await events.send(new CreateEventBusCommand({ Name: bus }));
    await ssm.send(new PutParameterCommand({ Name: apiKeyParameter, Type: 'SecureString', Value: 'bundle-test-api-key' }));
    env = {
      AWS_ENDPOINT_URL: awsEndpoint!,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      SIGIL_NETWORK: 'testnet',
      SIGIL_STAGE: 'test',
      SIGIL_WALLET_TABLE: walletTable,
      SIGIL_LEDGER_TABLE: ledgerTable,
      SIGIL_RATE_LIMIT_TABLE: uniqueName('sigil-bundle-rate'),
      SIGIL_KMS_KEY_ID: keyArn,
      SIGIL_EVENT_BUS: bus,
      TATUM_API_URL: 'http://127.0.0.1:1',
      SIGIL_TATUM_API_KEY_PARAMETER: apiKeyParameter,
      SIGIL_EXTERNAL_URL: '',
    };
  }, 120_000);

  afterAll(async () => {
    for (const table of [walletTable, ledgerTable]) await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    await events.send(new DeleteEventBusCommand({ Name: bus })).catch(() => {});
    await ssm.send(new DeleteParameterCommand({ Name: apiKeyParameter })).catch(() => {});
    for (const client of [dynamo, kms, events, ssm]) client.destroy();
  });

  it('create-wallet creates a wallet, and verify then opens it (KMS, DynamoDB, EventBridge, the .wasm, all from the zips)', async () => {
    const created = (await invokePackaged('createWallet', { chain: 'BTC', network: 'testnet' }, env)).result as { signatureId: string; xpub: string };
    expect(created.xpub).toMatch(/^tpub/);
    const drill = (await invokePackaged('verify', {}, env)).result;
    expect(drill).toMatchObject({ network: 'testnet', checked: 1, ok: 1, failures: [], cycleComplete: true });
  }, 120_000);

  it('sign builds its adapters and answers an empty batch', async () => {
    await expect(invokePackaged('sign', { Records: [] }, env)).resolves.toMatchObject({ result: { batchItemFailures: [] } });
  }, 60_000);

  it('sign loads the policy file shipped in its zip (as the stack sets it), and refuses to start on one that is not there', async () => {
    const withPolicy = { ...env, SIGIL_POLICY_FILE: POLICY_FILE, SIGIL_EXTERNAL_URL: 'https://approvals.example.com/sigil', SIGIL_ACTIVITY_TABLE: uniqueName('sigil-bundle-activity') };
    expect(stack.template.Resources.SignLambdaFunction!.Properties!.Environment).toMatchObject({ Variables: { SIGIL_POLICY_FILE: POLICY_FILE } });
    await expect(invokePackaged('sign', { Records: [] }, withPolicy)).resolves.toMatchObject({ result: { batchItemFailures: [] } });
    // The example policy's default is REQUIRE_APPROVAL: without an approval service the container refuses to start.
    await expect(invokePackaged('sign', { Records: [] }, { ...withPolicy, SIGIL_EXTERNAL_URL: '' })).rejects.toThrow(/POLICY_UNDEPLOYABLE|no approval service/);
    await expect(invokePackaged('sign', { Records: [] }, { ...withPolicy, SIGIL_POLICY_FILE: 'policies/missing.yaml' })).rejects.toThrow(/cannot read the policy file .*policies\/missing\.yaml/);
  }, 90_000);
});
