/**
 * `sigil ledger replace`: a stuck EVM tx is re-signed at the same nonce, destination, amount and gas with a
 * higher fee within the caps; the old raw stays in the ledger's history, the nonce claim moves to the new
 * bytes, and the new bytes are broadcast. Refused: a bump below 10%, a fee above the cap, a UTXO tx, an
 * unsigned record.
 */
import { randomBytes } from 'node:crypto';
import { Transaction, computeAddress } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, SigilError } from '../../lib/errors.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { replaceStuckEvmTransaction } from '../../lib/pipeline/replace.js';
import type { AuditRecordInput } from '../../lib/audit/audit-trail.js';
import { parsePolicyFile } from '../../lib/policy/policy-file.js';
import { evmNonceSpendKey } from '../../lib/store/ledger.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function stuckTransfer(h: PipelineHarness, fee: { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }) {
  const key = `0x${randomBytes(32).toString('hex')}`;
  const wallet = await h.storePrivateKey('ETH', key);
  const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 3, gas: 21_000, value: 777n, ...fee }) });
  // The broadcast reaches the network but Tatum's answer is lost: the tx sits in BROADCAST_UNKNOWN.
  h.sim.setFaults({ broadcastRecordedThenError: { match: 'POST /v3/ethereum/broadcast', times: 1 } });
  await runPass(h.deps, {}, 'all');
  h.sim.setFaults({});
  const record = await h.record(id);
  expect(record.state).toBe('BROADCAST_UNKNOWN');
  return { id, address: computeAddress(key).toLowerCase(), old: record };
}

describe('ledger replace', () => {
  it('re-signs a legacy tx at the same nonce with a 25% higher gas price and broadcasts it', async () => {
    const h = (harness = await startPipelineHarness());
    const { id, address, old } = await stuckTransfer(h, { gasPrice: 20n * GWEI });
    const record = await replaceStuckEvmTransaction(h.deps, { id, reason: 'stuck in the mempool', operator: 'alice@ops' });
    const sent = h.broadcastsOf(id).map((b) => Transaction.from(b.txData));
    expect(sent).toHaveLength(2);
    const [first, second] = sent as [Transaction, Transaction];
    expect(second.nonce).toBe(first.nonce);
    expect([second.to, second.value, second.gasLimit, second.data]).toEqual([first.to, first.value, first.gasLimit, first.data]);
    expect(second.gasPrice).toBe(25n * GWEI);
    expect(second.from!.toLowerCase()).toBe(address);
    expect(record.history).toEqual([expect.objectContaining({ raw: old.raw, hash: old.hash, reason: 'stuck in the mempool', operator: 'alice@ops' })]);
    expect(record.hash).toBe(second.hash);
    expect(record.spends).toEqual([evmNonceSpendKey(1n, address, 3)]);
    expect(['BROADCAST', 'COMPLETED']).toContain(record.state);
    expect(h.events.count('Transaction Signed', id)).toBe(2);
  });

  it('bumps both fees of an EIP-1559 tx', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await stuckTransfer(h, { maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    await replaceStuckEvmTransaction(h.deps, { id, reason: 'stuck', operator: 'bob', bumpPercent: 50 });
    const latest = Transaction.from(h.broadcastsOf(id).at(-1)!.txData);
    expect([latest.maxFeePerGas, latest.maxPriorityFeePerGas]).toEqual([60n * GWEI, 3n * GWEI]);
  });

  it('a replacement the policy blocks (its fee crosses a ceiling) is refused before anything is signed; allowed ones are audited', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await stuckTransfer(h, { gasPrice: 20n * GWEI });
    // fee = 21,000 gas × price: 0.00042 ETH now, 0.000525 ETH after a 25% bump, 0.00084 ETH after 100%.
    const policy = parsePolicyFile('rules:\n  - { name: fee-ceiling, action: BLOCK, when: { fee: { min: "0.0006" } } }\ndefault: ALLOW\n');
    const recorded: AuditRecordInput[] = [];
    const deps = { ...h.deps, policy, audit: { record: async (input: AuditRecordInput) => (recorded.push(input), {} as never) } };
    const decryptsBefore = h.keys.decrypts.length;
    await expect(replaceStuckEvmTransaction(deps, { id, reason: 'stuck', operator: 'carol', bumpPercent: 100 })).rejects.toMatchObject({ code: 'POLICY_BLOCKED', context: { rule: 'fee-ceiling' } });
    expect(h.keys.decrypts.length).toBe(decryptsBefore);
    expect((await h.record(id)).history).toEqual([]);
    await replaceStuckEvmTransaction(deps, { id, reason: 'stuck', operator: 'carol' });
    expect(recorded.map((r) => [r.action, r.detail.step ?? r.detail.operator])).toEqual([
      ['tx.policy', 'replace'],
      ['tx.policy', 'replace'],
      ['tx.replaced', 'carol'],
      ['tx.broadcast', undefined],
      ...(recorded.length === 5 ? [['tx.settled', undefined]] : []),
    ]);
    expect(recorded[0]!.detail).toMatchObject({ action: 'BLOCK', rule: 'fee-ceiling' });
  });

  it('refuses a bump below 10%, a fee above the cap, and a record that is not signed', async () => {
    const h = (harness = await startPipelineHarness());
    const { id } = await stuckTransfer(h, { gasPrice: 900n * GWEI });
    await expect(replaceStuckEvmTransaction(h.deps, { id, reason: 'r', operator: 'o', bumpPercent: 5 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(replaceStuckEvmTransaction(h.deps, { id, reason: 'r', operator: 'o' })).rejects.toMatchObject({ code: 'ABOVE_CAP' });
    expect((await h.record(id)).history).toEqual([]);
    await expect(replaceStuckEvmTransaction(h.deps, { id: 'f'.repeat(24), reason: 'r', operator: 'o' })).rejects.toBeInstanceOf(SigilError);
  });
});
