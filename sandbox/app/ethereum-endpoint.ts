/**
 * `POST /v3/ethereum/transaction` with a signatureId (Tatum's TransferEthBlockchainKMS): an app asks for a
 * native ETH transfer; Tatum stores a pending KMS transaction and answers `{signatureId: <pending id>}`.
 *
 * Body: { to, amount (ETH, decimal string), currency: "ETH", signatureId, index?, fee?: { gasLimit,
 * gasPrice (Gwei) }, nonce?, data? }. Unknown fields are refused. The pending transaction carries the
 * sender's signatureId in `hashes` and `index` (the derivation index of a mnemonic wallet, else null).
 */
import { MAX_UINT256, MAX_UINT64 } from '../../lib/chains/evm/fields.js';
import { buildEvmTransfer } from './evm-transfer.js';
import { storePending, type PendingDeps, type SignatureIdResponse } from './pending.js';
import {
  AppRequestError,
  expectObject,
  invalid,
  parseDecimalAmount,
  parseIndex,
  parseSignatureId,
  parseString,
  parseUnsignedInteger,
} from './request-fields.js';

export type EthereumTransferDeps = PendingDeps;

/** 0x + 128 KiB of hex: geth's transaction-pool size limit bounds any call data a node would take. */
const MAX_DATA_CHARS = 2 + 2 * 128 * 1024;

/** A Tatum EVM address field: 0x + 40 hex; the checksum is checked by the builder. */
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Validate the body, build the serializedTransaction, store the pending transaction. */
export async function createEthereumTransfer(body: unknown, deps: EthereumTransferDeps): Promise<SignatureIdResponse> {
  const b = expectObject('', body, ['to', 'amount', 'currency', 'signatureId'], ['index', 'fee', 'nonce', 'data']);
  if (b.currency !== 'ETH') throw invalid('currency', 'the string "ETH"', b.currency);
  const to = parseString('to', b.to, EVM_ADDRESS, 'a 0x-prefixed EVM address');
  if (typeof b.amount !== 'string') throw invalid('amount', 'a decimal string of ETH', b.amount);
  const valueWei = parseDecimalAmount('amount', b.amount, 18, 'ETH', MAX_UINT256);
  const signatureId = parseSignatureId('signatureId', b.signatureId);
  const index = b.index === undefined ? null : parseIndex('index', b.index);
  const nonce = b.nonce === undefined ? undefined : parseUnsignedInteger('nonce', b.nonce, BigInt(Number.MAX_SAFE_INTEGER));
  const data = b.data === undefined ? undefined : parseString('data', b.data, /^0x(?:[0-9a-fA-F]{2})*$/, 'a 0x-prefixed hex string of whole bytes (at most 128 KiB)', MAX_DATA_CHARS);

  let gas: bigint | undefined;
  let gasPrice: bigint | undefined;
  if (b.fee !== undefined) {
    const fee = expectObject('fee', b.fee, ['gasLimit', 'gasPrice']);
    gas = parseUnsignedInteger('fee.gasLimit', fee.gasLimit, MAX_UINT64);
    if (gas === 0n) throw invalid('fee.gasLimit', 'a positive gas limit', fee.gasLimit);
    if (typeof fee.gasPrice !== 'string' && typeof fee.gasPrice !== 'number') throw invalid('fee.gasPrice', 'a decimal amount of Gwei', fee.gasPrice);
    gasPrice = parseDecimalAmount('fee.gasPrice', fee.gasPrice, 9, 'Gwei', MAX_UINT256);
  }

  let serializedTransaction: string;
  try {
    serializedTransaction = buildEvmTransfer({
      to,
      valueWei,
      ...(data !== undefined ? { data } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(gas !== undefined ? { gas } : {}),
      ...(gasPrice !== undefined ? { gasPrice } : {}),
    });
  } catch (error) {
    if (error instanceof AppRequestError) throw error;
    throw new AppRequestError('body', (error as Error).message, {}, { cause: error });
  }
  return storePending({ chain: 'ETH', serializedTransaction, hashes: [signatureId], index }, deps);
}
