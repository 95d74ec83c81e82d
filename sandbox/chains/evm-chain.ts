/**
 * The sandbox's EVM chain: ganache 7 in-process (london rules, so both legacy EIP-155 and EIP-1559 type-2
 * transactions are valid), reached only through a JSON-RPC endpoint on 127.0.0.1 — the same way Sigil's
 * prepare step, Tatum's RPC gateway and broadcast would reach a real node.
 *
 * Transaction-pool rules are geth's for nonces (evm-nonce-guard.ts: ganache itself mines a reused nonce).
 *
 * Mining: by default `instamine: "eager"` — a transaction is mined into its own block before
 * eth_sendRawTransaction returns, so a receipt exists as soon as the hash does (fast and deterministic).
 * `blockTimeMs` > 0 mines on a timer instead, for demos that should look like a live chain.
 *
 * Lifecycle: `stop()` takes the node down (its port stops answering, mining pauses) but keeps the chain's
 * state in memory; `restart()` brings it back with that state on the same port when it is still free;
 * `close()` discards everything and must be called last (ganache holds timers until then).
 */
import ganache from 'ganache';
import { getAddress } from 'ethers';
import { InvalidInputError } from '../../lib/errors.js';
import { ChainRejectedError, ChainTimeoutError, ChainUnavailableError } from './chain-errors.js';
import { callJsonRpc } from './json-rpc-client.js';
import { withGethNonceRules } from './evm-nonce-guard.js';
import { serveJsonRpc, type JsonRpcEndpoint, type RequestProvider } from './json-rpc-server.js';

export interface EvmChainOptions {
  /** The chain id the node reports and enforces (EIP-155); the registry's custom network must use it too. */
  readonly chainId: number | bigint;
  /** 0 or absent: instamine (one block per transaction). Otherwise a block every blockTimeMs. */
  readonly blockTimeMs?: number;
}

export interface EvmReceipt {
  readonly transactionHash: string;
  readonly blockNumber: bigint;
  readonly status: 'success' | 'reverted';
  readonly from: string;
  readonly to: string | null;
  readonly gasUsed: bigint;
  /** What each unit of gas cost: gasPrice (legacy) or min(maxFee, baseFee + priority fee) (EIP-1559). */
  readonly effectiveGasPrice: bigint;
  readonly type: number;
}

export interface EvmChain {
  readonly chainId: bigint;
  /** The JSON-RPC endpoint; stays the same across restart() unless the port was taken meanwhile. */
  readonly rpcUrl: string;
  /** The faucet's address (a node-managed account with a large balance). */
  readonly faucetAddress: string;
  /** Send `wei` from the faucet to `address` and wait for it to be mined; returns the transaction hash. */
  fund(address: string, wei: bigint): Promise<string>;
  balance(address: string): Promise<bigint>;
  /** The account's transaction count (`latest`, or `pending` to count the mempool too). */
  nonce(address: string, blockTag?: 'latest' | 'pending'): Promise<bigint>;
  /** eth_gasPrice: what a legacy transaction should offer. */
  gasPrice(): Promise<bigint>;
  /** The latest block's baseFeePerGas (EIP-1559). */
  baseFee(): Promise<bigint>;
  /** eth_sendRawTransaction; ChainUnavailableError while stopped, ChainRejectedError with the node's message. */
  sendRaw(rawHex: string): Promise<string>;
  waitForReceipt(hash: string, timeoutMs?: number): Promise<EvmReceipt>;
  /** Any other JSON-RPC call, over the wire. */
  request(method: string, params?: readonly unknown[]): Promise<unknown>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The faucet's starting balance in ether (ganache's unit for it): far beyond any demo. */
const FAUCET_ETHER = 1_000_000_000;
const RECEIPT_POLL_MS = 20;

interface GanacheProvider extends RequestProvider {
  disconnect(): Promise<void>;
}

function hexQuantity(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new ChainUnavailableError(`the node returned ${field} that is not a hex quantity`, { field });
  }
  return BigInt(value);
}

function checkedAddress(address: string): string {
  try {
    return getAddress(address).toLowerCase();
  } catch (cause) {
    throw new InvalidInputError(`expected an EVM address (0x + 40 hex digits), got ${JSON.stringify(String(address).slice(0, 60))}`, {}, { cause });
  }
}

function toReceipt(raw: Record<string, unknown>): EvmReceipt {
  return {
    transactionHash: String(raw.transactionHash),
    blockNumber: hexQuantity('blockNumber', raw.blockNumber),
    status: raw.status === '0x1' ? 'success' : 'reverted',
    from: String(raw.from).toLowerCase(),
    to: typeof raw.to === 'string' ? raw.to.toLowerCase() : null,
    gasUsed: hexQuantity('gasUsed', raw.gasUsed),
    effectiveGasPrice: hexQuantity('effectiveGasPrice', raw.effectiveGasPrice),
    type: raw.type === undefined ? 0 : Number(hexQuantity('type', raw.type)),
  };
}

