/**
 * The stack the Lambda handler tests run on, on moto_server: DynamoDB tables made by the create* helpers, a
 * KMS key, an EventBridge bus whose rules route "Pending Transaction Approved" and "Transaction Signed" to SQS
 * queues, the Tatum API key in an SSM SecureString, and the Tatum simulator as TATUM_API_URL. The handlers
 * read only process.env, as on Lambda; `applyEnv` puts the stack's environment back after a test changed it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { resetRuntime } from '../../functions/runtime.js';
import { defaultRegistry } from '../../lib/chains/registry.js';
import { AwsKmsKeyProvider } from '../../lib/custody/aws-kms-key-provider.js';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { DynamoDbWalletStore } from '../../lib/store/dynamodb-wallet-store.js';
import { DynamoDbLedger } from '../../lib/store/ledger-dynamodb.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { createRateLimitTable } from '../../lib/store/rate-limit-dynamodb.js';
import { walletService } from '../../lib/wallets/index.js';
import { startTatumSimulator } from '../../sandbox/tatum/simulator.js';
import { awsClientConfig, uniqueName } from './aws.js';

export const lambdaContext = () => ({ awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 300_000 });

/** Every message now in the queue (EventBridge → SQS is synchronous on moto), each deleted once received. */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const batch = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }))).Messages ?? [];
    if (batch.length === 0) return messages;
    for (const m of batch) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    messages.push(...batch);
  }
}

/** The event the SQS event source mapping hands the sign function. */
export function sqsEventOf(messages: readonly Message[], queueArn: string) {
  return {
    Records: messages.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: {}, messageAttributes: {}, md5OfBody: m.MD5OfBody!, eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'us-east-1' })),
  };
}

export async function startFunctionsStack(label: string) {
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
    SIGIL_STAGE: 'test',
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

export type FunctionsStack = Awaited<ReturnType<typeof startFunctionsStack>>;
