/**
 * A typed facade over the parts of bitcore-lib 11 (the library Tatum builds UTXO transactions with) that
 * the sandbox uses to produce Tatum's serializedTransaction byte for byte. bitcore ships no types.
 *
 * Addresses reach bitcore only as Address objects made from output scripts: the sandbox's regtest shares
 * its base58 prefixes with testnet (which bitcore would pick for a string) and has its own bech32 prefix,
 * so bitcore is told the network once, as a custom network, and never asked to guess it.
 */
import { createRequire } from 'node:module';
import type { UtxoParams } from '../../lib/chains/registry.js';

export interface BitcoreScript {
  toHex(): string;
}
export interface BitcoreAddress {
  toString(): string;
}
export interface BitcoreUnspent {
  readonly txId: string;
  readonly outputIndex: number;
  /** Hex of the prevout's scriptPubKey. */
  readonly script: string;
  readonly satoshis: number;
}
export interface BitcoreTransaction {
  from(utxo: BitcoreUnspent): BitcoreTransaction;
  to(address: BitcoreAddress, satoshis: number): BitcoreTransaction;
  change(address: BitcoreAddress): BitcoreTransaction;
  fee(satoshis: number): BitcoreTransaction;
  toObject(): BitcoreTransactionObject;
}
/** `Transaction.toObject()` (bitcore-lib lib/transaction/transaction.js). */
export interface BitcoreTransactionObject {
  readonly hash: string;
  readonly version: number;
  readonly inputs: ReadonlyArray<{ readonly prevTxId: string; readonly outputIndex: number; readonly output: { readonly satoshis: number; readonly script: string } }>;
  readonly outputs: ReadonlyArray<{ readonly satoshis: number; readonly script: string }>;
  readonly nLockTime: number;
  readonly changeIndex?: number;
  readonly fee?: number;
}
interface Bitcore {
  Transaction: new () => BitcoreTransaction;
  Address: { fromScript(script: BitcoreScript, network: unknown): BitcoreAddress };
  Script: { fromBuffer(buffer: Buffer): BitcoreScript };
  Networks: { add(data: Record<string, unknown>): unknown; get(name: string): unknown };
}

export const bitcore = createRequire(import.meta.url)('bitcore-lib') as Bitcore;

const registered = new Map<string, unknown>();

/** bitcore's network object for `params`, registered on first use under a name of its own. */
export function bitcoreNetworkOf(params: UtxoParams): unknown {
  const name = `sigil-${params.bech32}-${params.pubKeyHash}-${params.scriptHash}-${params.wif}`;
  let network = registered.get(name);
  if (!network) {
    network =
      bitcore.Networks.get(name) ??
      bitcore.Networks.add({
        name,
        alias: name,
        pubkeyhash: params.pubKeyHash,
        privatekey: params.wif,
        scripthash: params.scriptHash,
        bech32prefix: params.bech32,
        xpubkey: params.bip32.public,
        xprivkey: params.bip32.private,
      });
    registered.set(name, network);
  }
  return network;
}

export function bitcoreAddressOfScript(script: Uint8Array, params: UtxoParams): BitcoreAddress {
  return bitcore.Address.fromScript(bitcore.Script.fromBuffer(Buffer.from(script)), bitcoreNetworkOf(params));
}
