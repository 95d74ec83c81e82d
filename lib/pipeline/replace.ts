/**
 * `sigil ledger replace <id>`: an operator's audited request to re-sign a stuck EVM transaction at the SAME
 * nonce, destination, amount, data and gas, with a higher fee within the chain's caps (ARCHITECTURE §ledger).
 * Nodes accept a replacement only when every fee rises by at least 10%; the default bump is 25%. The ledger
 * keeps the old raw beside the new one (replaceSigned moves the nonce claim to the new bytes in the same write),
 * then the new bytes are broadcast; whichever version mines, the nonce is spent once.
 * The replacement is decided by the policy like any transaction (a fee bump may cross a fee ceiling): BLOCK
 * refuses it before anything is signed; REQUIRE_APPROVAL does not ask the four-eye service, the operator who asks
 * is the approval, and both the decision and the replacement are in the audit trail.
 */
import { familyOf } from '../chains/index.js';
import type { EvmTransaction } from '../chains/evm/index.js';
import { InvalidInputError, SigilError } from '../errors.js';
import type { LedgerRecord } from '../store/ledger.js';
import { broadcastSigned } from './broadcast.js';
import { feeCapsFor, type PipelineDeps } from './deps.js';
import { parsePendingTransaction } from '../tatum/pending-transaction.js';
import { auditTx, recordDecision } from './observe.js';
import { decideFor, policyInputOfParsed } from './policy-gate.js';
import { signWithWallets } from './sign.js';
import { loadWallets } from './wallet-lookup.js';

export interface ReplaceRequest {
  readonly id: string;
  /** Percent added to every fee field; 10–500, default 25. */
  readonly bumpPercent?: number;
  readonly reason: string;
  /** Who asked (recorded in the ledger's history and the event). */
  readonly operator: string;
}

function bumped(value: bigint, percent: number): bigint {
  return (value * BigInt(100 + percent) + 99n) / 100n; // rounded up, so the rise is never below `percent`
}

export async function replaceStuckEvmTransaction(deps: PipelineDeps, request: ReplaceRequest): Promise<LedgerRecord> {
  const percent = request.bumpPercent ?? 25;
  if (!Number.isInteger(percent) || percent < 10 || percent > 500) throw new InvalidInputError('the fee bump is a whole percent from 10 to 500 (nodes require at least 10%)');
  const record = await deps.ledger.get(request.id);
  if (!record) throw new InvalidInputError(`no ledger record for ${request.id}`);
  if (!['SIGNED', 'BROADCAST', 'BROADCAST_UNKNOWN'].includes(record.state) || record.prepared === null) {
    throw new InvalidInputError(`pending tx ${record.id} is ${record.state}: only a signed, unconfirmed transaction can be replaced`);
  }
  const chain = deps.registry.resolve(record.chain, record.network);
  if (chain.family !== 'evm') throw new InvalidInputError(`${record.chain} is not an EVM chain: only EVM transactions are replaced by fee`);
  const prepared = familyOf(chain).parse(record.prepared, chain) as EvmTransaction;
  const caps = feeCapsFor(deps.config, chain.chain);
  const fees =
    prepared.gasPrice !== undefined
      ? { gasPrice: bumped(prepared.gasPrice, percent) }
      : { maxFeePerGas: bumped(prepared.maxFeePerGas!, percent), maxPriorityFeePerGas: bumped(prepared.maxPriorityFeePerGas!, percent) };
  const highest = fees.gasPrice ?? fees.maxFeePerGas!;
  if (highest > caps.maxGasPrice) {
    throw new SigilError('ABOVE_CAP', `the replacement fee ${highest} wei would exceed the ${chain.chain} cap of ${caps.maxGasPrice}; raise the cap deliberately or wait`, { pendingId: record.id });
  }
  const replacement: EvmTransaction = { ...prepared, ...fees };
  const pending = parsePendingTransaction(JSON.parse(record.pending));
  const input = policyInputOfParsed(chain, replacement, pending, await loadWallets(deps.wallets, pending));
  const decision = await decideFor(deps, record.id, input);
  await recordDecision(deps, record.id, 'replace', decision);
  if (decision.action === 'BLOCK') {
    throw new SigilError('POLICY_BLOCKED', `the policy blocks the replacement: ${decision.reason}; nothing was signed`, { pendingId: record.id, ...(decision.rule ? { rule: decision.rule } : {}) });
  }
  const { signed, spends } = await signWithWallets(deps, record, replacement);
  const replaced = await deps.ledger.replaceSigned(record.id, { raw: signed.raw, hash: signed.txId, spends }, request.reason, request.operator);
  await auditTx(deps, record.id, 'tx.replaced', { hash: signed.txId, replaces: record.hash, operator: request.operator, reason: request.reason, bumpPercent: percent });
  await deps.events.emit('Transaction Signed', { pendingId: record.id, chain: record.chain, network: record.network, hash: signed.txId, replaces: record.hash, operator: request.operator, reason: request.reason });
  return broadcastSigned(deps, replaced);
}
