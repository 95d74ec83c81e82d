/**
 * Nonces and double spends through runPass:
 * - EVM txs that leave the nonce open get consecutive nonces from Sigil's allocator, seeded by the RPC
 *   gateway's pending count and never reusing one, across concurrent transactions, passes and workers;
 * - two pending txs that spend one EVM (chainId, from, nonce) or one UTXO outpoint: one is signed and
 *   broadcast, the other FAILED with `Double Spend Prevented`, and nothing of it is broadcast.
 */
import { randomBytes } from 'node:crypto';
import { Transaction, computeAddress } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmNonceSpendKey } from '../../lib/store/ledger.js';
import { evmTransfer, ownedScript, randomTxid, startPipelineHarness, utxoTransfer, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;

let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function privateKeyWallet(h: PipelineHarness, chain = 'ETH'): Promise<{ id: string; address: string; key: string }> {
  const key = `0x${randomBytes(32).toString('hex')}`;
  return { id: await h.storePrivateKey(chain, key), address: computeAddress(key).toLowerCase(), key };
}

function broadcastNonce(h: PipelineHarness, id: string): number {
  const sent = h.broadcastsOf(id);
  expect(sent).toHaveLength(1);
  return Transaction.from(sent[0]!.txData).nonce;
}

describe('EVM nonces from the allocator', () => {
  it('ten txs from one wallet without a nonce get ten consecutive nonces from the pending count', async () => {
    const h = (harness = await startPipelineHarness({ config: { concurrency: 4 } }));
    const wallet = await privateKeyWallet(h);
    h.sim.state.rpc.chain('ETH').nonces.set(wallet.address, 7n);
    const ids = Array.from({ length: 10 }, (_, i) => h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: BigInt(i + 1) }) }));
    const summary = await runPass(h.deps, {}, 'all');
    expect(summary.errors).toEqual([]);
    const nonces = ids.map((id) => broadcastNonce(h, id));
    expect([...nonces].sort((a, b) => a - b)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    for (const id of ids) {
      const record = await h.record(id);
      expect(record.state).toBe('COMPLETED');
      // What prepare filled is what was signed: the stored prepared tx carries the broadcast nonce.
      const nonce = broadcastNonce(h, id);
      expect(JSON.parse(record.prepared!).nonce).toBe(String(nonce));
      expect(record.spends).toEqual([evmNonceSpendKey(1n, wallet.address, nonce)]);
    }

    // The gateway still says 7 (nothing was mined): Sigil continues after its own last nonce...
    const next = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({}) });
    await runPass(h.deps, {}, 'all');
    expect(broadcastNonce(h, next)).toBe(17);
    // ...and jumps ahead when the chain's pending count does (the wallet was used elsewhere).
    h.sim.state.rpc.chain('ETH').nonces.set(wallet.address, 40n);
    const later = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({}) });
    await runPass(h.deps, {}, 'all');
    expect(broadcastNonce(h, later)).toBe(40);
  });

  it('two workers polling the same txs at once still hand out each nonce once, per derived address', async () => {
    const h = (harness = await startPipelineHarness({ config: { concurrency: 3 } }));
    const mnemonic = await h.createMnemonic('ETH');
    const other = h.worker('worker-1');
    const ids = Array.from({ length: 12 }, (_, i) =>
      h.addPending({ chain: 'ETH', hashes: [mnemonic.signatureId], index: i % 2, serializedTransaction: evmTransfer({ value: BigInt(i + 1), gasPrice: GWEI, gas: 21_000 }) }),
    );
    const [a, b] = await Promise.all([runPass(h.deps, {}, 'all'), runPass(other.deps, {}, 'all')]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    for (const index of [0, 1]) {
      const mine = ids.filter((_, i) => i % 2 === index);
      const nonces = mine.map((id) => broadcastNonce(h, id)).sort((x, y) => x - y);
      expect(nonces).toEqual([0, 1, 2, 3, 4, 5]);
      const from = new Set(mine.map((id) => Transaction.from(h.broadcastsOf(id)[0]!.txData).from!.toLowerCase()));
      expect(from.size).toBe(1);
    }
  });
});

describe('double spends are refused', () => {
  it('two txs spending one EVM nonce: one is broadcast, the other FAILED with Double Spend Prevented', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await privateKeyWallet(h);
    const first = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ nonce: 5, gas: 21_000, gasPrice: GWEI, to: `0x${'11'.repeat(20)}` }) });
    const second = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ nonce: 5, gas: 21_000, gasPrice: GWEI, to: `0x${'22'.repeat(20)}` }) });
    // The same nonce on another chain (another chain id) is another spend: both are fine.
    const bsc = await h.storePrivateKey('BSC', wallet.key);
    const onBsc = h.addPending({ chain: 'BSC', hashes: [bsc], serializedTransaction: evmTransfer({ nonce: 5, gas: 21_000, gasPrice: GWEI }) });
    await runPass(h.deps, {}, 'all');
    h.clock.advance(60_000);
    await runPass(h.deps, {}, 'all');

    const states = [(await h.record(first)).state, (await h.record(second)).state].sort();
    expect(states).toEqual(['COMPLETED', 'FAILED']);
    const [winner, loser] = (await h.record(first)).state === 'COMPLETED' ? [first, second] : [second, first];
    expect(h.broadcastsOf(winner)).toHaveLength(1);
    expect(h.broadcastsOf(loser)).toEqual([]);
    expect((await h.record(loser)).raw).toBeNull();
    const spendKey = evmNonceSpendKey(1n, wallet.address, 5);
    expect(h.events.of('Double Spend Prevented')).toEqual([{ pendingId: loser, chain: 'ETH', spendKey, otherPendingId: winner }]);
    expect(h.sim.state.errorsReported.filter((e) => e.signatureId === loser)).toHaveLength(1);
    expect((await h.record(onBsc)).state).toBe('COMPLETED');
  });

  it('two txs spending one UTXO outpoint: one is broadcast, the other FAILED with Double Spend Prevented', async () => {
    const h = (harness = await startPipelineHarness());
    const wallet = await h.createMnemonic('BTC');
    const script = ownedScript(wallet.xpub, 0, h.chain('BTC'));
    const outpoint = { txid: randomTxid(), vout: 2, satoshis: 100_000, script };
    const pay = (satoshis: number) =>
      h.addPending({ chain: 'BTC', hashes: [wallet.signatureId], signatures: [{ id: wallet.signatureId, index: 0 }], serializedTransaction: utxoTransfer([outpoint], { script, satoshis }) });
    const first = pay(90_000);
    const second = pay(80_000);
    await runPass(h.deps, {}, 'all');

    const [winner, loser] = (await h.record(first)).state === 'COMPLETED' ? [first, second] : [second, first];
    expect((await h.record(winner)).state).toBe('COMPLETED');
    expect((await h.record(loser)).state).toBe('FAILED');
    expect(h.broadcastsOf(winner)).toHaveLength(1);
    expect(h.broadcastsOf(loser)).toEqual([]);
    expect(h.events.of('Double Spend Prevented')).toEqual([{ pendingId: loser, chain: 'BTC', spendKey: `utxo:BTC:${outpoint.txid}:2`, otherPendingId: winner }]);
  });
});
