/**
 * A typed facade over the parts of bcoin 1.0.2 the sandbox uses (bcoin ships no types), and the one place
 * that knows bcoin's conventions:
 *
 * - hashes are hex strings in internal byte order (`hash`); display order (the txid everyone prints) is
 *   their reverse (`rhash()`, `txid()`);
 * - amounts are JS numbers of satoshis (exact below 2^53);
 * - bcoin's regtest has its own base58 prefixes (0x3c/0x26), so addresses never cross this boundary as
 *   strings: the sandbox turns an address into its output script with its own network parameters, and
 *   bcoin sees only scripts.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export interface BcoinScript {
  toRaw(): Buffer;
}
export interface BcoinAddress {
  readonly __brand?: 'BcoinAddress';
}
export interface BcoinCoin {
  /** Internal byte order. */
  readonly hash: string;
  readonly index: number;
  readonly value: number;
  /** -1 while in the mempool. */
  readonly height: number;
  readonly coinbase: boolean;
  readonly script: BcoinScript;
  rhash(): string;
}
export interface BcoinTX {
  txid(): string;
  hash(enc: 'hex'): string;
}
export interface BcoinBlock {
  rhash(): string;
}
export interface BcoinTXMeta {
  readonly height: number;
  /** Internal byte order, null in the mempool. */
  readonly block: string | null;
}
export interface BcoinVerifyError extends Error {
  readonly type: 'VerifyError';
  readonly code: string;
  readonly reason: string;
}

export interface BcoinFullNode {
  open(): Promise<void>;
  close(): Promise<void>;
  readonly chain: {
    readonly height: number;
    add(block: BcoinBlock): Promise<unknown>;
  };
  readonly miner: {
    mineBlock(tip: null, address: BcoinAddress): Promise<BcoinBlock>;
  };
  readonly mempool: {
    readonly map: Map<string, unknown>;
    addTX(tx: BcoinTX): Promise<string[] | null>;
    removeOrphan(hash: string): void;
  };
  readonly http: { readonly http: { address(): AddressInfo } };
  getCoinsByAddress(addresses: BcoinAddress[]): Promise<BcoinCoin[]>;
  getCoin(hash: string, index: number): Promise<BcoinCoin | null>;
  getMeta(hash: string): Promise<BcoinTXMeta | null>;
}

interface Bcoin {
  FullNode: new (options: Record<string, unknown>) => BcoinFullNode;
  Address: { fromScript(script: BcoinScript): BcoinAddress };
  Script: { fromRaw(raw: Buffer): BcoinScript };
  TX: { fromRaw(raw: Buffer): BcoinTX };
}

export const bcoin = createRequire(import.meta.url)('bcoin') as Bcoin;

/** Display order ↔ internal order (both are the same 32 bytes reversed). */
export function reverseHex(hex: string): string {
  return Buffer.from(hex, 'hex').reverse().toString('hex');
}

export function isVerifyError(error: unknown): error is BcoinVerifyError {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'VerifyError';
}

/** The bcoin address object of an output script (P2PKH, P2SH, P2WPKH, P2WSH, …). */
export function bcoinAddressOfScript(script: Uint8Array): BcoinAddress {
  return bcoin.Address.fromScript(bcoin.Script.fromRaw(Buffer.from(script)));
}

/**
 * A regtest full node in memory: no peers, no listening socket for the P2P protocol, JS crypto (bcoin's
 * native addons are disabled on purpose), the transaction and address indexes that listUnspent needs,
 * and bcoin's HTTP/JSON-RPC on 127.0.0.1 at a free port (no auth on loopback) for debugging.
 */
export function createRegtestNode(): BcoinFullNode {
  return new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    workers: false,
    listen: false,
    indexTX: true,
    indexAddress: true,
    logLevel: 'none',
    logConsole: false,
    httpHost: '127.0.0.1',
    httpPort: 0,
  });
}
