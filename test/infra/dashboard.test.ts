/**
 * The CloudWatch dashboard (infra/dashboard/): the committed dashboard.json is what the typed definition
 * renders; the definition matches the metric catalogue both ways; it lands in the packaged stack with every
 * placeholder bound; every Lambda function and dead-letter queue of the stack is on it; and "the dashboard
 * definition matches the metrics the code emits" — the real emitters (the Tatum transport against a local
 * HTTP server, the KMS key provider against moto_server) run over MemoryMetrics and each point they record
 * is shown with its dimensions.
 */
import { readFileSync } from 'node:fs';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDashboardCovers, dashboardCatalogueProblems, metricsOnDashboard } from '../../infra/dashboard/coverage.js';
import { DEAD_LETTER_QUEUES, FUNCTIONS, PIPELINE_DASHBOARD } from '../../infra/dashboard/definition.js';
import { DASHBOARD_FILE } from '../../infra/dashboard/generate.js';
import { dashboardFileText, renderDashboardBody, type RenderedWidget } from '../../infra/dashboard/render.js';
import { referencedIds, resource, resourcesOfType, type CfnTemplate, type Json } from '../../infra/template-model.js';
import { MemoryMetrics } from '../../lib/metrics/metrics.js';
import { awsClientConfig, awsEndpoint } from '../support/aws.js';
import { packagedStack } from '../support/osls-package.js';
import { runKmsEmitter, runTatumEmitter, startStatusServer } from '../unit/metrics/emitters.js';

const body = renderDashboardBody(PIPELINE_DASHBOARD);
const bodyText = JSON.stringify(body);

describe('the definition', () => {
  it('infra/dashboard/dashboard.json is what the definition renders (else: npx tsx infra/dashboard/generate.ts)', () => {
    const committed = readFileSync(DASHBOARD_FILE, 'utf8');
    expect(committed, 'infra/dashboard/dashboard.json is stale: run `npx tsx infra/dashboard/generate.ts`').toBe(dashboardFileText(PIPELINE_DASHBOARD));
  });

  it('every Sigil metric on it is a catalogue metric with its deployed dimensions, and every catalogue metric is on it', () => {
    expect(dashboardCatalogueProblems(body)).toEqual([]);
    const sigil = metricsOnDashboard(body).filter((m) => m.namespace === 'Sigil');
    expect(sigil.find((m) => m.metric === 'TransactionsSigned')).toMatchObject({ kind: 'search', dimensions: ['Stage', 'Chain'], stat: 'Sum' });
    expect(sigil.filter((m) => m.metric === 'StepLatency').map((m) => m.stat).sort()).toEqual(['p50', 'p99']);
    expect(sigil.find((m) => m.metric === 'PendingBacklog')).toMatchObject({ kind: 'line', dimensions: ['Stage'], fixed: { Stage: '${Stage}' } });
  });

  it('the check catches drift: a wrong dimension set, a metric outside the catalogue, a catalogue metric left off', () => {
    const wrongDims = bodyText.replace('{Sigil,Stage,Chain} MetricName=\\"TransactionsSigned\\"', '{Sigil,Chain} MetricName=\\"TransactionsSigned\\"');
    expect(wrongDims).not.toBe(bodyText);
    expect(dashboardCatalogueProblems(wrongDims).join('\n')).toMatch(/TransactionsSigned selects \[Chain\], the code emits \[Stage, Chain\]/);
    const unknown = bodyText.replace('"PendingBacklog"', '"PendingBacklogs"');
    expect(dashboardCatalogueProblems(unknown).join('\n')).toMatch(/PendingBacklogs, which is not in METRIC_CATALOGUE[\s\S]*PendingBacklog is on no widget/);
    const noStage = bodyText.replace('MetricName=\\"KmsCalls\\" Stage=\\"${Stage}\\"', 'MetricName=\\"KmsCalls\\"');
    expect(dashboardCatalogueProblems(noStage).join('\n')).toMatch(/KmsCalls does not fix Stage/);
  });

  it('follows the dashboard body structure: widget types and sizes, a region per graph, valid ids and statistics', () => {
    const STAT = /^(Sum|Maximum|Minimum|Average|SampleCount|p\d{1,2}(\.\d+)?)$/;
    for (const w of body.widgets as RenderedWidget[]) {
      expect(['metric', 'text']).toContain(w.type);
      for (const n of [w.x, w.y, w.width, w.height]) expect(Number.isInteger(n) && n >= 0).toBe(true);
      expect(w.width >= 1 && w.width <= 24 && w.height >= 1 && w.height <= 1000).toBe(true);
      if (w.type === 'text') {
        expect(typeof w.properties.markdown).toBe('string');
        continue;
      }
      expect(w.properties).toMatchObject({ region: '${AWS::Region}', view: 'timeSeries', period: 300 });
      const items = w.properties.metrics as unknown[];
      expect(items.length).toBeGreaterThan(0);
      const ids = items.flatMap((item) => (Array.isArray(item) ? [] : [(item as { id: string }).id]));
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9_]*$/);
      for (const m of metricsOnDashboard({ widgets: [w] })) expect(m.stat).toMatch(STAT);
    }
  });

  it('fits the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const w of body.widgets as RenderedWidget[]) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `widget at ${w.x},${w.y} overlaps`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});

describe('in the packaged stack', () => {
  let template: CfnTemplate;
  let sub: [string, Record<string, Json>];
  beforeAll(async () => {
    template = (await packagedStack()).template;
    const properties = resource(template, PIPELINE_DASHBOARD.logicalId).Properties ?? {};
    sub = (properties.DashboardBody as { 'Fn::Sub': [string, Record<string, Json>] })['Fn::Sub'];
  }, 300_000);

  /** The body as CloudFormation would render it for stage ci: each `${Id}` / `${Id.Attr}` becomes `Id`. */
  const deployedBody = () => JSON.parse(sub[0].replaceAll('${Stage}', String(sub[1].Stage)).replaceAll('${AWS::Region}', 'us-east-1').replace(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g, '$1')) as unknown;

  it('is one AWS::CloudWatch::Dashboard named per stage, its body the rendered definition bound to stage ci', () => {
    expect(resourcesOfType(template, 'AWS::CloudWatch::Dashboard').map(([id]) => id)).toEqual([PIPELINE_DASHBOARD.logicalId]);
    expect(resource(template, PIPELINE_DASHBOARD.logicalId).Properties?.DashboardName).toBe('sigil-ci');
    expect(sub[0]).toBe(bodyText);
    expect(sub[1]).toEqual({ Stage: 'ci' });
    expect(dashboardCatalogueProblems(deployedBody(), 'ci')).toEqual([]);
  });

  it('every placeholder is the stage, the region, or a resource of the stack (an SQS queue for .QueueName)', () => {
    const placeholders = new Set([...sub[0].matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!));
    expect(placeholders.has('Stage') && placeholders.has('AWS::Region')).toBe(true);
    for (const p of placeholders) {
      if (p === 'Stage' || p === 'AWS::Region') continue;
      const [id, attribute] = p.split('.') as [string, string | undefined];
      expect(template.Resources[id], `\${${p}} names no resource of the stack`).toBeDefined();
      if (attribute) expect([attribute, template.Resources[id]!.Type]).toEqual(['QueueName', 'AWS::SQS::Queue']);
    }
    expect(referencedIds({ 'Fn::Sub': sub[0] } as Json).size).toBeGreaterThan(5);
  });

  it('shows errors, duration and throttles of every Lambda function of the stack', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id).sort();
    expect(Object.keys(FUNCTIONS).sort()).toEqual(functions);
    const lambda = metricsOnDashboard(deployedBody()).filter((m) => m.namespace === 'AWS/Lambda');
    for (const metric of ['Errors', 'Duration', 'Throttles']) {
      expect(lambda.filter((m) => m.metric === metric).map((m) => m.fixed.FunctionName).sort(), metric).toEqual(functions);
    }
  });

  it('shows depth and oldest age of every queue a dead-letter alarm watches, and the heartbeat rule', () => {
    const alarmed = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => a.Properties?.Namespace === 'AWS/SQS')
      .flatMap(([, a]) => [...referencedIds(a.Properties?.Dimensions)])
      .sort();
    expect(Object.keys(DEAD_LETTER_QUEUES).sort()).toEqual(alarmed);
    const sqs = metricsOnDashboard(deployedBody()).filter((m) => m.namespace === 'AWS/SQS');
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']) {
      expect(sqs.filter((m) => m.metric === metric).map((m) => m.fixed.QueueName).sort()).toEqual(alarmed);
    }
    const heartbeat = metricsOnDashboard(deployedBody()).find((m) => m.namespace === 'AWS/Events');
    expect(heartbeat).toMatchObject({ metric: 'MatchedEvents', fixed: { EventBusName: 'EventBus', RuleName: resource(template, 'HeartbeatRule').Properties?.Name } });
  });
});

