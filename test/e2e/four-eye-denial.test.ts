/**
 * Four-eye approval against the real chains: a receiver (a small HTTP service on loopback that checks
 * Sigil's HMAC signature) approves one ETH payment and denies another ETH payment and a BTC payment. Pass
 * after pass (the denial is asked again every pass here), the denied ones are never signed, never
 * broadcast, and never reach a chain — no nonce used, no coin spent, no balance moved — while the approved
 * one confirms.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { parseFourEyeUrl, verifyFourEyeSignature } from '../../lib/pipeline/four-eye.js';
import { runPass, type PassSummary } from '../../lib/pipeline/pass.js';
import { beginRun, type RunAccounts } from '../../sandbox/demo-accounts.js';
import { BTC, ETHER, payBtc, payEthLegacy, type DemoPayment } from '../../sandbox/payments.js';
import { observeStatus } from '../../sandbox/tx-status.js';
import { startSandbox, type Sandbox } from '../../sandbox/wiring.js';

const SECRET = new TextEncoder().encode('four-eye-e2e-shared-secret');
const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-4eye-'));

interface Asked {
  readonly id: string;
  readonly signed: boolean;
}

describe('a transaction the four-eye receiver denies never reaches a chain', () => {
  let sandbox: Sandbox;
  let receiver: Server;
  let accounts: RunAccounts;
  const denied = new Set<string>();
  const asked: Asked[] = [];
  let approved: DemoPayment;
  let deniedEth: DemoPayment;
  let deniedBtc: DemoPayment;
  const passes: PassSummary[] = [];
  let before: { deniedEthSender: bigint; btcSender: bigint; btcRecipient: bigint };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const id = path.split('/').pop() ?? '';
      const signed = verifyFourEyeSignature(
        SECRET,
        { timestamp: req.headers['x-sigil-timestamp'] as string, signature: req.headers['x-sigil-signature'] as string, method: req.method ?? '', path, body: '' },
        Math.floor(Date.now() / 1000),
      );
      asked.push({ id, signed });
      res.writeHead(signed && !denied.has(id) ? 204 : 403).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = parseFourEyeUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/approvals`);
    sandbox = await startSandbox({
      dataDir: join(root, 'data'),
      events: new MemoryEventSink(),
      btcAutoMineMs: 100,
      // No policy file: with --externalUrl every transaction goes to the four-eye service (as upstream).
      policyFile: null,
      pipeline: { fourEye: { url, method: 'GET', secret: SECRET, timeoutMs: 5_000 }, approvalRetryMs: 0 },
    });
    accounts = await beginRun(sandbox);
    const eth = accounts.ETH;
    // The denied ETH payment comes from another account than the approved one: a denied tx keeps the nonce
    // prepare gave it, so a later nonce of the same sender would wait behind it.
    const otherSender = { ...eth, sender: eth.recipient, recipient: eth.sender };
    await Promise.all([sandbox.evm.fund(eth.sender.address, 5n * ETHER), sandbox.evm.fund(eth.recipient.address, 5n * ETHER), sandbox.btc.fund(accounts.BTC.sender.address, 1n * BTC)]);
    before = {
      deniedEthSender: await sandbox.evm.balance(eth.recipient.address),
      btcSender: await sandbox.btc.balance(accounts.BTC.sender.address),
      btcRecipient: await sandbox.btc.balance(accounts.BTC.recipient.address),
    };
    approved = await payEthLegacy(sandbox, eth, ETHER);
    deniedEth = await payEthLegacy(sandbox, otherSender, 2n * ETHER);
    deniedBtc = await payBtc(sandbox, accounts.BTC, { amount: BTC / 2n, fee: 5_000n });
    denied.add(deniedEth.pendingId).add(deniedBtc.pendingId);
    for (let i = 0; i < 4; i++) {
      passes.push(await runPass(sandbox.deps, {}, 'all'));
      await new Promise((r) => setTimeout(r, 150)); // a regtest block may come meanwhile
    }
  });

  afterAll(async () => {
    await sandbox?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('asks the receiver with signed requests and confirms what it approves', async () => {
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.every((a) => a.signed)).toBe(true);
    expect(asked.filter((a) => a.id === approved.pendingId)).toHaveLength(1);
    expect(passes.every((p) => p.errors.length === 0)).toBe(true);
    expect((await observeStatus(sandbox, approved)).stage).toBe('confirmed');
    expect(await sandbox.evm.balance(accounts.ETH.recipient.address)).toBe(before.deniedEthSender + ETHER);
  });

  it('keeps asking about the denied ones on every pass and never signs them', async () => {
    for (const p of [deniedEth, deniedBtc]) {
      // At least once a pass (with the retry due at once, a pass may ask twice: when polled and when resumed).
      expect(asked.filter((a) => a.id === p.pendingId).length).toBeGreaterThanOrEqual(passes.length);
      const record = (await sandbox.deps.ledger.get(p.pendingId))!;
      expect(record).toMatchObject({ state: 'APPROVAL_DENIED', raw: null, hash: null, txId: null, broadcastAttempts: 0 });
      expect(record.reason).toContain('403');
      expect(sandbox.sim.state.broadcasts.filter((b) => b.signatureId === p.pendingId)).toEqual([]);
      expect(sandbox.sim.state.transactions.get(p.pendingId)?.txId).toBeFalsy();
    }
    expect(passes.every((p) => (p.outcomes.denied ?? 0) >= 2 && !p.outcomes.signed && !p.outcomes['broadcast-unknown'])).toBe(true);
  });

  it('leaves no trace on the chains: no nonce used, no coin spent, no balance moved', async () => {
    const other = accounts.ETH.recipient.address;
    expect(await sandbox.evm.nonce(other, 'pending')).toBe(0n);
    expect(await sandbox.evm.balance(other)).toBe(before.deniedEthSender + ETHER); // only the approved payment came in
    expect(await sandbox.btc.balance(accounts.BTC.sender.address)).toBe(before.btcSender);
    expect(await sandbox.btc.balance(accounts.BTC.recipient.address)).toBe(before.btcRecipient);
    const coins = await sandbox.btc.listUnspent(accounts.BTC.sender.address);
    expect(coins.map((c) => c.height !== null)).toEqual([true]); // the funding coin, unspent, not in any mempool tx
  });
});
