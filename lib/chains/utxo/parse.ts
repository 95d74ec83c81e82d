/**
 * The boundary for UTXO transactions: Tatum's `serializedTransaction`, the JSON of bitcore-lib's
 * `Transaction.toObject()` (bitcore-lib 11 `lib/transaction/transaction.js`, `input/input.js`, `output.js`):
 *
 *   { hash?, version, inputs: [{ prevTxId, outputIndex, sequenceNumber, script: "", scriptString?,
 *     output: { satoshis, script } }], outputs: [{ satoshis, script }], nLockTime,
 *     changeScript?, changeAsm?, changeIndex?, fee? }
 *
 * Anything else (an unknown key, a signed or partly signed input, a wrong type) is refused. Consistency
 * rules: at least one input and one output, no outpoint spent twice, inputs ≥ outputs, `hash` (when given)
 * equal to the txid of the rebuilt unsigned transaction, and a size a node would relay. Every failure is an
 * InvalidTransactionError; nothing else escapes.
 */
import { InvalidTransactionError } from '../../errors.js';
import { buildUnsignedTransaction } from './build.js';
import {
  MAX_SCRIPT_BYTES,
  expectArray,
  expectObject,
  invalidField,
  parseHex,
  parseSatoshis,
  parseString,
  parseTxId,
  parseUint32,
} from './fields.js';
import type { BitcoreChangeInfo, UtxoInput, UtxoOutput, UtxoTransaction } from './types.js';

/**
 * Bitcoin Core's MAX_STANDARD_TX_WEIGHT is 400,000 weight units; an unsigned transaction weighs 4 × its size
 * and signing only adds, so a larger unsigned transaction could never be relayed. The bound also caps the
 * quadratic cost of legacy sighashes.
 */
export const MAX_UNSIGNED_TX_BYTES = 100_000;
/** An input serializes to ≥ 41 bytes and an output to ≥ 9, which bounds the arrays before any work. */
const MAX_INPUTS = Math.floor(MAX_UNSIGNED_TX_BYTES / 41);
const MAX_OUTPUTS = Math.floor(MAX_UNSIGNED_TX_BYTES / 9);
/** Generous for the JSON of a 100 kB transaction (hex doubles it, keys and whitespace add the rest). */
export const MAX_SERIALIZED_CHARS = 2_000_000;
/** bitcore's change script as text: each script byte is at most a few characters of `Script.toString()`. */
const MAX_CHANGE_TEXT = 8 * MAX_SCRIPT_BYTES;

function parseOutput(field: string, value: unknown): UtxoOutput {
  const obj = expectObject(field, value, ['satoshis', 'script']);
  return {
    satoshis: parseSatoshis(`${field}.satoshis`, obj.satoshis),
    script: parseHex(`${field}.script`, obj.script, MAX_SCRIPT_BYTES),
  };
}

function parseInput(field: string, value: unknown): UtxoInput {
  const obj = expectObject(field, value, ['prevTxId', 'outputIndex', 'sequenceNumber', 'script', 'output'], ['scriptString']);
  // bitcore writes the scriptSig as hex and, when it parses, as text in scriptString: both empty when unsigned.
  if (obj.script !== '') throw invalidField(`${field}.script`, 'the empty string (an unsigned input)', obj.script);
  if (Object.hasOwn(obj, 'scriptString') && obj.scriptString !== '') {
    throw invalidField(`${field}.scriptString`, 'the empty string (an unsigned input)', obj.scriptString);
  }
  return {
    prevTxId: parseTxId(`${field}.prevTxId`, obj.prevTxId),
    outputIndex: parseUint32(`${field}.outputIndex`, obj.outputIndex),
    sequenceNumber: parseUint32(`${field}.sequenceNumber`, obj.sequenceNumber),
    prevout: parseOutput(`${field}.output`, obj.output),
  };
}

