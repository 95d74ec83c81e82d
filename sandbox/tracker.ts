/**
 * The payments of one run and their latest status, refreshed from the ledger and the chains on a timer
 * while the daemon works; the view is told about every refresh, balances included.
 */
import type { RunAccounts } from './demo-accounts.js';
import type { DemoPayment } from './payments.js';
import { readBalances } from './report.js';
import type { StatusView } from './status-view.js';
import { observeStatus, type TxStatus } from './tx-status.js';
import type { Sandbox } from './wiring.js';

const PENDING: TxStatus = { stage: 'pending', final: false, failed: false };

export class PaymentTracker {
  readonly #sandbox: Sandbox;
  readonly #accounts: RunAccounts;
  readonly #view: StatusView;
  readonly #entries: Array<{ payment: DemoPayment; status: TxStatus }> = [];
  #refreshing: Promise<void> | undefined;

  constructor(sandbox: Sandbox, accounts: RunAccounts, view: StatusView) {
    this.#sandbox = sandbox;
    this.#accounts = accounts;
    this.#view = view;
  }

  add(payment: DemoPayment): void {
    this.#entries.push({ payment, status: PENDING });
    this.#view.update(payment, PENDING);
  }

  get entries(): ReadonlyArray<{ readonly payment: DemoPayment; readonly status: TxStatus }> {
    return this.#entries;
  }

  allFinal(): boolean {
    return this.#entries.every((e) => e.status.final);
  }

  /** Observe every payment not final yet, and the balances; one refresh at a time. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refreshNow().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshNow(): Promise<void> {
    for (const entry of this.#entries) {
      if (entry.status.final) continue;
      try {
        entry.status = await observeStatus(this.#sandbox, entry.payment);
      } catch (error) {
        // A chain being restarted or a busy store: the next refresh reads it again.
        this.#view.log(`reading the status of ${entry.payment.pendingId} failed: ${(error as Error).message}`);
        continue;
      }
      this.#view.update(entry.payment, entry.status);
    }
    try {
      this.#view.balances(await readBalances(this.#sandbox, this.#accounts));
    } catch {
      // Balances are shown when the chains answer; a missed frame is redrawn on the next refresh.
    }
    this.#view.draw();
  }
}
