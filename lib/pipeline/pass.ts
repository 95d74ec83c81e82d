/**
 * One pass of the pipeline (ARCHITECTURE §data flow), the same in `sigil daemon` and the `poll` Lambda:
 * poll Tatum for the chains that have wallets here → claim each pending tx in the ledger → advance it
 * (prepare, approve; in the daemon also sign and broadcast) → resume what stopped making progress → report
 * failures once → heartbeat. Transactions are worked on with bounded concurrency; one bad transaction never
 * stops the others, and an error leaves the ledger in a state from which a later pass finishes the job.
 */
import type { ChainNetwork } from '../chains/registry.js';
import { SigilError, UnsupportedChainError } from '../errors.js';
import { SIGNED_STATES, WORKING_STATES, type LedgerRecord } from '../store/ledger.js';
import { parsePendingTransaction, type PendingTransaction } from '../tatum/pending-transaction.js';
import { advanceClaimed, type Outcome, type PassMode } from './advance.js';
import { settleSigned } from './broadcast.js';
import type { PipelineDeps } from './deps.js';
import { auditTx, countMetric } from './observe.js';
import { reportFailures } from './report.js';

const MAX_ERROR_LINES = 100;

export interface PassFilters {
  /** Chain codes to poll (`--chain`); default every signable chain. */
  readonly chains?: readonly string[];
  /** Only these wallets' signature ids (`--wallets`). */
  readonly wallets?: readonly string[];
  /** Only these pending ids (`--transactionIds`). */
  readonly transactionIds?: readonly string[];
}

export interface PassSummary {
  readonly chainsPolled: string[];
  readonly pending: number;
  readonly outcomes: Partial<Record<Outcome | 'error', number>>;
  readonly resumed: number;
  readonly reported: number;
  /** One line per transaction that hit an unexpected error (retried on a later pass); the first 100. */
  readonly errors: string[];
  /** How many errors there were in all. */
  readonly errorCount: number;
}

/** Run `work` over `items`, at most `limit` at a time. */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

function describe(error: unknown): string {
  return error instanceof SigilError ? `${error.code}: ${error.message}` : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
}

function chainsToPoll(deps: PipelineDeps, filters: PassFilters): ChainNetwork[] {
  const codes = filters.chains ?? deps.registry.codes();
  const chains: ChainNetwork[] = [];
  for (const code of codes) {
    try {
      const chain = deps.registry.resolve(code, deps.config.network);
      if (chain.signable) chains.push(chain);
    } catch (error) {
      if (!(error instanceof UnsupportedChainError) || filters.chains) throw error;
    }
  }
  return chains;
}

async function pollChain(deps: PipelineDeps, chain: ChainNetwork, filters: PassFilters): Promise<PendingTransaction[] | null> {
  let ids = await deps.wallets.listIds({ chain: chain.chain, network: chain.network });
  if (filters.wallets) {
    const wanted = new Set(filters.wallets);
    ids = ids.filter((id) => wanted.has(id));
  }
  if (ids.length === 0) return null; // only chains that have wallets are polled
  const batch = await deps.tatum.pendingTransactions(chain.chain, ids);
  for (const bad of batch.rejected) {
    if (bad.id === null) continue;
    const claim = await deps.ledger.claim({ id: bad.id, chain: chain.chain, network: chain.network, pending: JSON.stringify({ id: bad.id }) }, deps.owner, deps.now(), deps.config.leaseMs);
    if (claim.outcome === 'claimed') {
      const reason = `Tatum sent a malformed pending transaction (${bad.field}: ${bad.reason})`;
      await deps.ledger.markFailed(bad.id, claim.record.fence, reason);
      await deps.events.emit('Transaction Failed', { pendingId: bad.id, chain: chain.chain, reason });
    }
  }
  const ours = new Set(ids);
  const onlyIds = filters.transactionIds ? new Set(filters.transactionIds) : null;
  // A pending tx that already carries a txId is completed at Tatum: never claim it again (its ledger record may
  // have expired, and a fresh claim would sign it anew).
  return batch.transactions.filter(
    (tx) => tx.txId === null && (!onlyIds || onlyIds.has(tx.id)) && [...tx.hashes, ...(tx.signatures ?? []).map((s) => s.id)].some((id) => ours.has(id)),
  );
}

