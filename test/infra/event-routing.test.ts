/**
 * Every event the code emits is matched by the rule meant for it, and by no other — proved on moto_server's
 * EventBridge: the packaged template's rules on the Sigil bus are put on a test bus, each with an SQS queue
 * as its target; lib's EventBridgeEventSink emits one event of every detail type of the catalogue (as the
 * pipeline and the wallet service emit them); each queue then holds exactly the detail types routed to it.
 *
 * AlertRule's target is the alert function (lib/alerts): every alert detail type reaches it, no other does.
 *
 * The two CloudTrail rules of the default bus (wallet key management, denied use) match a field inside an
 * array of objects (`detail.resources[].ARN`), which EventBridge supports and moto's matcher does not; their
 * patterns are checked in template.test.ts instead.
 */
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand, DeleteRuleCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_DETAIL_TYPES } from '../../lib/alerts/alert.js';
import { DETAIL_TYPES, type DetailType, type EventDetail } from '../../lib/events/catalogue.js';
import { EventBridgeEventSink } from '../../lib/events/eventbridge-sink.js';
import { referencedIds, resourcesOfType, type Json } from '../../infra/template-model.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { packagedStack } from '../support/osls-package.js';

type RuleId = 'SignApprovedRule' | 'BroadcastSignedRule' | 'AlertRule' | 'HeartbeatRule' | 'AuditRule';

/** The routing serverless.yml promises (infra/events.yml header). A new detail type must be routed here. */
const ROUTES: Record<DetailType, readonly RuleId[]> = {
  'Pending Transaction Approved': ['SignApprovedRule', 'AuditRule'],
  'Transaction Signed': ['BroadcastSignedRule', 'AuditRule'],
  'Transaction Broadcast': ['AuditRule'],
  'Transaction Failed': ['AlertRule', 'AuditRule'],
  'Transaction Rejected': ['AlertRule', 'AuditRule'],
  'Double Spend Prevented': ['AlertRule', 'AuditRule'],
  'Unusual Activity': ['AlertRule', 'AuditRule'],
  'Poller Heartbeat': ['HeartbeatRule'],
  'Wallet Created': ['AuditRule'],
  'Wallet Removed': ['AlertRule', 'AuditRule'],
  'Secret Exported': ['AlertRule', 'AuditRule'],
  'Integrity Check Failed': ['AlertRule', 'AuditRule'],
};

const PENDING = '5f1e0c2b9a8d7e6f5a4b3c2d';
const WALLET = '0f8fad5b-d9cb-469f-a165-70867728950e';
/** Details shaped as the code emits them (lib/pipeline, lib/wallets): ids, chains, hashes — no secret. */
const DETAILS: Record<DetailType, EventDetail> = {
  'Pending Transaction Approved': { pendingId: PENDING, chain: 'ETH', network: 'testnet' },
  'Transaction Signed': { pendingId: PENDING, chain: 'ETH', network: 'testnet', hash: `0x${'ab'.repeat(32)}` },
  'Transaction Broadcast': { pendingId: PENDING, chain: 'ETH', txId: `0x${'ab'.repeat(32)}` },
  'Transaction Failed': { pendingId: PENDING, chain: 'BTC', reason: 'fee above the cap' },
  'Transaction Rejected': { pendingId: PENDING, chain: 'BTC', reason: 'destination not allowed' },
  'Double Spend Prevented': { pendingId: PENDING, chain: 'BTC', spendKey: `utxo#BTC#${'cd'.repeat(32)}:0`, otherPendingId: '6a1e0c2b9a8d7e6f5a4b3c2d' },
  'Unusual Activity': { chain: 'ETH', reason: 'approval denied 10 times in a row' },
  'Poller Heartbeat': { network: 'testnet', chains: ['BTC', 'ETH'], pending: 2, resumed: 0, reported: 0, errors: 0 },
  'Wallet Created': { signatureId: WALLET, chain: 'ETH', network: 'testnet', kind: 'mnemonic', source: 'generate' },
  'Wallet Removed': { signatureId: WALLET, chain: 'ETH', network: 'testnet', kind: 'mnemonic' },
  'Secret Exported': { signatureId: WALLET, chain: 'ETH', network: 'testnet', action: 'getmanagedwallet' },
  'Integrity Check Failed': { signatureId: WALLET, chain: 'ETH', network: 'testnet', code: 'TAMPERED' },
};

