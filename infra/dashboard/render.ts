/**
 * Renders a DashboardDefinition into CloudWatch's dashboard body
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html)
 * and the CloudFormation fragment serverless.yml includes (infra/dashboard/dashboard.json).
 *
 * - A Sigil metric without catalogue dimensions is one metric line: ["Sigil", name, "Stage", "${Stage}"].
 * - A Sigil metric with catalogue dimensions is a SEARCH over the exact schema {Sigil,Stage,<dims>}, so a
 *   new chain, step or outcome gets its own line without a dashboard change. The schema lists exactly the
 *   dimensions EmfMetrics writes (emfDimensionNames), which coverage.ts checks.
 * - Widgets are laid out row by row on CloudWatch's 24-column grid.
 */
import { emfDimensionNames, STAGE_DIMENSION } from '../../lib/metrics/emf.js';
import { METRIC_CATALOGUE, METRIC_NAMESPACE } from '../../lib/metrics/metrics.js';
import type { DashboardDefinition, GraphWidget, SigilQuery, Widget } from './definition.js';

export type MetricLine = Array<string | Record<string, string | number>>;
export interface ExpressionLine {
  readonly expression: string;
  readonly id: string;
  /** Absent: CloudWatch labels each line of the SEARCH with its metric and dimension values. */
  readonly label?: string;
  readonly period: number;
}

export interface RenderedWidget {
  readonly type: 'metric' | 'text';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

export interface DashboardBody {
  readonly start: string;
  readonly periodOverride: 'inherit';
  readonly widgets: readonly RenderedWidget[];
}

const GRID_WIDTH = 24;
const DEFAULT_HEIGHT = 6;

/** `SEARCH('{Sigil,Stage,Chain} MetricName="TransactionsSigned" Stage="${Stage}"', 'Sum', 300)` */
export function sigilSearch(query: SigilQuery, period: number): string {
  const schema = [METRIC_NAMESPACE, ...emfDimensionNames(query.metric)].join(',');
  return `SEARCH('{${schema}} MetricName="${query.metric}" ${STAGE_DIMENSION}="\${Stage}"', '${query.stat}', ${period})`;
}

function sigilLine(query: SigilQuery, index: number, period: number): MetricLine | ExpressionLine {
  if (METRIC_CATALOGUE[query.metric].dimensions.length === 0) {
    return [METRIC_NAMESPACE, query.metric, STAGE_DIMENSION, '${Stage}', { stat: query.stat, label: query.label ?? query.metric }];
  }
  return { expression: sigilSearch(query, period), id: `e${index}`, ...(query.label ? { label: query.label } : {}), period };
}

function graphProperties(widget: GraphWidget, period: number): Record<string, unknown> {
  const sigil = (widget.sigil ?? []).map((query, i) => sigilLine(query, i + 1, period));
  const aws = (widget.aws ?? []).map((query): MetricLine => [
    query.namespace,
    query.metric,
    ...Object.entries(query.dimensions).flat(),
    { stat: query.stat, label: query.label },
  ]);
  return {
    title: widget.title,
    view: 'timeSeries',
    stacked: false,
    region: '${AWS::Region}',
    period,
    metrics: [...aws, ...sigil],
    ...(widget.unit ? { yAxis: { left: { label: widget.unit, showUnits: false, min: 0 } } } : { yAxis: { left: { min: 0 } } }),
  };
}

function renderWidget(widget: Widget, x: number, y: number, period: number): RenderedWidget {
  const height = widget.height ?? DEFAULT_HEIGHT;
  if (widget.kind === 'text') return { type: 'text', x, y, width: widget.width, height, properties: { markdown: widget.markdown } };
  return { type: 'metric', x, y, width: widget.width, height, properties: graphProperties(widget, period) };
}

export function renderDashboardBody(definition: DashboardDefinition): DashboardBody {
  const widgets: RenderedWidget[] = [];
  let y = 0;
  for (const [r, row] of definition.rows.entries()) {
    const width = row.reduce((sum, w) => sum + w.width, 0);
    if (width > GRID_WIDTH) throw new Error(`dashboard row ${r} is ${width} columns wide; the grid has ${GRID_WIDTH}`);
    let x = 0;
    for (const widget of row) {
      widgets.push(renderWidget(widget, x, y, definition.period));
      x += widget.width;
    }
    y += Math.max(...row.map((w) => w.height ?? DEFAULT_HEIGHT));
  }
  return { start: '-PT12H', periodOverride: 'inherit', widgets };
}

/**
 * The CloudFormation fragment: the body as a string under Fn::Sub, `${Stage}` bound to the serverless stage
 * (osls resolves `${sls:stage}` in included files), the name one per stage.
 */
export function dashboardTemplateFragment(definition: DashboardDefinition): Record<string, unknown> {
  return {
    Resources: {
      [definition.logicalId]: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: 'sigil-${sls:stage}',
          DashboardBody: { 'Fn::Sub': [JSON.stringify(renderDashboardBody(definition)), { Stage: '${sls:stage}' }] },
        },
      },
    },
  };
}

/** The text of infra/dashboard/dashboard.json. */
export function dashboardFileText(definition: DashboardDefinition): string {
  return `${JSON.stringify(dashboardTemplateFragment(definition), null, 2)}\n`;
}
