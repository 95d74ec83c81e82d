/**
 * The wallet service: every wallet operation of the `sigil` CLI, over injected ports (deps.ts), usable
 * from the CLI now and a Lambda later. `walletService(deps)` binds the operations to one set of ports.
 */
import type { BackupFileV1 } from '../custody/backup-file.js';
import type { RewrappableKeyProvider } from '../custody/rewrappable-key-provider.js';
import type { WalletDatEntry } from '../migration/tatum-wallet-dat.js';
import type { ProgressListener, WalletDeps } from './deps.js';
import { createMnemonicWallet, generatePrivateKeyBatch, storeMnemonicWallet, storePrivateKeyWallet, type KeyWalletResult } from './create.js';
import { addressAt, exportAll, privateKeyAt, revealWallet } from './reveal.js';
import { removeWallet, report, verifyAll } from './health.js';
import { importWalletDat } from './import-wallet-dat.js';
import { backup, restore, verifyBackup } from './backup.js';
import { rotate } from './rotate.js';

export type { WalletDeps, ProgressListener } from './deps.js';
export type { MnemonicWalletResult, KeyWalletResult } from './create.js';
export type { WalletHealth, VerifyResult, IntegrityFailure } from './health.js';
export type { ImportReport } from './import-wallet-dat.js';
export type { MergeOutcome, MergeStatus } from './merge.js';
export type { RotateResult } from './rotate.js';
export type { TatumEntry } from './wallet-secret.js';
export { WalletError, type WalletErrorCode } from './wallet-error.js';
export { checkSignatureId } from './reveal.js';
export { parseBackupDocument } from './backup-document.js';
export { MAX_BATCH_COUNT, randomPrivateKey } from './create.js';
export { isUnderKey } from './rotate.js';

export function walletService(deps: WalletDeps) {
  return {
    createMnemonicWallet: (chain: string, network: string) => createMnemonicWallet(deps, chain, network),
    storeMnemonicWallet: (mnemonic: Uint8Array, chain: string, network: string) => storeMnemonicWallet(deps, mnemonic, chain, network),
    storePrivateKeyWallet: (keyText: Uint8Array, chain: string, network: string) => storePrivateKeyWallet(deps, keyText, chain, network),
    generatePrivateKeyBatch: (chain: string, network: string, count: number, onEach?: (result: KeyWalletResult, done: number, total: number) => void) =>
      generatePrivateKeyBatch(deps, chain, network, count, onEach),
    revealWallet: (signatureId: string) => revealWallet(deps, signatureId),
    privateKeyAt: (signatureId: string, index: number) => privateKeyAt(deps, signatureId, index),
    addressAt: (signatureId: string, index: number) => addressAt(deps, signatureId, index),
    removeWallet: (signatureId: string) => removeWallet(deps, signatureId),
    exportAll: () => exportAll(deps),
    report: (signatureIds: readonly string[]) => report(deps, signatureIds),
    verifyAll: (onProgress?: ProgressListener) => verifyAll(deps, onProgress),
    importWalletDat: (entries: ReadonlyMap<string, WalletDatEntry>, onProgress?: ProgressListener) => importWalletDat(deps, entries, onProgress),
    backup: (recipientPublicKeyPem: string, onProgress?: ProgressListener) => backup(deps, recipientPublicKeyPem, onProgress),
    restore: (document: BackupFileV1, recipientPrivateKeyPem: string, onProgress?: ProgressListener) => restore(deps, document, recipientPrivateKeyPem, onProgress),
    verifyBackup: (document: BackupFileV1, recipientPrivateKeyPem: string, onProgress?: ProgressListener) => verifyBackup(deps, document, recipientPrivateKeyPem, onProgress),
    rotate: (to: RewrappableKeyProvider, onProgress?: ProgressListener) => rotate(deps, to, onProgress),
  };
}

export type WalletService = ReturnType<typeof walletService>;
