/**
 * A chain that goes down between signing and broadcasting: the broadcast fails, the ledger keeps the signed
 * bytes (BROADCAST_UNKNOWN — never FAILED, never re-signed), and once the chain is back the next pass sends
 * the very same bytes, which the chain mines (COMPLETED). The payment is fully specified by the app (nonce,
 * gas limit, gas price), so preparing it needs no RPC and the outage hits the broadcast alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, Transaction } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { runPass, type PassSummary } from '../../lib/pipeline/pass.js';
import type { LedgerRecord } from '../../lib/store/ledger.js';
import { beginRun, type RunAccounts } from '../../sandbox/demo-accounts.js';
import { ETHER, GWEI } from '../../sandbox/payments.js';
import { SANDBOX_API_KEY, startSandbox, type Sandbox } from '../../sandbox/wiring.js';

const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-outage-'));

describe('a stopped chain, then a restarted one', () => {
  let sandbox: Sandbox;
  let accounts: RunAccounts;
  let pendingId: string;
  const passes: PassSummary[] = [];
  let whileDown: LedgerRecord[] = [];
  let after: LedgerRecord;

  beforeAll(async () => {
    // settleAfterMs 0: every pass retries an unsettled record at once (the daemon waits a few seconds).
    sandbox = await startSandbox({ dataDir: join(root, 'data'), events: new MemoryEventSink(), pipeline: { settleAfterMs: 0 } });
    accounts = await beginRun(sandbox);
    await sandbox.evm.fund(accounts.ETH.sender.address, 3n * ETHER);
    const response = await fetch(`${sandbox.sim.url}/v3/ethereum/transaction`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_API_KEY },
      body: JSON.stringify({
        to: accounts.ETH.recipient.address,
        amount: '1.25',
        currency: 'ETH',
        signatureId: accounts.ETH.signatureId,
        index: accounts.ETH.sender.index,
        nonce: 0,
        fee: { gasLimit: '21000', gasPrice: '3' },
      }),
    });
    expect(response.status).toBe(200);
    pendingId = ((await response.json()) as { signatureId: string }).signatureId;

    await sandbox.evm.stop();
    for (let i = 0; i < 2; i++) {
      passes.push(await runPass(sandbox.deps, {}, 'all'));
      whileDown.push((await sandbox.deps.ledger.get(pendingId))!);
    }
    await sandbox.evm.restart();
    passes.push(await runPass(sandbox.deps, {}, 'all'));
    after = (await sandbox.deps.ledger.get(pendingId))!;
  });

  afterAll(async () => {
    await sandbox?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('signs once; the failed broadcast leaves BROADCAST_UNKNOWN with the signed bytes kept', () => {
    expect(passes[0]!.outcomes).toEqual({ 'broadcast-unknown': 1 });
    const [first, second] = whileDown;
    expect(first).toMatchObject({ state: 'BROADCAST_UNKNOWN', txId: null });
    expect(first!.broadcastAttempts).toBeGreaterThanOrEqual(1);
    expect(first!.raw).toMatch(/^0x[0-9a-f]+$/);
    expect(first!.hash).toBe(keccak256(first!.raw!));
    expect(first!.reason).toMatch(/broadcast not confirmed/);
    // The second pass, chain still down, re-broadcast the same bytes and failed again: still unknown, same raw.
    expect(second).toMatchObject({ state: 'BROADCAST_UNKNOWN', raw: first!.raw, hash: first!.hash });
    expect(second!.broadcastAttempts).toBeGreaterThan(first!.broadcastAttempts);
    expect(passes.flatMap((p) => p.errors)).toEqual([]);
    expect(passes.some((p) => p.outcomes.failed)).toBe(false);
    expect(sandbox.sim.state.errorsReported).toEqual([]); // never reported to Tatum as failed
    const refused = sandbox.sim.state.requests.filter((r) => r.path === '/v3/ethereum/broadcast');
    // One refused request per attempt while the chain was down, then the one that went through.
    expect(refused.map((r) => r.status)).toEqual([...Array<number>(second!.broadcastAttempts).fill(400), 200]);
  });

  it('sends the same bytes to the restarted chain, which mines them', async () => {
    const raw = whileDown[0]!.raw!;
    expect(after).toMatchObject({ state: 'COMPLETED', raw, hash: keccak256(raw), txId: keccak256(raw), broadcastAttempts: whileDown[1]!.broadcastAttempts + 1 });
    expect(sandbox.sim.state.broadcasts.filter((b) => b.signatureId === pendingId).map((b) => b.txData)).toEqual([raw]);
    expect(sandbox.sim.state.transactions.get(pendingId)?.txId).toBe(after.txId);
    const receipt = await sandbox.evm.waitForReceipt(after.txId!);
    expect(receipt).toMatchObject({ status: 'success', from: accounts.ETH.sender.address, effectiveGasPrice: 3n * GWEI, gasUsed: 21_000n });
    const mined = (await sandbox.evm.request('eth_getTransactionByHash', [after.txId])) as { nonce: string; input: string; value: string };
    const signed = Transaction.from(raw);
    expect({ nonce: BigInt(mined.nonce), value: BigInt(mined.value) }).toEqual({ nonce: 0n, value: signed.value });
    expect(await sandbox.evm.balance(accounts.ETH.recipient.address)).toBe((5n * ETHER) / 4n);
    expect(await sandbox.evm.balance(accounts.ETH.sender.address)).toBe(3n * ETHER - (5n * ETHER) / 4n - 21_000n * 3n * GWEI);
  });
});