export async function startEvmChain(options: EvmChainOptions): Promise<EvmChain> {
  const chainId = BigInt(options.chainId);
  if (chainId <= 0n || chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidInputError(`an EVM chain id is a positive safe integer, got ${chainId}`, { chainId: chainId.toString() });
  }
  const blockTimeMs = options.blockTimeMs ?? 0;
  if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 0) {
    throw new InvalidInputError(`blockTimeMs is a non-negative integer, got ${String(blockTimeMs)}`, { blockTimeMs });
  }
  const provider = ganache.provider({
    chain: { chainId: Number(chainId), hardfork: 'london' },
    logging: { quiet: true },
    miner: blockTimeMs > 0 ? { blockTime: blockTimeMs / 1000 } : { instamine: 'eager', blockTime: 0 },
    wallet: { totalAccounts: 1, defaultBalance: FAUCET_ETHER },
  }) as unknown as GanacheProvider;
  const [faucet] = (await provider.request({ method: 'eth_accounts', params: [] })) as string[];
  if (!faucet) throw new Error('ganache started without an account');

  const served = withGethNonceRules(provider);
  let endpoint: JsonRpcEndpoint | undefined = await serveJsonRpc(served);
  let port = endpoint.port;
  let closed = false;

  // Always over the wire, stopped or not: a stopped node is one whose port refuses connections.
  const call = (method: string, params: readonly unknown[] = []): Promise<unknown> => callJsonRpc(`http://127.0.0.1:${port}`, method, params);

  const waitForReceipt = async (hash: string, timeoutMs = 10_000): Promise<EvmReceipt> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const raw = await call('eth_getTransactionReceipt', [hash]);
      if (raw && typeof raw === 'object') return toReceipt(raw as Record<string, unknown>);
      if (Date.now() >= until) throw new ChainTimeoutError(`no receipt for ${hash} after ${timeoutMs} ms`, { hash, timeoutMs });
      await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
    }
  };

  return {
    chainId,
    get rpcUrl() {
      return `http://127.0.0.1:${port}`;
    },
    faucetAddress: faucet.toLowerCase(),
    async fund(address, wei) {
      if (wei <= 0n) throw new InvalidInputError(`a funding amount is positive, got ${wei} wei`);
      const hash = (await call('eth_sendTransaction', [{ from: faucet, to: checkedAddress(address), value: `0x${wei.toString(16)}` }])) as string;
      const receipt = await waitForReceipt(hash);
      if (receipt.status !== 'success') throw new ChainRejectedError('reverted', `funding transaction ${hash} reverted (a contract at ${address} refused the value)`, { hash });
      return hash;
    },
    async balance(address) {
      return hexQuantity('balance', await call('eth_getBalance', [checkedAddress(address), 'latest']));
    },
    async nonce(address, blockTag = 'latest') {
      return hexQuantity('nonce', await call('eth_getTransactionCount', [checkedAddress(address), blockTag]));
    },
    async gasPrice() {
      return hexQuantity('gasPrice', await call('eth_gasPrice'));
    },
    async baseFee() {
      const block = (await call('eth_getBlockByNumber', ['latest', false])) as Record<string, unknown>;
      return hexQuantity('baseFeePerGas', block.baseFeePerGas);
    },
    async sendRaw(rawHex) {
      if (typeof rawHex !== 'string' || !/^0x(?:[0-9a-fA-F]{2})+$/.test(rawHex)) {
        throw new InvalidInputError('a raw EVM transaction is 0x-prefixed hex of whole bytes');
      }
      return (await call('eth_sendRawTransaction', [rawHex])) as string;
    },
    waitForReceipt,
    request: call,
    async stop() {
      if (!endpoint) return;
      const current = endpoint;
      endpoint = undefined;
      await current.close();
      if (blockTimeMs > 0) await provider.request({ method: 'miner_stop', params: [] });
    },
    async restart() {
      if (closed) throw new ChainUnavailableError('the EVM chain was closed; start a new one', { chainId: chainId.toString() });
      if (endpoint) return;
      try {
        endpoint = await serveJsonRpc(served, port);
      } catch {
        // The old port was taken while the node was down: a real node restarted elsewhere gets a new address.
        endpoint = await serveJsonRpc(served, 0);
      }
      port = endpoint.port;
      if (blockTimeMs > 0) await provider.request({ method: 'miner_start', params: [] });
    },
    async close() {
      if (closed) return;
      closed = true;
      const current = endpoint;
      endpoint = undefined;
      await current?.close();
      await provider.disconnect();
    },
  };
}
