/**
 * The Lambda handlers (functions/poll.ts, sign.ts, broadcast.ts) invoked in-process against moto_server, wired
 * as the stack wires them: DynamoDB tables made by the create* helpers, a KMS key, an EventBridge bus whose
 * rules route "Pending Transaction Approved" and "Transaction Signed" to SQS queues, the Tatum API key in an
 * SSM SecureString, and the Tatum simulator as TATUM_API_URL. The handlers read only process.env, as on Lambda.
 *
 * poll → the approved queue → sign (as an SQS event) → the signed queue → broadcast: the simulator must record
 * exactly the bytes an independent oracle signs (ethers over @scure/bip32 keys for ETH; bitcore's vector for
 * BTC), and poll must never reach kms:Decrypt. A mainnet deployment without four-eye approval refuses to start.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { Wallet, hexlify } from 'ethers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as broadcastHandler } from '../../functions/broadcast.js';
import { handler as pollHandler } from '../../functions/poll.js';
import { resetRuntime, runtime } from '../../functions/runtime.js';
import { handler as signHandler } from '../../functions/sign.js';
import { defaultRegistry } from '../../lib/chains/registry.js';
import { AwsKmsKeyProvider } from '../../lib/custody/aws-kms-key-provider.js';
import { InvalidInputError } from '../../lib/errors.js';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { DynamoDbWalletStore } from '../../lib/store/dynamodb-wallet-store.js';
import { DynamoDbLedger } from '../../lib/store/ledger-dynamodb.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { createRateLimitTable } from '../../lib/store/rate-limit-dynamodb.js';
import { walletService } from '../../lib/wallets/index.js';
import { startTatumSimulator } from '../../sandbox/tatum/simulator.js';
import utxoVectors from '../vectors/utxo-vectors.json' with { type: 'json' };
import tatumVectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

/** Sepolia, the ETH testnet (EIP-155 chain id). */
const SEPOLIA = 11155111n;
const GWEI = 1_000_000_000n;
const encode = (text: string) => new TextEncoder().encode(text);

/** Independent oracle: the key at Tatum's ETH testnet path m/44'/1'/0'/0/i, signed with ethers. */
function ethOracle(index: number, tx: { nonce: number; gasPrice: bigint; gasLimit: bigint; to: string; value: bigint }) {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(tatumVectors.mnemonic)).derive(`m/44'/1'/0'/0/${index}`);
  const wallet = new Wallet(hexlify(node.privateKey!));
  return { address: wallet.address.toLowerCase(), sign: () => wallet.signTransaction({ type: 0, chainId: SEPOLIA, data: '0x', ...tx }) };
}

const btcVector = utxoVectors.vectors.find((v) => v.name === 'btc-p2wpkh-testnet')!;

// ---- the stack on moto_server (kept in step with test/integration/functions-sign.test.ts) ------------------

const lambdaContext = () => ({ awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 300_000 });

/** Every message now in the queue (EventBridge → SQS is synchronous on moto), each deleted once received. */
async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const batch = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }))).Messages ?? [];
    if (batch.length === 0) return messages;
    for (const m of batch) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    messages.push(...batch);
  }
}

/** The event the SQS event source mapping hands the sign function. */
function sqsEventOf(messages: readonly Message[], queueArn: string) {
  return {
    Records: messages.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: {}, messageAttributes: {}, md5OfBody: m.MD5OfBody!, eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'us-east-1' })),
  };
}

