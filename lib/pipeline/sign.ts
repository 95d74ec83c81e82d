/**
 * Sign: only an APPROVED ledger record, loaded from the ledger (never from a message body), signed exactly as
 * prepared. Secrets are opened through the KeyProvider via the per-process OpenedWalletCache; derived keys are
 * wiped in `finally`. What the tx spends (EVM nonce, UTXO outpoints) is claimed in the same ledger write that
 * stores the signed bytes; a conflicting claim writes nothing, alerts `Double Spend Prevented`, and fails the tx.
 */
import { familyOf } from '../chains/index.js';
import { chainIdOf, evmAddressOfKey } from '../chains/evm/index.js';
import type { SignedTransaction, SigningKey } from '../chains/family.js';
import type { ChainNetwork } from '../chains/registry.js';
import { walletContext } from '../custody/context.js';
import { openSecret } from '../custody/envelope.js';
import { SigilError } from '../errors.js';
import { accountFromMnemonic, wipe } from '../keys/index.js';
import { DoubleSpendError, evmNonceSpendKey, utxoOutpointSpendKey, type LedgerRecord } from '../store/ledger.js';
import type { WalletRecord } from '../store/wallet-store.js';
import { parsePendingTransaction } from '../tatum/pending-transaction.js';
import type { PipelineDeps } from './deps.js';
import { resolveKeyRefs, type KeyRef } from './key-resolution.js';
import type { OpenedWallet } from './opened-wallets.js';
import { loadWallets } from './wallet-lookup.js';
import { failTransaction, reject, TRANSIENT } from './outcomes.js';
import { auditTx, countMetric, recordDecision, timed } from './observe.js';
import { decideFor, gateFactsOf } from './policy-gate.js';

async function openWallet(deps: PipelineDeps, wallet: WalletRecord, chain: ChainNetwork): Promise<OpenedWallet> {
  const secret = await openSecret(deps.keys, wallet.sealed, walletContext({ signatureId: wallet.signatureId, chain: wallet.chain, network: wallet.network, publicHash: wallet.publicHash }));
  try {
    if (wallet.kind === 'mnemonic') return { kind: 'mnemonic', account: accountFromMnemonic(secret, chain) };
    return { kind: 'privateKey', privateKey: Uint8Array.from(secret) };
  } finally {
    wipe(secret);
  }
}

/** A fresh copy of the key `ref` names; the caller wipes it. */
async function keyFor(deps: PipelineDeps, ref: KeyRef, wallets: ReadonlyMap<string, WalletRecord>, chain: ChainNetwork): Promise<Uint8Array> {
  const wallet = wallets.get(ref.signatureId)!;
  return deps.openedWallets.use(wallet.signatureId, wallet.version, () => openWallet(deps, wallet, chain), (opened) =>
    opened.kind === 'mnemonic' ? opened.account.childPrivateKey(ref.index!) : Uint8Array.from(opened.privateKey),
  );
}

function spendKeysOf(spends: readonly string[], chain: ChainNetwork, keys: readonly SigningKey[]): string[] {
  if (chain.family === 'evm') {
    const from = evmAddressOfKey(keys[0]!.privateKey, chain);
    return spends.map((spend) => evmNonceSpendKey(chainIdOf(chain), from, BigInt(spend.slice('nonce:'.length))));
  }
  return spends.map((spend) => {
    const [txid, vout] = spend.split(':');
    return utxoOutpointSpendKey(chain.chain, txid!, Number(vout));
  });
}

/**
 * Sign `tx` (already parsed from a ledger record) with the keys of the wallets the record's pending tx names;
 * returns the signed bytes and the spend keys. Every derived key is wiped before this returns.
 */
