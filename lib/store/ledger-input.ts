/**
 * The ledger port's boundary: every argument of every operation is checked here, before anything is read
 * or written, with the same field rules as stored records (ledger-record.ts). A bad argument is an
 * InvalidInputError naming the field, never echoing its value.
 */
import { InvalidInputError } from '../errors.js';
import type { TransactionSummary } from '../chains/family.js';
import type { ClaimRequest, LedgerSummary, SignedPayload } from './ledger.js';
import { describeValue, isPlainObject, LedgerChecker, MAX_REASON_CHARS } from './ledger-record.js';

/** Leases from 1 ms (tests) to 7 days. */
const MAX_LEASE_MS = 7 * 24 * 3600 * 1000;

export const inputChecker = new LedgerChecker((message, field) => {
  throw new InvalidInputError(`ledger: ${message}`, { field });
});

/** The claim request, checked: `pending` must be a JSON object whose `id` is the request's id. */
export function checkClaimRequest(request: ClaimRequest): ClaimRequest {
  const c = inputChecker;
  const id = c.pendingId(request?.id);
  const pending = c.text(request.pending, 'pending');
  let parsed: unknown;
  try {
    parsed = JSON.parse(pending) as unknown;
  } catch {
    c.fail('pending must be the JSON text of the pending transaction', 'pending');
  }
  if (!isPlainObject(parsed) || parsed.id !== id) c.fail(`pending must be a JSON object whose id is ${id}`, 'pending');
  return { id, chain: c.chain(request.chain), network: c.network(request.network), pending };
}

/** A signed payload; `chain` null checks the keys' syntax only (the record's chain is not known yet). */
export function checkSignedPayload(payload: SignedPayload, chain: string | null): SignedPayload {
  const c = inputChecker;
  return { raw: c.text(payload?.raw, 'raw'), hash: c.token(payload.hash, 'hash'), spends: c.spends(payload.spends, chain) };
}

export function checkLeaseMs(leaseMs: number): number {
  return inputChecker.integer(leaseMs, 'leaseMs', 1, MAX_LEASE_MS);
}

export function checkTime(value: number, field: string): number {
  return inputChecker.integer(value, field);
}

/** A reason as one trimmed line of at most 500 characters: runs of whitespace and control characters become one space. */
export function normalizeReason(reason: string, field = 'reason'): string {
  if (typeof reason !== 'string') inputChecker.fail(`${field} must be a string, got ${describeValue(reason)}`, field);
  const line = reason.replace(/[\s\x00-\x1f\x7f]+/g, ' ').trim().slice(0, MAX_REASON_CHARS).trim();
  return inputChecker.reason(line, field);
}

/** A lower-case 0x address for the nonce allocator. */
export function checkEvmAddress(from: string): string {
  return inputChecker.match(typeof from === 'string' ? from.toLowerCase() : from, 'from', /^0x[0-9a-f]{40}$/, 'a 0x address of 40 hex');
}

export function checkChainId(chainId: bigint): bigint {
  if (typeof chainId !== 'bigint' || chainId < 0n || chainId >= 10n ** 20n) inputChecker.fail(`chainId must be a bigint in [0, 10^20), got ${describeValue(chainId)}`, 'chainId');
  return chainId;
}

/** A chain family's summary in the ledger's JSON form (amounts as decimal strings). */
export function ledgerSummaryOf(summary: TransactionSummary): LedgerSummary {
  return {
    outputs: summary.outputs.map((o) => ({ to: o.to, amount: o.amount.toString(10) })),
    maxFee: summary.maxFee === undefined ? null : summary.maxFee.toString(10),
  };
}
