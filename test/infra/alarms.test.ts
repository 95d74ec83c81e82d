/**
 * The health alarms of infra/alarms.yml in the packaged stack (issue 7 §4): each alarm's metric, statistic,
 * threshold, periods and TreatMissingData; every alarm notifies the alert topic; and every Sigil metric an
 * alarm watches is a catalogue metric selected with exactly the dimensions EmfMetrics writes (Stage + the
 * catalogue's), Stage being the packaged stage.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referencedIds, resource, resourcesOfType, type CfnTemplate, type Json } from '../../infra/template-model.js';
import type { KmsOperation } from '../../lib/custody/aws-kms-key-provider.js';
import { emfDimensionNames } from '../../lib/metrics/emf.js';
import { METRIC_CATALOGUE, METRIC_NAMESPACE, type MetricName } from '../../lib/metrics/metrics.js';
import { packagedStack, STAGE } from '../support/osls-package.js';

let template: CfnTemplate;
beforeAll(async () => {
  template = (await packagedStack()).template;
}, 300_000);

type Props = Record<string, Json>;
const props = (id: string): Props => (resource(template, id).Properties ?? {}) as Props;
const alarms = () => resourcesOfType(template, 'AWS::CloudWatch::Alarm');

interface WatchedMetric {
  readonly alarm: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: ReadonlyArray<{ Name: string; Value: Json }>;
}

/** The metrics an alarm reads: its own (Namespace/MetricName) or each MetricStat of its metric math. */
function watched(id: string, p: Props): WatchedMetric[] {
  if (typeof p.MetricName === 'string') {
    return [{ alarm: id, namespace: String(p.Namespace), metric: p.MetricName, dimensions: (p.Dimensions ?? []) as unknown as WatchedMetric['dimensions'] }];
  }
  return ((p.Metrics ?? []) as Props[])
    .filter((q) => q.MetricStat !== undefined)
    .map((q) => {
      const metric = (q.MetricStat as Props).Metric as Props;
      return { alarm: id, namespace: String(metric.Namespace), metric: String(metric.MetricName), dimensions: (metric.Dimensions ?? []) as unknown as WatchedMetric['dimensions'] };
    });
}

describe('health alarms', () => {
  it('every alarm notifies the alert topic', () => {
    expect(alarms().length).toBeGreaterThanOrEqual(11);
    for (const [id, a] of alarms()) expect(a.Properties?.AlarmActions, id).toEqual([{ Ref: 'AlertTopic' }]);
  });

  it('no poller heartbeat for 3 periods, missing data breaching, on the heartbeat rule of the Sigil bus', () => {
    const p = props('PollerHeartbeatMissingAlarm');
    expect(p).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      OKActions: [{ Ref: 'AlertTopic' }],
    });
    expect(p.Dimensions).toEqual([
      { Name: 'EventBusName', Value: { Ref: 'EventBus' } },
      { Name: 'RuleName', Value: props('HeartbeatRule').Name },
    ]);
    expect(props('HeartbeatRule').EventPattern).toMatchObject({ 'detail-type': ['Poller Heartbeat'] });
  });

  it.each([
    ['PollErrorsAlarm', 'PollLambdaFunction'],
    ['SignErrorsAlarm', 'SignLambdaFunction'],
    ['BroadcastErrorsAlarm', 'BroadcastLambdaFunction'],
  ])('%s: any error of %s in 5 minutes', (id, fn) => {
    expect(props(id)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(referencedIds(props(id).Dimensions)).toEqual(new Set([fn]));
  });

  it.each([
    ['SignDeadLetterAlarm', 'SignDeadLetterQueue'],
    ['BroadcastFailureAlarm', 'BroadcastFailureQueue'],
    ['EventDeliveryFailureAlarm', 'EventDeliveryDeadLetterQueue'],
  ])('%s: any message visible in %s', (id, queue) => {
    expect(props(id)).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(props(id).Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]);
  });

  it('KMS throttling: any KmsThrottles of any operation the key provider calls, summed by metric math', () => {
    const p = props('KmsThrottlingAlarm');
    expect(p).toMatchObject({ EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    const queries = p.Metrics as Props[];
    const stats = queries.filter((q) => q.MetricStat);
    // Exhaustive over KmsOperation: a new operation in the provider fails to compile here until the alarm has it.
    const operations: Record<KmsOperation, true> = { GenerateDataKey: true, Decrypt: true, Encrypt: true, ReEncrypt: true };
    expect(watched('KmsThrottlingAlarm', p).map((m) => [m.metric, m.dimensions.find((d) => d.Name === 'Operation')?.Value]).sort()).toEqual(
      Object.keys(operations).map((op) => ['KmsThrottles', op]).sort(),
    );
    for (const q of stats) expect([q.ReturnData, (q.MetricStat as Props).Stat, (q.MetricStat as Props).Period]).toEqual([false, 'Sum', 300]);
    const returned = queries.filter((q) => q.ReturnData !== false);
    expect(returned).toHaveLength(1);
    const summed = String(returned[0]!.Expression).match(/^SUM\(\[(.*)\]\)$/)?.[1]?.split(',').map((s) => s.trim()).sort();
    expect(summed).toEqual(stats.map((q) => String(q.Id)).sort());
  });

  it('Tatum 429s: any TatumThrottled in 5 minutes', () => {
    expect(props('TatumThrottledAlarm')).toMatchObject({ Namespace: 'Sigil', MetricName: 'TatumThrottled', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it('pending backlog age: the oldest working record older than pendingAgeAlarmSeconds (default 900)', () => {
    const p = props('PendingBacklogAgeAlarm');
    expect(p).toMatchObject({ Namespace: 'Sigil', MetricName: 'OldestWorkingAgeSeconds', Statistic: 'Maximum', Period: 300, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(Number(p.Threshold)).toBe(900);
  });

  it('every Sigil metric an alarm watches is in the catalogue, with the dimensions EmfMetrics writes and this stage', () => {
    const sigil = alarms().flatMap(([id, a]) => watched(id, (a.Properties ?? {}) as Props)).filter((m) => m.namespace === METRIC_NAMESPACE);
    expect(new Set(sigil.map((m) => m.metric))).toEqual(new Set(['KmsThrottles', 'TatumThrottled', 'OldestWorkingAgeSeconds']));
    for (const m of sigil) {
      expect(Object.hasOwn(METRIC_CATALOGUE, m.metric), `${m.alarm}: ${m.metric} is not in the catalogue`).toBe(true);
      expect(m.dimensions.map((d) => d.Name).sort(), m.alarm).toEqual(emfDimensionNames(m.metric as MetricName).sort());
      expect(m.dimensions.find((d) => d.Name === 'Stage')?.Value, m.alarm).toBe(STAGE);
      for (const d of m.dimensions) expect(typeof d.Value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(d.Value), `${m.alarm}: ${d.Name}`).toBe(true);
    }
  });
});
