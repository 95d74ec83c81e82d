/**
 * What a run did, checked against the chains: each payment's fee as the chain charged it, and the demo
 * accounts' balances against what the payments must have moved — to the wei and the satoshi:
 *
 *   ETH sender:    after = before + funded − Σ (value + gasUsed × effectiveGasPrice)   (receipts)
 *   ETH recipient: after = before + Σ value
 *   BTC sender:    after = before + funded − Σ (amount + fee)   (fee as requested: inputs − outputs)
 *   BTC recipient: after = before + Σ amount
 *
 * Payments that ended without reaching a chain (denied, rejected, failed) must move nothing. A payment the
 * policy must block (`expect: 'blocked'`) is right when the ledger holds it REJECTED and an alert named it;
 * anything else it does (confirming above all) is a problem.
 */
import type { RunAccounts } from './demo-accounts.js';
import type { DemoPayment } from './payments.js';
import type { BalanceLine } from './status-view.js';
import type { TxStatus } from './tx-status.js';
import type { Sandbox } from './wiring.js';

export interface PaymentOutcome {
  readonly label: string;
  readonly chain: 'ETH' | 'BTC';
  readonly pendingId: string;
  readonly stage: string;
  readonly ledgerState: string | null;
  readonly txId: string | null;
  readonly block: number | null;
  readonly from: string;
  readonly to: string;
  /** wei or sat, as decimal strings (JSON has no bigint). */
  readonly amount: string;
  readonly fee: string | null;
  readonly unit: 'wei' | 'sat';
  readonly note?: string;
  /** Blocked by the policy as expected, with the alert that was raised. */
  readonly blocked?: { readonly alerted: boolean };
}

export interface BalanceCheck {
  readonly chain: 'ETH' | 'BTC';
  readonly role: string;
  readonly address: string;
  readonly before: string;
  readonly after: string;
  /** null while payments are unfinished: their effect on the balance is not settled. */
  readonly expected: string | null;
  readonly ok: boolean | null;
}

export type Funded = Record<'ETH' | 'BTC', bigint>;

export async function readBalances(sandbox: Sandbox, accounts: RunAccounts): Promise<BalanceLine[]> {
  const eth = (role: string, address: string) => sandbox.evm.balance(address).then((balance): BalanceLine => ({ chain: 'ETH', role, address, balance }));
  const btc = (role: string, address: string) => sandbox.btc.balance(address).then((balance): BalanceLine => ({ chain: 'BTC', role, address, balance }));
  return Promise.all([
    eth('sender', accounts.ETH.sender.address),
    eth('recipient', accounts.ETH.recipient.address),
    btc('sender', accounts.BTC.sender.address),
    btc('recipient', accounts.BTC.recipient.address),
  ]);
}

/** The fee the chain charged a confirmed payment; checks the receipt is the payment's (sender, type). */
async function chargedFee(sandbox: Sandbox, payment: DemoPayment, hash: string): Promise<{ fee: bigint; problem?: string }> {
  if (payment.chain === 'BTC') return { fee: payment.fee ?? 0n };
  const receipt = await sandbox.evm.waitForReceipt(hash, 2_000);
  const type = payment.kind === 'eip1559' ? 2 : 0;
  const problem =
    receipt.status !== 'success' ? `receipt status ${receipt.status}`
    : receipt.from !== payment.from.toLowerCase() ? `mined from ${receipt.from}, not ${payment.from}`
    : receipt.type !== type ? `mined as type ${receipt.type}, not ${type}`
    : undefined;
  return { fee: receipt.gasUsed * receipt.effectiveGasPrice, ...(problem ? { problem } : {}) };
}

export interface RunReport {
  readonly payments: PaymentOutcome[];
  readonly balances: BalanceCheck[];
  /** Payments that failed, or whose chain facts or balances are not what they must be. */
  readonly problems: string[];
  /** Payments neither confirmed nor ended (the caller decides whether that is a problem). */
  readonly unfinished: string[];
}

/** Check a run: every payment's on-chain facts, then (once every payment is final) every balance. */
export async function checkRun(
  sandbox: Sandbox,
  accounts: RunAccounts,
  entries: ReadonlyArray<{ readonly payment: DemoPayment; readonly status: TxStatus }>,
  before: readonly BalanceLine[],
  funded: Funded,
  /** pendingIds an alert named (the run's alert sink). */
  alerted: ReadonlySet<string> = new Set(),
): Promise<RunReport> {
  const problems: string[] = [];
  const unfinished: string[] = [];
  const sent: Funded = { ETH: 0n, BTC: 0n };
  const spent: Funded = { ETH: 0n, BTC: 0n };
  const payments: PaymentOutcome[] = [];
  for (const { payment, status } of entries) {
    let fee: bigint | null = null;
    if (payment.expect === 'blocked') {
      if (status.ledgerState === 'REJECTED') {
        if (!alerted.has(payment.pendingId)) problems.push(`${payment.label} ${payment.pendingId} was rejected but no alert named it`);
      } else if (status.final) {
        problems.push(`${payment.label} ${payment.pendingId} should have been blocked by the policy but ended at ${status.stage}`);
      } else {
        unfinished.push(`${payment.label} ${payment.pendingId} is at ${status.stage} (to be blocked)`);
      }
    } else if (status.stage === 'confirmed' && status.hash) {
      const charged = await chargedFee(sandbox, payment, status.hash);
      fee = charged.fee;
      if (charged.problem) problems.push(`${payment.label} ${payment.pendingId}: ${charged.problem}`);
      sent[payment.chain] += payment.amount;
      spent[payment.chain] += payment.amount + charged.fee;
    } else if (status.final) {
      problems.push(`${payment.label} ${payment.pendingId} ended at ${status.stage}${status.note ? ` (${status.note})` : ''}, not confirmed`);
    } else {
      unfinished.push(`${payment.label} ${payment.pendingId} is at ${status.stage}${status.note ? ` (${status.note})` : ''}`);
    }
    payments.push({
      label: payment.label,
      chain: payment.chain,
      pendingId: payment.pendingId,
      stage: status.stage,
      ledgerState: status.ledgerState ?? null,
      txId: status.hash ?? null,
      block: status.block ?? null,
      from: payment.from,
      to: payment.to,
      amount: payment.amount.toString(),
      fee: fee === null ? null : fee.toString(),
      unit: payment.chain === 'ETH' ? 'wei' : 'sat',
      ...(status.note ? { note: status.note } : {}),
      ...(payment.expect === 'blocked' && status.ledgerState === 'REJECTED' ? { blocked: { alerted: alerted.has(payment.pendingId) } } : {}),
    });
  }
  const after = await readBalances(sandbox, accounts);
  const balances = after.map((line): BalanceCheck => {
    const start = before.find((b) => b.chain === line.chain && b.address === line.address)?.balance ?? 0n;
    const common = { chain: line.chain, role: line.role, address: line.address, before: start.toString(), after: line.balance.toString() };
    if (unfinished.length > 0) return { ...common, expected: null, ok: null };
    const expected = line.role === 'sender' ? start + funded[line.chain] - spent[line.chain] : start + sent[line.chain];
    return { ...common, expected: expected.toString(), ok: expected === line.balance };
  });
  for (const b of balances) if (b.ok === false) problems.push(`${b.chain} ${b.role} ${b.address} holds ${b.after}, expected ${b.expected}`);
  return { payments, balances, problems, unfinished };
}
