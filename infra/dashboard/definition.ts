/**
 * The CloudWatch dashboard "the pipeline at a glance", as a typed definition: each widget names Sigil
 * metrics from METRIC_CATALOGUE (so a renamed or removed metric is a compile error here) and AWS metrics of
 * the stack's own resources, by logical id. render.ts turns it into the DashboardBody of an
 * AWS::CloudWatch::Dashboard (infra/dashboard/dashboard.json, included by serverless.yml).
 *
 * After a change here: `npx tsx infra/dashboard/generate.ts` (test/infra/dashboard.test.ts fails while the
 * committed dashboard.json is stale).
 *
 * Placeholders (resolved by CloudFormation's Fn::Sub): `${Stage}` (the stage), `${AWS::Region}`,
 * `${LogicalId}` (Ref: a function's or bus's name) and `${LogicalId.QueueName}` (GetAtt).
 */
import type { MetricName } from '../../lib/metrics/metrics.js';

/** CloudWatch statistics used here; percentiles as `p50`, `p99`. */
export type Statistic = 'Sum' | 'Maximum' | 'Average' | 'Minimum' | 'SampleCount' | `p${number}`;

/** A Sigil metric: one line per value of its catalogue dimensions (a SEARCH), or one line when it has none. */
export interface SigilQuery {
  readonly metric: MetricName;
  readonly stat: Statistic;
  /** Line label; for a metric with dimensions, CloudWatch labels each line with its dimension values. */
  readonly label?: string;
}

/** An AWS metric of one resource of the stack. */
export interface AwsQuery {
  readonly namespace: `AWS/${string}`;
  readonly metric: string;
  /** Dimension name → value (may hold placeholders). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: Statistic;
  readonly label: string;
}

export interface GraphWidget {
  readonly kind: 'graph';
  readonly title: string;
  readonly width: number;
  readonly height?: number;
  readonly sigil?: readonly SigilQuery[];
  readonly aws?: readonly AwsQuery[];
  /** Left Y axis label. */
  readonly unit?: string;
}

export interface TextWidget {
  readonly kind: 'text';
  readonly markdown: string;
  readonly width: number;
  readonly height?: number;
}

export type Widget = GraphWidget | TextWidget;

export interface DashboardDefinition {
  /** Logical id of the AWS::CloudWatch::Dashboard resource. */
  readonly logicalId: string;
  /** Rows of widgets, top to bottom; widths of one row add up to at most 24. */
  readonly rows: readonly (readonly Widget[])[];
  /** Graph period in seconds. */
  readonly period: number;
}

/** Lambda functions of the stack (logical id → short label). test/infra/dashboard.test.ts checks the list is complete. */
export const FUNCTIONS: Readonly<Record<string, string>> = {
  PollLambdaFunction: 'poll',
  SignLambdaFunction: 'sign',
  BroadcastLambdaFunction: 'broadcast',
  VerifyLambdaFunction: 'verify',
  CreateWalletLambdaFunction: 'create-wallet',
  AlertLambdaFunction: 'alert',
};

/** Dead-letter queues (logical id → label): anything in them needs a person. */
export const DEAD_LETTER_QUEUES: Readonly<Record<string, string>> = {
  SignDeadLetterQueue: 'sign DLQ',
  BroadcastFailureQueue: 'broadcast failures',
  EventDeliveryDeadLetterQueue: 'event delivery DLQ',
};

const perFunction = (metric: string, stat: Statistic): AwsQuery[] =>
  Object.entries(FUNCTIONS).map(([id, label]) => ({ namespace: 'AWS/Lambda', metric, dimensions: { FunctionName: `\${${id}}` }, stat, label }));

const perQueue = (metric: string): AwsQuery[] =>
  Object.entries(DEAD_LETTER_QUEUES).map(([id, label]) => ({ namespace: 'AWS/SQS', metric, dimensions: { QueueName: `\${${id}.QueueName}` }, stat: 'Maximum', label }));