function parseChange(obj: Record<string, unknown>, outputCount: number): BitcoreChangeInfo | undefined {
  const change: { -readonly [K in keyof BitcoreChangeInfo]: BitcoreChangeInfo[K] } = {};
  if (Object.hasOwn(obj, 'changeScript')) change.changeScript = parseString('changeScript', obj.changeScript, MAX_CHANGE_TEXT);
  if (Object.hasOwn(obj, 'changeAsm')) change.changeAsm = parseString('changeAsm', obj.changeAsm, MAX_CHANGE_TEXT);
  if (Object.hasOwn(obj, 'changeIndex')) {
    const index = parseUint32('changeIndex', obj.changeIndex);
    if (index >= outputCount) throw invalidField('changeIndex', `an index into the ${outputCount} outputs`, obj.changeIndex);
    // bitcore's _checkConsistency: a change index needs the change script it points at.
    if (change.changeScript === undefined) throw invalidField('changeScript', 'a value when changeIndex is set', undefined);
    change.changeIndex = index;
  }
  if (Object.hasOwn(obj, 'fee')) change.fee = parseSatoshis('fee', obj.fee);
  return Object.keys(change).length > 0 ? change : undefined;
}

/** Decode the JSON value (already parsed) of a bitcore transaction object. */
export function decodeUtxoTransaction(value: unknown): UtxoTransaction {
  const obj = expectObject('', value, ['version', 'inputs', 'outputs', 'nLockTime'], ['hash', 'changeScript', 'changeAsm', 'changeIndex', 'fee']);
  if (obj.version !== 1 && obj.version !== 2) throw invalidField('version', '1 or 2', obj.version);
  const version = obj.version;
  const expectedHash = Object.hasOwn(obj, 'hash') ? parseTxId('hash', obj.hash) : undefined;
  const inputs = expectArray('inputs', obj.inputs, 1, MAX_INPUTS).map((input, i) => parseInput(`inputs[${i}]`, input));
  const outputs = expectArray('outputs', obj.outputs, 1, MAX_OUTPUTS).map((output, i) => parseOutput(`outputs[${i}]`, output));
  const nLockTime = parseUint32('nLockTime', obj.nLockTime);
  const change = parseChange(obj, outputs.length);

  const spent = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const outpoint = `${input.prevTxId}:${input.outputIndex}`;
    if (spent.has(outpoint)) {
      throw new InvalidTransactionError(`UTXO transaction spends outpoint ${outpoint} twice (again at inputs[${i}])`, { field: `inputs[${i}]`, outpoint });
    }
    spent.add(outpoint);
  }
  const totalIn = inputs.reduce((sum, input) => sum + input.prevout.satoshis, 0n);
  const totalOut = outputs.reduce((sum, output) => sum + output.satoshis, 0n);
  if (totalIn < totalOut) {
    throw new InvalidTransactionError(`UTXO transaction outputs (${totalOut} sat) exceed its inputs (${totalIn} sat)`, { totalIn: totalIn.toString(), totalOut: totalOut.toString() });
  }

  const tx: UtxoTransaction = { version, inputs, outputs, nLockTime, ...(change ? { change } : {}) };
  let built: ReturnType<typeof buildUnsignedTransaction>;
  try {
    built = buildUnsignedTransaction(tx);
  } catch (error) {
    // Unreachable after the field checks; kept so that parse can only ever throw InvalidTransactionError.
    throw new InvalidTransactionError('UTXO transaction cannot be rebuilt', {}, { cause: error });
  }
  const size = built.byteLength(false);
  if (size > MAX_UNSIGNED_TX_BYTES) {
    throw new InvalidTransactionError(`UTXO transaction is ${size} bytes unsigned; at most ${MAX_UNSIGNED_TX_BYTES} can be relayed`, { size });
  }
  if (expectedHash !== undefined) {
    const txId = built.getId();
    if (txId !== expectedHash) {
      throw new InvalidTransactionError(`UTXO transaction "hash" ${expectedHash} is not the txid of the transaction it describes (${txId})`, { field: 'hash', hash: expectedHash, txId });
    }
  }
  return tx;
}

/** Parse Tatum's serializedTransaction for a UTXO chain. */
export function parseUtxoTransaction(serialized: unknown): UtxoTransaction {
  if (typeof serialized !== 'string' || serialized.length > MAX_SERIALIZED_CHARS) {
    throw new InvalidTransactionError(`UTXO serializedTransaction: expected a JSON string of at most ${MAX_SERIALIZED_CHARS} characters`, {});
  }
  let value: unknown;
  try {
    value = JSON.parse(serialized);
  } catch (error) {
    throw new InvalidTransactionError('UTXO serializedTransaction is not valid JSON', {}, { cause: error });
  }
  return decodeUtxoTransaction(value);
}
