/** Keys: mnemonics, seeds, BIP32 derivation at Tatum's paths, addresses and key formats. */
export { wipe } from './wipe.js';
export { generateMnemonic, normalizeMnemonic, mnemonicToSeed, entropyToMnemonic } from './mnemonic.js';
export { deriveAccount, accountFromMnemonic, parseXpub, childPublicKeyFromXpub, assertChildIndex, type AccountNode } from './hd.js';
export { addressOf, addressFromXpub, evmAccountId } from './address.js';
export { publicKeyOf, encodePrivateKey, decodePrivateKey } from './private-key.js';
