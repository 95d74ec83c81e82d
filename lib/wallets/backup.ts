/**
 * Disaster recovery (docs/backup.md): every wallet's secret sealed to an offline X25519 recipient, the
 * restore of such a backup into any store, and the proof that a backup opens and matches the store.
 *
 * A backup entry's secret is sealed with its public fields as AAD (backupWalletAad), and restore re-derives
 * each public part from the opened secret, so neither a moved secret nor a swapped xpub survives a restore.
 */
import { backupWalletAad, BACKUP_FORMAT, BACKUP_VERSION, type BackupFileV1, type BackupWalletEntry } from '../custody/backup-file.js';
import { openFromRecipient, recipientFingerprint, sealToRecipient } from '../custody/backup.js';
import { wipe } from '../keys/index.js';
import type { WalletRecord } from '../store/wallet-store.js';
import { nowIso, type ProgressListener, type WalletDeps } from './deps.js';
import { failureOf, type IntegrityFailure, type VerifyResult } from './health.js';
import { mergeAll, outcomeOf, sameAsStored, type Candidate, type MergeOutcome } from './merge.js';
import type { ImportReport } from './import-wallet-dat.js';
import { getWalletRecord } from './reveal.js';
import { openRecord, walletEventDetail, type WalletIdentity } from './sealing.js';
import { derivePublicPart } from './wallet-secret.js';
import { problemOf, WalletError } from './wallet-error.js';
import { auditWallet } from './wallet-audit.js';

function publicFieldsOf(record: WalletRecord): Omit<BackupWalletEntry, 'secret'> {
  return {
    signatureId: record.signatureId,
    chain: record.chain,
    network: record.network,
    testnet: record.testnet,
    kind: record.kind,
    ...(record.xpub !== undefined ? { xpub: record.xpub } : { address: record.address! }),
  };
}

function identityOfEntry(entry: BackupWalletEntry): WalletIdentity {
  return {
    signatureId: entry.signatureId,
    chain: entry.chain,
    network: entry.network,
    testnet: entry.testnet,
    kind: entry.kind,
    public: entry.xpub !== undefined ? { xpub: entry.xpub } : { address: entry.address! },
  };
}

/** `backup`: the document of docs/backup.md, every wallet sealed to the recipient. Audited per wallet. */
export async function backup(deps: WalletDeps, recipientPublicKeyPem: string, onProgress?: ProgressListener): Promise<BackupFileV1> {
  const recipient = recipientFingerprint(recipientPublicKeyPem);
  const ids = (await deps.store.listIds()).sort();
  const provider = ids.length > 0 ? await deps.keys() : undefined;
  const wallets: BackupWalletEntry[] = [];
  for (const [i, signatureId] of ids.entries()) {
    const record = await getWalletRecord(deps, signatureId);
    const fields = publicFieldsOf(record);
    const secret = await openRecord(provider!, record);
    try {
      wallets.push({ ...fields, secret: sealToRecipient(recipientPublicKeyPem, secret, backupWalletAad(fields)) });
    } finally {
      wipe(secret);
    }
    onProgress?.(i + 1, ids.length);
  }
  for (const wallet of wallets) await auditWallet(deps, 'secret.revealed', wallet, { action: 'backup', recipient });
  for (const wallet of wallets) await deps.events.emit('Secret Exported', walletEventDetail(wallet, { action: 'backup', recipient }));
  return { format: BACKUP_FORMAT, v: BACKUP_VERSION, createdAt: nowIso(deps), recipient, wallets };
}

/**
 * Open one backup entry and prove its secret derives the entry's public part; the returned secret is the
 * caller's to wipe.
 */
function openEntry(deps: WalletDeps, entry: BackupWalletEntry, privateKeyPem: string): Uint8Array {
  const secret = openFromRecipient(privateKeyPem, entry.secret, backupWalletAad(entry));
  try {
    if (entry.kind !== 'foreign' && !deps.registry.has(entry.chain)) {
      throw new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${entry.signatureId}: chain ${entry.chain} is not in this Sigil's registry`, { signatureId: entry.signatureId });
    }
    const derived = derivePublicPart(entry.kind, secret, entry.chain, entry.network, deps.registry, entry.signatureId);
    if (derived.xpub !== entry.xpub || derived.address !== entry.address) {
      throw new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${entry.signatureId}: the backed-up secret derives another ${entry.kind === 'mnemonic' ? 'xpub' : 'address'} than the backup lists`, {
        signatureId: entry.signatureId,
      });
    }
    return secret;
  } catch (error) {
    wipe(secret);
    throw error;
  }
}

/** `restore`: every wallet of the backup sealed back into this store under its signatureId; all or nothing, idempotent. */
export async function restore(deps: WalletDeps, document: BackupFileV1, privateKeyPem: string, onProgress?: ProgressListener): Promise<ImportReport> {
  const failed: MergeOutcome[] = [];
  const candidates: Candidate[] = [];
  try {
    for (const entry of document.wallets) {
      const identity = identityOfEntry(entry);
      try {
        candidates.push({ identity, secret: openEntry(deps, entry, privateKeyPem) });
      } catch (error) {
        failed.push(outcomeOf(deps, identity, 'error', problemOf(error)));
      }
    }
    return await mergeAll(deps, document.wallets.map((entry) => entry.signatureId), candidates, failed, 'restore', onProgress);
  } finally {
    for (const candidate of candidates) wipe(candidate.secret);
  }
}

/**
 * `verify --backup`: every backup entry opens with the private key, derives its listed public part and
 * equals the store's wallet; every store wallet is in the backup. Failures are listed, each with an
 * `Integrity Check Failed` event.
 */
export async function verifyBackup(deps: WalletDeps, document: BackupFileV1, privateKeyPem: string, onProgress?: ProgressListener): Promise<VerifyResult> {
  const failures: IntegrityFailure[] = [];
  const inBackup = new Set<string>();
  const storeIds = (await deps.store.listIds()).sort();
  const total = document.wallets.length;
  for (const [i, entry] of document.wallets.entries()) {
    inBackup.add(entry.signatureId);
    let secret: Uint8Array | undefined;
    try {
      secret = openEntry(deps, entry, privateKeyPem);
      const record = await deps.store.get(entry.signatureId);
      if (!record) throw new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${entry.signatureId} is in the backup but not in this store`, { signatureId: entry.signatureId });
      if (!(await sameAsStored(await deps.keys(), record, { identity: identityOfEntry(entry), secret }))) {
        throw new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${entry.signatureId}: the store's wallet differs from the backup's (public fields or secret)`, { signatureId: entry.signatureId });
      }
    } catch (error) {
      failures.push(failureOf(entry.signatureId, entry.chain, error));
    } finally {
      wipe(secret);
    }
    onProgress?.(i + 1, total);
  }
  for (const signatureId of storeIds) {
    if (!inBackup.has(signatureId)) {
      failures.push(failureOf(signatureId, undefined, new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${signatureId} is in this store but not in the backup`, { signatureId })));
    }
  }
  for (const failure of failures) {
    await deps.events.emit('Integrity Check Failed', { signatureId: failure.signatureId, code: failure.code, scope: 'backup' });
  }
  const checked = new Set([...inBackup, ...storeIds]).size;
  return { checked, ok: checked - failures.length, failures };
}
