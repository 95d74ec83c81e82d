/**
 * What Tatum stores for a BTC payment made with signatureIds (`POST /v3/bitcoin/transaction`, the KMS
 * variants of BtcTransactionFromUTXO / BtcTransactionFromAddress): bitcore-lib's `Transaction.toObject()`
 * JSON (TATUM-COMPAT §4), built with bitcore itself in Tatum's order — change address, fee, recipients,
 * then the inputs — with every prevout's value and script taken from the live chain, plus the pending
 * fields: `hashes` (one signatureId per input, in input order), `signatures` ({id, index} per input whose
 * wallet is a mnemonic with a derivation index) and `index` (null on UTXO chains).
 *
 * Request: exactly one of
 *   fromUTXO:    [{ txHash, index (output index), signatureId, signatureIdIndex? }]
 *   fromAddress: [{ address, signatureId, index? (derivation index) }]
 * and to: [{ address, value (BTC: decimal string, or a JSON number as Tatum's API takes it) }],
 * fee (BTC) and changeAddress, which go together (Tatum's rule). fromAddress needs them: the UTXOs it
 * selects rarely add up to the amount exactly, and an implicit fee would be whatever is left over.
 *
 * Decisions where Tatum is silent or lenient: an output that is not unspent, a duplicated input, more
 * places than satoshis, and insufficient funds are refused (400) instead of skipped or rounded; fromAddress
 * spends confirmed coins before mempool ones and never a coinbase.
 */
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import type { UtxoParams } from '../../lib/chains/registry.js';
import type { PendingSignature } from '../../lib/tatum/pending-transaction.js';
import type { Utxo } from '../chains/bitcoin-chain.js';
import { bitcore, bitcoreAddressOfScript } from './bitcore.js';
import { AppRequestError, expectArray, expectObject, invalid, parseDecimalAmount, parseIndex, parseSignatureId } from './request-fields.js';

/** The chain state a payment is built from (the regtest handle is one). */
export interface BitcoinUtxoSource {
  readonly network: UtxoParams;
  listUnspent(address: string): Promise<Utxo[]>;
  getUnspent(txid: string, vout: number): Promise<Utxo | undefined>;
}

export interface BitcoinPaymentRequest {
  readonly fromUTXO?: ReadonlyArray<{ readonly txHash: string; readonly index: number; readonly signatureId: string; readonly signatureIdIndex?: number }>;
  readonly fromAddress?: ReadonlyArray<{ readonly address: string; readonly signatureId: string; readonly index?: number }>;
  readonly to: ReadonlyArray<{ readonly address: string; readonly value: string | number }>;
  readonly fee?: string;
  readonly changeAddress?: string;
}

export interface BitcoinPayment {
  readonly serializedTransaction: string;
  readonly hashes: string[];
  readonly signatures: PendingSignature[] | null;
  readonly index: null;
  /** Inputs − outputs: what the miner collects (the requested fee, plus change too small to keep). */
  readonly fee: bigint;
  readonly inputs: ReadonlyArray<{ readonly txid: string; readonly vout: number; readonly value: bigint }>;
}

/** 21 million BTC in satoshis: no amount can exceed it. */
const MAX_SATS = 2_100_000_000_000_000n;
const TXID = /^[0-9a-fA-F]{64}$/;

interface Recipient {
  readonly script: Uint8Array;
  readonly sats: bigint;
}
interface Spend {
  readonly utxo: Utxo;
  readonly signatureId: string;
  readonly derivationIndex: number | undefined;
}

function scriptOf(field: string, value: unknown, network: UtxoParams): Uint8Array {
  if (typeof value !== 'string' || value.length > 100) throw invalid(field, 'an address of the sandbox network', value);
  try {
    return bitcoinAddress.toOutputScript(value, network);
  } catch (cause) {
    throw new AppRequestError(field, `request field "${field}": ${JSON.stringify(value)} is not an address of this network (bech32 "${network.bech32}", base58 0x${network.pubKeyHash.toString(16)}/0x${network.scriptHash.toString(16)})`, {}, { cause });
  }
}

function parseBtc(field: string, value: unknown, positive: boolean): bigint {
  const sats = parseDecimalAmount(field, value, 8, 'BTC', MAX_SATS);
  if (positive && sats === 0n) throw invalid(field, 'a positive amount of BTC', value);
  return sats;
}

async function spendsFromUtxos(items: unknown[], source: BitcoinUtxoSource): Promise<Spend[]> {
  const seen = new Set<string>();
  const spends: Spend[] = [];
  for (const [i, raw] of items.entries()) {
    const field = `fromUTXO[${i}]`;
    const item = expectObject(field, raw, ['txHash', 'index', 'signatureId'], ['signatureIdIndex']);
    if (typeof item.txHash !== 'string' || !TXID.test(item.txHash)) throw invalid(`${field}.txHash`, 'a transaction id (64 hex digits)', item.txHash);
    const txid = item.txHash.toLowerCase();
    const vout = parseIndex(`${field}.index`, item.index);
    const signatureId = parseSignatureId(`${field}.signatureId`, item.signatureId);
    const derivationIndex = item.signatureIdIndex === undefined ? undefined : parseIndex(`${field}.signatureIdIndex`, item.signatureIdIndex);
    if (seen.has(`${txid}:${vout}`)) throw new AppRequestError(field, `request field "${field}": output ${txid}:${vout} is listed twice`);
    seen.add(`${txid}:${vout}`);
    const utxo = await source.getUnspent(txid, vout);
    if (!utxo) throw new AppRequestError(field, `request field "${field}": ${txid}:${vout} is not an unspent output on the chain`);
    spends.push({ utxo, signatureId, derivationIndex });
  }
  return spends;
}

