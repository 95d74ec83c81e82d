/**
 * Geth's nonce rules for eth_sendRawTransaction, in front of ganache 7.9.2, which breaks them:
 *
 * - ganache accepts and mines a second transaction at a nonce the sender already used (measured here with
 *   Sigil- and ethers-signed transactions, in-process and as a child process; ganache issue #3794, never
 *   fixed before the project was archived). Geth refuses it: `nonce too low: address …, tx: N state: M`
 *   (go-ethereum core/txpool ErrNonceTooLow). A sandbox chain that mines double spends would hide exactly
 *   the bugs Sigil's nonce ledger exists to prevent, so the guard refuses it as geth does.
 * - in eager instamine mode ganache answers a future-nonce transaction only once the gap is filled
 *   (ganache issue #4165); geth queues it and answers with its hash at once. The guard answers with the
 *   hash when ganache has not refused the transaction within a short grace period.
 *
 * Submissions are serialized, so two transactions at the same nonce cannot both pass the check before
 * either is mined. Anything the guard cannot decode goes to ganache unchanged, for ganache's own error.
 */
import { Transaction } from 'ethers';
import type { RequestProvider } from './json-rpc-server.js';

/** How long ganache may take to refuse a future-nonce transaction before the guard answers for it. */
const FUTURE_NONCE_GRACE_MS = 50;

function rpcError(message: string): Error {
  // JSON-RPC -32000: geth's code for every transaction-pool refusal.
  return Object.assign(new Error(message), { code: -32000 });
}

function decode(raw: unknown): { from: string; nonce: bigint; hash: string } | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const tx = Transaction.from(raw);
    if (!tx.from || !tx.hash) return undefined;
    return { from: tx.from.toLowerCase(), nonce: BigInt(tx.nonce), hash: tx.hash };
  } catch {
    return undefined;
  }
}

async function transactionCount(provider: RequestProvider, address: string, tag: 'latest' | 'pending'): Promise<bigint> {
  return BigInt((await provider.request({ method: 'eth_getTransactionCount', params: [address, tag] })) as string);
}

async function submitRaw(provider: RequestProvider, args: { method: string; params?: unknown[] }): Promise<unknown> {
  const tx = decode(args.params?.[0]);
  if (!tx) return provider.request(args);
  const state = await transactionCount(provider, tx.from, 'latest');
  if (tx.nonce < state) throw rpcError(`nonce too low: address ${tx.from}, tx: ${tx.nonce} state: ${state}`);
  const pending = await transactionCount(provider, tx.from, 'pending');
  const submission = provider.request(args);
  if (tx.nonce <= pending) return submission;
  submission.catch(() => undefined); // settled later, when the gap is filled; its refusal has no caller left
  const grace = new Promise<string>((resolve) => setTimeout(() => resolve(tx.hash), FUTURE_NONCE_GRACE_MS));
  return Promise.race([submission, grace]);
}

/** `provider` with geth's nonce checks on eth_sendRawTransaction; every other call passes through. */
export function withGethNonceRules(provider: RequestProvider): RequestProvider {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    request(args) {
      if (args.method !== 'eth_sendRawTransaction') return provider.request(args);
      const result = queue.then(() => submitRaw(provider, args));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
