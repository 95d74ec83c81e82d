/**
 * Known answers end to end: a pass in mode 'all' against the Tatum simulator broadcasts, for every signing
 * vector (upstream's tatum-vectors.json, and the per-chain evm-vectors.json and utxo-vectors.json), exactly
 * the expected txData to the expected path with signatureId = the pending id, and the ledger ends COMPLETED
 * with the vector's txId. The wallets are real sealed records (private keys, or the fixture mnemonic with
 * the derivation indexes Tatum sends), opened through the LocalKeyProvider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import evmVectors from '../vectors/evm-vectors.json' with { type: 'json' };
import tatumVectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import utxoVectors from '../vectors/utxo-vectors.json' with { type: 'json' };
import { Transaction } from 'ethers';
import { ChainRegistry } from '../../lib/chains/registry.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

/** TATUM-COMPAT §2.6, written out here rather than read from the registry the code uses. */
const BROADCAST_PATH: Record<string, string> = {
  BTC: '/v3/bitcoin/broadcast',
  LTC: '/v3/litecoin/broadcast',
  DOGE: '/v3/dogecoin/broadcast',
  ETH: '/v3/ethereum/broadcast',
  BSC: '/v3/bsc/broadcast',
  MATIC: '/v3/polygon/broadcast',
  KLAY: '/v3/klaytn/broadcast',
  ONE: '/v3/one/broadcast',
  XDC: '/v3/xdc/broadcast',
  CELO: '/v3/celo/broadcast',
  KCS: '/v3/kcs/broadcast',
};

interface Expectation {
  readonly name: string;
  readonly id: string;
  readonly path: string;
  readonly txData: string;
  /** The chain's txid of `txData`, when the vector gives it. */
  readonly txId?: string;
}

let harness: PipelineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** One mainnet pass and one testnet pass (a second worker on the same store), then the checks. */
async function runBothNetworksAndCheck(h: PipelineHarness, expected: readonly Expectation[]): Promise<void> {
  const mainnet = await runPass(h.deps, {}, 'all');
  const testnet = await runPass(h.worker('worker-testnet', { config: { network: 'testnet' } }).deps, {}, 'all');
  expect([...mainnet.errors, ...testnet.errors]).toEqual([]);
  for (const e of expected) {
    expect(h.broadcastsOf(e.id), e.name).toEqual([{ path: e.path, txData: e.txData }]);
    const record = await h.record(e.id);
    expect(record.state, e.name).toBe('COMPLETED');
    expect(record.raw, e.name).toBe(e.txData);
    const atTatum = h.sim.state.transactions.get(e.id)!;
    expect(atTatum.txId, e.name).toBe(record.txId);
    if (e.txId !== undefined) expect(record.txId, e.name).toBe(e.txId);
  }
  // Every vector is complete as sent: nothing was filled from the RPC gateway, nothing failed.
  expect(h.sim.state.rpc.calls).toEqual([]);
  expect(h.sim.state.errorsReported).toEqual([]);
  expect(h.events.count('Transaction Failed') + h.events.count('Transaction Rejected')).toBe(0);
}

