import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { EventBridgeEventSink, EventDeliveryError } from '../../lib/events/eventbridge-sink.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';

describe.skipIf(!awsEndpoint)('EventBridge event sink (moto_server)', () => {
  it('puts events that a rule on source sigil and the detail type routes to its target', async () => {
    const events = new EventBridgeClient(awsClientConfig());
    const sqs = new SQSClient(awsClientConfig());
    const bus = uniqueName('sigil-bus');
    await events.send(new CreateEventBusCommand({ Name: bus }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('signed') }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await events.send(new PutRuleCommand({ Name: 'signed', EventBusName: bus, EventPattern: JSON.stringify({ source: ['sigil'], 'detail-type': ['Transaction Signed'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'signed', EventBusName: bus, Targets: [{ Id: 'q', Arn: arn }] }));

    const sink = new EventBridgeEventSink(events, bus);
    await sink.emit('Wallet Created', { signatureId: 'w1' });
    await sink.emit('Transaction Signed', { pendingId: 'a'.repeat(24), chain: 'ETH' });

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const bodies = (received.Messages ?? []).map((m) => JSON.parse(m.Body!));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ source: 'sigil', 'detail-type': 'Transaction Signed', detail: { pendingId: 'a'.repeat(24), chain: 'ETH' } });
  });

  it('fails loudly when the bus does not exist', async () => {
    const sink = new EventBridgeEventSink(new EventBridgeClient(awsClientConfig()), uniqueName('no-such-bus'));
    await expect(sink.emit('Wallet Created', { signatureId: 'w' })).rejects.toBeInstanceOf(EventDeliveryError);
  });
});
