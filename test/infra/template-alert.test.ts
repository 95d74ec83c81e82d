/**
 * The alert function in the packaged template: no VPC (it must reach SNS and the webhook), its environment
 * parses with lib/alerts/alert-config.ts, retries then a failure destination, the schedule that flushes fold
 * windows, and a role that may publish to the alert topic, touch only `alert#` ledger items and the
 * `alert-fold` partition of the attention index, read the webhook parameter only when one is configured,
 * and do nothing with the wallet key.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAlertFunctionConfig } from '../../lib/alerts/alert-config.js';
import { actionsOf, branches, referencedIds, resource, resourcesOfType, roleStatements, type CfnTemplate, type Json } from '../../infra/template-model.js';
import { packagedStack } from '../support/osls-package.js';

let template: CfnTemplate;
beforeAll(async () => {
  template = (await packagedStack()).template;
}, 300_000);

const props = (id: string) => resource(template, id).Properties ?? {};
const obj = (value: Json | undefined) => value as Record<string, Json>;

describe('the alert function', () => {
  it('runs functions/alert.handler outside any VPC, with its own environment, retries and failure destination', () => {
    const p = props('AlertLambdaFunction');
    expect(p.Handler).toBe('functions/alert.handler');
    expect(p.VpcConfig).toBeUndefined();
    const variables = obj(obj(p.Environment).Variables);
    expect(referencedIds(variables.SIGIL_ALERT_TOPIC_ARN)).toEqual(new Set(['AlertTopic']));
    expect(variables.SIGIL_ALERT_WEBHOOK_PARAMETER).toBe('');
    expect(variables.SIGIL_ALERT_FOLD_SECONDS).toBe('300');
    expect(parseAlertFunctionConfig({ SIGIL_ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:sigil-ci-alerts', SIGIL_ALERT_WEBHOOK_PARAMETER: '', SIGIL_ALERT_FOLD_SECONDS: '300', SIGIL_LEDGER_TABLE: 'sigil-ci-ledger' })).toMatchObject({ foldWindowMs: 300_000 });
    const config = props('AlertLambdaEvConf');
    expect(config.MaximumRetryAttempts).toBe(2);
    expect(referencedIds(config.DestinationConfig)).toEqual(new Set(['EventDeliveryDeadLetterQueue']));
    expect(referencedIds(props('AlertRulePermission').SourceArn)).toEqual(new Set(['AlertRule']));
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => referencedIds(r.Properties?.Targets).has('AlertLambdaFunction') && r.Properties?.ScheduleExpression);
    expect(schedules.map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    expect(props('AlertLogGroup').KmsKeyId).toBeDefined();
  });

  it('its role: publish to the topic, fold items only, the webhook parameter only if configured, nothing of the wallet key', () => {
    const placed = roleStatements(template, 'AlertRole');
    const allowed = (action: string) => placed.filter((p) => p.statement.Effect === 'Allow' && actionsOf(p.statement).includes(action));
    expect(allowed('sns:Publish').flatMap((p) => branches(p.statement.Resource).map((r) => [...referencedIds(r)]))).toEqual([['AlertTopic']]);
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
      const [only, ...more] = allowed(action);
      expect(more).toEqual([]);
      expect(only!.statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['alert#*'] } });
    }
    expect(allowed('dynamodb:Query').map((p) => p.statement.Condition)).toEqual([{ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['alert-fold'] } }]);
    expect(placed.flatMap((p) => actionsOf(p.statement)).filter((a) => /dynamodb:(Scan|DeleteItem|BatchWriteItem)/.test(a))).toEqual([]);
    const kms = placed.filter((p) => actionsOf(p.statement).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap((p) => branches(p.statement.Resource).flatMap((r) => [...referencedIds(r)]))).toEqual(['StorageKey']);
    // The stage has no webhook parameter: the ssm statement is a policy of its own, made only under HasAlertWebhook.
    expect(resource(template, 'AlertWebhookPolicy').Condition).toBe('HasAlertWebhook');
    expect(JSON.stringify(props('AlertPolicy'))).not.toContain('ssm:');
    expect(template.Conditions?.HasAlertWebhook).toBeDefined();
  });
});