export const PIPELINE_DASHBOARD: DashboardDefinition = {
  logicalId: 'PipelineDashboard',
  period: 300,
  rows: [
    [
      {
        kind: 'text',
        width: 24,
        height: 2,
        markdown:
          '# Sigil ${Stage}: the pipeline at a glance\n' +
          'poll → prepare → approve → sign → broadcast. Alarms: infra/alarms.yml; what each alert means and what to do: docs/operations.md.',
      },
    ],
    [
      {
        kind: 'graph',
        title: 'Poller heartbeat and pass errors',
        width: 8,
        aws: [{ namespace: 'AWS/Events', metric: 'MatchedEvents', dimensions: { EventBusName: '${EventBus}', RuleName: 'sigil-${Stage}-heartbeat' }, stat: 'Sum', label: 'heartbeat events' }],
        sigil: [
          { metric: 'PollerHeartbeat', stat: 'Sum', label: 'completed passes' },
          { metric: 'PassErrors', stat: 'Sum', label: 'pass errors' },
        ],
      },
      { kind: 'graph', title: 'Pending backlog (txs Tatum listed)', width: 8, sigil: [{ metric: 'PendingBacklog', stat: 'Maximum', label: 'pending' }] },
      {
        kind: 'graph',
        title: 'Oldest working ledger record (s)',
        width: 8,
        unit: 'seconds',
        sigil: [{ metric: 'OldestWorkingAgeSeconds', stat: 'Maximum', label: 'oldest age' }],
      },
    ],
    [
      { kind: 'graph', title: 'Signed per chain', width: 8, sigil: [{ metric: 'TransactionsSigned', stat: 'Sum' }] },
      { kind: 'graph', title: 'Broadcast per chain', width: 8, sigil: [{ metric: 'TransactionsBroadcast', stat: 'Sum' }] },
      {
        kind: 'graph',
        title: 'Failed and rejected per chain',
        width: 8,
        sigil: [
          { metric: 'TransactionsFailed', stat: 'Sum' },
          { metric: 'TransactionsRejected', stat: 'Sum' },
        ],
      },
    ],
    [
      { kind: 'graph', title: 'Step latency p50 (ms), per step and chain', width: 8, unit: 'ms', sigil: [{ metric: 'StepLatency', stat: 'p50' }] },
      { kind: 'graph', title: 'Step latency p99 (ms), per step and chain', width: 8, unit: 'ms', sigil: [{ metric: 'StepLatency', stat: 'p99' }] },
      {
        kind: 'graph',
        title: 'Policy decisions, four-eye denials, unusual activity',
        width: 8,
        sigil: [
          { metric: 'PolicyDecisions', stat: 'Sum' },
          { metric: 'ApprovalsDenied', stat: 'Sum' },
          { metric: 'UnusualActivity', stat: 'Sum' },
        ],
      },
    ],
    [
      { kind: 'graph', title: 'KMS calls per operation', width: 6, sigil: [{ metric: 'KmsCalls', stat: 'Sum' }] },
      { kind: 'graph', title: 'KMS throttles per operation', width: 6, sigil: [{ metric: 'KmsThrottles', stat: 'Sum' }] },
      { kind: 'graph', title: 'Tatum calls per outcome', width: 6, sigil: [{ metric: 'TatumCalls', stat: 'Sum' }] },
      { kind: 'graph', title: 'Tatum 429 Too Many Requests', width: 6, sigil: [{ metric: 'TatumThrottled', stat: 'Sum', label: '429s' }] },
    ],
    [
      { kind: 'graph', title: 'Function errors', width: 8, aws: perFunction('Errors', 'Sum') },
      { kind: 'graph', title: 'Function duration p99 (ms)', width: 8, unit: 'ms', aws: perFunction('Duration', 'p99') },
      { kind: 'graph', title: 'Function throttles', width: 8, aws: perFunction('Throttles', 'Sum') },
    ],
    [
      { kind: 'graph', title: 'Dead-letter queues: messages waiting', width: 12, aws: perQueue('ApproximateNumberOfMessagesVisible') },
      { kind: 'graph', title: 'Dead-letter queues: age of the oldest message (s)', width: 12, unit: 'seconds', aws: perQueue('ApproximateAgeOfOldestMessage') },
    ],
  ],
};