async function handlePending(deps: PipelineDeps, pending: PendingTransaction, chain: ChainNetwork, mode: PassMode, backlog: { oldest: number }): Promise<Outcome> {
  const claim = await deps.ledger.claim({ id: pending.id, chain: chain.chain, network: chain.network, pending: JSON.stringify(pending) }, deps.owner, deps.now(), deps.config.leaseMs);
  backlog.oldest = Math.min(backlog.oldest, claim.record.createdAt);
  if (claim.outcome === 'claimed') await auditTx(deps, pending.id, 'tx.claimed', { state: claim.record.state, fence: claim.record.fence });
  if (claim.outcome === 'skip') {
    const { record } = claim;
    if (mode === 'all' && (record.state === 'SIGNED' || record.state === 'BROADCAST_UNKNOWN')) await settleSigned(deps, record);
    return 'skipped';
  }
  return advanceClaimed(deps, claim.record, pending, chain, mode);
}

/** Resume a record that stopped making progress (expired lease, denial due, signed but unsettled). */
async function resume(deps: PipelineDeps, record: LedgerRecord, mode: PassMode): Promise<void> {
  const chain = deps.registry.resolve(record.chain, record.network);
  if (SIGNED_STATES.includes(record.state)) {
    if (mode === 'all') await settleSigned(deps, record);
    else if (record.state === 'SIGNED') await deps.events.emit('Transaction Signed', { pendingId: record.id, chain: record.chain, network: record.network, hash: record.hash ?? '' });
    return;
  }
  if (!WORKING_STATES.includes(record.state) && record.state !== 'APPROVAL_DENIED') return;
  // An APPROVED record whose lease was released was handed to the signer moments ago (maybe in this very
  // pass): re-announce it only once it has sat there for a while.
  if (record.state === 'APPROVED' && mode === 'approve' && deps.now() - record.updatedAt < deps.config.settleAfterMs) return;
  const claim = await deps.ledger.claim(record, deps.owner, deps.now(), deps.config.leaseMs);
  if (claim.outcome !== 'claimed') return;
  await auditTx(deps, record.id, 'tx.claimed', { state: claim.record.state, fence: claim.record.fence, resumed: true });
  await advanceClaimed(deps, claim.record, parsePendingTransaction(JSON.parse(claim.record.pending)), chain, mode);
}

export async function runPass(deps: PipelineDeps, filters: PassFilters, mode: PassMode): Promise<PassSummary> {
  const outcomes: Partial<Record<Outcome | 'error', number>> = {};
  const errors: string[] = [];
  const count = (key: Outcome | 'error') => (outcomes[key] = (outcomes[key] ?? 0) + 1);
  const chainsPolled: string[] = [];
  let pendingCount = 0;
  const backlog = { oldest: deps.now() };

  for (const chain of chainsToPoll(deps, filters)) {
    let pending: PendingTransaction[] | null;
    try {
      pending = await pollChain(deps, chain, filters);
    } catch (error) {
      errors.push(`poll ${chain.chain}: ${describe(error)}`);
      continue;
    }
    if (pending === null) continue;
    chainsPolled.push(chain.chain);
    pendingCount += pending.length;
    await forEachBounded(pending, deps.config.concurrency, async (tx) => {
      try {
        count(await handlePending(deps, tx, chain, mode, backlog));
      } catch (error) {
        count('error');
        errors.push(`${tx.id}: ${describe(error)}`);
      }
    });
  }

  let resumed = 0;
  if (!filters.transactionIds) {
    const stale = await deps.ledger.listStale(deps.now(), { settleAfterMs: deps.config.settleAfterMs }).catch((error) => (errors.push(`stale: ${describe(error)}`), []));
    await forEachBounded(stale, deps.config.concurrency, async (record) => {
      try {
        await resume(deps, record, mode);
        resumed++;
      } catch (error) {
        errors.push(`${record.id}: ${describe(error)}`);
      }
    });
  }

  const reported = await reportFailures(deps).catch((error) => (errors.push(`report: ${describe(error)}`), 0));
  // Backlog: what Tatum still lists as pending, and how long the oldest of it has been in the ledger.
  countMetric(deps, 'PendingBacklog', {}, pendingCount);
  countMetric(deps, 'OldestWorkingAgeSeconds', {}, Math.max(0, Math.round((deps.now() - backlog.oldest) / 1000)));
  countMetric(deps, 'PassErrors', {}, errors.length);
  countMetric(deps, 'PollerHeartbeat');
  await deps.events
    .emit('Poller Heartbeat', { network: deps.config.network, chains: chainsPolled, pending: pendingCount, resumed, reported, errors: errors.length })
    .catch(() => undefined);
  return { chainsPolled, pending: pendingCount, outcomes, resumed, reported, errors: errors.slice(0, MAX_ERROR_LINES), errorCount: errors.length };
}
