/**
 * What the pipeline tells the audit trail and the metrics about one transaction. Audit entries are written
 * after the ledger transition they describe and are awaited: an audit store that fails makes the step fail
 * (retried by a later pass), so the trail is never silently skipped while the store is down. The gap this
 * leaves is a process that dies between the two writes: the ledger holds the state, the trail lacks that one
 * entry (docs/operations.md, "audit").
 */
import type { AuditAction } from '../audit/audit-trail.js';
import { NO_METRICS, type MetricDimensions, type MetricName, type Metrics } from '../metrics/metrics.js';
import type { PipelineDeps } from './deps.js';

type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

/** Append `action` to the pending transaction's audit stream. */
export async function auditTx(deps: PipelineDeps, pendingId: string, action: AuditAction, detail: AuditDetail): Promise<void> {
  await deps.audit?.record({ stream: { kind: 'tx', id: pendingId }, action, actor: deps.owner, detail });
}

export function metricsOf(deps: PipelineDeps): Metrics {
  return deps.metrics ?? NO_METRICS;
}

export function countMetric(deps: PipelineDeps, name: MetricName, dimensions: MetricDimensions = {}, value = 1): void {
  metricsOf(deps).emit(name, value, dimensions);
}

/** Run `step` and record its latency (also when it throws). */
export async function timed<T>(deps: PipelineDeps, step: string, chain: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    metricsOf(deps).emit('StepLatency', Math.round(performance.now() - started), { Step: step, Chain: chain });
  }
}
