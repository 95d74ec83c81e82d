/**
 * Reading an ERC-20 `transfer(address,uint256)` call (EIP-20) out of call data, for the policy engine.
 * Call data layout (Solidity ABI spec, "Function Selector and Argument Encoding"):
 *   selector a9059cbb (first 4 bytes of keccak256("transfer(address,uint256)"))
 *   ‖ address, left-padded to 32 bytes with 12 zero bytes
 *   ‖ uint256 amount, 32 bytes big-endian
 *
 * Invariant: a call that a token contract could execute as a transfer is never reported as "not a transfer".
 * Call data with the transfer selector but a non-canonical body (extra or missing bytes, dirty high bytes in
 * the address word — which some compilers' decoders accept and truncate) is refused with
 * InvalidTransactionError rather than returned as undefined, so a policy cannot be bypassed by padding.
 */
import { InvalidTransactionError } from '../../errors.js';
import type { EvmTransaction } from './transaction.js';

export const ERC20_TRANSFER_SELECTOR = '0xa9059cbb';

/** `0x` + selector (8 hex) + two 32-byte words (128 hex). */
const TRANSFER_DATA_LENGTH = 2 + 8 + 128;
const ADDRESS_PADDING = '0'.repeat(24);

export interface Erc20Transfer {
  /** The token contract (the transaction's `to`), lowercase 0x. */
  readonly token: string;
  /** The token recipient, lowercase 0x. */
  readonly recipient: string;
  /** Amount in the token's base units. */
  readonly amount: bigint;
}

/**
 * The ERC-20 transfer the transaction makes, or undefined when its data does not start with the transfer
 * selector (or it creates a contract). Throws InvalidTransactionError for a malformed transfer call.
 */
export function decodeErc20Transfer(tx: Pick<EvmTransaction, 'to' | 'data'>): Erc20Transfer | undefined {
  if (tx.to === undefined) return undefined;
  const data = tx.data.toLowerCase();
  if (!data.startsWith(ERC20_TRANSFER_SELECTOR)) return undefined;
  if (data.length !== TRANSFER_DATA_LENGTH) {
    throw new InvalidTransactionError(`ERC-20 transfer call data must be ${(TRANSFER_DATA_LENGTH - 2) / 2} bytes, got ${(data.length - 2) / 2}`, { token: tx.to });
  }
  const addressWord = data.slice(10, 74);
  if (!addressWord.startsWith(ADDRESS_PADDING)) {
    throw new InvalidTransactionError('ERC-20 transfer recipient word has non-zero high bytes; expected a 20-byte address left-padded with zeros', { token: tx.to });
  }
  return {
    token: tx.to,
    recipient: `0x${addressWord.slice(24)}`,
    amount: BigInt(`0x${data.slice(74)}`),
  };
}
