/**
 * After the policy lets a transaction through, and before it is marked APPROVED: its entry in each signing
 * wallet's activity history (what velocity rules and unusual-activity detection read), then the unusual-activity
 * findings, each an `Unusual Activity` event (an alert, never a block: blocking is the policy's job).
 * Recording is idempotent per (wallet, pendingId), so an approve step retried after a crash records nothing
 * twice; the first-time-destination finding of a retried step may be lost (the first run recorded it).
 * A transaction with several signing wallets (UTXO) counts its whole amount against each of them.
 */
import { destinationsOf, type PolicyInput } from '../policy/policy-input.js';
import { detectUnusual, historyWindowMs } from '../policy/unusual.js';
import type { LedgerRecord } from '../store/ledger.js';
import type { ActivityEntry } from '../store/wallet-activity.js';
import type { PipelineDeps } from './deps.js';
import { countMetric } from './observe.js';

export async function noteActivity(deps: PipelineDeps, record: LedgerRecord, input: PolicyInput): Promise<void> {
  const activity = deps.activity;
  if (!activity) return;
  const now = deps.now();
  const amount = input.outputs.reduce((sum, o) => sum + o.amount, 0n).toString();
  const destinations = destinationsOf(input);
  const unusual = deps.policy?.unusual;
  const history: ActivityEntry[] = [];
  const firstTime = new Set<string>();
  for (const wallet of input.wallets) {
    // History is read before this tx is recorded (and excludes it anyway), so a retried step sees the same.
    if (unusual) history.push(...(await activity.since(wallet, now - historyWindowMs(unusual), { excludePendingId: record.id })));
    const recorded = await activity.record({ wallet, pendingId: record.id, chain: record.chain, at: now, amount, destinations });
    for (const destination of recorded.firstTimeDestinations) firstTime.add(destination);
  }
  for (const finding of detectUnusual(unusual, input, { history, firstTimeDestinations: [...firstTime], now: new Date(now), excludePendingId: record.id })) {
    countMetric(deps, 'UnusualActivity', { Kind: finding.kind });
    await deps.events.emit('Unusual Activity', { pendingId: record.id, chain: record.chain, wallet: finding.wallet, kind: finding.kind, reason: finding.reason });
  }
}
