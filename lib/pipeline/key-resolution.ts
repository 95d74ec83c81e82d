/**
 * Which keys sign a pending transaction (TATUM-COMPAT §2.5), decided from public data only — before any
 * secret is opened:
 * - account chains (EVM): exactly one wallet, `hashes[0]`: a mnemonic wallet signs with the key at the tx's
 *   `index`; a private-key wallet signs with its key and must not be given an index;
 * - UTXO chains: each `{id, index}` of `signatures` is the key of mnemonic wallet `id` at `index`; each id of
 *   `hashes` that is a private-key wallet is its key; a mnemonic wallet in `hashes` must be covered by
 *   `signatures` (upstream would try every mnemonic wallet of the chain at every index; Sigil asks for the one
 *   named);
 * - UTXO ledger withdrawals (`withdrawalId` set): the keys of mnemonic wallet `hashes[0]` at each
 *   `withdrawalResponses[].address.derivationKey` (change entries skipped).
 * Every wallet named must be ours, of the tx's chain and network; otherwise nothing is signed.
 */
import type { ChainNetwork } from '../chains/registry.js';
import { withdrawalSigningIndexes } from '../chains/utxo/index.js';
import { SigilError } from '../errors.js';
import type { WalletRecord } from '../store/wallet-store.js';
import type { PendingTransaction } from '../tatum/pending-transaction.js';

export class KeyResolutionError extends SigilError {
  constructor(message: string, context: Record<string, unknown>) {
    super('KEY_RESOLUTION', message, context);
  }
}

/** One key to derive: wallet `signatureId`, at child `index` (null: the wallet's own private key). */
export interface KeyRef {
  readonly signatureId: string;
  readonly index: number | null;
}

function refOf(wallet: WalletRecord, index: number | null, pendingId: string): KeyRef {
  if (wallet.kind === 'mnemonic' && index === null) {
    throw new KeyResolutionError(`wallet ${wallet.signatureId} is a mnemonic wallet but pending tx ${pendingId} gives no derivation index`, { pendingId, signatureId: wallet.signatureId });
  }
  if (wallet.kind === 'privateKey' && index !== null) {
    throw new KeyResolutionError(`wallet ${wallet.signatureId} is a private-key wallet but pending tx ${pendingId} gives derivation index ${index}`, { pendingId, signatureId: wallet.signatureId });
  }
  if (wallet.kind === 'foreign') {
    throw new KeyResolutionError(`wallet ${wallet.signatureId} holds an imported ${wallet.chain} secret that Sigil cannot sign with`, { pendingId, signatureId: wallet.signatureId });
  }
  return { signatureId: wallet.signatureId, index };
}

/**
 * The keys that sign `pending`. `wallets` maps every wallet id the tx names to its record (absent: not ours).
 * Throws KeyResolutionError when a named wallet is not ours, belongs elsewhere, or is used the wrong way.
 */
export function resolveKeyRefs(pending: PendingTransaction, chain: ChainNetwork, wallets: ReadonlyMap<string, WalletRecord>, parsedTx?: unknown): KeyRef[] {
  const walletOf = (id: string): WalletRecord => {
    const wallet = wallets.get(id);
    if (!wallet) throw new KeyResolutionError(`pending tx ${pending.id} names wallet ${id}, which is not in this store`, { pendingId: pending.id, signatureId: id });
    if (wallet.chain !== chain.chain || wallet.network !== chain.network) {
      throw new KeyResolutionError(`wallet ${id} is a ${wallet.chain} ${wallet.network} wallet, but pending tx ${pending.id} is ${chain.chain} ${chain.network}`, { pendingId: pending.id, signatureId: id });
    }
    return wallet;
  };
  if (pending.hashes.length === 0 && !(pending.signatures?.length)) {
    throw new KeyResolutionError(`pending tx ${pending.id} names no wallet`, { pendingId: pending.id });
  }

  if (chain.family !== 'utxo') {
    if (pending.signatures?.length) {
      throw new KeyResolutionError(`an ${chain.chain} transaction is signed by its one wallet and index; pending tx ${pending.id} also names per-input signatures`, { pendingId: pending.id });
    }
    if (pending.hashes.length !== 1) {
      throw new KeyResolutionError(`an ${chain.chain} transaction is signed by one wallet; pending tx ${pending.id} names ${pending.hashes.length}`, { pendingId: pending.id });
    }
    return [refOf(walletOf(pending.hashes[0]!), pending.index, pending.id)];
  }

  if (pending.withdrawalId !== null) {
    const wallet = walletOf(pending.hashes[0]!);
    if (wallet.kind !== 'mnemonic') {
      throw new KeyResolutionError(`ledger withdrawal ${pending.id} must be signed by a mnemonic wallet; ${wallet.signatureId} is not one`, { pendingId: pending.id });
    }
    return withdrawalSigningIndexes(pending.withdrawalResponses, parsedTx as never, chain).map((index) => ({ signatureId: wallet.signatureId, index }));
  }

  const refs = new Map<string, KeyRef>();
  const add = (ref: KeyRef) => refs.set(`${ref.signatureId}/${ref.index ?? 'key'}`, ref);
  const coveredBySignatures = new Set<string>();
  for (const signature of pending.signatures ?? []) {
    add(refOf(walletOf(signature.id), signature.index, pending.id));
    coveredBySignatures.add(signature.id);
  }
  for (const id of pending.hashes) {
    const wallet = walletOf(id);
    if (wallet.kind === 'mnemonic' && coveredBySignatures.has(id)) continue;
    add(refOf(wallet, wallet.kind === 'mnemonic' ? pending.index : null, pending.id));
  }
  return [...refs.values()];
}

/** Every wallet id a pending tx names (to load their records in one go). */
export function walletIdsOf(pending: PendingTransaction): string[] {
  return [...new Set([...pending.hashes, ...(pending.signatures ?? []).map((s) => s.id)])];
}
