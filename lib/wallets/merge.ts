/**
 * Bringing wallets from elsewhere (a wallet.dat import, a backup restore) into the store under their
 * original signatureIds, all or nothing and idempotent:
 *
 * 1. plan: each candidate whose id is new is sealed into a record; one whose id exists is opened and
 *    compared — same kind, chain, network, public part and secret → `unchanged`, anything else → `error`
 *    (the same id with other content is never overwritten);
 * 2. commit, only when no candidate failed: every new record in one `putMany` (all or nothing; a record
 *    another process wrote meanwhile makes it fail whole), then one `Wallet Created` event per record.
 */
import type { KeyProvider } from '../custody/key-provider.js';
import { wipe } from '../keys/index.js';
import type { WalletKind, WalletRecord } from '../store/wallet-store.js';
import type { ProgressListener, WalletDeps } from './deps.js';
import { openRecord, sealRecord, walletEventDetail, type WalletIdentity } from './sealing.js';
import { sameSecret, samePublicPart } from './wallet-secret.js';
import { problemOf } from './wallet-error.js';
import { auditWallet } from './wallet-audit.js';

export interface Candidate {
  readonly identity: WalletIdentity;
  /** The caller's; wiped by the caller after planMerge. */
  readonly secret: Uint8Array;
}

/** `skipped`: would have been created, but another entry failed, so nothing was written. */
export type MergeStatus = 'created' | 'unchanged' | 'skipped' | 'error';

/** One line of an import or restore report. */
export interface MergeOutcome {
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  readonly kind?: WalletKind;
  /** Whether Sigil can sign this wallet's transactions (false: stored, listed, but not signable yet). */
  readonly signable: boolean;
  readonly status: MergeStatus;
  /** Why the entry failed (secret-free). */
  readonly problem?: string;
}

export interface MergePlan {
  readonly outcomes: MergeOutcome[];
  readonly records: WalletRecord[];
}

function signableOf(deps: WalletDeps, identity: WalletIdentity): boolean {
  if (identity.kind === 'foreign') return false;
  try {
    return deps.registry.resolve(identity.chain, identity.network).signable;
  } catch {
    return false;
  }
}

export function outcomeOf(deps: WalletDeps, identity: WalletIdentity, status: MergeStatus, problem?: string): MergeOutcome {
  return {
    signatureId: identity.signatureId,
    chain: identity.chain,
    network: identity.network,
    kind: identity.kind,
    signable: signableOf(deps, identity),
    status,
    ...(problem !== undefined ? { problem } : {}),
  };
}

/** Whether a stored record holds exactly the candidate: kind, chain, network, public part and secret. */
export async function sameAsStored(provider: KeyProvider, existing: WalletRecord, candidate: Candidate): Promise<boolean> {
  const { identity } = candidate;
  if (existing.kind !== identity.kind || existing.chain !== identity.chain || existing.network !== identity.network || !samePublicPart(existing, identity.public)) {
    return false;
  }
  const stored = await openRecord(provider, existing);
  try {
    return sameSecret(stored, candidate.secret);
  } finally {
    wipe(stored);
  }
}

/** The report lines once the merge is decided: when anything failed, nothing is written and `created` becomes `skipped`. */
export function settleOutcomes(outcomes: readonly MergeOutcome[]): { outcomes: MergeOutcome[]; failed: number } {
  const failed = outcomes.filter((outcome) => outcome.status === 'error').length;
  return {
    outcomes: outcomes.map((outcome) => (failed > 0 && outcome.status === 'created' ? { ...outcome, status: 'skipped' } : outcome)),
    failed,
  };
}

export async function planMerge(deps: WalletDeps, provider: KeyProvider, candidates: readonly Candidate[], onProgress?: ProgressListener): Promise<MergePlan> {
  const outcomes: MergeOutcome[] = [];
  const records: WalletRecord[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const { identity } = candidate;
    try {
      const existing = await deps.store.get(identity.signatureId);
      if (!existing) {
        records.push(await sealRecord(deps, provider, identity, candidate.secret));
        outcomes.push(outcomeOf(deps, identity, 'created'));
      } else if (await sameAsStored(provider, existing, candidate)) {
        outcomes.push(outcomeOf(deps, identity, 'unchanged'));
      } else {
        outcomes.push(outcomeOf(deps, identity, 'error', `wallet ${identity.signatureId} already exists in this store with different content; it is never overwritten`));
      }
    } catch (error) {
      outcomes.push(outcomeOf(deps, identity, 'error', problemOf(error)));
    }
    onProgress?.(i + 1, candidates.length);
  }
  return { outcomes, records };
}

/** Write the planned records at once and announce them. */
export async function commitMerge(deps: WalletDeps, records: readonly WalletRecord[], source: string): Promise<void> {
  if (records.length === 0) return;
  const results = await deps.store.putMany(records);
  for (const [i, record] of records.entries()) {
    if (results[i] !== 'created') continue;
    await auditWallet(deps, 'wallet.created', record, { source });
    await deps.events.emit('Wallet Created', walletEventDetail(record, { source }));
  }
}

/** The report of an import or restore. */
export interface MergeReport {
  readonly entries: readonly MergeOutcome[];
  readonly created: number;
  readonly unchanged: number;
  readonly failed: number;
  /** Whether the new records were written (false when any entry failed: nothing was). */
  readonly written: boolean;
}

/**
 * Plan the candidates, and commit them only if neither they nor the entries that already `failed`
 * before planning have an error. `order` lists every entry's signatureId, in the report's order.
 */
export async function mergeAll(
  deps: WalletDeps,
  order: readonly string[],
  candidates: readonly Candidate[],
  failed: readonly MergeOutcome[],
  source: string,
  onProgress?: ProgressListener,
): Promise<MergeReport> {
  const plan = candidates.length > 0 ? await planMerge(deps, await deps.keys(), candidates, onProgress) : { outcomes: [], records: [] };
  const byId = new Map([...plan.outcomes, ...failed].map((outcome) => [outcome.signatureId, outcome]));
  const { outcomes, failed: failures } = settleOutcomes(order.map((id) => byId.get(id)!));
  if (failures === 0) await commitMerge(deps, plan.records, source);
  return {
    entries: outcomes,
    created: outcomes.filter((o) => o.status === 'created').length,
    unchanged: outcomes.filter((o) => o.status === 'unchanged').length,
    failed: failures,
    written: failures === 0,
  };
}