describe.skipIf(!awsEndpoint)('event routing on EventBridge (moto)', () => {
  const events = new EventBridgeClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const bus = uniqueName('sigil-routing');
  const rules = new Map<string, { name: string; queueUrl: string }>();
  const received = new Map<string, Array<{ source: string; type: string; detail: Record<string, unknown> }>>();

  async function drain(queueUrl: string) {
    const bodies: Array<{ source: string; 'detail-type': string; detail: Record<string, unknown> }> = [];
    for (let empty = 0; empty < 2; ) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) empty++;
      bodies.push(...messages.map((m) => JSON.parse(m.Body!)));
    }
    return bodies.map((b) => ({ source: b.source, type: b['detail-type'], detail: b.detail }));
  }

  beforeAll(async () => {
    const { template } = await packagedStack();
    await events.send(new CreateEventBusCommand({ Name: bus }));
    const onSigilBus = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => referencedIds(r.Properties?.EventBusName).has('EventBus'));
    for (const [id, rule] of onSigilBus) {
      const name = uniqueName(id);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await events.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(rule.Properties?.EventPattern as Json) }));
      await events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn! }] }));
      rules.set(id, { name, queueUrl: QueueUrl! });
    }
    const sink = new EventBridgeEventSink(events, bus);
    for (const type of DETAIL_TYPES) await sink.emit(type, DETAILS[type]);
    // The same detail types from another source must reach no rule.
    await events.send(
      new PutEventsCommand({
        Entries: ['Pending Transaction Approved', 'Transaction Signed', 'Secret Exported'].map((type) => ({ Source: 'sigil.impostor', DetailType: type, Detail: JSON.stringify({ pendingId: PENDING }), EventBusName: bus })),
      }),
    );
    for (const [id, { queueUrl }] of rules) received.set(id, await drain(queueUrl));
  }, 300_000);

  afterAll(async () => {
    for (const { name, queueUrl } of rules.values()) {
      await events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: ['queue'] })).catch(() => {});
      await events.send(new DeleteRuleCommand({ Name: name, EventBusName: bus })).catch(() => {});
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    }
    await events.send(new DeleteEventBusCommand({ Name: bus })).catch(() => {});
    events.destroy();
    sqs.destroy();
  });

  it('the Sigil bus carries exactly the rules this test knows', () => {
    expect([...rules.keys()].sort()).toEqual(['AlertRule', 'AuditRule', 'BroadcastSignedRule', 'HeartbeatRule', 'SignApprovedRule']);
  });

  it('AlertRule targets the alert function, and routes exactly the alert detail types of lib/alerts (every other type stays away)', async () => {
    const { template } = await packagedStack();
    const rule = template.Resources.AlertRule!.Properties!;
    expect(referencedIds(rule.Targets)).toEqual(new Set(['AlertLambdaFunction', 'EventDeliveryDeadLetterQueue']));
    expect(received.get('AlertRule')!.map((m) => m.type).sort()).toEqual([...ALERT_DETAIL_TYPES].sort());
    for (const type of DETAIL_TYPES) expect(ROUTES[type].includes('AlertRule'), type).toBe((ALERT_DETAIL_TYPES as readonly string[]).includes(type));
  });

  it.each(Object.keys(DETAILS) as DetailType[])('"%s" reaches exactly the rules meant for it', (type) => {
    const reached = [...received].filter(([, messages]) => messages.some((m) => m.type === type)).map(([id]) => id);
    expect(reached.sort()).toEqual([...ROUTES[type]].sort());
  });

  it('each rule received each of its events once, all of source sigil, details intact', () => {
    for (const [id, messages] of received) {
      const expected = DETAIL_TYPES.filter((type) => ROUTES[type].includes(id as RuleId));
      expect(messages.map((m) => m.type).sort(), id).toEqual([...expected].sort());
      for (const m of messages) {
        expect(m.source).toBe('sigil');
        expect(m.detail).toEqual(DETAILS[m.type as DetailType]);
      }
    }
  });

  it('every event reaches the audit log (AuditRule or HeartbeatRule); the signer and the broadcaster get only their own', () => {
    for (const type of DETAIL_TYPES) expect(ROUTES[type].some((r) => r === 'AuditRule' || r === 'HeartbeatRule'), type).toBe(true);
    expect(received.get('SignApprovedRule')!.map((m) => m.type)).toEqual(['Pending Transaction Approved']);
    expect(received.get('BroadcastSignedRule')!.map((m) => m.type)).toEqual(['Transaction Signed']);
  });
});