async function spendsFromAddresses(items: unknown[], needed: bigint, source: BitcoinUtxoSource): Promise<Spend[]> {
  const entries = items.map((raw, i) => {
    const field = `fromAddress[${i}]`;
    const item = expectObject(field, raw, ['address', 'signatureId'], ['index']);
    scriptOf(`${field}.address`, item.address, source.network);
    return {
      address: item.address as string,
      signatureId: parseSignatureId(`${field}.signatureId`, item.signatureId),
      derivationIndex: item.index === undefined ? undefined : parseIndex(`${field}.index`, item.index),
    };
  });
  if (new Set(entries.map((e) => e.address)).size !== entries.length) throw new AppRequestError('fromAddress', 'request field "fromAddress": an address is listed twice');
  const spends: Spend[] = [];
  let total = 0n;
  for (const entry of entries) {
    if (total >= needed) break;
    const utxos = (await source.listUnspent(entry.address)).filter((u) => !u.coinbase);
    for (const utxo of utxos) {
      if (total >= needed) break;
      spends.push({ utxo, signatureId: entry.signatureId, derivationIndex: entry.derivationIndex });
      total += utxo.value;
    }
  }
  return spends;
}

/** Validate a Tatum BTC payment request against chain state and build what Tatum would store. */
export async function buildBitcoinPayment(request: BitcoinPaymentRequest, source: BitcoinUtxoSource): Promise<BitcoinPayment> {
  const network = source.network;
  const body = expectObject('', request, ['to'], ['fromUTXO', 'fromAddress', 'fee', 'changeAddress']);
  if ((body.fromUTXO === undefined) === (body.fromAddress === undefined)) {
    throw new AppRequestError('fromUTXO', 'request needs exactly one of "fromUTXO" and "fromAddress"');
  }
  if ((body.fee === undefined) !== (body.changeAddress === undefined)) {
    throw new AppRequestError(body.fee === undefined ? 'fee' : 'changeAddress', 'request fields "fee" and "changeAddress" go together: give both or neither');
  }
  if (body.fromAddress !== undefined && body.fee === undefined) {
    throw new AppRequestError('fee', 'request with "fromAddress" needs "fee" and "changeAddress" (the selected UTXOs would otherwise all go to the miner)');
  }
  const recipients: Recipient[] = expectArray('to', body.to, 1, 100).map((raw, i) => {
    const item = expectObject(`to[${i}]`, raw, ['address', 'value']);
    return { script: scriptOf(`to[${i}].address`, item.address, network), sats: parseBtc(`to[${i}].value`, item.value, true) };
  });
  const fee = body.fee === undefined ? undefined : parseBtc('fee', body.fee, false);
  const changeScript = body.changeAddress === undefined ? undefined : scriptOf('changeAddress', body.changeAddress, network);
  const paid = recipients.reduce((sum, r) => sum + r.sats, 0n);
  const needed = paid + (fee ?? 0n);

  const spends = body.fromUTXO !== undefined
    ? await spendsFromUtxos(expectArray('fromUTXO', body.fromUTXO, 1, 500), source)
    : await spendsFromAddresses(expectArray('fromAddress', body.fromAddress, 1, 100), needed, source);
  const available = spends.reduce((sum, s) => sum + s.utxo.value, 0n);
  const from = body.fromUTXO !== undefined ? 'fromUTXO' : 'fromAddress';
  if (available < needed || (fee === undefined && available === paid)) {
    throw new AppRequestError(from, `insufficient funds: the inputs hold ${available} sat, the payment needs ${needed} sat${fee === undefined ? ' plus a fee' : ''}`, { available: available.toString(), needed: needed.toString() });
  }

  // Tatum's order: change and fee first, then recipients, then inputs; bitcore keeps the change output last.
  const tx = new bitcore.Transaction();
  if (changeScript) tx.change(bitcoreAddressOfScript(changeScript, network));
  if (fee !== undefined) tx.fee(Number(fee));
  for (const r of recipients) tx.to(bitcoreAddressOfScript(r.script, network), Number(r.sats));
  for (const s of spends) tx.from({ txId: s.utxo.txid, outputIndex: s.utxo.vout, script: s.utxo.script, satoshis: Number(s.utxo.value) });
  const object = tx.toObject();

  const totalOut = object.outputs.reduce((sum, o) => sum + BigInt(o.satoshis), 0n);
  const signatures = spends.filter((s) => s.derivationIndex !== undefined).map((s) => ({ id: s.signatureId, index: s.derivationIndex! }));
  return {
    serializedTransaction: JSON.stringify(object),
    hashes: spends.map((s) => s.signatureId),
    signatures: signatures.length > 0 ? signatures : null,
    index: null,
    fee: available - totalOut,
    inputs: spends.map((s) => ({ txid: s.utxo.txid, vout: s.utxo.vout, value: s.utxo.value })),
  };
}
