/**
 * What Tatum stores as the serializedTransaction of an EVM native transfer made with a signatureId
 * (TATUM-COMPAT §4): the JSON of a web3 1.x transaction config with `from: 0` as placeholder.
 *
 *   {"from":0,"to":"0x…","value":"<wei>","data"?:"0x…","nonce"?:n,"gasPrice"?:"<wei>",
 *    "maxFeePerGas"?:"<wei>","maxPriorityFeePerGas"?:"<wei>","gas"?:"<limit>"}
 *
 * Amounts are decimal strings of wei; `gas` is a decimal string because Tatum copies the API's string
 * `fee.gasLimit` into it; `nonce` is a JSON number as the API takes it. What the caller leaves out stays
 * out, so Sigil's prepare step has to fill it from the chain (nonce, gas, fee), as with Tatum's own
 * pending transactions. The EIP-1559 fields are Sigil's extension (Tatum only writes gasPrice).
 */
import { MAX_UINT256, MAX_UINT64, parseAddress, parseData } from '../../lib/chains/evm/fields.js';
import { InvalidTransactionError } from '../../lib/errors.js';
import { AppRequestError } from './request-fields.js';

export interface EvmTransferOptions {
  /** The sender's address, or 0 (Tatum's placeholder; the default): the signer's key decides. */
  readonly from?: string | 0;
  readonly to: string;
  readonly valueWei: bigint;
  /** Call data, `0x` + whole bytes. */
  readonly data?: string;
  readonly nonce?: bigint | number;
  /** Gas limit. */
  readonly gas?: bigint;
  /** Legacy (EIP-155) fee; exclusive with the EIP-1559 pair. */
  readonly gasPrice?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
}

function checkQuantity(field: string, value: bigint | undefined, max: bigint): void {
  if (value !== undefined && (typeof value !== 'bigint' || value < 0n || value > max)) {
    throw new AppRequestError(field, `EVM transfer ${field}: expected a bigint from 0 to ${max === MAX_UINT64 ? '2^64-1' : '2^256-1'}, got ${String(value)}`);
  }
}

function checkedAddress(field: string, value: string): string {
  try {
    return parseAddress(field, value, false);
  } catch (error) {
    if (error instanceof InvalidTransactionError) throw new AppRequestError(field, error.message, {}, { cause: error });
    throw error;
  }
}

/** The serializedTransaction string of a native transfer; throws AppRequestError on an inconsistent option. */
export function buildEvmTransfer(options: EvmTransferOptions): string {
  const to = checkedAddress('to', options.to);
  const from = options.from === undefined || options.from === 0 ? 0 : checkedAddress('from', options.from);
  checkQuantity('valueWei', options.valueWei, MAX_UINT256);
  const nonce = options.nonce === undefined ? undefined : BigInt(options.nonce);
  // A nonce is written as a JSON number, so it must stay exact in one.
  checkQuantity('nonce', nonce, BigInt(Number.MAX_SAFE_INTEGER));
  checkQuantity('gas', options.gas, MAX_UINT64);
  checkQuantity('gasPrice', options.gasPrice, MAX_UINT256);
  checkQuantity('maxFeePerGas', options.maxFeePerGas, MAX_UINT256);
  checkQuantity('maxPriorityFeePerGas', options.maxPriorityFeePerGas, MAX_UINT256);
  const eip1559 = options.maxFeePerGas !== undefined || options.maxPriorityFeePerGas !== undefined;
  if (options.gasPrice !== undefined && eip1559) {
    throw new AppRequestError('gasPrice', 'EVM transfer: gasPrice (legacy) and maxFeePerGas/maxPriorityFeePerGas (EIP-1559) exclude each other');
  }
  if (options.maxFeePerGas !== undefined && options.maxPriorityFeePerGas !== undefined && options.maxPriorityFeePerGas > options.maxFeePerGas) {
    throw new AppRequestError('maxPriorityFeePerGas', `EVM transfer: maxPriorityFeePerGas ${options.maxPriorityFeePerGas} exceeds maxFeePerGas ${options.maxFeePerGas}`);
  }
  let data: string | undefined;
  if (options.data !== undefined) {
    try {
      data = parseData('data', options.data);
    } catch (error) {
      throw new AppRequestError('data', (error as Error).message, {}, { cause: error });
    }
  }

  const config: Record<string, string | number> = { from, to, value: options.valueWei.toString() };
  if (data !== undefined && data !== '0x') config.data = data;
  if (nonce !== undefined) config.nonce = Number(nonce);
  if (options.gasPrice !== undefined) config.gasPrice = options.gasPrice.toString();
  if (options.maxFeePerGas !== undefined) config.maxFeePerGas = options.maxFeePerGas.toString();
  if (options.maxPriorityFeePerGas !== undefined) config.maxPriorityFeePerGas = options.maxPriorityFeePerGas.toString();
  if (options.gas !== undefined) config.gas = options.gas.toString();
  return JSON.stringify(config);
}
