/**
 * Signing an EVM transaction. ethers' `Transaction` only encodes (RLP, EIP-155 legacy or EIP-2718 type 2)
 * and hashes; the digest is signed by tiny-secp256k1 from the caller's key bytes (RFC 6979, low-s per
 * EIP-2), so no copy of the key is ever held as an unwipeable string (ethers' `Wallet` would).
 *
 * The chain id comes only from the registry (chainIdOf); the transaction's own `chainId` was checked and
 * dropped by parse.
 */
import * as ecc from 'tiny-secp256k1';
import { Signature, Transaction, getBytes } from 'ethers';
import { IncompleteTransactionError, InvalidTransactionError, KeyMismatchError, SigilError } from '../../errors.js';
import { addressOf, publicKeyOf } from '../../keys/index.js';
import type { SignedTransaction, SigningKey } from '../family.js';
import type { ChainNetwork } from '../registry.js';
import { chainIdOf, missingFields, type EvmTransaction } from './transaction.js';

/** Order of the secp256k1 group (SEC 2 §2.4.1). */
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER = CURVE_ORDER >> 1n;

function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** The lowercase `0x` address of a private key (XDC's `xdc` display prefix folded back to `0x`). */
export function evmAddressOfKey(privateKey: Uint8Array, chain: ChainNetwork): string {
  const address = addressOf(publicKeyOf(privateKey), chain);
  return `0x${address.slice(-40).toLowerCase()}`;
}

/** The ethers encoder for a complete transaction; nonce must fit ethers' number type. */
function encoderFor(tx: EvmTransaction, chainId: bigint, context: Record<string, unknown>): Transaction {
  // ethers keeps the nonce as a JS number; a nonce above 2^53-1 (unreachable on any real account) is refused.
  if (tx.nonce! > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidTransactionError(`EVM nonce ${tx.nonce} is above 2^53-1, which the encoder cannot represent`, context);
  }
  const encoder = new Transaction();
  encoder.type = tx.gasPrice !== undefined ? 0 : 2;
  encoder.chainId = chainId;
  encoder.nonce = Number(tx.nonce);
  encoder.gasLimit = tx.gas!;
  encoder.to = tx.to ?? null;
  encoder.value = tx.value;
  encoder.data = tx.data;
  if (tx.gasPrice !== undefined) {
    encoder.gasPrice = tx.gasPrice;
  } else {
    encoder.maxFeePerGas = tx.maxFeePerGas!;
    encoder.maxPriorityFeePerGas = tx.maxPriorityFeePerGas!;
    encoder.accessList = [];
  }
  return encoder;
}

/**
 * Sign a complete transaction with exactly one key. Throws IncompleteTransactionError when nonce, gas or
 * fee is open, KeyMismatchError for a wrong number of keys, an invalid key, or a key that is not `from`.
 * The key bytes stay the caller's (to wipe).
 */
export function signEvmTransaction(tx: EvmTransaction, keys: readonly SigningKey[], chain: ChainNetwork): SignedTransaction {
  const chainId = chainIdOf(chain);
  const context = { chain: chain.chain, network: chain.network };
  if (keys.length !== 1) {
    throw new KeyMismatchError(`an EVM transaction is signed by exactly one key, got ${keys.length}`, context);
  }
  const missing = missingFields(tx);
  if (missing.length > 0) throw new IncompleteTransactionError(missing, context);

  const privateKey = keys[0]!.privateKey;
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !ecc.isPrivate(privateKey)) {
    throw new KeyMismatchError('the signing key is not a valid 32-byte secp256k1 private key', context);
  }
  if (tx.from !== undefined) {
    const sender = evmAddressOfKey(privateKey, chain);
    if (tx.from !== sender) {
      throw new KeyMismatchError(`the transaction is from ${tx.from} but the key's address is ${sender}`, { ...context, from: tx.from, keyAddress: sender });
    }
  }

  const encoder = encoderFor(tx, chainId, context);
  const digest = getBytes(encoder.unsignedHash);
  const { signature, recoveryId } = ecc.signRecoverable(digest, privateKey);
  // Recovery ids 2 and 3 (r ≥ n, probability ~2^-127) have no representation in an Ethereum signature.
  if (recoveryId > 1) {
    throw new SigilError('EVM_SIGNATURE_UNREPRESENTABLE', 'the signature has a recovery id above 1, which Ethereum cannot encode', context);
  }
  let s = BigInt(toHex(signature.subarray(32)));
  let yParity = recoveryId;
  // EIP-2: only s ≤ n/2 is valid (libsecp256k1 already normalises); negating s flips the parity of R's y.
  if (s > HALF_ORDER) {
    s = CURVE_ORDER - s;
    yParity ^= 1;
  }
  encoder.signature = Signature.from({ r: toHex(signature.subarray(0, 32)), s: `0x${s.toString(16).padStart(64, '0')}`, yParity: yParity as 0 | 1 });

  // No verify-after-sign here: it would cost a second curve multiplication (~0.25 ms, as much as the whole
  // signing budget), libsecp256k1 returns the recovery id with the signature, and a wrong one could only make
  // the network reject the tx. The property tests recover every signature to the key's address instead.
  return { raw: encoder.serialized, txId: encoder.hash! };
}
