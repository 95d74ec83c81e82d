/**
 * What both WalletStore adapters check before writing, so that they behave identically: a record to
 * store passes the same schema as a record read back (nothing is written that a later read would call
 * corrupt), and a batch is planned once — repeats of one signatureId collapse to one write.
 */
import { InvalidInputError } from '../errors.js';
import type { ChainRegistry } from '../chains/registry.js';
import type { Envelope } from '../custody/envelope-types.js';
import type { WalletRecord } from './wallet-store.js';
import { parseWalletRecord, walletRecordsEqual } from './record-codec.js';
import { StoreError, WalletConflictError } from './store-error.js';

export type PutResult = 'created' | 'unchanged';

/** The caller's record, re-parsed; a bad one is the caller's input error, not a corrupt store. */
export function checkRecordToStore(record: WalletRecord, registry?: Pick<ChainRegistry, 'has'>): WalletRecord {
  try {
    return parseWalletRecord(record, { origin: 'record to store', ...(registry ? { registry } : {}) });
  } catch (error) {
    if (error instanceof StoreError) throw new InvalidInputError(error.message, error.context, { cause: error });
    throw error;
  }
}

/** An envelope for replaceSealed, checked by the record schema. */
export function checkEnvelopeToStore(current: WalletRecord, sealed: Envelope, registry?: Pick<ChainRegistry, 'has'>): WalletRecord {
  return checkRecordToStore({ ...current, sealed, version: current.version + 1 }, registry);
}

export function checkExpectedVersion(expectedVersion: number): void {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
    throw new InvalidInputError(`expectedVersion must be an integer ≥ 1, got ${String(expectedVersion)}`, { expectedVersion });
  }
}

export interface BatchPlan {
  /** Distinct records, in first-seen order. */
  readonly unique: readonly WalletRecord[];
  /** For each input position, its record's position in `unique`. */
  readonly slot: readonly number[];
  /** Input positions that repeat an earlier identical record (reported 'unchanged'). */
  readonly repeats: ReadonlySet<number>;
}

/**
 * Validate a batch and collapse repeats. Two different records under one signatureId are a conflict
 * before anything is written (DynamoDB would also refuse two writes to one item in one transaction).
 */
export function planBatch(records: readonly WalletRecord[], registry?: Pick<ChainRegistry, 'has'>): BatchPlan {
  const unique: WalletRecord[] = [];
  const slot: number[] = [];
  const repeats = new Set<number>();
  const seen = new Map<string, number>();
  records.forEach((input, position) => {
    const record = checkRecordToStore(input, registry);
    const earlier = seen.get(record.signatureId);
    if (earlier === undefined) {
      seen.set(record.signatureId, unique.length);
      slot.push(unique.length);
      unique.push(record);
      return;
    }
    if (!walletRecordsEqual(unique[earlier]!, record)) {
      throw new WalletConflictError(record.signatureId, `batch holds two different records for wallet ${record.signatureId}; nothing was written`, {
        position,
      });
    }
    slot.push(earlier);
    repeats.add(position);
  });
  return { unique, slot, repeats };
}

/** Statuses per input position from statuses per unique record. */
export function expandBatchResults(plan: BatchPlan, uniqueResults: readonly PutResult[]): PutResult[] {
  return plan.slot.map((k, position) => (plan.repeats.has(position) ? 'unchanged' : uniqueResults[k]!));
}

export function conflictMessage(signatureId: string, batch: boolean): string {
  return `wallet ${signatureId} already exists with different content; nothing was overwritten${batch ? ' and nothing of this batch was written' : ''}`;
}
