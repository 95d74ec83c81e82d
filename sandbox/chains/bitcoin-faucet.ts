/**
 * The regtest faucet: one P2WPKH key that every mined block pays, and the payments it makes, built and
 * signed with bitcoinjs-lib (BIP143 sighash, SIGHASH_ALL). The key is a sandbox key with no value anywhere;
 * it is still held as bytes and wiped when the chain stops.
 */
import { getRandomValues } from 'node:crypto';
import { Psbt, payments } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import type { UtxoParams } from '../../lib/chains/registry.js';
import { InvalidInputError } from '../../lib/errors.js';

/** A spendable output as the faucet selects it. */
export interface FaucetCoin {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
}

export interface FaucetPayment {
  readonly rawHex: string;
  readonly txid: string;
  /** The output that pays the recipient. */
  readonly vout: number;
}

/** Well above regtest's 1 sat/vB relay floor, so a faucet payment is never refused for its fee. */
const FEE_RATE_SAT_PER_VB = 10n;
/** Bitcoin Core's dust threshold for a P2WPKH output at 3 sat/vB; change below it goes to the fee. */
const DUST_SATS = 294n;

/** Upper bound of a P2WPKH-only transaction's virtual size: header, inputs with witness, two outputs. */
function estimatedVsize(inputs: number, outputScriptBytes: number): bigint {
  return BigInt(11 + 68 * inputs + (9 + outputScriptBytes) + 31);
}

export class Faucet {
  readonly #privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The faucet's P2WPKH output script. */
  readonly script: Uint8Array;
  readonly address: string;

  constructor(network: UtxoParams) {
    const key = new Uint8Array(32);
    do getRandomValues(key);
    while (!ecc.isPrivate(key));
    this.#privateKey = key;
    this.publicKey = ecc.pointFromScalar(key, true)!;
    const p2wpkh = payments.p2wpkh({ pubkey: this.publicKey, network });
    this.script = p2wpkh.output!;
    this.address = p2wpkh.address!;
  }

  /**
   * Pay `sats` to `script` from `coins` (largest first), change back to the faucet. Throws
   * InvalidInputError when the coins cannot cover the amount and the fee.
   */
  pay(script: Uint8Array, sats: bigint, coins: readonly FaucetCoin[], network: UtxoParams): FaucetPayment {
    const sorted = [...coins].sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1));
    const chosen: FaucetCoin[] = [];
    let total = 0n;
    let fee = 0n;
    for (const coin of sorted) {
      chosen.push(coin);
      total += coin.value;
      fee = estimatedVsize(chosen.length, script.length) * FEE_RATE_SAT_PER_VB;
      if (total >= sats + fee) break;
    }
    if (total < sats + fee) {
      throw new InvalidInputError(`the faucet holds ${total} spendable sats, not enough for ${sats} plus a ${fee} sat fee`);
    }
    const psbt = new Psbt({ network });
    for (const coin of chosen) {
      psbt.addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: this.script, value: coin.value } });
    }
    psbt.addOutput({ script, value: sats });
    const change = total - sats - fee;
    if (change >= DUST_SATS) psbt.addOutput({ script: this.script, value: change });
    const signer = {
      publicKey: this.publicKey,
      sign: (hash: Uint8Array) => ecc.sign(hash, this.#privateKey),
    };
    psbt.signAllInputs(signer);
    psbt.finalizeAllInputs();
    const tx = psbt.extractTransaction();
    return { rawHex: tx.toHex(), txid: tx.getId(), vout: 0 };
  }

  wipe(): void {
    this.#privateKey.fill(0);
  }
}
