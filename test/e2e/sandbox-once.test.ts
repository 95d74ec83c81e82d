/**
 * The `--once` scenario end to end, in-process: real local chains, the Tatum simulator, the daemon's passes.
 *
 * - Step by step (startSandbox, the scenario's app calls, passes): every payment confirms but the one the
 *   sandbox policy blocks (REJECTED, reported to Tatum once, no nonce taken, nothing on chain), and the chains'
 *   own records — receipts, the signed bytes in the ledger, UTXO balances — show each account moved by
 *   exactly the amounts and fees, computed here independently of the sandbox's report (which must agree).
 * - runSandbox as `npm start -- --once` runs it, twice on one data folder without --reset (fresh chains,
 *   leftover wallets and ledger): exit 0, run numbers 1 and 2, nothing but the summary JSON on stdout, the
 *   live board drawn on a "terminal" with every payment confirmed and the cursor given back; --reset starts
 *   over at run 1 with new wallets and leaves the user's own files in the folder alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address as btcAddress, Transaction as BtcTransaction } from 'bitcoinjs-lib';
import { keccak256, Transaction as EvmTransaction } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { beginRun, type RunAccounts } from '../../sandbox/demo-accounts.js';
import type { DemoPayment } from '../../sandbox/payments.js';
import { checkRun, readBalances } from '../../sandbox/report.js';
import { runSandbox, type SandboxSummary } from '../../sandbox/run.js';
import { createOncePayments, ONCE_SCENARIO } from '../../sandbox/scenario.js';
import { observeStatus } from '../../sandbox/tx-status.js';
import { startSandbox, type Sandbox } from '../../sandbox/wiring.js';

const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-once-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the --once scenario, step by step', () => {
  let sandbox: Sandbox;
  let accounts: RunAccounts;
  const payments: DemoPayment[] = [];
  const funded = { ETH: 0n, BTC: 0n };

  beforeAll(async () => {
    sandbox = await startSandbox({ dataDir: join(root, 'steps'), events: new MemoryEventSink(), btcAutoMineMs: 100 });
    accounts = await beginRun(sandbox);
    await createOncePayments(sandbox, accounts, funded, (p) => payments.push(p));
    for (let pass = 0; pass < 50; pass++) {
      const summary = await runPass(sandbox.deps, {}, 'all');
      expect(summary.errors).toEqual([]);
      const statuses = await Promise.all(payments.map((p) => observeStatus(sandbox, p)));
      if (statuses.every((s) => s.stage === 'confirmed' || s.ledgerState === 'REJECTED')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => sandbox?.close());

  it('creates the four payments at "Tatum" from the app side; the daemon completes three and the policy blocks one', async () => {
    expect(payments.map((p) => p.label)).toEqual(['ETH legacy', 'ETH EIP-1559', 'BTC P2WPKH', 'ETH over limit']);
    const blocked = payments[3]!;
    expect(await sandbox.deps.ledger.get(blocked.pendingId)).toMatchObject({
      state: 'REJECTED',
      prepared: null,
      raw: null,
      reason: expect.stringContaining('rule "eth-large-payment"'),
    });
    expect(sandbox.sim.state.errorsReported.filter((e) => e.signatureId === blocked.pendingId)).toHaveLength(1);
    for (const p of payments.slice(0, 3)) {
      expect((await observeStatus(sandbox, p)).stage).toBe('confirmed');
      const record = (await sandbox.deps.ledger.get(p.pendingId))!;
      expect(record.state).toBe('COMPLETED');
      expect(sandbox.sim.state.transactions.get(p.pendingId)?.txId).toBe(record.txId);
    }
  });

  it('moves exactly value + gasUsed × effectiveGasPrice out of the ETH sender, and the values into the recipient', async () => {
    let out = 0n;
    let received = 0n;
    for (const p of payments.filter((x) => x.chain === 'ETH' && x.expect !== 'blocked')) {
      const record = (await sandbox.deps.ledger.get(p.pendingId))!;
      const signed = EvmTransaction.from(record.raw!);
      expect(keccak256(record.raw!)).toBe(record.txId);
      expect(signed.chainId).toBe(1337n);
      expect(signed.to!.toLowerCase()).toBe(accounts.ETH.recipient.address);
      expect(signed.value).toBe(p.amount);
      expect(signed.type).toBe(p.kind === 'eip1559' ? 2 : 0);
      const receipt = await sandbox.evm.waitForReceipt(record.txId!);
      expect(receipt).toMatchObject({ status: 'success', from: accounts.ETH.sender.address, to: accounts.ETH.recipient.address });
      out += signed.value + receipt.gasUsed * receipt.effectiveGasPrice;
      received += signed.value;
    }
    expect(received).toBe(ONCE_SCENARIO.legacyAmount + ONCE_SCENARIO.eip1559Amount);
    expect(await sandbox.evm.balance(accounts.ETH.sender.address)).toBe(ONCE_SCENARIO.ethFunding - out);
    expect(await sandbox.evm.balance(accounts.ETH.recipient.address)).toBe(received);
    expect(await sandbox.evm.nonce(accounts.ETH.sender.address)).toBe(2n);
  });

  it('pays the BTC recipient the amount and the sender its change less exactly the requested fee', async () => {
    const p = payments.find((x) => x.chain === 'BTC')!;
    const record = (await sandbox.deps.ledger.get(p.pendingId))!;
    const tx = BtcTransaction.fromHex(record.raw!);
    expect(tx.getId()).toBe(record.txId);
    expect(tx.hasWitnesses()).toBe(true);
    const net = sandbox.btc.network;
    const outputs = tx.outs.map((o) => ({ to: btcAddress.fromOutputScript(o.script, net), value: o.value }));
    const change = ONCE_SCENARIO.btcFunding - ONCE_SCENARIO.btcAmount - ONCE_SCENARIO.btcFee;
    expect(outputs).toEqual(
      expect.arrayContaining([
        { to: accounts.BTC.recipient.address, value: ONCE_SCENARIO.btcAmount },
        { to: accounts.BTC.sender.address, value: change },
      ]),
    );
    expect(outputs).toHaveLength(2);
    expect(await sandbox.btc.balance(accounts.BTC.recipient.address)).toBe(ONCE_SCENARIO.btcAmount);
    expect(await sandbox.btc.balance(accounts.BTC.sender.address)).toBe(change);
    expect((await sandbox.btc.waitForConfirmation(record.txId!)).confirmations).toBeGreaterThanOrEqual(1);
  });

  it("the sandbox's own report agrees to the wei and the satoshi", async () => {
    const zero = (await readBalances(sandbox, accounts)).map((b) => ({ ...b, balance: 0n }));
    const entries = await Promise.all(payments.map(async (payment) => ({ payment, status: await observeStatus(sandbox, payment) })));
    const blocked = payments.find((p) => p.expect === 'blocked')!;
    const unalerted = await checkRun(sandbox, accounts, entries, zero, funded);
    expect(unalerted.problems).toEqual([expect.stringContaining(`${blocked.pendingId} was rejected but no alert named it`)]);
    const report = await checkRun(sandbox, accounts, entries, zero, funded, new Set([blocked.pendingId]));
    expect(report.problems).toEqual([]);
    expect(report.unfinished).toEqual([]);
    expect(report.balances.every((b) => b.ok === true && b.after === b.expected)).toBe(true);
    const legacy = report.payments.find((x) => x.label === 'ETH legacy')!;
    const receipt = await sandbox.evm.waitForReceipt(legacy.txId!);
    expect(legacy.fee).toBe((receipt.gasUsed * receipt.effectiveGasPrice).toString());
    expect(report.payments.find((x) => x.chain === 'BTC')!.fee).toBe(ONCE_SCENARIO.btcFee.toString());

    // A wrong expectation is caught: claim the faucet paid one wei more than it did.
    const off = await checkRun(sandbox, accounts, entries, zero, { ...funded, ETH: funded.ETH + 1n }, new Set([blocked.pendingId]));
    expect(off.problems).toEqual([expect.stringContaining('ETH sender')]);
  });
});

describe('runSandbox --once, twice on one data folder', () => {
  const dataDir = join(root, 'runs');

  async function once(tty: boolean, reset = false): Promise<{ code: number; summary: SandboxSummary; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const { code, summary } = await runSandbox({
      dataDir,
      once: true,
      reset,
      stdout: (text) => (stdout += text),
      stderr: { write: (text) => (stderr += text), tty, columns: 200 },
      signal: new AbortController().signal,
    });
    return { code, summary, stdout, stderr };
  }

  it('succeeds run after run without --reset, prints only the summary on stdout, and draws the board on a terminal', async () => {
    const first = await once(false);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual(JSON.parse(JSON.stringify(first.summary)));
    expect(first.summary).toMatchObject({ ok: true, mode: 'once', run: 1, network: 'sandbox', problems: [], unfinished: [] });
    expect(first.summary.payments.map((p) => p.stage)).toEqual(['confirmed', 'confirmed', 'confirmed', 'claimed']);
    const blocked = first.summary.payments[3]!;
    expect(blocked).toMatchObject({ label: 'ETH over limit', ledgerState: 'REJECTED', txId: null, blocked: { alerted: true } });
    expect(first.summary.alerts).toEqual([expect.objectContaining({ severity: 'high', detailType: 'Transaction Rejected', pendingId: blocked.pendingId })]);
    expect(first.stderr).toContain('[sigil alert]');
    expect(first.stderr).toContain(`sandbox: data folder ${dataDir}`);
    expect(first.stderr).toMatch(/ETH legacy 1\.5 ETH \(pending [0-9a-f]{24}\): confirmed in block \d+ 0x[0-9a-f]{64}/);
    expect(first.stderr).not.toContain('\x1b[');

    const second = await once(true);
    expect(second.code).toBe(0);
    expect(second.summary).toMatchObject({ ok: true, run: 2, wallets: first.summary.wallets });
    // New derivation indexes each run: the senders of run 2 are not those of run 1.
    expect(second.summary.payments[0]!.from).not.toBe(first.summary.payments[0]!.from);
    expect(second.summary.balances.map((b) => b.ok)).toEqual([true, true, true, true]);
    const lastFrame = second.stderr.slice(second.stderr.lastIndexOf('\x1b[J')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(lastFrame.match(/pending › claimed › signed › broadcast › confirmed/g)).toHaveLength(4);
    expect(lastFrame).toContain('sigil sandbox · run 2');
    expect(second.stderr).toMatch(/\x1b\[\?25hsandbox: run 2 ok: 3 of 4 payments confirmed, 1 blocked by the policy and alerted, every balance exact to the wei and the satoshi, [\d.]+ s, \d+ passes \(summary JSON on stdout\)\n$/);
  });

  it('--reset removes the sandbox files (and only those): run 1 again, with new wallets', async () => {
    const before = await once(false);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    const reset = await once(false, true);
    expect(reset.code).toBe(0);
    expect(reset.summary.run).toBe(1);
    expect(reset.summary.wallets.ETH).not.toBe(before.summary.wallets.ETH);
    expect(readFileSync(join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
