/**
 * The ledger (virtual account) withdrawal variant of a UTXO pending transaction (TATUM-COMPAT §2.3, §4): the
 * same bitcore JSON, signed with one key per `withdrawalResponses` entry, derived from the wallet's mnemonic at
 * `address.derivationKey`. Entries with `vIn: "-1"` describe the change output and are not signed for.
 *
 * Entry shape (Tatum's WithdrawalResponseData and its Address model):
 *   { address: { address, currency, derivationKey?, xpub?, destinationTag?, memo?, message? } | null,
 *     amount, vIn: "<txid>" | "-1", vInIndex, scriptPubKey? }
 *
 * Sigil is stricter than upstream (which signs with index 0 when an entry has no address): every entry that
 * spends must name a derivation key, its currency must be the chain's, and its (vIn, vInIndex) must be an
 * outpoint the transaction spends. The keys themselves are still checked at signing, against each input's
 * prevout script.
 */
import { InvalidTransactionError } from '../../errors.js';
import type { ChainNetwork } from '../registry.js';
import { expectArray, expectObject, invalidField, parseString, parseTxId, parseUint32 } from './fields.js';
import type { UtxoTransaction } from './types.js';

export interface WithdrawalAddress {
  readonly address: string;
  readonly currency: string;
  readonly derivationKey?: number;
  readonly xpub?: string;
}

export interface WithdrawalResponse {
  readonly address: WithdrawalAddress | null;
  /** In the currency's units, as Tatum sent it (informational). */
  readonly amount: string;
  /** The txid of the spent output (lowercase hex), or '-1' for the change entry. */
  readonly vIn: string;
  readonly vInIndex: number;
  readonly scriptPubKey?: string;
}

const CHANGE = '-1';
const MAX_ENTRIES = 10_000;
const MAX_DERIVATION_KEY = 0x7fffffff;
const AMOUNT = /^(?:0|[1-9][0-9]{0,20})(?:\.[0-9]{1,18})?$/;

function absentOrNull(obj: Record<string, unknown>, key: string): boolean {
  return !Object.hasOwn(obj, key) || obj[key] === null;
}

function parseAddress(field: string, value: unknown): WithdrawalAddress | null {
  if (value === null || value === undefined) return null;
  const obj = expectObject(field, value, ['address', 'currency'], ['derivationKey', 'xpub', 'destinationTag', 'destinatinTag', 'memo', 'message']);
  for (const key of ['destinationTag', 'destinatinTag', 'memo', 'message']) {
    if (!absentOrNull(obj, key)) throw invalidField(`${field}.${key}`, 'null or nothing on a UTXO chain', obj[key]);
  }
  const parsed: { -readonly [K in keyof WithdrawalAddress]: WithdrawalAddress[K] } = {
    address: parseString(`${field}.address`, obj.address, 128),
    currency: parseString(`${field}.currency`, obj.currency, 32),
  };
  if (!absentOrNull(obj, 'derivationKey')) {
    const index = obj.derivationKey;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_DERIVATION_KEY) {
      throw invalidField(`${field}.derivationKey`, `an integer from 0 to ${MAX_DERIVATION_KEY}`, index);
    }
    parsed.derivationKey = index === 0 ? 0 : index;
  }
  if (!absentOrNull(obj, 'xpub')) parsed.xpub = parseString(`${field}.xpub`, obj.xpub, 256);
  return parsed;
}

function parseAmount(field: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return String(value);
  if (typeof value === 'string' && AMOUNT.test(value)) return value;
  throw invalidField(field, 'a non-negative amount (JSON number or decimal string)', value);
}

function parseEntry(field: string, value: unknown): WithdrawalResponse {
  const obj = expectObject(field, value, ['amount', 'vIn', 'vInIndex'], ['address', 'scriptPubKey']);
  const vIn = obj.vIn === CHANGE ? CHANGE : parseTxId(`${field}.vIn`, obj.vIn);
  let vInIndex: number;
  if (vIn === CHANGE) {
    if (typeof obj.vInIndex !== 'number' || !Number.isInteger(obj.vInIndex) || obj.vInIndex < -1 || obj.vInIndex > 0xffffffff) {
      throw invalidField(`${field}.vInIndex`, 'an integer from -1 to 4294967295', obj.vInIndex);
    }
    vInIndex = obj.vInIndex;
  } else {
    vInIndex = parseUint32(`${field}.vInIndex`, obj.vInIndex);
  }
  const entry: WithdrawalResponse = {
    address: parseAddress(`${field}.address`, obj.address),
    amount: parseAmount(`${field}.amount`, obj.amount),
    vIn,
    vInIndex,
    ...(absentOrNull(obj, 'scriptPubKey') ? {} : { scriptPubKey: parseString(`${field}.scriptPubKey`, obj.scriptPubKey, 20_000) }),
  };
  return entry;
}

/** Schema-check a pending transaction's `withdrawalResponses` (null or missing → null). */
export function parseWithdrawalResponses(value: unknown): readonly WithdrawalResponse[] | null {
  if (value === null || value === undefined) return null;
  return expectArray('withdrawalResponses', value, 0, MAX_ENTRIES).map((entry, i) => parseEntry(`withdrawalResponses[${i}]`, entry));
}

/**
 * The derivation indexes whose keys sign a ledger withdrawal, in first-use order without repeats. Throws
 * InvalidTransactionError when the responses are missing, name no input, or disagree with the transaction.
 */
export function withdrawalSigningIndexes(value: unknown, tx: UtxoTransaction, chain: ChainNetwork): number[] {
  const responses = parseWithdrawalResponses(value);
  if (responses === null) {
    throw new InvalidTransactionError('a ledger withdrawal needs withdrawalResponses to know which keys sign it', { field: 'withdrawalResponses' });
  }
  const outpoints = new Set(tx.inputs.map((input) => `${input.prevTxId}:${input.outputIndex}`));
  const indexes = new Set<number>();
  for (const [i, entry] of responses.entries()) {
    if (entry.vIn === CHANGE) continue;
    const field = `withdrawalResponses[${i}]`;
    if (entry.address?.derivationKey === undefined) {
      throw invalidField(`${field}.address.derivationKey`, 'the derivation index of the key that spends the entry', entry.address?.derivationKey);
    }
    if (entry.address.currency !== chain.chain) {
      throw invalidField(`${field}.address.currency`, `the chain's currency ${chain.chain}`, entry.address.currency);
    }
    const outpoint = `${entry.vIn}:${entry.vInIndex}`;
    if (!outpoints.has(outpoint)) {
      throw new InvalidTransactionError(`${field} spends ${outpoint}, which the transaction does not spend`, { field, outpoint });
    }
    indexes.add(entry.address.derivationKey);
  }
  if (indexes.size === 0) {
    throw new InvalidTransactionError('withdrawalResponses name no input to sign (only change entries)', { field: 'withdrawalResponses' });
  }
  return [...indexes];
}
