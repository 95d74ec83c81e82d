/**
 * `sigil daemon`: the pass of pass.ts on a schedule, in one process, over whatever adapters it is given.
 * A stop signal (SIGTERM / Ctrl-C) never cuts a pass short: the pass in flight finishes its transactions (so
 * no lease is left held by work that was abandoned), then the loop ends and every opened secret is wiped.
 */
import type { PipelineDeps } from './deps.js';
import { runPass, type PassFilters, type PassSummary } from './pass.js';

export interface DaemonOptions {
  readonly periodMs: number;
  readonly runOnce: boolean;
  readonly filters: PassFilters;
  /** Aborted → finish the current pass, then return. */
  readonly signal: AbortSignal;
  readonly onPass?: (summary: PassSummary) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Run passes until `runOnce` or the signal; returns the summaries of every pass. */
export async function runDaemon(deps: PipelineDeps, options: DaemonOptions): Promise<PassSummary[]> {
  const summaries: PassSummary[] = [];
  try {
    do {
      const started = deps.now();
      const summary = await runPass(deps, options.filters, 'all');
      summaries.push(summary);
      options.onPass?.(summary);
      if (options.runOnce || options.signal.aborted) break;
      await sleep(Math.max(0, options.periodMs - (deps.now() - started)), options.signal);
    } while (!options.signal.aborted);
  } finally {
    deps.openedWallets.clear();
  }
  return summaries;
}
