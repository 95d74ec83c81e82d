/**
 * Signing a UTXO transaction the way bitcore-lib (Tatum KMS's signer) does, byte for byte:
 *
 * - Each input is signed by the first given key whose compressed public key's script is the input's prevout
 *   script: P2PKH (legacy sighash, scriptSig `<sig> <pubkey>`), P2WPKH (BIP143 sighash over the scriptCode
 *   `76a914{hash160}88ac` and the prevout value, witness `[sig, pubkey]`), or P2SH-P2WPKH (BIP143 as P2WPKH,
 *   scriptSig the push of the redeem script `0014{hash160}`, BIP141 "P2WPKH nested in BIP16 P2SH").
 * - SIGHASH_ALL; ECDSA with RFC 6979 nonces and no extra entropy (no low-R grinding, as bitcore), low-S
 *   (BIP62/BIP146), DER-encoded (BIP66).
 * - All or nothing: an input that no key owns refuses the whole transaction before anything is signed.
 *   Keys that own no input are allowed (bitcore ignores them too).
 * - Every signature is verified against its public key before it is used (a fault while signing must not
 *   leave the process as a bad signature, which can leak the key).
 *
 * The keys stay the caller's: nothing here copies or wipes them.
 */
import { Transaction, script as bscript } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { KeyMismatchError, SigilError } from '../../errors.js';
import { publicKeyOf } from '../../keys/index.js';
import type { SignedTransaction, SigningKey } from '../family.js';
import { buildUnsignedTransaction, hexBytes } from './build.js';
import { ownedScriptType, scriptsOfPublicKey, type KeyScripts, type OwnedScriptType } from './templates.js';
import type { UtxoTransaction } from './types.js';

/** A signature failed its own verification right after signing: a fault, never a property of the input. */
export class SignatureSelfCheckError extends SigilError {
  constructor(inputIndex: number) {
    super('SIGNATURE_SELF_CHECK', `the signature made for input ${inputIndex} does not verify; nothing was returned`, { inputIndex });
  }
}

interface InputPlan {
  readonly key: SigningKey;
  readonly scripts: KeyScripts;
  readonly type: OwnedScriptType;
  readonly prevoutScript: Uint8Array;
  readonly satoshis: bigint;
}

function keyScripts(keys: readonly SigningKey[]): KeyScripts[] {
  return keys.map((key, keyIndex) => {
    if (key.privateKey.length !== 32 || !ecc.isPrivate(key.privateKey)) {
      throw new KeyMismatchError(`key ${keyIndex} is not a valid secp256k1 private key`, { keyIndex });
    }
    return scriptsOfPublicKey(publicKeyOf(key.privateKey));
  });
}

/** Which key signs each input, and how; throws KeyMismatchError naming the first input no key owns. */
function planSignatures(tx: UtxoTransaction, keys: readonly SigningKey[]): InputPlan[] {
  const owners = keyScripts(keys);
  return tx.inputs.map((input, inputIndex) => {
    const prevoutScript = hexBytes(input.prevout.script);
    for (const [keyIndex, scripts] of owners.entries()) {
      const type = ownedScriptType(prevoutScript, scripts);
      if (type) return { key: keys[keyIndex]!, scripts, type, prevoutScript, satoshis: input.prevout.satoshis };
    }
    const outpoint = `${input.prevTxId}:${input.outputIndex}`;
    const script = input.prevout.script.length > 80 ? `${input.prevout.script.slice(0, 72)}…` : input.prevout.script;
    throw new KeyMismatchError(
      `none of the ${keys.length} keys given owns input ${inputIndex} (${outpoint}, prevout script ${script || '(empty)'}); nothing was signed`,
      { inputIndex, outpoint },
    );
  });
}

function signDigest(digest: Uint8Array, plan: InputPlan, inputIndex: number): Uint8Array {
  const signature = ecc.sign(digest, plan.key.privateKey);
  if (!ecc.verify(digest, plan.scripts.publicKey, signature, true)) throw new SignatureSelfCheckError(inputIndex);
  return bscript.signature.encode(signature, Transaction.SIGHASH_ALL);
}

export function signUtxoTransaction(tx: UtxoTransaction, keys: readonly SigningKey[]): SignedTransaction {
  const plans = planSignatures(tx, keys);
  const built = buildUnsignedTransaction(tx);
  // Legacy sighashes blank every other input's scriptSig and BIP143 commits to none, so inputs can be signed
  // in any order on the same transaction object.
  for (const [inputIndex, plan] of plans.entries()) {
    const publicKey = plan.scripts.publicKey;
    if (plan.type === 'p2pkh') {
      const digest = built.hashForSignature(inputIndex, plan.prevoutScript, Transaction.SIGHASH_ALL);
      built.setInputScript(inputIndex, bscript.compile([signDigest(digest, plan, inputIndex), publicKey]));
      continue;
    }
    const digest = built.hashForWitnessV0(inputIndex, plan.scripts.p2pkh, plan.satoshis, Transaction.SIGHASH_ALL);
    built.setWitness(inputIndex, [signDigest(digest, plan, inputIndex), publicKey]);
    if (plan.type === 'p2sh-p2wpkh') built.setInputScript(inputIndex, bscript.compile([plan.scripts.p2wpkh]));
  }
  return { raw: built.toHex(), txId: built.getId() };
}
