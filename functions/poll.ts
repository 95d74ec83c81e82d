/**
 * `poll` (EventBridge schedule; no VPC; cannot decrypt): poll → claim → prepare → approve, then
 * "Pending Transaction Approved" hands each approved tx to the signer's queue. With SIGIL_POLL_PERIOD_SECONDS
 * set it polls again every period until shortly before its timeout, so a 1-minute schedule reacts in seconds.
 */
import { runPass } from '../lib/pipeline/pass.js';
import { runtime, withMetrics } from './runtime.js';

interface LambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export async function handler(_event: unknown, context: LambdaContext) {
  return withMetrics(() => pollFor(context));
}

async function pollFor(context: LambdaContext) {
  const { config, deps } = runtime();
  const periodMs = config.pollPeriodMs;
  const pipeline = await deps(`poll:${context.awsRequestId}`);
  const summaries = [];
  do {
    const started = Date.now();
    summaries.push(await runPass(pipeline, {}, 'approve'));
    const wait = periodMs - (Date.now() - started);
    // Stop with room to spare: a pass in flight when the function times out would leave leases held.
    if (periodMs <= 0 || context.getRemainingTimeInMillis() < wait + config.leaseMs / 10 + 15_000) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  } while (true);
  return { passes: summaries.length, errors: summaries.reduce((n, s) => n + s.errorCount, 0) };
}
