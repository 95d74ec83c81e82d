/**
 * When secrets are opened. Through a KeyProvider that records every decryptDataKey:
 * - a transaction that is REJECTED (gas or fee above the cap, given or filled by a hostile RPC node),
 *   DENIED by four-eye, or FAILED (malformed, unknown wallet, wrong key use) never reaches decryptDataKey,
 *   and a rejected or failed one is reported to Tatum exactly once however many passes run;
 * - a pass over N transactions of M wallets decrypts at most M times (the opened-wallet cache), and a warm
 *   worker none at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transaction } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFourEyeUrl } from '../../lib/pipeline/four-eye.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmTransfer, ownedScript, randomTxid, startPipelineHarness, utxoTransfer, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
const randomEvmKey = () => `0x${randomBytes(32).toString('hex')}`;

let harness: PipelineHarness | undefined;
let server: Server | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** Several passes, the clock moving past every lease, denial and settle delay in between. */
async function passes(h: PipelineHarness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const summary = await runPass(h.deps, {}, 'all');
    expect(summary.errors).toEqual([]);
    h.clock.advance(60_000);
  }
}

function reportsOf(h: PipelineHarness, id: string): number {
  return h.sim.state.errorsReported.filter((e) => e.signatureId === id).length;
}

describe('no secret is opened before approval', () => {
  it('gas or fee above the cap, given or filled by a hostile RPC node: REJECTED, reported once, no decrypt, no nonce spent', async () => {
    const h = (harness = await startPipelineHarness());
    const eth = await h.storePrivateKey('ETH', randomEvmKey());
    const matic = await h.storePrivateKey('MATIC', randomEvmKey());
    const rejected = {
      gasPriceGiven: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: 1_000n * GWEI + 1n }) }),
      gasGiven: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ nonce: 1, gas: 2_000_001, gasPrice: 20n * GWEI }) }),
      maxFeeGiven: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ nonce: 2, gas: 21_000, maxFeePerGas: 1_001n * GWEI, maxPriorityFeePerGas: GWEI }) }),
      // nonce, gas and fee open: the node's answers decide, and the node is hostile
      hostileGasPrice: h.addPending({ chain: 'MATIC', hashes: [matic], serializedTransaction: evmTransfer({ gas: 21_000 }) }),
      hostileGas: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ gasPrice: 20n * GWEI }) }),
    };
    h.sim.state.rpc.chain('MATIC').gasPrice = 5_001n * GWEI; // MATIC's cap is 5,000 gwei
    h.sim.state.rpc.chain('ETH').estimateGas = 30_000_000n;
    await passes(h, 3);

    for (const [what, id] of Object.entries(rejected)) {
      const record = await h.record(id);
      expect(record.state, what).toBe('REJECTED');
      expect(record.reason, what).toMatch(/above the (ETH|MATIC) cap/);
      expect(record.raw, what).toBeNull();
      expect(reportsOf(h, id), what).toBe(1);
      expect(h.events.count('Transaction Rejected', id), what).toBe(1);
    }
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
    // The cap is checked before the nonce: a rejected tx asks for no nonce and burns none.
    expect(h.sim.state.rpc.calls.filter((c) => c.method === 'eth_getTransactionCount')).toEqual([]);

    // Control: below the caps the same wallets sign (one decrypt each), and the first allocated nonce is the
    // chain's pending count, so the rejections above left no gap.
    h.sim.state.rpc.chain('MATIC').gasPrice = 4_999n * GWEI;
    h.sim.state.rpc.chain('ETH').estimateGas = 21_000n;
    const okMatic = h.addPending({ chain: 'MATIC', hashes: [matic], serializedTransaction: evmTransfer({ gas: 21_000 }) });
    const okEth = h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ gasPrice: 20n * GWEI }) });
    await passes(h, 1);
    expect((await h.record(okMatic)).state).toBe('COMPLETED');
    expect((await h.record(okEth)).state).toBe('COMPLETED');
    expect(Transaction.from(h.broadcastsOf(okMatic)[0]!.txData).gasPrice).toBe(4_999n * GWEI);
    expect(Transaction.from(h.broadcastsOf(okEth)[0]!.txData).nonce).toBe(0);
    expect(h.keys.decrypts.map((d) => d.signatureId).sort()).toEqual([eth, matic].sort());
  });

  it('malformed, unknown wallet, wrong key use, or a malformed pending item: FAILED, reported once, no decrypt', async () => {
    const h = (harness = await startPipelineHarness());
    const eth = await h.storePrivateKey('ETH', randomEvmKey());
    const ethMnemonic = (await h.storeMnemonic('ETH')).signatureId;
    const btcKey = await h.storePrivateKey('BTC', 'KzeNPFqtVGArNMzanTA46rz4Kt4eddShjt3PJcWyPaeJ5tdTZXsr');
    const btcTestnet = (await h.storeMnemonic('BTC', 'testnet')).signatureId;
    const btcScript = '00147a432042553d14a8d545d7c1e7d133b0bbb20cd3'; // the key's p2wpkh (tatum-vectors btc-p2wpkh)
    const spend = () => utxoTransfer([{ txid: randomTxid(), vout: 0, satoshis: 50_000, script: btcScript }], { script: btcScript, satoshis: 40_000 });
    const failed = {
      notJson: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: '{"from":0,"to":' }),
      badField: h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ nonce: 1, gas: 21_000, gasPrice: 1n, to: '0x1234' }) }),
      badUtxo: h.addPending({ chain: 'BTC', hashes: [btcKey], serializedTransaction: JSON.stringify({ version: 2, inputs: [], outputs: [], nLockTime: 0 }) }),
      unknownWalletUtxo: h.addPending({ chain: 'BTC', hashes: [btcKey, randomUUID()], serializedTransaction: spend() }),
      otherNetworkWallet: h.addPending({ chain: 'BTC', hashes: [btcKey, btcTestnet], serializedTransaction: spend() }),
      twoWalletsOnEvm: h.addPending({ chain: 'ETH', hashes: [eth, randomUUID()], serializedTransaction: evmTransfer({ nonce: 2, gas: 21_000, gasPrice: 1n }) }),
      mnemonicWithoutIndex: h.addPending({ chain: 'ETH', hashes: [ethMnemonic], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: 1n }) }),
      privateKeyWithIndex: h.addPending({ chain: 'ETH', hashes: [eth], index: 3, serializedTransaction: evmTransfer({ nonce: 3, gas: 21_000, gasPrice: 1n }) }),
      malformedItem: h.addPending({ chain: 'ETH', hashes: [eth], index: -1 as number, serializedTransaction: evmTransfer({ nonce: 4, gas: 21_000, gasPrice: 1n }) }),
    };
    // A pending tx naming no wallet of ours at all is none of our business: ignored, never claimed.
    const foreign = h.addPending({ chain: 'ETH', hashes: [randomUUID()], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: 1n }) });
    await passes(h, 3);

    for (const [what, id] of Object.entries(failed)) {
      const record = await h.record(id);
      expect(record.state, what).toBe('FAILED');
      expect(record.reason, what).toBeTruthy();
      expect(reportsOf(h, id), what).toBe(1);
      expect(h.events.count('Transaction Failed', id), what).toBe(1);
    }
    expect(await h.main.ledger.get(foreign)).toBeUndefined();
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
    expect(h.sim.state.errorsReported).toHaveLength(Object.keys(failed).length);
  });

  it('denied by four-eye: APPROVAL_DENIED, nothing decrypted, nothing broadcast, nothing reported', async () => {
    let asked = 0;
    server = createServer((req, res) => {
      asked++;
      req.resume();
      res.writeHead(403).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = parseFourEyeUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/approve`);
    const h = (harness = await startPipelineHarness({ config: { fourEye: { url, method: 'GET', timeoutMs: 1_000 } } }));
    const eth = await h.storePrivateKey('ETH', randomEvmKey());
    const id = h.addPending({ chain: 'ETH', hashes: [eth], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: 1n }) });
    await passes(h, 3); // each pass moves the clock past approvalRetryMs: asked again every pass
    const record = await h.record(id);
    expect(record.state).toBe('APPROVAL_DENIED');
    expect(record.reason).toBe('the approval service answered 403');
    expect(asked).toBe(3);
    expect(h.keys.decrypts).toEqual([]);
    expect(h.sim.state.broadcasts).toEqual([]);
    expect(h.sim.state.errorsReported).toEqual([]);
  });
});

describe('the opened-wallet cache across a pass', () => {
  /** 3 wallets (BTC mnemonic, ETH mnemonic, ETH private key), 30 transactions spread over them. */
  async function thirtyTransactionsOverThreeWallets(h: PipelineHarness) {
    const btc = await h.createMnemonic('BTC');
    const ethMnemonic = await h.createMnemonic('ETH');
    const ethKey = await h.storePrivateKey('ETH', randomEvmKey());
    const btcChain = h.chain('BTC');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const index = i % 4;
      const script = ownedScript(btc.xpub, index, btcChain);
      ids.push(h.addPending({ chain: 'BTC', hashes: [btc.signatureId], signatures: [{ id: btc.signatureId, index }], serializedTransaction: utxoTransfer([{ txid: randomTxid(), vout: i, satoshis: 90_000, script }], { script, satoshis: 80_000 }) }));
      ids.push(h.addPending({ chain: 'ETH', hashes: [ethMnemonic.signatureId], index: i % 3, serializedTransaction: evmTransfer({ gas: 21_000, gasPrice: 2n * GWEI }) }));
      ids.push(h.addPending({ chain: 'ETH', hashes: [ethKey], serializedTransaction: evmTransfer({ nonce: i, gas: 21_000, gasPrice: 2n * GWEI }) }));
    }
    return { ids, wallets: [btc.signatureId, ethMnemonic.signatureId, ethKey] };
  }

  it('N transactions over M wallets decrypt at most M times, even with 8 signing at once', async () => {
    const h = (harness = await startPipelineHarness({ config: { concurrency: 8 } }));
    const { ids, wallets } = await thirtyTransactionsOverThreeWallets(h);
    await passes(h, 1);
    for (const id of ids) expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.keys.decrypts.length).toBeLessThanOrEqual(wallets.length);
    expect(new Set(h.keys.decrypts.map((d) => d.signatureId))).toEqual(new Set(wallets));
    expect(h.deps.openedWallets.opens).toBe(h.keys.decrypts.length);

    // A warm worker signs the next pass's transactions without any decrypt.
    const before = h.keys.decrypts.length;
    const btcWallet = wallets[0]!;
    const btcRecord = (await h.deps.wallets.get(btcWallet))!;
    const script = ownedScript(btcRecord.xpub!, 7, h.chain('BTC'));
    const more = h.addPending({ chain: 'BTC', hashes: [btcWallet], signatures: [{ id: btcWallet, index: 7 }], serializedTransaction: utxoTransfer([{ txid: randomTxid(), vout: 0, satoshis: 5_000, script }], { script, satoshis: 4_000 }) });
    await passes(h, 1);
    expect((await h.record(more)).state).toBe('COMPLETED');
    expect(h.keys.decrypts.length).toBe(before);
  });

  it('control: with the cache disabled the same pass decrypts once per transaction', async () => {
    const h = (harness = await startPipelineHarness({ cache: { maxEntries: 0, maxAgeMs: 0 } }));
    const { ids } = await thirtyTransactionsOverThreeWallets(h);
    await passes(h, 1);
    for (const id of ids) expect((await h.record(id)).state).toBe('COMPLETED');
    expect(h.keys.decrypts.length).toBe(ids.length);
  });
});
