/**
 * functions/create-wallet.ts and functions/verify.ts invoked in-process against moto_server (DynamoDB, KMS,
 * EventBridge), configured as the stack configures them: through process.env.
 *
 * create-wallet: returns {signatureId, xpub} and nothing else; the stored record opens to a mnemonic that
 * derives that xpub; the mnemonic is in neither the answer, the logs nor the "Wallet Created" event; bad
 * payloads store nothing. verify: drills the stage's wallets slice by slice, resumes from its checkpoint,
 * starts a new cycle after a complete one, reports a swapped address (and emits "Integrity Check Failed"),
 * and a run that lost the checkpoint race stops.
 */
import { DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsKmsKeyProvider } from '../../lib/custody/aws-kms-key-provider.js';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { createMnemonicWallet, generatePrivateKeyBatch } from '../../lib/wallets/create.js';
import { openRecord } from '../../lib/wallets/sealing.js';
import { xpubOfMnemonic } from '../../lib/wallets/wallet-secret.js';
import { handler as createWallet, parseCreateWalletRequest, resetWalletContainer, walletContainer } from '../../functions/create-wallet.js';
import { DrillCheckpoints, handler as verify, SLICE_SIZE, STOP_MARGIN_MS, type DrillSummary } from '../../functions/verify.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

