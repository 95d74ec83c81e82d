/**
 * The simulator's RPC gateway (`POST /v3/blockchain/node/{CHAIN}`): JSON-RPC 2.0 over a fixed, mutable
 * state per chain, enough for Sigil's prepare step — eth_chainId, eth_blockNumber,
 * eth_getTransactionCount (the pending count per address), eth_estimateGas, eth_gasPrice,
 * eth_maxPriorityFeePerGas, eth_feeHistory. A hook sees every call first, so the sandbox can proxy some
 * or all methods to a real chain later; a hook returning undefined falls through to the fixed state.
 * Unknown methods answer JSON-RPC error -32601. Batches (arrays) are answered element by element.
 */
import { defaultRegistry } from '../../lib/chains/registry.js';

export interface RpcChainState {
  chainId: bigint;
  blockNumber: bigint;
  gasPrice: bigint;
  estimateGas: bigint;
  maxPriorityFeePerGas: bigint;
  baseFeePerGas: bigint;
  /** Lower-case `0x` address → its pending transaction count (eth_getTransactionCount). */
  readonly nonces: Map<string, bigint>;
}

export interface RpcCall {
  readonly chain: string;
  readonly method: string;
  readonly params: readonly unknown[];
}

export type RpcOutcome = { readonly result: unknown } | { readonly error: { readonly code: number; readonly message: string } };

/** Return an outcome to answer the call, or undefined to let the fixed state answer. */
export type RpcHook = (call: RpcCall) => RpcOutcome | undefined | Promise<RpcOutcome | undefined>;

const GWEI = 1_000_000_000n;

const hex = (n: bigint): string => `0x${n.toString(16)}`;

function errorOutcome(code: number, message: string): RpcOutcome {
  return { error: { code, message } };
}

function quantity(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,8}$/.test(value)) return Number.parseInt(value.slice(2), 16);
  return null;
}

export class RpcGateway {
  readonly #chains = new Map<string, RpcChainState>();
  readonly #network: 'mainnet' | 'testnet';
  readonly calls: RpcCall[] = [];

  constructor(network: 'mainnet' | 'testnet' = 'testnet') {
    this.#network = network;
  }

  /** The mutable state of `chain` (created with defaults: the registry's chain id, 20 gwei, 21,000 gas). */
  chain(chain: string): RpcChainState {
    let state = this.#chains.get(chain);
    if (!state) {
      let chainId = 1337n;
      try {
        chainId = defaultRegistry.resolve(chain, this.#network).chainId ?? 1337n;
      } catch {
        // A chain the registry does not know keeps the local-devnet id.
      }
      state = { chainId, blockNumber: 0x100n, gasPrice: 20n * GWEI, estimateGas: 21_000n, maxPriorityFeePerGas: 1n * GWEI, baseFeePerGas: 19n * GWEI, nonces: new Map() };
      this.#chains.set(chain, state);
    }
    return state;
  }

  /** Answer a JSON-RPC request body (object or batch array) for `chain`. */
  async answer(chain: string, body: unknown, hook?: RpcHook): Promise<unknown> {
    if (Array.isArray(body)) return Promise.all(body.map((item) => this.#answerOne(chain, item, hook)));
    return this.#answerOne(chain, body, hook);
  }

  async #answerOne(chain: string, request: unknown, hook?: RpcHook): Promise<unknown> {
    const r = (typeof request === 'object' && request !== null ? request : {}) as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = typeof r.id === 'number' || typeof r.id === 'string' ? r.id : null;
    let outcome: RpcOutcome;
    if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || (r.params !== undefined && !Array.isArray(r.params))) {
      outcome = errorOutcome(-32600, 'invalid request');
    } else {
      const call: RpcCall = { chain, method: r.method, params: (r.params as unknown[] | undefined) ?? [] };
      this.calls.push(call);
      outcome = (await hook?.(call)) ?? this.#fixed(call);
    }
    return { jsonrpc: '2.0', id, ...outcome };
  }

  #fixed(call: RpcCall): RpcOutcome {
    const state = this.chain(call.chain);
    switch (call.method) {
      case 'eth_chainId':
        return { result: hex(state.chainId) };
      case 'eth_blockNumber':
        return { result: hex(state.blockNumber) };
      case 'eth_gasPrice':
        return { result: hex(state.gasPrice) };
      case 'eth_estimateGas':
        return { result: hex(state.estimateGas) };
      case 'eth_maxPriorityFeePerGas':
        return { result: hex(state.maxPriorityFeePerGas) };
      case 'eth_getTransactionCount': {
        const [address] = call.params;
        if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) return errorOutcome(-32602, 'invalid address');
        return { result: hex(state.nonces.get(address.toLowerCase()) ?? 0n) };
      }
      case 'eth_feeHistory': {
        const count = quantity(call.params[0]);
        if (count === null || count < 1 || count > 1024) return errorOutcome(-32602, 'invalid block count');
        const percentiles = Array.isArray(call.params[2]) ? call.params[2] : [];
        return {
          result: {
            oldestBlock: hex(state.blockNumber - BigInt(count) + 1n > 0n ? state.blockNumber - BigInt(count) + 1n : 0n),
            baseFeePerGas: Array.from({ length: count + 1 }, () => hex(state.baseFeePerGas)),
            gasUsedRatio: Array.from({ length: count }, () => 0.5),
            reward: Array.from({ length: count }, () => percentiles.map(() => hex(state.maxPriorityFeePerGas))),
          },
        };
      }
      default:
        return errorOutcome(-32601, `method ${call.method} is not served by the simulator`);
    }
  }
}