export async function signWithWallets(
  deps: PipelineDeps,
  record: LedgerRecord,
  tx: unknown,
  /** The wallet records, when the caller has just read them (the policy re-check); else read here. */
  loaded?: ReadonlyMap<string, WalletRecord>,
): Promise<{ signed: SignedTransaction; spends: string[] }> {
  const chain = deps.registry.resolve(record.chain, record.network);
  const family = familyOf(chain);
  const pending = parsePendingTransaction(JSON.parse(record.pending));
  const wallets = loaded ?? (await loadWallets(deps.wallets, pending));
  const keys: SigningKey[] = [];
  try {
    for (const ref of resolveKeyRefs(pending, chain, wallets, tx)) keys.push({ privateKey: await keyFor(deps, ref, wallets, chain) });
    const signed = family.sign(tx, keys, chain);
    return { signed, spends: spendKeysOf(family.summarize(tx, chain).spends, chain, keys) };
  } finally {
    for (const key of keys) wipe(key.privateKey);
  }
}

export type SignOutcome =
  | { readonly kind: 'signed'; readonly record: LedgerRecord }
  | { readonly kind: 'failed' | 'rejected'; readonly reason: string };

/**
 * The signer's own policy check, before any secret is opened: the approver's decision is not trusted blindly
 * (the policy may have changed since, or the approver may have been bypassed by someone who can write the
 * ledger). BLOCK → REJECTED. REQUIRE_APPROVAL is not asked again: APPROVED is the record of that approval.
 */
async function recheckPolicy(deps: PipelineDeps, record: LedgerRecord): Promise<{ refused: SignOutcome } | { wallets: ReadonlyMap<string, WalletRecord> }> {
  const facts = await gateFactsOf(deps, record, parsePendingTransaction(JSON.parse(record.pending)));
  const decision = await decideFor(deps, record.id, facts.input);
  await recordDecision(deps, record.id, 'sign', decision);
  if (decision.action !== 'BLOCK') return { wallets: facts.wallets };
  const reason = `policy at signing: ${decision.reason}`;
  await reject(deps, record, reason, decision.rule);
  return { refused: { kind: 'rejected', reason } };
}

/** Sign the APPROVED record `record` (claimed by this worker with `record.fence`). */
export async function signApproved(deps: PipelineDeps, record: LedgerRecord): Promise<SignOutcome> {
  if (record.state !== 'APPROVED' || record.prepared === null) {
    throw new SigilError('NOT_APPROVED', `pending tx ${record.id} is ${record.state}, not APPROVED: nothing is signed`, { pendingId: record.id, state: record.state });
  }
  const fail = async (reason: string): Promise<SignOutcome> => {
    await failTransaction(deps, record, reason);
    return { kind: 'failed', reason };
  };
  let stored: LedgerRecord | undefined;
  try {
    const checked = await recheckPolicy(deps, record);
    if ('refused' in checked) return checked.refused;
    const chain = deps.registry.resolve(record.chain, record.network);
    const tx = familyOf(chain).parse(record.prepared, chain);
    const { signed, spends } = await timed(deps, 'sign', record.chain, () => signWithWallets(deps, record, tx, checked.wallets));
    stored = await deps.ledger.markSigned(record.id, record.fence, { raw: signed.raw, hash: signed.txId, spends });
    countMetric(deps, 'TransactionsSigned', { Chain: record.chain });
    await auditTx(deps, record.id, 'tx.signed', { hash: signed.txId, spends: spends.length });
    await deps.events.emit('Transaction Signed', { pendingId: record.id, chain: record.chain, network: record.network, hash: signed.txId });
    return { kind: 'signed', record: stored };
  } catch (error) {
    // Once SIGNED is stored the tx is good: a failure to announce it is retried (settle broadcasts the stored
    // raw; the poller re-sends "Transaction Signed"), never turned into FAILED.
    if (stored) throw error;
    if (error instanceof DoubleSpendError) {
      await deps.events.emit('Double Spend Prevented', { pendingId: record.id, chain: record.chain, spendKey: error.spendKey, otherPendingId: error.otherPendingId });
      return fail(error.message);
    }
    if (error instanceof SigilError && !TRANSIENT.has(error.code) && error.code !== 'POLICY_UNDEPLOYABLE') {
      if (error.code === 'TAMPERED' || error.code === 'CONTEXT_MISMATCH') {
        await deps.events.emit('Integrity Check Failed', { pendingId: record.id, chain: record.chain, reason: error.message });
      }
      return fail(error.message);
    }
    throw error; // transient (store, KMS availability, lost lease) or misconfigured: the record stays APPROVED and a retry finishes it
  }
}