describe.skipIf(!awsEndpoint)('create-wallet and verify, in-process on moto', () => {
  const dynamo = new DynamoDBClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const events = new EventBridgeClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const walletTable = uniqueName('sigil-fn-wallets');
  const ledgerTable = uniqueName('sigil-fn-ledger');
  const bus = uniqueName('sigil-fn-bus');
  const rule = uniqueName('sigil-fn-all');
  let queueUrl = '';
  let keyArn = '';
  const savedEnv = { ...process.env };

  async function drainEvents(): Promise<Array<{ 'detail-type': string; detail: Record<string, unknown> }>> {
    const out = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) return out;
      out.push(...Messages.map((m) => JSON.parse(m.Body!)));
    }
  }

  async function walletCount(): Promise<number> {
    return (await dynamo.send(new ScanCommand({ TableName: walletTable, Select: 'COUNT' }))).Count ?? 0;
  }

  /** A Lambda context whose remaining time comes from `times`, then stays at its last value. */
  function lambdaContext(...times: number[]) {
    let call = 0;
    return { getRemainingTimeInMillis: () => times[Math.min(call++, times.length - 1)]! };
  }

  beforeAll(async () => {
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'sigil functions test' }))).KeyMetadata!.Arn!;
    await createWalletTable(dynamo, walletTable, { deletionProtection: false });
    await createLedgerTable(dynamo, ledgerTable);
    await events.send(new CreateEventBusCommand({ Name: bus }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sigil-fn-events') }));
    queueUrl = queue.QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await events.send(new PutRuleCommand({ Name: rule, EventBusName: bus, EventPattern: JSON.stringify({ source: ['sigil'] }) }));
    await events.send(new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: [{ Id: 'q', Arn: Attributes!.QueueArn! }] }));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: awsEndpoint!,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      SIGIL_NETWORK: 'testnet',
      SIGIL_STAGE: 'test',
      SIGIL_WALLET_TABLE: walletTable,
      SIGIL_LEDGER_TABLE: ledgerTable,
      SIGIL_RATE_LIMIT_TABLE: uniqueName('sigil-fn-unused'),
      SIGIL_KMS_KEY_ID: keyArn,
      SIGIL_EVENT_BUS: bus,
      TATUM_API_URL: 'http://127.0.0.1:1',
      SIGIL_TATUM_API_KEY_PARAMETER: '/sigil/test/tatum-api-key',
      SIGIL_EXTERNAL_URL: '',
    });
    resetWalletContainer();
  }, 120_000);

  afterAll(async () => {
    resetWalletContainer();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    await events.send(new RemoveTargetsCommand({ Rule: rule, EventBusName: bus, Ids: ['q'] })).catch(() => {});
    await events.send(new DeleteRuleCommand({ Name: rule, EventBusName: bus })).catch(() => {});
    await events.send(new DeleteEventBusCommand({ Name: bus })).catch(() => {});
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    for (const table of [walletTable, ledgerTable]) await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    for (const client of [dynamo, kms, events, sqs]) client.destroy();
  });

  describe('create-wallet', () => {
    it('creates a sealed mnemonic wallet and answers {signatureId, xpub} only; the mnemonic goes nowhere', async () => {
      const logged: string[] = [];
      const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
      );
      let answer;
      try {
        answer = await createWallet({ chain: 'ETH', network: 'testnet' });
      } finally {
        spies.forEach((spy) => spy.mockRestore());
      }
      expect(Object.keys(answer).sort()).toEqual(['signatureId', 'xpub']);
      expect(answer.signatureId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      const { deps } = walletContainer();
      const record = (await deps.store.get(answer.signatureId))!;
      expect(record).toMatchObject({ chain: 'ETH', network: 'testnet', kind: 'mnemonic', xpub: answer.xpub });
      expect(record.sealed).toMatchObject({ provider: 'aws-kms', keyId: keyArn });
      const mnemonic = await openRecord(new AwsKmsKeyProvider({ client: kms, keyId: keyArn }), record);
      const words = new TextDecoder().decode(mnemonic);
      try {
        expect(words.split(' ')).toHaveLength(24);
        expect(xpubOfMnemonic(mnemonic, deps.registry.resolve('ETH', 'testnet'))).toBe(answer.xpub);
        const published = await drainEvents();
        expect(published.map((e) => e['detail-type'])).toEqual(['Wallet Created']);
        expect(published[0]!.detail).toMatchObject({ signatureId: answer.signatureId, chain: 'ETH', network: 'testnet' });
        const everything = JSON.stringify({ answer, logged, published });
        for (const phrase of [words, words.split(' ').slice(0, 3).join(' ')]) expect(everything).not.toContain(phrase);
        expect(logged.join('\n')).toContain(answer.signatureId);
      } finally {
        mnemonic.fill(0);
      }
    });

    it.each([
      ['an extra field', { chain: 'ETH', network: 'testnet', mnemonic: 'abandon '.repeat(24) }, /accepts only chain and network/],
      ['another network', { chain: 'ETH', network: 'mainnet' }, /serves network "testnet", not "mainnet"/],
      ['no chain', { network: 'testnet' }, /chain must be a chain code/],
      ['a lower-case chain', { chain: 'eth', network: 'testnet' }, /chain must be a chain code/],
      ['no network', { chain: 'ETH' }, /network must be "testnet"/],
      ['an array', [{ chain: 'ETH', network: 'testnet' }], /expects a JSON object/],
      ['null', null, /expects a JSON object/],
    ])('refuses %s and stores nothing', async (_what, payload, message) => {
      const before = await walletCount();
      await expect(createWallet(payload)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
      expect(await walletCount()).toBe(before);
    });

    it('refuses a chain the registry does not know, with its typed error', async () => {
      await expect(createWallet({ chain: 'ZZZ', network: 'testnet' })).rejects.toMatchObject({ code: 'UNSUPPORTED_CHAIN' });
      expect(() => parseCreateWalletRequest({ chain: 'BTC', network: 'testnet' }, 'testnet')).not.toThrow();
    });
  });

  describe('verify', () => {
    let testnetIds: string[] = [];
    let quiet: ReturnType<typeof vi.spyOn> | undefined;
    afterAll(() => quiet?.mockRestore());

    beforeAll(async () => {
      quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
      const { deps } = walletContainer();
      await generatePrivateKeyBatch(deps, 'BTC', 'testnet', SLICE_SIZE + 4);
      await createMnemonicWallet(deps, 'BTC', 'testnet');
      await createMnemonicWallet(deps, 'ETH', 'mainnet'); // another stage's network: not this drill's
      testnetIds = (await deps.store.listIds({ network: 'testnet' })).sort();
      await drainEvents();
    }, 120_000);

    it('drills one slice when time runs short, then resumes after the checkpoint and completes the cycle', async () => {
      expect(testnetIds.length).toBe(SLICE_SIZE + 6); // + the two mnemonic wallets of create-wallet and this setup
      const first = await verify({}, lambdaContext(STOP_MARGIN_MS * 10, STOP_MARGIN_MS - 1));
      expect(first).toEqual<DrillSummary>({
        network: 'testnet', cycle: 1, resumedAfter: '', checked: SLICE_SIZE, ok: SLICE_SIZE, failures: [], remaining: 6, cycleComplete: false, superseded: false,
      });
      const second = await verify({}, lambdaContext(STOP_MARGIN_MS * 10));
      expect(second).toMatchObject({ cycle: 1, resumedAfter: testnetIds[SLICE_SIZE - 1], checked: 6, ok: 6, remaining: 0, cycleComplete: true });
      const third = await verify({}, lambdaContext(STOP_MARGIN_MS * 10));
      expect(third).toMatchObject({ cycle: 2, resumedAfter: '', checked: testnetIds.length, ok: testnetIds.length, cycleComplete: true });
      expect(await drainEvents()).toEqual([]);
    });

    it('finds a wallet whose address was swapped, and alerts', async () => {
      // Both must be private-key wallets: an address on a mnemonic record is a malformed record (CORRUPT_RECORD),
      // not the swap this test is about. UUIDs are random, so pick by kind, not by position.
      const { deps } = walletContainer();
      const records = await Promise.all(testnetIds.map(async (id) => (await deps.store.get(id))!));
      const [victim, other] = records.filter((r) => r.address !== undefined).map((r) => r.signatureId);
      if (victim === undefined || other === undefined) throw new Error('setup made fewer than two private-key wallets');
      const address = (await deps.store.get(other))!.address!;
      await dynamo.send(
        new UpdateItemCommand({
          TableName: walletTable,
          Key: { signatureId: { S: victim } },
          UpdateExpression: 'SET address = :a, publicHash = :h',
          ExpressionAttributeValues: { ':a': { S: address }, ':h': { S: createHash('sha256').update(address).digest('hex') } },
        }),
      );
      const run = await verify({}, lambdaContext(STOP_MARGIN_MS * 10));
      expect(run).toMatchObject({ cycle: 3, checked: testnetIds.length, ok: testnetIds.length - 1, failures: [{ signatureId: victim, code: 'TAMPERED' }] });
      const alerts = await drainEvents();
      expect(alerts.map((e) => [e['detail-type'], e.detail.signatureId, e.detail.code])).toEqual([['Integrity Check Failed', victim, 'TAMPERED']]);
    });

    it('a run that lost the checkpoint to another run stops; a damaged checkpoint is a typed error', async () => {
      const checkpoints = new DrillCheckpoints(dynamo, ledgerTable, 'testnet');
      const current = (await checkpoints.read())!;
      const moved = await checkpoints.write({ ...current, after: testnetIds[0]! }, current, new Date());
      expect(moved).toMatchObject({ revision: current.revision + 1 });
      expect(await checkpoints.write({ ...current, after: testnetIds[1]! }, current, new Date())).toBeUndefined();

      const fresh = new DrillCheckpoints(dynamo, ledgerTable, 'regtest-race');
      const start = await fresh.write({ after: '', cycle: 1, cycleStartedAt: '2026-01-01T00:00:00.000Z', checked: 0, failures: 0 }, undefined, new Date());
      expect(start?.revision).toBe(1);
      await expect(fresh.write({ after: 'x', cycle: 1, cycleStartedAt: '', checked: 0, failures: 0 }, undefined, new Date())).resolves.toBeUndefined();

      await dynamo.send(new PutItemCommand({ TableName: ledgerTable, Item: { pk: { S: 'checkpoint#verify#broken' }, kind: { S: 'checkpoint' }, cycle: { N: '1' } } }));
      await expect(new DrillCheckpoints(dynamo, ledgerTable, 'broken').read()).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
      const item = await dynamo.send(new GetItemCommand({ TableName: ledgerTable, Key: { pk: { S: 'checkpoint#verify#testnet' } } }));
      expect(item.Item?.kind?.S).toBe('checkpoint');
    });
  });
});
