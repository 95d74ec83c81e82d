/**
 * The payments of a run: the fixed `--once` scenario, and the endless demo stream.
 *
 * `--once` (the same every run, so its summary is comparable): fund the run's senders from the faucets,
 * then one ETH legacy transfer (1.5 ETH, through Tatum's endpoint), one ETH EIP-1559 transfer (0.25 ETH),
 * one BTC P2WPKH payment (0.25 BTC, fee 0.0001 BTC, change back to the sender), and one ETH transfer of 6 ETH
 * that the sandbox policy (sandbox/policy.yaml: ETH payments of 5 ETH or more are blocked) must reject: it is
 * reported to Tatum as failed, raises an alert, takes no nonce and never reaches the chain.
 *
 * The stream: the same three kinds in turn, with amounts that vary, each BTC payment spending a coin of its
 * own (payments.ts explains why), the ETH sender topped up before it runs low.
 */
import { randomInt } from 'node:crypto';
import type { RunAccounts } from './demo-accounts.js';
import { BTC, ETHER, GWEI, payBtc, payEthEip1559, payEthLegacy, type DemoPayment } from './payments.js';
import type { Funded } from './report.js';
import type { Sandbox } from './wiring.js';

export const ONCE_SCENARIO = {
  ethFunding: 10n * ETHER,
  legacyAmount: (3n * ETHER) / 2n,
  eip1559Amount: ETHER / 4n,
  btcFunding: 1n * BTC,
  btcAmount: BTC / 4n,
  btcFee: 10_000n,
  blockedAmount: 6n * ETHER,
} as const;

/** Fund the senders and create the three payments of `--once`; `funded` counts what the faucets paid. */
export async function createOncePayments(sandbox: Sandbox, accounts: RunAccounts, funded: Funded, add: (payment: DemoPayment) => void): Promise<void> {
  const s = ONCE_SCENARIO;
  await Promise.all([sandbox.evm.fund(accounts.ETH.sender.address, s.ethFunding), sandbox.btc.fund(accounts.BTC.sender.address, s.btcFunding)]);
  funded.ETH += s.ethFunding;
  funded.BTC += s.btcFunding;
  add(await payEthLegacy(sandbox, accounts.ETH, s.legacyAmount));
  add(await payEthEip1559(sandbox, accounts.ETH, s.eip1559Amount));
  add(await payBtc(sandbox, accounts.BTC, { amount: s.btcAmount, fee: s.btcFee }));
  add(await payEthLegacy(sandbox, accounts.ETH, s.blockedAmount, { expect: 'blocked' }));
}

/** An ETH top-up, and the floor below which the stream's ETH sender gets one. */
const ETH_TOP_UP = 10n * ETHER;
const ETH_FLOOR = 2n * ETHER;
/** Generous for a 21,000-gas transfer at the sandbox's few gwei. */
const ETH_FEE_ALLOWANCE = 21_000n * 100n * GWEI;

/** The demo stream: `next()` makes one payment, cycling legacy → EIP-1559 → BTC; the 4th is over the policy limit. */
export class DemoStream {
  readonly #sandbox: Sandbox;
  readonly #accounts: RunAccounts;
  readonly #funded: Funded;
  #turn = 0;
  /** ETH the stream's payments may still spend: funded minus amounts and fee allowances. */
  #ethLeft = 0n;

  constructor(sandbox: Sandbox, accounts: RunAccounts, funded: Funded) {
    this.#sandbox = sandbox;
    this.#accounts = accounts;
    this.#funded = funded;
  }

  async #ethFor(amount: bigint): Promise<void> {
    if (this.#ethLeft - amount - ETH_FEE_ALLOWANCE >= ETH_FLOOR) return;
    await this.#sandbox.evm.fund(this.#accounts.ETH.sender.address, ETH_TOP_UP);
    this.#funded.ETH += ETH_TOP_UP;
    this.#ethLeft += ETH_TOP_UP;
  }

  async next(): Promise<DemoPayment> {
    const turn = this.#turn++;
    if (turn === 3) return payEthLegacy(this.#sandbox, this.#accounts.ETH, ONCE_SCENARIO.blockedAmount, { expect: 'blocked' });
    const kind = (turn > 3 ? turn - 1 : turn) % 3;
    if (kind < 2) {
      const amount = BigInt(randomInt(1, 50)) * (ETHER / 100n);
      await this.#ethFor(amount);
      this.#ethLeft -= amount + ETH_FEE_ALLOWANCE;
      return kind === 0 ? payEthLegacy(this.#sandbox, this.#accounts.ETH, amount) : payEthEip1559(this.#sandbox, this.#accounts.ETH, amount);
    }
    const amount = BigInt(randomInt(1, 500)) * 100_000n;
    const fee = 5_000n + BigInt(randomInt(0, 5_000));
    const coinValue = amount + fee + 1_000_000n;
    const coin = await this.#sandbox.btc.fund(this.#accounts.BTC.sender.address, coinValue);
    this.#funded.BTC += coinValue;
    return payBtc(this.#sandbox, this.#accounts.BTC, { amount, fee, coin });
  }
}
