/**
 * `import-wallet-dat`: a decrypted Tatum KMS wallet.dat (TATUM-COMPAT §5, lib/migration) into the store,
 * every entry under its original signatureId so that pending transactions at Tatum keep working.
 *
 * - mnemonic entries of a registry chain: the mnemonic must pass BIP39 and derive the entry's xpub at
 *   Sigil's path (else Sigil would sign with other keys than the app's addresses belong to);
 * - private-key entries of a registry chain: the key must decode in the chain's format;
 * - everything else (chains Sigil does not know, `{address, secret}` entries): a `foreign` record sealing
 *   the entry's JSON, listed as non-signable and given back unchanged by getmanagedwallet/export.
 * All or nothing, idempotent (merge.ts): one bad entry and nothing is written.
 */
import type { ChainNetwork } from '../chains/registry.js';
import type { WalletDatEntry } from '../migration/tatum-wallet-dat.js';
import { decodePrivateKey, normalizeMnemonic, wipe } from '../keys/index.js';
import { isSignatureId, type ProgressListener, type WalletDeps } from './deps.js';
import { mergeAll, outcomeOf, type Candidate, type MergeOutcome, type MergeReport } from './merge.js';
import type { WalletIdentity } from './sealing.js';
import { addressOfPrivateKey, foreignPublicPart, NO_PUBLIC_VALUE, xpubOfMnemonic, type TatumEntry } from './wallet-secret.js';
import { problemOf, WalletError } from './wallet-error.js';

export type ImportReport = MergeReport;

const encoder = new TextEncoder();

/** The Tatum shape of an entry (what a foreign record seals, and what getmanagedwallet gives back). */
function tatumEntryOf(entry: WalletDatEntry): TatumEntry {
  switch (entry.kind) {
    case 'mnemonic':
      return { mnemonic: entry.mnemonic, xpub: entry.xpub, chain: entry.chain, testnet: entry.testnet };
    case 'privateKey':
      return { privateKey: entry.privateKey, chain: entry.chain, testnet: entry.testnet };
    case 'secret':
      return { address: entry.address, secret: entry.secret, chain: entry.chain, testnet: entry.testnet };
  }
}

/** The canonical mnemonic of an entry, checked against the entry's xpub; the caller wipes it. */
function mnemonicSecretOf(signatureId: string, entry: WalletDatEntry & { kind: 'mnemonic' }, params: ChainNetwork): Uint8Array {
  const given = encoder.encode(entry.mnemonic);
  let secret: Uint8Array | undefined;
  try {
    secret = normalizeMnemonic(given);
    if (xpubOfMnemonic(secret, params) !== entry.xpub) {
      throw new WalletError('INTEGRITY_CHECK_FAILED', `entry ${signatureId}: its xpub is not the xpub of its mnemonic at ${entry.chain}'s path ${params.derivationPath}`, {
        signatureId,
        chain: entry.chain,
      });
    }
    return secret;
  } catch (error) {
    wipe(secret);
    throw error;
  } finally {
    wipe(given);
  }
}

/** The record identity and sealed secret of one entry; throws (secret-free) what is wrong with it. */
function candidateOf(deps: WalletDeps, signatureId: string, entry: WalletDatEntry): Candidate {
  const network = entry.testnet ? 'testnet' : 'mainnet';
  const base = { signatureId, chain: entry.chain, network, testnet: entry.testnet };
  const params = deps.registry.has(entry.chain) && entry.kind !== 'secret' ? deps.registry.resolve(entry.chain, network) : undefined;
  if (params && entry.kind === 'mnemonic') {
    return { identity: { ...base, kind: 'mnemonic', public: { xpub: entry.xpub } }, secret: mnemonicSecretOf(signatureId, entry, params) };
  }
  if (params && entry.kind === 'privateKey') {
    const secret = decodePrivateKey(entry.privateKey, params);
    return { identity: { ...base, kind: 'privateKey', public: { address: addressOfPrivateKey(secret, params) } }, secret };
  }
  const tatum = tatumEntryOf(entry);
  return { identity: { ...base, kind: 'foreign', public: foreignPublicPart(tatum) }, secret: encoder.encode(JSON.stringify(tatum)) };
}

export async function importWalletDat(deps: WalletDeps, entries: ReadonlyMap<string, WalletDatEntry>, onProgress?: ProgressListener): Promise<ImportReport> {
  const failed: MergeOutcome[] = [];
  const candidates: Candidate[] = [];
  try {
    for (const [signatureId, entry] of entries) {
      try {
        if (!isSignatureId(signatureId)) {
          throw new WalletError('INTEGRITY_CHECK_FAILED', `entry ${signatureId}: a signatureId must be a lower-case UUID; Sigil keeps Tatum's ids exactly and cannot store this one`);
        }
        candidates.push(candidateOf(deps, signatureId, entry));
      } catch (error) {
        // For the report only: the identity of an entry that could not be read.
        const identity: WalletIdentity = {
          signatureId,
          chain: entry.chain,
          network: entry.testnet ? 'testnet' : 'mainnet',
          testnet: entry.testnet,
          kind: entry.kind === 'secret' || !deps.registry.has(entry.chain) ? 'foreign' : entry.kind,
          public: { address: NO_PUBLIC_VALUE },
        };
        failed.push(outcomeOf(deps, identity, 'error', problemOf(error)));
      }
    }
    return await mergeAll(deps, [...entries.keys()], candidates, failed, 'import-wallet-dat', onProgress);
  } finally {
    for (const candidate of candidates) wipe(candidate.secret);
  }
}