describe('the dashboard definition matches the metrics the code emits', () => {
  let server: Awaited<ReturnType<typeof startStatusServer>>;
  beforeAll(async () => {
    server = await startStatusServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('the Tatum transport (200, 429, 500, 404 from a local server): every point is shown', async () => {
    const metrics = new MemoryMetrics();
    await runTatumEmitter(server, metrics);
    expect(new Set(metrics.points.map((p) => `${p.name}:${JSON.stringify(p.dimensions)}`))).toEqual(
      new Set(['TatumCalls:{"Outcome":"ok"}', 'TatumCalls:{"Outcome":"client-error"}', 'TatumCalls:{"Outcome":"server-error"}', 'TatumThrottled:{}']),
    );
    assertDashboardCovers(metrics.points);
  });

  it.skipIf(!awsEndpoint)('the KMS key provider (a seal and an open on moto_server): every point is shown', async () => {
    const metrics = new MemoryMetrics();
    await runKmsEmitter(new KMSClient(awsClientConfig()), metrics);
    expect(metrics.total('KmsCalls')).toBe(2);
    assertDashboardCovers(metrics.points);
  });

  it('assertDashboardCovers refuses a point the dashboard does not show as emitted', () => {
    const withoutKms = JSON.parse(bodyText.replaceAll('MetricName=\\"KmsCalls\\"', 'MetricName=\\"KmsCallz\\"')) as unknown;
    const point = { name: 'KmsCalls', value: 1, dimensions: { Operation: 'Decrypt' } } as const;
    expect(() => assertDashboardCovers([point], withoutKms)).toThrow(/KmsCalls \[Stage, Operation\] is emitted but no dashboard widget shows it/);
    expect(() => assertDashboardCovers([{ name: 'KmsCalls', value: 1, dimensions: {} }])).toThrow(/takes dimensions \[Operation\]/);
    expect(() => assertDashboardCovers([point])).not.toThrow();
  });
});
