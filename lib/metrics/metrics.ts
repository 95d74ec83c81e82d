/**
 * The Metrics port: what Sigil counts and times, for the CloudWatch dashboard and alarms (docs/operations.md).
 * Every metric Sigil emits is named in METRIC_CATALOGUE with its unit and dimension names; `emit` refuses
 * anything else (a typo must not silently create a metric no dashboard or alarm watches).
 * Adapters: EmfMetrics (CloudWatch embedded metric format, Lambda), MemoryMetrics (tests, the daemon's
 * summary), NO_METRICS. Invariant: a metric carries names, chains and counts — never an id, address or secret
 * (dimensions are low-cardinality by construction: their values come from closed sets or chain codes).
 */
export const METRIC_NAMESPACE = 'Sigil';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface MetricDefinition {
  readonly unit: MetricUnit;
  /** Dimension names, in order; every emit of this metric carries exactly these. */
  readonly dimensions: readonly string[];
  readonly description: string;
}

export const METRIC_CATALOGUE = {
  TransactionsSigned: { unit: 'Count', dimensions: ['Chain'], description: 'transactions signed (ledger SIGNED)' },
  TransactionsFailed: { unit: 'Count', dimensions: ['Chain'], description: 'transactions that ended FAILED' },
  TransactionsRejected: { unit: 'Count', dimensions: ['Chain'], description: 'transactions REJECTED by a cap or the policy' },
  TransactionsBroadcast: { unit: 'Count', dimensions: ['Chain'], description: 'signed transactions accepted by Tatum' },
  ApprovalsDenied: { unit: 'Count', dimensions: ['Chain'], description: 'four-eye denials (retried later)' },
  PolicyDecisions: { unit: 'Count', dimensions: ['Action'], description: 'policy decisions by action (ALLOW, BLOCK, REQUIRE_APPROVAL)' },
  UnusualActivity: { unit: 'Count', dimensions: ['Kind'], description: 'Unusual Activity findings by kind' },
  StepLatency: { unit: 'Milliseconds', dimensions: ['Step', 'Chain'], description: 'time one pipeline step took for one transaction (prepare, approve, sign, broadcast)' },
  KmsCalls: { unit: 'Count', dimensions: ['Operation'], description: 'AWS KMS requests by operation' },
  KmsThrottles: { unit: 'Count', dimensions: ['Operation'], description: 'AWS KMS requests refused with ThrottlingException' },
  TatumCalls: { unit: 'Count', dimensions: ['Outcome'], description: 'Tatum HTTP attempts by outcome (ok, client-error, server-error, network)' },
  TatumThrottled: { unit: 'Count', dimensions: [], description: 'Tatum answers 429 Too Many Requests' },
  PendingBacklog: { unit: 'Count', dimensions: [], description: 'pending transactions Tatum listed in one poll' },
  OldestWorkingAgeSeconds: { unit: 'Seconds', dimensions: [], description: 'age of the oldest ledger record still in a working or retry state, per pass' },
  PassErrors: { unit: 'Count', dimensions: [], description: 'errors in one poll pass (each retried later)' },
  PollerHeartbeat: { unit: 'Count', dimensions: [], description: 'one per completed poll pass' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRIC_CATALOGUE;

/** Dimension values keyed by the metric's dimension names. */
export type MetricDimensions = Readonly<Record<string, string>>;

export interface Metrics {
  /** Record `value` (in the metric's unit) with exactly the metric's dimensions. */
  emit(name: MetricName, value: number, dimensions?: MetricDimensions): void;
  /** Write out what was buffered (EMF: one log line per metric set). Safe to call often. */
  flush(): Promise<void>;
}

/** Throws TypeError when `dimensions` do not name exactly the metric's dimensions, or a value is unfit. */
export function checkMetric(name: MetricName, value: number, dimensions: MetricDimensions = {}): void {
  const definition: MetricDefinition | undefined = METRIC_CATALOGUE[name];
  if (!definition) throw new TypeError(`metric ${String(name)} is not in the catalogue`);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`metric ${name}: value must be a finite number ≥ 0`);
  const given = Object.keys(dimensions).sort();
  const wanted = [...definition.dimensions].sort();
  if (given.length !== wanted.length || given.some((d, i) => d !== wanted[i])) {
    throw new TypeError(`metric ${name} takes dimensions [${wanted.join(', ')}], got [${given.join(', ')}]`);
  }
  for (const [key, text] of Object.entries(dimensions)) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(text)) throw new TypeError(`metric ${name}: dimension ${key} must be 1–64 of A–Z a–z 0–9 _ . : -`);
  }
}

export interface RecordedMetric {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions: MetricDimensions;
}

/** Keeps every data point in memory (tests; the daemon's summary). */
export class MemoryMetrics implements Metrics {
  readonly points: RecordedMetric[] = [];

  emit(name: MetricName, value: number, dimensions: MetricDimensions = {}): void {
    checkMetric(name, value, dimensions);
    this.points.push({ name, value, dimensions: { ...dimensions } });
  }

  async flush(): Promise<void> {}

  /** Sum of the values of `name` whose dimensions include `where`. */
  total(name: MetricName, where: MetricDimensions = {}): number {
    return this.points
      .filter((p) => p.name === name && Object.entries(where).every(([k, v]) => p.dimensions[k] === v))
      .reduce((sum, p) => sum + p.value, 0);
  }
}

/** Discards everything but still checks names and dimensions (so a wrong emit fails in every test). */
export const NO_METRICS: Metrics = {
  emit: (name, value, dimensions) => checkMetric(name, value, dimensions),
  flush: async () => {},
};
