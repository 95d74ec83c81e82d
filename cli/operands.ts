/**
 * Positional operands checked at the boundary. Messages describe a bad operand by its length, never by
 * its text: an operand could be a secret pasted into the wrong place.
 */
import { MAX_BATCH_COUNT, checkSignatureId } from '../lib/wallets/index.js';
import type { WalletStore } from '../lib/store/wallet-store.js';
import { UsageError } from './args.js';
import type { CommandContext } from './context.js';

const CHAIN = /^[A-Za-z][A-Za-z0-9_]{1,15}$/;

/** A chain code (case-insensitive on input, as Tatum's are upper case) that the registry knows on the network. */
export function chainOperand(ctx: CommandContext, text: string): string {
  if (!CHAIN.test(text)) throw new UsageError(`expected a chain code such as BTC or ETH; got a value of ${text.length} characters`);
  const chain = text.toUpperCase();
  ctx.registry.resolve(chain, ctx.network());
  return chain;
}

export function indexOperand(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new UsageError(`expected a derivation index (0 to 2147483647); got a value of ${text.length} characters`);
  const index = Number(text);
  if (index > 0x7fffffff) throw new UsageError(`a derivation index is at most 2147483647; got ${text}`);
  return index;
}

export function countOperand(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > MAX_BATCH_COUNT) {
    throw new UsageError(`expected a count from 1 to ${MAX_BATCH_COUNT}; got a value of ${text.length} characters`);
  }
  return Number(text);
}

export function signatureIdOperand(text: string): string {
  return checkSignatureId(text);
}

/** Ids of `report <id,id,…>` (comma-separated, several operands allowed). */
export function signatureIdList(operands: readonly string[]): string[] {
  const ids = operands.flatMap((operand) => operand.split(',')).filter((id) => id.length > 0);
  if (ids.length === 0) throw new UsageError('expected signatureIds, comma-separated');
  return ids.map(checkSignatureId);
}

/** Upstream scripts pass --testnet everywhere; where the stored wallet decides the network, say so when they disagree. */
export async function warnOnNetworkMismatch(ctx: CommandContext, store: WalletStore, signatureId: string): Promise<void> {
  if (!ctx.args.given.has('testnet')) return;
  const record = await store.get(signatureId).catch(() => undefined);
  if (record && record.testnet !== ctx.config.testnet) {
    ctx.warn(`--testnet${ctx.config.testnet ? '' : '=false'} is ignored: wallet ${signatureId} is a ${record.testnet ? 'testnet' : 'mainnet'} wallet (${record.network})`);
  }
}
