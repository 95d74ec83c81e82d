/**
 * `rotate`: re-wrap every envelope's data key under another key (a new password, key file or KMS key)
 * without touching the sealed secrets (lib/custody/rewrap.ts). Each record is swapped with
 * `replaceSealed`, conditional on the version read, so a concurrent change is never overwritten.
 *
 * Resumable: a record already under the target key is skipped, so an interrupted rotation is finished
 * by running it again with the same target (the CLI keeps the target in the store's settings meanwhile).
 */
import type { KeyProvider } from '../custody/key-provider.js';
import type { RewrappableKeyProvider } from '../custody/rewrappable-key-provider.js';
import { rewrapEnvelope } from '../custody/rewrap.js';
import type { WalletRecord } from '../store/wallet-store.js';
import type { ProgressListener, WalletDeps } from './deps.js';
import { getWalletRecord } from './reveal.js';
import { recordContext } from './sealing.js';

export interface RotateResult {
  readonly rewrapped: number;
  /** Already under the target key (a resumed rotation). */
  readonly skipped: number;
}

/** Whether `record` is sealed under the target: same provider kind and the same key id (a key ARN for KMS). */
export function isUnderKey(record: WalletRecord, to: KeyProvider): boolean {
  return record.sealed.provider === to.kind && record.sealed.keyId === to.keyId;
}

/**
 * Rotate every wallet from the store's current key (`deps.keys()`, asked for only if a record needs it)
 * to `to`. A failure stops the rotation at that wallet; those before it are under `to`, the rest under
 * the old key: run it again.
 */
export async function rotate(deps: WalletDeps, to: RewrappableKeyProvider, onProgress?: ProgressListener): Promise<RotateResult> {
  const ids = (await deps.store.listIds()).sort();
  let rewrapped = 0;
  let skipped = 0;
  let from: KeyProvider | undefined;
  for (const [i, signatureId] of ids.entries()) {
    const record = await getWalletRecord(deps, signatureId);
    if (isUnderKey(record, to)) {
      skipped++;
    } else {
      from ??= await deps.keys();
      const sealed = await rewrapEnvelope(record.sealed, recordContext(record), from, to);
      await deps.store.replaceSealed(record.signatureId, record.version, sealed);
      rewrapped++;
    }
    onProgress?.(i + 1, ids.length);
  }
  return { rewrapped, skipped };
}
