/**
 * The secp256k1 backend, injected once: bitcoinjs-lib's `initEccLib` self-tests tiny-secp256k1 at start
 * (as bitcoinjs-lib recommends), and the BIP32 factory is built over the same backend.
 */
import * as ecc from 'tiny-secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory } from 'bip32';

initEccLib(ecc);

export const bip32 = BIP32Factory(ecc);
export { ecc };
