/**
 * What the pipeline tells the audit trail and the metrics about one transaction. Audit entries are awaited.
 * `tx.policy` is written before the step acts on the decision, so a failed write stops the step and a later pass
 * decides (and records) again. Every other entry is written after the ledger transition it describes: if that
 * write fails (or the process dies between the two), the step reports the error but the transition stands and
 * the trail lacks that one entry; the ledger still holds the state (docs/audit.md, docs/operations.md).
 */
import type { AuditAction } from '../audit/audit-trail.js';
import { NO_METRICS, type MetricDimensions, type MetricName, type Metrics } from '../metrics/metrics.js';
import type { PolicyDecision } from '../policy/evaluate.js';
import type { PipelineDeps } from './deps.js';

type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

/** Append `action` to the pending transaction's audit stream. */
export async function auditTx(deps: PipelineDeps, pendingId: string, action: AuditAction, detail: AuditDetail): Promise<void> {
  await deps.audit?.record({ stream: { kind: 'tx', id: pendingId }, action, actor: deps.owner, detail });
}

/** A policy decision of `step` (prepare, approve, sign, replace): its metric and its `tx.policy` audit entry. */
export async function recordDecision(deps: PipelineDeps, pendingId: string, step: string, decision: PolicyDecision): Promise<void> {
  countMetric(deps, 'PolicyDecisions', { Action: decision.action });
  await auditTx(deps, pendingId, 'tx.policy', { step, action: decision.action, rule: decision.rule, reason: decision.reason });
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
