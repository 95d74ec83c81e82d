/**
 * Removing wallets, the health report (`report`) and the recovery drill (`verify`).
 *
 * `report` reads public records only: no password, no KMS call, no audit event — a debugging aid that
 * can run anywhere. `verify` opens every secret, re-derives its xpub or address and compares it with the
 * record: the proof that the store can still sign, and the check that finds a replaced xpub.
 */
import { SigilError } from '../errors.js';
import { normalizeMnemonic, parseXpub, wipe } from '../keys/index.js';
import type { WalletKind, WalletRecord } from '../store/wallet-store.js';
import type { ProgressListener, WalletDeps } from './deps.js';
import { checkSignatureId, getWalletRecord } from './reveal.js';
import { openRecord, walletEventDetail } from './sealing.js';
import { derivePublicPart, sameSecret, samePublicPart } from './wallet-secret.js';
import type { KeyProvider } from '../custody/key-provider.js';
import { problemOf, unknownWallet, WalletError } from './wallet-error.js';
import { auditWallet } from './wallet-audit.js';

/** `removewallet`: deletes the record (its sealed secret with it) and emits `Wallet Removed`. */
export async function removeWallet(deps: WalletDeps, signatureId: string): Promise<void> {
  const record = await getWalletRecord(deps, signatureId);
  if (!(await deps.store.remove(record.signatureId))) throw unknownWallet(record.signatureId);
  await auditWallet(deps, 'wallet.removed', record);
  await deps.events.emit('Wallet Removed', walletEventDetail(record));
}

export interface WalletHealth {
  readonly signatureId: string;
  readonly exists: boolean;
  readonly chain?: string;
  readonly network?: string;
  readonly testnet?: boolean;
  readonly kind?: WalletKind;
  /** Whether Sigil can sign this wallet's transactions. */
  readonly signable?: boolean;
  readonly sealedWith?: { readonly provider: string; readonly keyId: string };
  readonly warnings: readonly string[];
}

function healthOf(deps: WalletDeps, record: WalletRecord): WalletHealth {
  const warnings: string[] = [];
  let signable = false;
  if (record.kind === 'foreign') {
    warnings.push(`imported as non-signable: Sigil cannot sign ${record.chain} yet; the entry is kept sealed as it was`);
  } else {
    try {
      const params = deps.registry.resolve(record.chain, record.network);
      signable = params.signable;
      if (!signable) warnings.push(`Sigil derives ${record.chain} keys and addresses but cannot sign ${record.chain} transactions yet`);
      if (record.kind === 'mnemonic') parseXpub(record.xpub!, params);
    } catch (error) {
      warnings.push(problemOf(error));
    }
  }
  return {
    signatureId: record.signatureId,
    exists: true,
    chain: record.chain,
    network: record.network,
    testnet: record.testnet,
    kind: record.kind,
    signable,
    sealedWith: { provider: record.sealed.provider, keyId: record.sealed.keyId },
    warnings,
  };
}

/** `report`: the health of each given wallet from its public record (no decryption; see the file header). */
export async function report(deps: WalletDeps, signatureIds: readonly string[]): Promise<WalletHealth[]> {
  const out: WalletHealth[] = [];
  for (const given of signatureIds) {
    const signatureId = checkSignatureId(given);
    try {
      const record = await deps.store.get(signatureId);
      out.push(record ? healthOf(deps, record) : { signatureId, exists: false, warnings: [`no wallet with signatureId ${signatureId} in this store`] });
    } catch (error) {
      out.push({ signatureId, exists: true, warnings: [problemOf(error)] });
    }
  }
  return out;
}

export interface IntegrityFailure {
  readonly signatureId: string;
  readonly chain?: string;
  /** The error code (TAMPERED, WRONG_PASSWORD, CORRUPT_RECORD, INTEGRITY_CHECK_FAILED, …). */
  readonly code: string;
  readonly problem: string;
}

export function failureOf(signatureId: string, chain: string | undefined, error: unknown): IntegrityFailure {
  return { signatureId, ...(chain ? { chain } : {}), code: error instanceof SigilError ? error.code : 'UNEXPECTED', problem: problemOf(error) };
}

export interface VerifyResult {
  readonly checked: number;
  readonly ok: number;
  readonly failures: readonly IntegrityFailure[];
}

/** Open one record and prove its secret derives its public part; throws what is wrong. */
async function checkRecord(deps: WalletDeps, provider: KeyProvider, record: WalletRecord): Promise<void> {
  const secret = await openRecord(provider, record);
  try {
    if (record.kind === 'mnemonic') {
      const canonical = normalizeMnemonic(secret);
      const same = sameSecret(canonical, secret);
      wipe(canonical);
      if (!same) throw integrity(record, 'the sealed mnemonic is not in canonical form');
    }
    const derived = derivePublicPart(record.kind, secret, record.chain, record.network, deps.registry, record.signatureId);
    if (!samePublicPart(record, derived)) {
      throw integrity(record, `the sealed secret derives another ${derived.xpub !== undefined ? 'xpub' : 'address'} than the record holds`);
    }
  } finally {
    wipe(secret);
  }
}

function integrity(record: WalletRecord, problem: string): WalletError {
  return new WalletError('INTEGRITY_CHECK_FAILED', `wallet ${record.signatureId}: ${problem}`, { signatureId: record.signatureId, chain: record.chain });
}

/**
 * `verify`: the recovery drill over every wallet. Failures are collected (never the first one only),
 * each reported by an `Integrity Check Failed` event.
 */
export async function verifyAll(deps: WalletDeps, onProgress?: ProgressListener): Promise<VerifyResult> {
  const ids = (await deps.store.listIds()).sort();
  const failures: IntegrityFailure[] = [];
  // The key first: a wrong password or a missing KMS key is one error, not a failure per wallet.
  const provider = ids.length > 0 ? await deps.keys() : undefined;
  for (const [i, signatureId] of ids.entries()) {
    let record: WalletRecord | undefined;
    try {
      record = await deps.store.get(signatureId);
      if (record) await checkRecord(deps, provider!, record);
    } catch (error) {
      const failure = failureOf(signatureId, record?.chain, error);
      failures.push(failure);
      await deps.events.emit('Integrity Check Failed', { signatureId, ...(record ? { chain: record.chain, network: record.network } : {}), code: failure.code });
    }
    onProgress?.(i + 1, ids.length);
  }
  return { checked: ids.length, ok: ids.length - failures.length, failures };
}
