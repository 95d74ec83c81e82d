/**
 * The app side of the sandbox: what an app's Tatum API call makes Tatum create (a pending KMS transaction
 * with Tatum's serializedTransaction), as pure builders over the chain handles and as request handlers
 * `(body, deps) → {signatureId}` for the simulator's `POST /v3/ethereum/transaction` and
 * `POST /v3/bitcoin/transaction`.
 */
export { buildEvmTransfer, type EvmTransferOptions } from './evm-transfer.js';
export { buildBitcoinPayment, type BitcoinPayment, type BitcoinPaymentRequest, type BitcoinUtxoSource } from './bitcoin-payment.js';
export { createEthereumTransfer, type EthereumTransferDeps } from './ethereum-endpoint.js';
export { createBitcoinTransfer, type BitcoinTransferDeps } from './bitcoin-endpoint.js';
export { newPendingId, pendingTransaction, storePending, type AddPending, type PendingDeps, type PendingFields, type SignatureIdResponse } from './pending.js';
export { AppRequestError } from './request-fields.js';
