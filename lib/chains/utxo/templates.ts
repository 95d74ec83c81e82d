/**
 * The standard output script templates Sigil recognises, byte for byte (BIP16, BIP141, BIP341):
 *
 *   P2PKH        OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG   76 a9 14 {20} 88 ac
 *   P2SH         OP_HASH160 <20> OP_EQUAL                           a9 14 {20} 87
 *   P2WPKH       OP_0 <20>                                          00 14 {20}
 *   P2WSH        OP_0 <32>                                          00 20 {32}
 *   P2TR         OP_1 <32>                                          51 20 {32}
 *
 * Signing owns P2PKH, P2WPKH and P2SH-P2WPKH (P2SH of `00 14 {hash160(pubkey)}`); the rest are only named as
 * addresses in summaries. Anything else is `script:<hex>`.
 */
import { address, crypto } from 'bitcoinjs-lib';
import type { UtxoParams } from '../registry.js';

export type OwnedScriptType = 'p2pkh' | 'p2wpkh' | 'p2sh-p2wpkh';

/** The three scripts one compressed public key can be paid to, as Tatum and bitcore pay keys. */
export interface KeyScripts {
  readonly publicKey: Uint8Array;
  readonly pubkeyHash: Uint8Array;
  readonly p2pkh: Uint8Array;
  readonly p2wpkh: Uint8Array;
  readonly p2shP2wpkh: Uint8Array;
}

export function p2pkhScript(pubkeyHash: Uint8Array): Uint8Array {
  return Uint8Array.from([0x76, 0xa9, 0x14, ...pubkeyHash, 0x88, 0xac]);
}

export function p2wpkhScript(pubkeyHash: Uint8Array): Uint8Array {
  return Uint8Array.from([0x00, 0x14, ...pubkeyHash]);
}

export function p2shScript(scriptHash: Uint8Array): Uint8Array {
  return Uint8Array.from([0xa9, 0x14, ...scriptHash, 0x87]);
}

export function scriptsOfPublicKey(publicKey: Uint8Array): KeyScripts {
  const pubkeyHash = crypto.hash160(publicKey);
  const p2wpkh = p2wpkhScript(pubkeyHash);
  return { publicKey, pubkeyHash, p2pkh: p2pkhScript(pubkeyHash), p2wpkh, p2shP2wpkh: p2shScript(crypto.hash160(p2wpkh)) };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Which of the key's scripts `script` is, if any. */
export function ownedScriptType(script: Uint8Array, key: KeyScripts): OwnedScriptType | undefined {
  if (equalBytes(script, key.p2wpkh)) return 'p2wpkh';
  if (equalBytes(script, key.p2pkh)) return 'p2pkh';
  if (equalBytes(script, key.p2shP2wpkh)) return 'p2sh-p2wpkh';
  return undefined;
}

/** The address of a standard output script on the network, or `script:<hex>` for anything else. */
export function describeOutputScript(script: Uint8Array, network: UtxoParams): string {
  const n = script.length;
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
    return address.toBase58Check(script.subarray(3, 23), network.pubKeyHash);
  }
  if (n === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) {
    return address.toBase58Check(script.subarray(2, 22), network.scriptHash);
  }
  if ((n === 22 && script[0] === 0x00 && script[1] === 0x14) || (n === 34 && script[0] === 0x00 && script[1] === 0x20)) {
    return address.toBech32(script.subarray(2), 0, network.bech32);
  }
  if (n === 34 && script[0] === 0x51 && script[1] === 0x20) {
    return address.toBech32(script.subarray(2), 1, network.bech32);
  }
  return `script:${Buffer.from(script).toString('hex')}`;
}
