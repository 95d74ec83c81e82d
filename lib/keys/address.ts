/**
 * Addresses of a public key per the registry's address format (TATUM-COMPAT §3):
 * - p2wpkh: bech32 witness v0 of hash160(pubkey) (BTC `bc1q…`/`tb1q…`)
 * - p2pkh: base58check(pubKeyHash ‖ hash160(pubkey)) (LTC `L…`, DOGE `D…`)
 * - evm: lowercase 0x ‖ keccak256(uncompressed pubkey without 0x04)[12..32]
 * - xdc: the evm address with `xdc` instead of `0x`
 * - tron: base58check(0x41 ‖ the same 20 bytes)
 */
import { payments } from 'bitcoinjs-lib';
import { keccak256 } from 'ethers';
import bs58check from 'bs58check';
import type { ChainNetwork } from '../chains/registry.js';
import { InvalidInputError } from '../errors.js';
import { ecc } from './ecc.js';
import { childPublicKeyFromXpub } from './hd.js';

function utxoNetwork(chain: ChainNetwork) {
  if (!chain.utxo) throw new InvalidInputError(`chain ${chain.chain} has no UTXO parameters`, { chain: chain.chain });
  return chain.utxo;
}

/** The 20-byte account id of an EVM-style chain (keccak of the uncompressed key). */
export function evmAccountId(publicKey: Uint8Array): Uint8Array {
  const uncompressed = publicKey.length === 65 ? publicKey : ecc.pointCompress(publicKey, false);
  return Uint8Array.from(Buffer.from(keccak256(uncompressed.subarray(1)).slice(2), 'hex').subarray(12));
}

export function addressOf(publicKey: Uint8Array, chain: ChainNetwork): string {
  if (!ecc.isPoint(publicKey)) {
    throw new InvalidInputError('not a valid secp256k1 public key', { chain: chain.chain });
  }
  switch (chain.addressFormat) {
    case 'p2wpkh':
      return payments.p2wpkh({ pubkey: ecc.pointCompress(publicKey, true), network: utxoNetwork(chain) }).address!;
    case 'p2pkh':
      return payments.p2pkh({ pubkey: ecc.pointCompress(publicKey, true), network: utxoNetwork(chain) }).address!;
    case 'evm':
      return `0x${Buffer.from(evmAccountId(publicKey)).toString('hex')}`;
    case 'xdc':
      return `xdc${Buffer.from(evmAccountId(publicKey)).toString('hex')}`;
    case 'tron': {
      const payload = new Uint8Array(21);
      payload[0] = 0x41;
      payload.set(evmAccountId(publicKey), 1);
      return bs58check.encode(payload);
    }
  }
}

/** Address of child `index` of an account xpub: no decryption needed (`getaddress`). */
export function addressFromXpub(xpub: string, index: number, chain: ChainNetwork): string {
  return addressOf(childPublicKeyFromXpub(xpub, index, chain), chain);
}
