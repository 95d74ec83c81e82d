/**
 * The EVM transaction as Sigil holds it, and its boundary: Tatum's serializedTransaction, the JSON of a
 * web3 1.x transaction config (TATUM-COMPAT §4), optionally with EIP-1559 fee fields (EIP-1559 §"Specification")
 * and CELO's `chainId`/`gasLimit`/`feeCurrency`.
 *
 * Invariants of an EvmTransaction (parse and withFilledFields keep them):
 * - addresses are lowercase `0x` + 40 hex; `to` is absent only for a contract creation with non-empty data;
 * - value and fees < 2^256, nonce and gas < 2^64;
 * - at most one fee model: `gasPrice` (legacy, EIP-155) or `maxFeePerGas`/`maxPriorityFeePerGas` (type 2),
 *   and the priority fee never exceeds the max fee;
 * - an optional field that is not known is absent (never `undefined`-valued), so parse(serializeUnsigned(tx))
 *   deep-equals tx, strictly.
 */
import { InvalidTransactionError, UnsupportedChainError } from '../../errors.js';
import type { ChainNetwork } from '../registry.js';
import { describe, MAX_UINT256, MAX_UINT64, parseAddress, parseData, parseFrom, parseQuantity } from './fields.js';

export interface EvmTransaction {
  /** The sender the transaction names; absent when Tatum wrote the placeholder `0`. */
  readonly from?: string;
  /** Recipient or called contract; absent for a contract creation. */
  readonly to?: string;
  /** Amount in wei (0 when the config leaves it out). */
  readonly value: bigint;
  /** Call data or init code, `0x` when empty. */
  readonly data: string;
  readonly nonce?: bigint;
  /** Gas limit (`gas`, or CELO's `gasLimit`). */
  readonly gas?: bigint;
  readonly gasPrice?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
}

/** What the prepare step may fill: only fields the transaction leaves open. */
export type EvmFill = Partial<Pick<EvmTransaction, 'nonce' | 'gas' | 'gasPrice' | 'maxFeePerGas' | 'maxPriorityFeePerGas'>>;

/** Names missingFields reports: `fee` means neither gasPrice nor maxFeePerGas is known. */
export type MissingField = 'nonce' | 'gas' | 'fee' | 'maxFeePerGas' | 'maxPriorityFeePerGas';

const KNOWN_FIELDS = new Set([
  'from', 'to', 'value', 'data', 'nonce', 'gas', 'gasLimit', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'chainId', 'feeCurrency',
]);

/** Far above any transaction a node accepts (geth's pool takes 128 KiB), so parsing stays cheap. */
export const MAX_SERIALIZED_LENGTH = 512 * 1024;

/**
 * The chain id every EVM check and signature uses: the registry's, never the transaction's. Zero is refused
 * too, as it would drop EIP-155 replay protection. A wrong chain here is the caller's bug, not bad input.
 */
export function chainIdOf(chain: ChainNetwork): bigint {
  if (chain.family !== 'evm' || chain.chainId === undefined || chain.chainId <= 0n) {
    throw new UnsupportedChainError(`chain ${chain.chain} on ${chain.network} is not an EVM chain with a positive chain id`, { chain: chain.chain, network: chain.network });
  }
  return chain.chainId;
}

/** An own field's value, with null read as absent (every optional field may be null or missing). */
function present(record: Record<string, unknown>, key: string): unknown {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  return value === null ? undefined : value;
}

/** Schema-check and decode Tatum's serializedTransaction for `chain`; throws only InvalidTransactionError. */
export function parseEvmTransaction(serialized: string, chain: ChainNetwork): EvmTransaction {
  const chainId = chainIdOf(chain);
  const context = { chain: chain.chain, network: chain.network };
  if (typeof serialized !== 'string' || serialized.length > MAX_SERIALIZED_LENGTH) {
    throw new InvalidTransactionError(`EVM serializedTransaction must be a JSON string of at most ${MAX_SERIALIZED_LENGTH} chars`, context);
  }
  let json: unknown;
  try {
    json = JSON.parse(serialized);
  } catch (cause) {
    throw new InvalidTransactionError('EVM serializedTransaction is not valid JSON', context, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidTransactionError(`EVM serializedTransaction must be a JSON object, got ${describe(json)}`, context);
  }
  const record = json as Record<string, unknown>;
  // A signer must not sign what it does not understand: an unknown field may change the meaning elsewhere.
  const unknown = Object.keys(record).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) {
    throw new InvalidTransactionError(`EVM transaction has unknown field(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`, context);
  }

  const allowXdc = chain.addressFormat === 'xdc';
  const inputChainId = present(record, 'chainId');
  if (inputChainId !== undefined && parseQuantity('chainId', inputChainId, MAX_UINT256) !== chainId) {
    throw new InvalidTransactionError(`EVM transaction chainId ${describe(inputChainId)} differs from ${chain.chain} ${chain.network}'s chain id ${chainId}`, context);
  }
  if (present(record, 'feeCurrency') !== undefined) {
    throw new InvalidTransactionError('EVM transaction field "feeCurrency": paying fees in another currency (Celo CIP-64) is not supported; expected it absent or null', context);
  }

  const from = parseFrom(present(record, 'from'), allowXdc);
  const rawTo = present(record, 'to');
  const to = rawTo === undefined ? undefined : parseAddress('to', rawTo, allowXdc);
  const rawValue = present(record, 'value');
  const value = rawValue === undefined ? 0n : parseQuantity('value', rawValue, MAX_UINT256);
  const rawData = present(record, 'data');
  const data = rawData === undefined ? '0x' : parseData('data', rawData);
  if (to === undefined && data === '0x') {
    throw new InvalidTransactionError('EVM transaction has no "to" and no data; only a contract creation (non-empty data) may omit "to"', context);
  }

  const quantity = (field: string, max: bigint): bigint | undefined => {
    const raw = present(record, field);
    return raw === undefined ? undefined : parseQuantity(field, raw, max);
  };
  const gas = quantity('gas', MAX_UINT64);
  const gasLimit = quantity('gasLimit', MAX_UINT64);
  if (gas !== undefined && gasLimit !== undefined && gas !== gasLimit) {
    throw new InvalidTransactionError(`EVM transaction has gas ${gas} and gasLimit ${gasLimit}; they are aliases and must agree`, context);
  }
  return assembleTransaction(
    {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      value,
      data,
    },
    {
      nonce: quantity('nonce', MAX_UINT64),
      gas: gas ?? gasLimit,
      gasPrice: quantity('gasPrice', MAX_UINT256),
      maxFeePerGas: quantity('maxFeePerGas', MAX_UINT256),
      maxPriorityFeePerGas: quantity('maxPriorityFeePerGas', MAX_UINT256),
    },
    context,
  );
}