async function startFunctionsStack(label: string) {
  const config = awsClientConfig();
  const dynamo = new DynamoDBClient(config);
  const kms = new KMSClient(config);
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const ssm = new SSMClient(config);
  const tables = { wallets: uniqueName(`sigil-${label}-wallets`), ledger: uniqueName(`sigil-${label}-ledger`), rate: uniqueName(`sigil-${label}-rate`) };
  await Promise.all([createWalletTable(dynamo, tables.wallets, { deletionProtection: false }), createLedgerTable(dynamo, tables.ledger), createRateLimitTable(dynamo, tables.rate)]);
  const keyId = (await kms.send(new CreateKeyCommand({ Description: uniqueName(`sigil-${label}`) }))).KeyMetadata!.Arn!;
  const bus = uniqueName(`sigil-${label}-bus`);
  await events.send(new CreateEventBusCommand({ Name: bus }));
  const queue = async (detailType: string) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(`sigil-${label}`) }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const rule = uniqueName('rule');
    await events.send(new PutRuleCommand({ Name: rule, EventBusName: bus, EventPattern: JSON.stringify({ source: ['sigil'], 'detail-type': [detailType] }) }));
    await events.send(new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: [{ Id: 'queue', Arn: arn }] }));
    return { url, arn };
  };
  const approved = await queue('Pending Transaction Approved');
  const signed = await queue('Transaction Signed');
  const apiKey = randomBytes(16).toString('hex');
  const parameter = `/sigil/${uniqueName(label)}/tatum-api-key`;
  await ssm.send(new PutParameterCommand({ Name: parameter, Type: 'SecureString', Value: apiKey }));
  const sim = await startTatumSimulator({ apiKey, network: 'testnet' });
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: config.endpoint,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    SIGIL_NETWORK: 'testnet',
    SIGIL_WALLET_TABLE: tables.wallets,
    SIGIL_LEDGER_TABLE: tables.ledger,
    SIGIL_RATE_LIMIT_TABLE: tables.rate,
    SIGIL_KMS_KEY_ID: keyId,
    SIGIL_EVENT_BUS: bus,
    SIGIL_TATUM_API_KEY_PARAMETER: parameter,
    SIGIL_TATUM_RATE: '1000',
    TATUM_API_URL: sim.url,
  };
  /** The handlers' environment, as the stack sets it (anything a test changed is put back). */
  const applyEnv = () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('SIGIL_') || name.startsWith('AWS_ENDPOINT_URL_')) delete process.env[name];
    Object.assign(process.env, env);
  };
  applyEnv();
  resetRuntime();
  const store = new DynamoDbWalletStore({ client: dynamo, tableName: tables.wallets });
  const keys = new AwsKmsKeyProvider({ client: kms, keyId });
  return {
    sim,
    sqs,
    approvedQueue: approved.url,
    approvedQueueArn: approved.arn,
    signedQueue: signed.url,
    ledger: new DynamoDbLedger(dynamo, tables.ledger),
    wallets: walletService({ store, keys: async () => keys, events: new MemoryEventSink(), registry: defaultRegistry }),
    applyEnv,
    /** A pending tx at the simulator in Tatum's shape; returns its id. */
    addPending(fields: { chain: string; hashes: string[]; index: number | null; serializedTransaction: string }): string {
      const id = randomBytes(12).toString('hex');
      sim.state.addPending({ id, ...fields, withdrawalId: null, withdrawalResponses: null });
      return id;
    },
    close: () => sim.close(),
  };
}

type FunctionsStack = Awaited<ReturnType<typeof startFunctionsStack>>;

