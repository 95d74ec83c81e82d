/**
 * functions/alert.ts in-process on moto, end to end: an EventBridge alert event → fold windows in a ledger
 * table → SNS Publish on a topic (read back through an SQS queue subscribed to it) and the webhook (a local
 * HTTP server, its URL an SSM SecureString). A redelivered event sends nothing again; a failing webhook
 * fails the invocation without losing or repeating the SNS message; a malformed event is dropped, logged;
 * the scheduled event flushes a closed window; no log line holds the webhook URL.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { buildAlertContainer, handleAlertEvent, type AlertContainer } from '../../functions/alert.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

const TOKEN = 'T0SECRET/B0SECRET/xoxbSECRETTOKEN';
const PENDING = '5f1e0c2b9a8d7e6f5a4b3c2d';

describe.skipIf(!awsEndpoint)('the alert function on moto', () => {
  const dynamo = new DynamoDBClient(awsClientConfig());
  const sns = new SNSClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const ssm = new SSMClient(awsClientConfig());
  const table = uniqueName('sigil-alert-fn');
  const parameter = `/${uniqueName('sigil-alert')}/webhook`;
  let topicArn = '';
  let queueUrl = '';
  let server: Server;
  let webhookStatus = 200;
  const posts: string[] = [];
  const logs: string[] = [];
  let now = Date.now();
  let container: AlertContainer;

  const event = (type: string, detail: Record<string, unknown>, id = randomUUID()) => ({
    version: '0', id, 'detail-type': type, source: 'sigil', account: '123456789012', time: new Date(now).toISOString(), region: 'us-east-1', resources: [], detail,
  });
  const run = (input: unknown) => handleAlertEvent(container, input, (line) => logs.push(line));

  async function snsMessages(): Promise<Array<{ Subject: string; Message: string }>> {
    const out: Array<{ Subject: string; Message: string }> = [];
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) empty++;
      out.push(...Messages.map((m) => JSON.parse(m.Body!)));
    }
    return out;
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        posts.push(body);
        res.writeHead(webhookStatus).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${TOKEN}`;
    await createLedgerTable(dynamo, table);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueName('sigil-alerts') }))).TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sigil-alert-mail') }))).QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn! }));
    await ssm.send(new PutParameterCommand({ Name: parameter, Type: 'SecureString', Value: webhook }));
    Object.assign(process.env, { AWS_ENDPOINT_URL: awsEndpoint!, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    container = buildAlertContainer({ SIGIL_ALERT_TOPIC_ARN: topicArn, SIGIL_ALERT_WEBHOOK_PARAMETER: parameter, SIGIL_ALERT_FOLD_SECONDS: '60', SIGIL_LEDGER_TABLE: table }, () => now);
  }, 60_000);

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn })).catch(() => {});
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    await ssm.send(new DeleteParameterCommand({ Name: parameter })).catch(() => {});
    for (const c of [dynamo, sns, sqs, ssm]) c.destroy();
  });

  it('delivers an alert to SNS (subject, summary, ids, JSON) and the webhook, once even when redelivered', async () => {
    const e = event('Double Spend Prevented', { pendingId: PENDING, chain: 'BTC', spendKey: 'utxo#BTC#ab:0', otherPendingId: '6a1e0c2b9a8d7e6f5a4b3c2d' });
    await expect(run(e)).resolves.toMatchObject({ decision: 'send', sent: ['sns', 'webhook'] });
    await expect(run(e)).resolves.toMatchObject({ decision: 'send', duplicate: true, sent: [], skipped: ['sns', 'webhook'] });
    const messages = await snsMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.Subject).toBe('Sigil CRITICAL: Double Spend Prevented on BTC');
    const [summary, , ...rest] = messages[0]!.Message.split('\n');
    expect(summary).toBe(`[CRITICAL] Double Spend Prevented on BTC: pending ${PENDING} spends utxo#BTC#ab:0 already claimed by 6a1e0c2b9a8d7e6f5a4b3c2d`);
    expect(rest).toContain(`pendingId: ${PENDING}`);
    expect(JSON.parse(rest.at(-1)!)).toMatchObject({ severity: 'critical', detailType: 'Double Spend Prevented', ids: { pendingId: PENDING } });
    expect(posts.map((p) => JSON.parse(p).text)).toEqual([summary]);
  });

  it('a storm is folded, and the schedule flushes the count when the window closes', async () => {
    posts.length = 0;
    for (let i = 0; i < 6; i++) {
      await run(event('Transaction Failed', { pendingId: `5f1e0c2b9a8d7e6f5a4b3c${10 + i}`, chain: 'LTC', reason: `fee ${i} above the cap` }));
      now += 1_000;
    }
    expect(await snsMessages()).toHaveLength(1);
    expect(await run({ source: 'aws.events', 'detail-type': 'Scheduled Event', id: randomUUID(), detail: {} })).toEqual({ flushed: 0 });
    now += 60_000;
    expect(await run({ source: 'aws.events', 'detail-type': 'Scheduled Event', id: randomUUID(), detail: {} })).toEqual({ flushed: 1 });
    const [summary] = await snsMessages();
    expect(summary!.Subject).toBe('Sigil HIGH: 5 more Transaction Failed');
    expect(posts).toHaveLength(2);
  });

  it('a failing webhook fails the invocation; SNS went once; the retry sends only the webhook', async () => {
    webhookStatus = 500;
    posts.length = 0;
    const e = event('Secret Exported', { signatureId: '0f8fad5b-d9cb-469f-a165-70867728950e', chain: 'ETH', network: 'testnet', action: 'getmanagedwallet' });
    const error = await run(e).catch((x: unknown) => x as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^alert not delivered on webhook \(the alert webhook at 127\.0\.0\.1:\d+ answered 500\)$/);
    webhookStatus = 200;
    await expect(run(e)).resolves.toMatchObject({ sent: ['webhook'], skipped: ['sns'] });
    expect(await snsMessages()).toHaveLength(1);
    expect(posts).toHaveLength(2);
  });

  it('a malformed event is dropped and logged, not retried; no log line holds the webhook URL', async () => {
    await expect(run({ source: 'sigil', 'detail-type': 'Transaction Failed', detail: {} })).resolves.toEqual({ dropped: 'the event has no id (1 to 128 characters of [A-Za-z0-9._:-])' });
    expect(logs.some((l) => l.startsWith('alert: dropped a malformed event'))).toBe(true);
    expect(logs.join('\n')).not.toContain('SECRET');
  });
});