/** Add the optional quantities that are known, after checking the fee model is consistent. */
function assembleTransaction(
  base: Pick<EvmTransaction, 'from' | 'to' | 'value' | 'data'>,
  q: Record<keyof EvmFill, bigint | undefined>,
  context: Record<string, unknown>,
): EvmTransaction {
  if (q.gasPrice !== undefined && (q.maxFeePerGas !== undefined || q.maxPriorityFeePerGas !== undefined)) {
    throw new InvalidTransactionError('EVM transaction has both gasPrice (legacy) and EIP-1559 fee fields; expected one fee model', context);
  }
  if (q.maxFeePerGas !== undefined && q.maxPriorityFeePerGas !== undefined && q.maxPriorityFeePerGas > q.maxFeePerGas) {
    throw new InvalidTransactionError(`EVM transaction maxPriorityFeePerGas ${q.maxPriorityFeePerGas} exceeds maxFeePerGas ${q.maxFeePerGas} (EIP-1559 requires ≤)`, context);
  }
  const tx: { -readonly [K in keyof EvmTransaction]: EvmTransaction[K] } = { ...base };
  if (q.nonce !== undefined) tx.nonce = q.nonce;
  if (q.gas !== undefined) tx.gas = q.gas;
  if (q.gasPrice !== undefined) tx.gasPrice = q.gasPrice;
  if (q.maxFeePerGas !== undefined) tx.maxFeePerGas = q.maxFeePerGas;
  if (q.maxPriorityFeePerGas !== undefined) tx.maxPriorityFeePerGas = q.maxPriorityFeePerGas;
  return tx;
}

/** The canonical unsigned form: fixed key order, decimal strings, known fields only. */
export function serializeEvmTransaction(tx: EvmTransaction): string {
  const out: Record<string, string> = {};
  if (tx.from !== undefined) out.from = tx.from;
  if (tx.to !== undefined) out.to = tx.to;
  out.value = tx.value.toString();
  if (tx.data !== '0x') out.data = tx.data;
  for (const field of ['nonce', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas'] as const) {
    const value = tx[field];
    if (value !== undefined) out[field] = value.toString();
  }
  return JSON.stringify(out);
}

/** What must be filled before the transaction can be signed, in a stable order. */
export function missingFields(tx: EvmTransaction): MissingField[] {
  const missing: MissingField[] = [];
  if (tx.nonce === undefined) missing.push('nonce');
  if (tx.gas === undefined) missing.push('gas');
  if (tx.gasPrice === undefined) {
    if (tx.maxFeePerGas === undefined && tx.maxPriorityFeePerGas === undefined) missing.push('fee');
    else if (tx.maxFeePerGas === undefined) missing.push('maxFeePerGas');
    else if (tx.maxPriorityFeePerGas === undefined) missing.push('maxPriorityFeePerGas');
  }
  return missing;
}

/**
 * The transaction with the open fields taken from `fill`. A field the transaction already has is kept
 * (the prepare step never overrides what Tatum's caller chose); a fill that would mix fee models or break a
 * bound throws InvalidTransactionError.
 */
export function withFilledFields(tx: EvmTransaction, fill: EvmFill): EvmTransaction {
  const checked = (field: keyof EvmFill, max: bigint): bigint | undefined => {
    const value = fill[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'bigint' || value < 0n || value > max) {
      throw new InvalidTransactionError(`fill for EVM field "${field}" must be a bigint in [0, ${max}]`, { field });
    }
    return value;
  };
  const merged = {
    nonce: tx.nonce ?? checked('nonce', MAX_UINT64),
    gas: tx.gas ?? checked('gas', MAX_UINT64),
    gasPrice: tx.gasPrice ?? checked('gasPrice', MAX_UINT256),
    maxFeePerGas: tx.maxFeePerGas ?? checked('maxFeePerGas', MAX_UINT256),
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? checked('maxPriorityFeePerGas', MAX_UINT256),
  };
  const base = {
    ...(tx.from !== undefined ? { from: tx.from } : {}),
    ...(tx.to !== undefined ? { to: tx.to } : {}),
    value: tx.value,
    data: tx.data,
  };
  return assembleTransaction(base, merged, {});
}