describe('known answers through runPass', () => {
  it('upstream Tatum vectors and every EVM vector, signed by private-key wallets', async () => {
    const h = (harness = await startPipelineHarness());
    const expected: Expectation[] = [];
    for (const vector of tatumVectors.signing) {
      const wallet = await h.storePrivateKey(vector.chain, vector.key.privateKey, vector.testnet ? 'testnet' : 'mainnet');
      const id = h.addPending({ chain: vector.chain, serializedTransaction: vector.serializedTransaction, hashes: [wallet] });
      expected.push({ name: `tatum ${vector.name}`, id, path: vector.broadcastPath, txData: vector.signed });
    }
    for (const vector of evmVectors.vectors) {
      const wallet = await h.storePrivateKey(vector.chain, vector.privateKey, vector.network);
      const id = h.addPending({ chain: vector.chain, serializedTransaction: vector.serializedTransaction, hashes: [wallet] });
      expected.push({ name: vector.name, id, path: BROADCAST_PATH[vector.chain]!, txData: vector.signed, txId: vector.txId });
    }
    await runBothNetworksAndCheck(h, expected);
    // The EVM broadcast txId is the keccak hash of the raw tx, and Tatum's pending tx was completed with it.
    expect(h.sim.state.broadcasts).toHaveLength(expected.length);
  });

  // UTXO vectors reuse outpoints across script types and networks (spend keys do not name the network), so
  // each round gets its own ledger: within a round no outpoint repeats.
  const rounds: Array<typeof utxoVectors.vectors> = [];
  for (const vector of utxoVectors.vectors) {
    const outpoints = (v: (typeof utxoVectors.vectors)[number]) =>
      (JSON.parse(v.serializedTransaction) as { inputs: Array<{ prevTxId: string; outputIndex: number }> }).inputs.map((i) => `${v.chain}:${i.prevTxId}:${i.outputIndex}`);
    const mine = new Set(outpoints(vector));
    const round = rounds.find((r) => r.every((other) => outpoints(other).every((o) => !mine.has(o))));
    if (round) round.push(vector);
    else rounds.push([vector]);
  }

  it.each(rounds.map((round, i) => [i + 1, round.map((v) => v.name).join(', '), round] as const))(
    'UTXO vectors, round %i (%s), signed by the fixture mnemonic at the indexes Tatum names',
    async (round, _names, vectors) => {
      const h = (harness = await startPipelineHarness());
      const expected: Expectation[] = [];
      const walletOf = new Map<string, string>();
      const mnemonicWallet = async (chain: string, network: string) => {
        const key = `${chain}/${network}`;
        if (!walletOf.has(key)) walletOf.set(key, (await h.storeMnemonic(chain, network)).signatureId);
        return walletOf.get(key)!;
      };
      for (const vector of vectors) {
        const wallet = await mnemonicWallet(vector.chain, vector.network);
        const withdrawal = 'withdrawalResponses' in vector;
        const id = h.addPending({
          chain: vector.chain,
          serializedTransaction: vector.serializedTransaction,
          hashes: [wallet],
          ...(withdrawal
            ? { withdrawalId: `wd-${vector.name}`, withdrawalResponses: (vector as { withdrawalResponses: unknown[] }).withdrawalResponses }
            : { signatures: vector.keys.map((k) => ({ id: wallet, index: k.derivationIndex })) }),
        });
        expected.push({ name: vector.name, id, path: withdrawal ? '/v3/offchain/withdrawal/broadcast' : BROADCAST_PATH[vector.chain]!, txData: vector.signed, txId: vector.txId });
      }
      if (round === 1) {
        // Upstream's BTC vector again, this time from the mnemonic wallet with `signatures` index 0.
        const vector = tatumVectors.signing.find((v) => v.name === 'btc-p2wpkh')!;
        const wallet = await mnemonicWallet('BTC', 'mainnet');
        const id = h.addPending({ chain: 'BTC', serializedTransaction: vector.serializedTransaction, hashes: [wallet], signatures: [{ id: wallet, index: vector.key.mnemonicIndex! }] });
        expected.push({ name: 'tatum btc-p2wpkh (mnemonic)', id, path: vector.broadcastPath, txData: vector.signed });
      }
      await runBothNetworksAndCheck(h, expected);
      for (const w of h.sim.state.withdrawalBroadcasts) {
        expect(w).toMatchObject({ currency: 'BTC', withdrawalId: 'wd-btc-withdrawal-mainnet' });
      }
      // One KMS-equivalent decrypt per wallet, however many keys and transactions it signed.
      expect(h.keys.decrypts.length).toBe(walletOf.size);
    },
  );

  it('a custom network signs for the chain id its registry pins, whatever the RPC node says', async () => {
    const registry = new ChainRegistry({ customNetworks: [{ name: 'devnet', base: 'testnet', chainIds: { ETH: 31_337n } }] });
    const h = (harness = await startPipelineHarness({ registry, network: 'devnet' }));
    h.sim.state.rpc.chain('ETH').chainId = 1n; // a node claiming mainnet must not matter
    const vector = evmVectors.vectors.find((v) => v.name === 'eth-testnet-legacy')!;
    const wallet = await h.storePrivateKey('ETH', vector.privateKey, 'devnet');
    const id = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ nonce: 0, gas: 21_000, gasPrice: 1_000_000_000n }) });
    // A testnet wallet of the same key is not this network's: its pending tx is not even polled.
    const testnetWallet = await h.storePrivateKey('ETH', vector.privateKey, 'testnet');
    const other = h.addPending({ chain: 'ETH', hashes: [testnetWallet], serializedTransaction: evmTransfer({ nonce: 1, gas: 21_000, gasPrice: 1_000_000_000n }) });
    expect((await runPass(h.deps, {}, 'all')).errors).toEqual([]);
    const sent = h.broadcastsOf(id);
    expect(sent).toHaveLength(1);
    const tx = Transaction.from(sent[0]!.txData);
    expect(tx.chainId).toBe(31_337n);
    expect(tx.from!.toLowerCase()).toBe(vector.address);
    expect((await h.record(id)).network).toBe('devnet');
    expect(await h.main.ledger.get(other)).toBeUndefined();
  });
});
