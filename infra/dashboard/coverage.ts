/**
 * "The dashboard definition matches the metrics the code emits" (issue 7), as reusable checks:
 *
 * - `metricsOnDashboard(body)` reads a RENDERED dashboard body back (metric lines and SEARCH expressions),
 *   so the checks see what CloudWatch will see, not what the definition meant.
 * - `dashboardCatalogueProblems(body)`: every Sigil metric on the dashboard is a catalogue metric selected
 *   with exactly its deployed dimensions (emfDimensionNames: Stage + the catalogue's) and the stage's value,
 *   and every catalogue metric is on the dashboard.
 * - `assertDashboardCovers(points)`: each point the code emitted (MemoryMetrics.points of a real run) is a
 *   catalogue metric with the catalogue's dimensions, and the dashboard shows that metric with them.
 */
import { emfDimensionNames, STAGE_DIMENSION } from '../../lib/metrics/emf.js';
import { checkMetric, METRIC_CATALOGUE, METRIC_NAMESPACE, type MetricName, type RecordedMetric } from '../../lib/metrics/metrics.js';
import { PIPELINE_DASHBOARD } from './definition.js';
import { renderDashboardBody } from './render.js';

export interface DashboardMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly metric: string;
  /** Dimension names the query selects on (a SEARCH: its schema), in the order written. */
  readonly dimensions: readonly string[];
  /** Dimension values the query fixes (a line: all of them; a SEARCH: its `Name="value"` terms). */
  readonly fixed: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly kind: 'line' | 'search';
}

const SEARCH = /^SEARCH\('\{([^}]*)\} (.*)', '([^']+)', (\d+)\)$/;
const TERM = /^([A-Za-z][A-Za-z0-9]*)="([^"]*)"$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseSearch(widget: string, expression: string): DashboardMetric {
  const match = SEARCH.exec(expression);
  if (!match) throw new Error(`widget "${widget}": expression is not a SEARCH this module reads: ${expression}`);
  const [, schema, terms, stat] = match as unknown as [string, string, string, string];
  const [namespace = '', ...dimensions] = schema.split(',');
  const fixed: Record<string, string> = {};
  let metric = '';
  for (const term of terms.split(' ')) {
    const t = TERM.exec(term);
    if (!t) throw new Error(`widget "${widget}": SEARCH term ${term} is not Name="value"`);
    if (t[1] === 'MetricName') metric = t[2]!;
    else fixed[t[1]!] = t[2]!;
  }
  return { widget, namespace, metric, dimensions, fixed, stat, kind: 'search' };
}

function parseLine(widget: string, line: unknown[]): DashboardMetric {
  const options = isObject(line.at(-1)) ? (line.at(-1) as Record<string, unknown>) : {};
  const parts = (isObject(line.at(-1)) ? line.slice(0, -1) : line).map(String);
  const [namespace = '', metric = '', ...pairs] = parts;
  if (pairs.length % 2 !== 0) throw new Error(`widget "${widget}": metric line ${JSON.stringify(line)} has an odd dimension list`);
  const fixed: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) fixed[pairs[i]!] = pairs[i + 1]!;
  return { widget, namespace, metric, dimensions: Object.keys(fixed), fixed, stat: String(options.stat ?? ''), kind: 'line' };
}

/** Every metric query of a rendered dashboard body (an object, or its JSON text). */
export function metricsOnDashboard(body: unknown): DashboardMetric[] {
  const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  if (!isObject(parsed) || !Array.isArray(parsed.widgets)) throw new Error('a dashboard body has a widgets array');
  const found: DashboardMetric[] = [];
  for (const widget of parsed.widgets as unknown[]) {
    if (!isObject(widget) || widget.type !== 'metric' || !isObject(widget.properties)) continue;
    const title = String(widget.properties.title ?? '(untitled)');
    for (const item of (widget.properties.metrics as unknown[] | undefined) ?? []) {
      if (Array.isArray(item)) found.push(parseLine(title, item));
      else if (isObject(item) && typeof item.expression === 'string') found.push(parseSearch(title, item.expression));
      else throw new Error(`widget "${title}": unreadable metrics item ${JSON.stringify(item)}`);
    }
  }
  return found;
}

const sameNames = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const isCatalogued = (name: string): name is MetricName => Object.hasOwn(METRIC_CATALOGUE, name);

/** What is wrong between a rendered body and the catalogue (empty = they match). `stage` is the Stage value queries must fix. */
export function dashboardCatalogueProblems(body: unknown, stage = '${Stage}'): string[] {
  const problems: string[] = [];
  const sigil = metricsOnDashboard(body).filter((m) => m.namespace === METRIC_NAMESPACE);
  for (const m of sigil) {
    if (!isCatalogued(m.metric)) {
      problems.push(`widget "${m.widget}" shows ${m.metric}, which is not in METRIC_CATALOGUE`);
      continue;
    }
    const wanted = emfDimensionNames(m.metric);
    if (!sameNames(m.dimensions, wanted)) problems.push(`widget "${m.widget}": ${m.metric} selects [${m.dimensions.join(', ')}], the code emits [${wanted.join(', ')}]`);
    if (m.fixed[STAGE_DIMENSION] !== stage) problems.push(`widget "${m.widget}": ${m.metric} does not fix ${STAGE_DIMENSION}="${stage}"`);
    const extra = Object.keys(m.fixed).filter((d) => d !== STAGE_DIMENSION && m.kind === 'search');
    if (extra.length > 0) problems.push(`widget "${m.widget}": the SEARCH for ${m.metric} also fixes ${extra.join(', ')}`);
  }
  const shown = new Set(sigil.map((m) => m.metric));
  for (const name of Object.keys(METRIC_CATALOGUE)) if (!shown.has(name)) problems.push(`catalogue metric ${name} is on no widget`);
  return problems;
}

/**
 * Throws unless every point is a catalogue metric with the catalogue's dimensions and the dashboard shows
 * it with those dimensions (plus Stage). For a test that ran real code over MemoryMetrics.
 */
export function assertDashboardCovers(points: readonly RecordedMetric[], body: unknown = renderDashboardBody(PIPELINE_DASHBOARD)): void {
  const onDashboard = metricsOnDashboard(body).filter((m) => m.namespace === METRIC_NAMESPACE);
  const problems = new Set<string>();
  for (const point of points) {
    try {
      checkMetric(point.name, point.value, point.dimensions);
    } catch (error) {
      problems.add((error as Error).message);
      continue;
    }
    const emitted = [STAGE_DIMENSION, ...Object.keys(point.dimensions)];
    if (!onDashboard.some((m) => m.metric === point.name && sameNames(m.dimensions, emitted))) {
      problems.add(`${point.name} [${emitted.join(', ')}] is emitted but no dashboard widget shows it with those dimensions`);
    }
  }
  if (problems.size > 0) throw new Error(`the dashboard does not cover what the code emits:\n- ${[...problems].join('\n- ')}`);
}
