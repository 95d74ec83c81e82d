/**
 * Private key text formats per the registry's key format (TATUM-COMPAT §3): WIF (compressed, the network's
 * version byte) for UTXO chains, `0x`-hex for EVM chains and VET, bare 64-hex for TRON. Decoding checks the
 * network and never echoes the key in an error.
 */
import bs58check from 'bs58check';
import type { ChainNetwork } from '../chains/registry.js';
import { InvalidInputError } from '../errors.js';
import { ecc } from './ecc.js';
import { wipe } from './wipe.js';

const HEX64 = /^[0-9a-fA-F]{64}$/;

function assertPrivate(key: Uint8Array, chain: ChainNetwork): void {
  if (key.length !== 32 || !ecc.isPrivate(key)) {
    throw new InvalidInputError(`not a valid secp256k1 private key for ${chain.chain}`, { chain: chain.chain });
  }
}

/** The compressed public key of a private key (1 ≤ k < n, else InvalidInputError). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  // tiny-secp256k1's pointFromScalar throws a bare TypeError for 0 and k ≥ n: check the range first.
  const point = privateKey.length === 32 && ecc.isPrivate(privateKey) ? ecc.pointFromScalar(privateKey, true) : null;
  if (!point) throw new InvalidInputError('not a valid secp256k1 private key');
  return point;
}

export function encodePrivateKey(privateKey: Uint8Array, chain: ChainNetwork): string {
  assertPrivate(privateKey, chain);
  switch (chain.keyFormat) {
    case 'wif': {
      const payload = new Uint8Array(34);
      payload[0] = chain.utxo!.wif;
      payload.set(privateKey, 1);
      payload[33] = 0x01; // compressed public key
      try {
        return bs58check.encode(payload);
      } finally {
        wipe(payload);
      }
    }
    case 'hex0x':
      return `0x${Buffer.from(privateKey).toString('hex')}`;
    case 'hex':
      return Buffer.from(privateKey).toString('hex');
  }
}

/** Decode a private key given as text in the chain's format; the result is the caller's to wipe. */
export function decodePrivateKey(text: string, chain: ChainNetwork): Uint8Array {
  let key: Uint8Array;
  if (chain.keyFormat === 'wif') {
    let payload: Uint8Array;
    try {
      payload = bs58check.decode(text.trim());
    } catch {
      throw new InvalidInputError(`expected a WIF private key for ${chain.chain}; the text is not valid base58check`, { chain: chain.chain });
    }
    if (payload.length !== 34 || payload[33] !== 0x01) {
      wipe(payload);
      throw new InvalidInputError(`expected a compressed WIF private key for ${chain.chain}`, { chain: chain.chain });
    }
    if (payload[0] !== chain.utxo!.wif) {
      const version = payload[0];
      wipe(payload);
      throw new InvalidInputError(`the WIF key is for another network (version 0x${version!.toString(16)}, ${chain.chain} ${chain.network} expects 0x${chain.utxo!.wif.toString(16)})`, { chain: chain.chain, network: chain.network });
    }
    key = payload.slice(1, 33);
    wipe(payload);
  } else {
    const trimmed = text.trim();
    const hex = trimmed.startsWith('0x') || trimmed.startsWith('0X') ? trimmed.slice(2) : trimmed;
    if (!HEX64.test(hex)) {
      throw new InvalidInputError(`expected a 32-byte hex private key for ${chain.chain}`, { chain: chain.chain });
    }
    key = Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  assertPrivate(key, chain);
  return key;
}
