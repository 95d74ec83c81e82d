/**
 * The pending KMS transaction Tatum creates when an app calls a transfer endpoint with a signatureId
 * (TATUM-COMPAT §2.3), in the shape Sigil's Tatum client parses (lib/tatum/pending-transaction.ts), and the
 * injected sink the simulator stores it with.
 */
import { randomBytes } from 'node:crypto';
import type { PendingSignature, PendingTransaction } from '../../lib/tatum/pending-transaction.js';

/** Where a new pending transaction goes (the simulator's store). */
export type AddPending = (tx: PendingTransaction) => void | Promise<void>;

export interface PendingDeps {
  readonly addPending: AddPending;
  /** A fresh pending id; defaults to 24 random lower-case hex digits (a Mongo ObjectId's size, as Tatum's). */
  readonly newPendingId?: () => string;
}

/** Tatum's answer to a transfer made with a signatureId: the id of the pending KMS transaction. */
export interface SignatureIdResponse {
  readonly signatureId: string;
}

export function newPendingId(): string {
  return randomBytes(12).toString('hex');
}

export interface PendingFields {
  readonly chain: string;
  readonly serializedTransaction: string;
  readonly hashes: readonly string[];
  readonly index?: number | null;
  readonly signatures?: readonly PendingSignature[] | null;
}

/** A not-yet-signed, non-withdrawal pending transaction. */
export function pendingTransaction(fields: PendingFields, id: string = newPendingId()): PendingTransaction {
  return {
    id,
    chain: fields.chain,
    serializedTransaction: fields.serializedTransaction,
    hashes: [...fields.hashes],
    index: fields.index ?? null,
    signatures: fields.signatures && fields.signatures.length > 0 ? fields.signatures.map((s) => ({ id: s.id, index: s.index })) : null,
    withdrawalId: null,
    withdrawalResponses: null,
    txId: null,
  };
}

/** Store a new pending transaction through the injected sink; answer as Tatum does. */
export async function storePending(fields: PendingFields, deps: PendingDeps): Promise<SignatureIdResponse> {
  const tx = pendingTransaction(fields, (deps.newPendingId ?? newPendingId)());
  await deps.addPending(tx);
  return { signatureId: tx.id };
}
