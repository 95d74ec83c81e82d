/**
 * EmfMetrics: the Metrics port over the CloudWatch embedded metric format (EMF), for the Lambda functions.
 * Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * Points are buffered; `flush()` writes one JSON document per line (in Lambda, stdout becomes CloudWatch Logs
 * and CloudWatch extracts the metrics). The CLI and the daemon never use this adapter.
 *
 * Shape of one document (the spec's root node, MetricDirective and MetricDefinition):
 *   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage",…]],
 *    "Metrics":[{"Name":…,"Unit":…},…]}]},"Stage":"<stage>",<dimension>:<value>,…,<metric>:[<values>],…}
 *
 * Invariants:
 * - One document per dimension set (same dimension names and values); its metrics share that set. A set
 *   whose buffer exceeds the spec's limits — 100 MetricDefinitions per directive, 100 values per metric —
 *   is split over several documents, in order, so no value is lost or written twice.
 * - Values are always arrays (the spec allows a number or an array of up to 100 numbers): CloudWatch keeps
 *   each value, so percentiles (StepLatency p99) stay exact.
 * - The Stage dimension: added by this adapter to EVERY dimension set, its value fixed at construction
 *   (the function's stage). It is NOT part of METRIC_CATALOGUE's dimension sets — the catalogue says what
 *   the code measures; Stage says which deployment measured it, so that two stages in one account never
 *   mix. Everything that reads the deployed metrics (the dashboard, the alarms) must therefore name
 *   `emfDimensionNames(metric)`: Stage first, then the catalogue's dimensions in catalogue order.
 * - Only catalogue metrics are ever written: `emit` runs checkMetric first, and the root node holds nothing
 *   but `_aws`, the dimensions and the metric values.
 */
import { InvalidInputError } from '../errors.js';
import { checkMetric, METRIC_CATALOGUE, METRIC_NAMESPACE, type MetricDimensions, type MetricName, type Metrics } from './metrics.js';

export const STAGE_DIMENSION = 'Stage';
/** The spec: a MetricDirective's Metrics array holds at most 100 MetricDefinitions. */
export const EMF_MAX_METRICS_PER_DIRECTIVE = 100;
/** The spec: a metric's value array holds at most 100 values. */
export const EMF_MAX_VALUES_PER_METRIC = 100;

const STAGE_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The dimension names a deployed metric carries: Stage, then the catalogue's, in catalogue order. */
export function emfDimensionNames(name: MetricName): string[] {
  return [STAGE_DIMENSION, ...METRIC_CATALOGUE[name].dimensions];
}

export interface EmfMetricsOptions {
  /** The deployment's stage (serverless `${sls:stage}`): the value of the Stage dimension. */
  readonly stage: string;
  /** Receives one EMF document per call, without a line break. Default: a line on process.stdout. */
  readonly write?: (document: string) => void;
  /** Milliseconds since the epoch, for the documents' Timestamp. Default Date.now. */
  readonly clock?: () => number;
  /** `emit` flushes by itself once this many points are buffered (bounds memory). Default 1,000. */
  readonly flushAtPoints?: number;
}

interface DimensionSet {
  readonly names: readonly string[];
  readonly values: Readonly<Record<string, string>>;
  /** Metric → values not yet written, in emit order. */
  readonly pending: Map<MetricName, number[]>;
}

const writeLineToStdout = (document: string): void => {
  process.stdout.write(`${document}\n`);
};

export class EmfMetrics implements Metrics {
  readonly stage: string;
  readonly #write: (document: string) => void;
  readonly #clock: () => number;
  readonly #flushAtPoints: number;
  /** Keyed by the dimension set's names and values; insertion order = first emit. */
  readonly #sets = new Map<string, DimensionSet>();
  #buffered = 0;

  constructor(options: EmfMetricsOptions) {
    if (typeof options.stage !== 'string' || !STAGE_VALUE.test(options.stage)) {
      throw new InvalidInputError('metrics stage must be 1–64 of A–Z a–z 0–9 _ . : -', { field: 'stage' });
    }
    const flushAt = options.flushAtPoints ?? 1_000;
    if (!Number.isInteger(flushAt) || flushAt < 1) throw new InvalidInputError('flushAtPoints must be an integer ≥ 1', { field: 'flushAtPoints' });
    this.stage = options.stage;
    this.#write = options.write ?? writeLineToStdout;
    this.#clock = options.clock ?? Date.now;
    this.#flushAtPoints = flushAt;
  }

  /** Points buffered and not yet written. */
  get buffered(): number {
    return this.#buffered;
  }

  emit(name: MetricName, value: number, dimensions: MetricDimensions = {}): void {
    checkMetric(name, value, dimensions);
    const names = emfDimensionNames(name);
    const values: Record<string, string> = { [STAGE_DIMENSION]: this.stage };
    for (const dimension of METRIC_CATALOGUE[name].dimensions) values[dimension] = dimensions[dimension]!;
    const key = JSON.stringify([...names].sort().map((n) => [n, values[n]]));
    let set = this.#sets.get(key);
    if (!set) {
      set = { names, values, pending: new Map() };
      this.#sets.set(key, set);
    }
    const list = set.pending.get(name);
    if (list) list.push(value);
    else set.pending.set(name, [value]);
    this.#buffered += 1;
    if (this.#buffered >= this.#flushAtPoints) {
      // emit runs inside the pipeline's steps: a failing log writer must not fail a signing or a broadcast.
      // The batch is dropped (the buffer was emptied first); an explicit flush() reports such a failure.
      try {
        this.#writeAll();
      } catch {
        /* dropped: see above */
      }
    }
  }

  async flush(): Promise<void> {
    this.#writeAll();
  }

  /** Every buffered point, as documents; the buffer is emptied first, so a failing writer never duplicates. */
  #writeAll(): void {
    const sets = [...this.#sets.values()];
    this.#sets.clear();
    this.#buffered = 0;
    const timestamp = Math.floor(this.#clock());
    for (const set of sets) {
      for (const document of documentsOf(set, timestamp)) this.#write(document);
    }
  }
}

/** The documents of one dimension set: chunks of ≤100 metrics with ≤100 values each, in emit order. */
function documentsOf(set: DimensionSet, timestamp: number): string[] {
  const documents: string[] = [];
  const remaining = new Map([...set.pending].map(([name, values]) => [name, [...values]]));
  while (remaining.size > 0) {
    const names = [...remaining.keys()].slice(0, EMF_MAX_METRICS_PER_DIRECTIVE);
    const metricValues: Record<string, number[]> = {};
    for (const name of names) {
      const values = remaining.get(name)!;
      metricValues[name] = values.splice(0, EMF_MAX_VALUES_PER_METRIC);
      if (values.length === 0) remaining.delete(name);
    }
    const root = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[...set.names]],
            Metrics: names.map((name) => ({ Name: name, Unit: METRIC_CATALOGUE[name].unit })),
          },
        ],
      },
      ...set.values,
      ...metricValues,
    };
    documents.push(JSON.stringify(root));
  }
  return documents;
}
