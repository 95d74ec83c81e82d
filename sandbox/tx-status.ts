/**
 * Where a demo payment stands, read from the two places that know: Sigil's ledger (claimed, signed,
 * broadcast) and the chain (confirmed). Nothing here writes.
 *
 *   pending ─► claimed ─► signed ─► broadcast ─► confirmed
 *   (at Tatum)  CLAIMED     SIGNED     BROADCAST     receipt / block
 *               PREPARED               COMPLETED
 *               APPROVED
 *
 * Side states: APPROVAL_DENIED and BROADCAST_UNKNOWN keep their stage with a note (a later pass moves them
 * on); REJECTED and FAILED end the payment.
 */
import { ChainTimeoutError } from './chains/chain-errors.js';
import type { DemoPayment } from './payments.js';
import type { Sandbox } from './wiring.js';

export const STAGES = ['pending', 'claimed', 'signed', 'broadcast', 'confirmed'] as const;
export type Stage = (typeof STAGES)[number];

export interface TxStatus {
  readonly stage: Stage;
  /** The ledger state behind the stage (absent while pending at Tatum). */
  readonly ledgerState?: string;
  /** Signed transaction hash (EVM) or txid (BTC). */
  readonly hash?: string;
  readonly block?: number;
  /** Why the payment is held (denied, broadcast unknown) or ended (rejected, failed). */
  readonly note?: string;
  /** Confirmed, rejected or failed: nothing more will happen to it. */
  readonly final: boolean;
  /** Ended without reaching the chain. */
  readonly failed: boolean;
}

/** The block of `hash` on the payment's chain, or undefined while it is not confirmed. */
async function confirmedBlock(sandbox: Sandbox, payment: DemoPayment, hash: string): Promise<number | undefined> {
  if (payment.chain === 'ETH') {
    const receipt = (await sandbox.evm.request('eth_getTransactionReceipt', [hash])) as { blockNumber?: unknown } | null;
    return receipt && typeof receipt.blockNumber === 'string' ? Number(BigInt(receipt.blockNumber)) : undefined;
  }
  try {
    return (await sandbox.btc.waitForConfirmation(hash, { timeoutMs: 0 })).height;
  } catch (error) {
    if (error instanceof ChainTimeoutError) return undefined;
    throw error;
  }
}

export async function observeStatus(sandbox: Sandbox, payment: DemoPayment): Promise<TxStatus> {
  const record = await sandbox.deps.ledger.get(payment.pendingId);
  if (!record) return { stage: 'pending', final: false, failed: false };
  const base = { ledgerState: record.state, ...(record.hash ? { hash: record.hash } : {}) };
  switch (record.state) {
    case 'CLAIMED':
    case 'PREPARED':
    case 'APPROVED':
      return { ...base, stage: 'claimed', final: false, failed: false };
    case 'APPROVAL_DENIED':
      return { ...base, stage: 'claimed', note: `four-eye approval denied: ${record.reason ?? ''}`, final: false, failed: false };
    case 'REJECTED':
    case 'FAILED':
      return { ...base, stage: 'claimed', note: `${record.state.toLowerCase()}: ${record.reason ?? ''}`, final: true, failed: true };
    case 'SIGNED':
      return { ...base, stage: 'signed', final: false, failed: false };
    case 'BROADCAST_UNKNOWN':
      return { ...base, stage: 'signed', note: `broadcast unknown, retried: ${record.reason ?? ''}`, final: false, failed: false };
    case 'BROADCAST':
    case 'COMPLETED': {
      const hash = record.txId ?? record.hash ?? '';
      const block = await confirmedBlock(sandbox, payment, hash).catch(() => undefined);
      return block === undefined
        ? { ...base, hash, stage: 'broadcast', final: false, failed: false }
        : { ...base, hash, stage: 'confirmed', block, final: true, failed: false };
    }
  }
}