describe.skipIf(!awsEndpoint)('Lambda handlers in-process on moto_server: poll → sign → broadcast', () => {
  let stack: FunctionsStack;

  beforeAll(async () => {
    stack = await startFunctionsStack('flow');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    resetRuntime();
    stack.applyEnv();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('signs and broadcasts exactly the expected bytes per pending id, and the ledger ends COMPLETED', async () => {
    const eth = await stack.wallets.storeMnemonicWallet(encode(tatumVectors.mnemonic), 'ETH', 'testnet');
    const btc = await stack.wallets.storePrivateKeyWallet(encode(btcVector.keys[0]!.wif), 'BTC', 'testnet');
    const to = `0x${'5e'.repeat(20)}`;

    // ETH, complete as sent (index 0).
    const full = ethOracle(0, { nonce: 5, gasPrice: 20n * GWEI, gasLimit: 21_000n, to, value: 10n ** 15n });
    const ethFull = stack.addPending({ chain: 'ETH', hashes: [eth.signatureId], index: 0, serializedTransaction: JSON.stringify({ from: 0, to, value: '1000000000000000', nonce: 5, gasPrice: '20000000000', gas: 21000 }) });
    // ETH with nonce, gas and fee open (index 1): prepare fills them from the simulator's RPC gateway.
    const open = ethOracle(1, { nonce: 7, gasPrice: 20n * GWEI, gasLimit: 21_000n, to, value: 12_345n });
    stack.sim.state.rpc.chain('ETH').nonces.set(open.address, 7n);
    const ethOpen = stack.addPending({ chain: 'ETH', hashes: [eth.signatureId], index: 1, serializedTransaction: JSON.stringify({ from: 0, to, value: '12345' }) });
    // BTC testnet private-key wallet: bitcore's vector, byte for byte.
    const btcTx = stack.addPending({ chain: 'BTC', hashes: [btc.signatureId], index: null, serializedTransaction: btcVector.serializedTransaction });
    const expected = new Map([
      [ethFull, { path: 'ethereum', txData: await full.sign() }],
      [ethOpen, { path: 'ethereum', txData: await open.sign() }],
      [btcTx, { path: 'bitcoin', txData: btcVector.signed }],
    ]);

    // poll: no kms:Decrypt from any KMS client in the process, and none through the runtime's KeyProvider.
    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    const decrypts = () => kmsSends.mock.calls.filter(([command]) => command instanceof DecryptCommand).length;
    const polled = await pollHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext());
    expect(polled).toEqual({ passes: 1, errors: 0 });
    expect(decrypts()).toBe(0);
    const keys = (await runtime().deps('probe')).keys as AwsKmsKeyProvider;
    expect(keys.calls.Decrypt).toBe(0);
    for (const id of expected.keys()) expect((await stack.ledger.get(id))?.state).toBe('APPROVED');
    const prepared = JSON.parse((await stack.ledger.get(ethOpen))!.prepared!) as Record<string, unknown>;
    expect([prepared.nonce, prepared.gas, prepared.gasPrice].map(String)).toEqual(['7', '21000', String(20n * GWEI)]);

    // The rule delivered one "Pending Transaction Approved" per tx, and no other detail type, to the signer's queue
    // (the pass's stale sweep does not re-announce what it approved moments ago).
    const approved = await receiveAll(stack.sqs, stack.approvedQueue);
    expect(approved.map((m) => JSON.parse(m.Body!)['detail-type'])).toEqual(Array(3).fill('Pending Transaction Approved'));
    expect(approved.map((m) => JSON.parse(m.Body!).detail.pendingId).sort()).toEqual([...expected.keys()].sort());

    // sign: one KMS Decrypt per wallet (two wallets, three txs), seen by both counters (so both can see one).
    expect(await signHandler(sqsEventOf(approved, stack.approvedQueueArn), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(keys.calls.Decrypt).toBe(2);
    expect(decrypts()).toBe(2);
    for (const [id, { txData }] of expected) expect(await stack.ledger.get(id)).toMatchObject({ state: 'SIGNED', raw: txData });

    // broadcast: fed the "Transaction Signed" events as EventBridge delivers them.
    const signed = await receiveAll(stack.sqs, stack.signedQueue);
    expect(signed).toHaveLength(3);
    for (const message of signed) {
      const event = JSON.parse(message.Body!) as { detail: { pendingId: string } };
      expect(event).toMatchObject({ source: 'sigil', 'detail-type': 'Transaction Signed' });
      expect(await broadcastHandler(event, lambdaContext())).toEqual({ pendingId: event.detail.pendingId, state: 'COMPLETED' });
    }

    for (const [id, { path, txData }] of expected) {
      expect(stack.sim.state.broadcasts.filter((b) => b.signatureId === id).map((b) => ({ path: b.path, txData: b.txData }))).toEqual([{ path, txData }]);
      const record = (await stack.ledger.get(id))!;
      expect(record).toMatchObject({ state: 'COMPLETED', raw: txData });
      expect(record.txId).toBe(stack.sim.state.broadcasts.find((b) => b.signatureId === id)!.txId);
      expect(stack.sim.state.transactions.get(id)?.txId).toBe(record.txId);
    }
    expect(stack.sim.state.broadcasts).toHaveLength(3);
    expect(stack.sim.state.errorsReported).toEqual([]);
    expect(decrypts()).toBe(2); // broadcast decrypts nothing
  });

  it('a mainnet deployment without SIGIL_EXTERNAL_URL refuses to start, in every handler, before any I/O', async () => {
    resetRuntime();
    process.env.SIGIL_NETWORK = 'mainnet';
    delete process.env.SIGIL_EXTERNAL_URL;
    const requests = stack.sim.state.requests.length;
    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    const refusals = await Promise.all(
      [
        pollHandler({}, lambdaContext()),
        signHandler({ Records: [] }, lambdaContext()),
        broadcastHandler({ source: 'sigil', 'detail-type': 'Transaction Signed', detail: { pendingId: 'a'.repeat(24) } }, lambdaContext()),
      ].map((run) => run.then(() => null, (e: unknown) => e)),
    );
    for (const error of refusals) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toMatch(/^mainnet needs four-eye approval: set SIGIL_EXTERNAL_URL/);
    }
    expect(stack.sim.state.requests.length).toBe(requests);
    expect(kmsSends).not.toHaveBeenCalled();

    // The same environment with an approver configured starts (the URL is only parsed here, not called).
    resetRuntime();
    process.env.SIGIL_EXTERNAL_URL = 'https://approver.example/sigil';
    expect(runtime().config).toMatchObject({ network: 'mainnet', fourEye: { method: 'GET' } });
    expect(runtime().config.fourEye?.url.href).toBe('https://approver.example/sigil');
  });
});
