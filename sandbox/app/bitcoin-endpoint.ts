/**
 * `POST /v3/bitcoin/transaction` with signatureIds (Tatum's BtcTransactionFromUTXOKMS /
 * BtcTransactionFromAddressKMS): an app asks for a BTC payment; Tatum builds the unsigned transaction from
 * chain state, stores a pending KMS transaction and answers `{signatureId: <pending id>}`.
 * The body and what is built from it are described in bitcoin-payment.ts.
 */
import { buildBitcoinPayment, type BitcoinPaymentRequest, type BitcoinUtxoSource } from './bitcoin-payment.js';
import { storePending, type PendingDeps, type SignatureIdResponse } from './pending.js';

export interface BitcoinTransferDeps extends PendingDeps {
  readonly bitcoin: BitcoinUtxoSource;
}

/** Validate the body against the chain, build the serializedTransaction, store the pending transaction. */
export async function createBitcoinTransfer(body: unknown, deps: BitcoinTransferDeps): Promise<SignatureIdResponse> {
  const payment = await buildBitcoinPayment(body as BitcoinPaymentRequest, deps.bitcoin);
  return storePending(
    { chain: 'BTC', serializedTransaction: payment.serializedTransaction, hashes: payment.hashes, index: payment.index, signatures: payment.signatures },
    deps,
  );
}
