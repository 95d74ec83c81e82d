/**
 * The sandbox's local chains, for real and in-process: ganache (london) and a bcoin regtest full node.
 *
 * EVM: transactions built the way Tatum stores them, filled from chain state, signed by Sigil's evmFamily
 * against the registry's custom `sandbox` network, broadcast and mined; the sender's balance drops by
 * exactly value + gasUsed × effectiveGasPrice (legacy and EIP-1559). A stopped chain refuses the bytes on
 * the wire and a restarted one accepts the very same bytes.
 * Bitcoin: segwit is active at start; the faucet funds a Sigil-derived P2WPKH address; the node refuses a
 * double spend, garbage and a bad signature with bcoin's reason; confirmations wait for a block.
 */
import { Transaction, crypto } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainRegistry, type ChainNetwork } from '../../lib/chains/registry.js';
import { evmFamily, missingFields, withFilledFields } from '../../lib/chains/evm/index.js';
import { utxoFamily } from '../../lib/chains/utxo/index.js';
import { IncompleteTransactionError, InvalidInputError } from '../../lib/errors.js';
import { accountFromMnemonic, addressOf, generateMnemonic, type AccountNode } from '../../lib/keys/index.js';
import { startBitcoinRegtest, SEGWIT_ACTIVATION_HEIGHT, type BitcoinRegtest } from '../../sandbox/chains/bitcoin-chain.js';
import { ChainRejectedError, ChainTimeoutError, ChainUnavailableError } from '../../sandbox/chains/chain-errors.js';
import { callJsonRpc, relayJsonRpc } from '../../sandbox/chains/json-rpc-client.js';
import { startEvmChain, type EvmChain } from '../../sandbox/chains/evm-chain.js';
import { buildBitcoinPayment } from '../../sandbox/app/bitcoin-payment.js';
import { buildEvmTransfer } from '../../sandbox/app/evm-transfer.js';

const GWEI = 10n ** 9n;
const ETHER = 10n ** 18n;
const SIG_A = '1f7f7c0c-3906-4aa1-9dfe-4b67c43918f6';

function account(chain: ChainNetwork): AccountNode {
  const mnemonic = generateMnemonic();
  try {
    return accountFromMnemonic(mnemonic, chain);
  } finally {
    mnemonic.fill(0);
  }
}

function withKey<T>(node: AccountNode, index: number, use: (key: Uint8Array) => T): T {
  const key = node.childPrivateKey(index);
  try {
    return use(key);
  } finally {
    key.fill(0);
  }
}

describe('sandbox EVM chain (ganache, london)', () => {
  let chain: EvmChain;
  let eth: ChainNetwork;
  let wallet: AccountNode;
  let sender: string;
  const recipient = '0x' + 'ab'.repeat(20);

  beforeAll(async () => {
    const started = Date.now();
    chain = await startEvmChain({ chainId: 1_337_001 });
    console.info(`[sandbox-chains] ganache up in ${Date.now() - started} ms at ${chain.rpcUrl}`);
    eth = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', chainIds: { ETH: chain.chainId } }] }).resolve('ETH', 'sandbox');
    wallet = account(eth);
    sender = addressOf(wallet.childPublicKey(0), eth);
    await chain.fund(sender, 10n * ETHER);
  });
  afterAll(async () => {
    wallet?.wipe();
    await chain?.close();
  });

  async function signTransfer(serialized: string, fill: (tx: ReturnType<typeof evmFamily.parse>) => Promise<Parameters<typeof withFilledFields>[1]>) {
    const parsed = evmFamily.parse(serialized, eth);
    const filled = withFilledFields(parsed, await fill(parsed));
    return withKey(wallet, 0, (privateKey) => evmFamily.sign(filled, [{ privateKey }], eth));
  }

  it('reports its chain id and funds from the faucet', async () => {
    expect(await chain.request('eth_chainId')).toBe(`0x${chain.chainId.toString(16)}`);
    expect(await chain.balance(sender)).toBe(10n * ETHER);
    await expect(chain.fund('0x1234', 1n)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('relays JSON-RPC for a gateway: results and node errors as the node gave them', async () => {
    expect(await relayJsonRpc(chain.rpcUrl, 'eth_chainId', [])).toEqual({ result: `0x${chain.chainId.toString(16)}` });
    const refused = await relayJsonRpc(chain.rpcUrl, 'eth_sendRawTransaction', ['0x1234']);
    expect(refused).toEqual({ error: { code: expect.any(Number), message: expect.stringMatching(/decode/i) } });
    expect(await relayJsonRpc(chain.rpcUrl, 'no_such_method', [])).toMatchObject({ error: { message: expect.any(String) } });
  });

  it('serves JSON-RPC 2.0: batches, parse errors and invalid requests answered by the spec', async () => {
    const post = async (body: string) => (await fetch(chain.rpcUrl, { method: 'POST', body })).json() as Promise<unknown>;
    expect(await post('[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":"b","method":"net_version"}]')).toEqual([
      { jsonrpc: '2.0', id: 1, result: `0x${chain.chainId.toString(16)}` },
      { jsonrpc: '2.0', id: 'b', result: expect.any(String) },
    ]);
    expect(await post('{not json')).toMatchObject({ id: null, error: { code: -32700 } });
    expect(await post('[]')).toMatchObject({ error: { code: -32600 } });
    expect(await post('{"id":7,"method":42}')).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(await post('{"id":8,"method":"eth_chainId","params":{}}')).toMatchObject({ id: 8, error: { code: -32602 } });
    expect((await fetch(chain.rpcUrl)).status).toBe(405);
  });

  it('mines a legacy transfer; the sender pays exactly value + gasUsed × gasPrice', async () => {
    const value = 123_456_789_000_000n;
    const serialized = buildEvmTransfer({ to: recipient, valueWei: value });
    const open = evmFamily.parse(serialized, eth);
    expect(missingFields(open)).toEqual(['nonce', 'gas', 'fee']);
    expect(() => withKey(wallet, 0, (privateKey) => evmFamily.sign(open, [{ privateKey }], eth))).toThrow(IncompleteTransactionError);

    const gasPrice = await chain.gasPrice();
    const signed = await signTransfer(serialized, async () => ({ nonce: await chain.nonce(sender, 'pending'), gas: 21_000n, gasPrice }));
    const [senderBefore, recipientBefore] = [await chain.balance(sender), await chain.balance(recipient)];
    expect(await chain.sendRaw(signed.raw)).toBe(signed.txId);
    const receipt = await chain.waitForReceipt(signed.txId, 5_000);
    expect(receipt).toMatchObject({ status: 'success', type: 0, from: sender, to: recipient, gasUsed: 21_000n, effectiveGasPrice: gasPrice });
    expect(senderBefore - (await chain.balance(sender))).toBe(value + receipt.gasUsed * receipt.effectiveGasPrice);
    expect((await chain.balance(recipient)) - recipientBefore).toBe(value);
  });

  it('mines an EIP-1559 transfer; the sender pays exactly value + gasUsed × (baseFee + tip)', async () => {
    const value = 2n * ETHER / 1000n;
    const tip = 1n * GWEI;
    const maxFeePerGas = 2n * (await chain.baseFee()) + tip;
    const serialized = buildEvmTransfer({ to: recipient, valueWei: value, maxFeePerGas, maxPriorityFeePerGas: tip });
    const signed = await signTransfer(serialized, async () => ({ nonce: await chain.nonce(sender, 'pending'), gas: 21_000n }));
    expect(signed.raw.startsWith('0x02')).toBe(true);
    const [senderBefore, recipientBefore] = [await chain.balance(sender), await chain.balance(recipient)];
    await chain.sendRaw(signed.raw);
    const receipt = await chain.waitForReceipt(signed.txId);
    const block = (await chain.request('eth_getBlockByNumber', [`0x${receipt.blockNumber.toString(16)}`, false])) as { baseFeePerGas: string };
    const effective = BigInt(block.baseFeePerGas) + tip < maxFeePerGas ? BigInt(block.baseFeePerGas) + tip : maxFeePerGas;
    expect(receipt).toMatchObject({ status: 'success', type: 2, effectiveGasPrice: effective });
    expect(senderBefore - (await chain.balance(sender))).toBe(value + 21_000n * effective);
    expect((await chain.balance(recipient)) - recipientBefore).toBe(value);
  });

  it('refuses a second transaction at a mined nonce, and one signed for another chain id, with the node message', async () => {
    const nonce = await chain.nonce(sender, 'pending');
    const gasPrice = await chain.gasPrice();
    const first = await signTransfer(buildEvmTransfer({ to: recipient, valueWei: 1n }), async () => ({ nonce, gas: 21_000n, gasPrice }));
    await chain.sendRaw(first.raw);
    await chain.waitForReceipt(first.txId);
    const conflicting = await signTransfer(buildEvmTransfer({ to: recipient, valueWei: 2n }), async () => ({ nonce, gas: 21_000n, gasPrice }));
    const recipientBefore = await chain.balance(recipient);
    // ganache alone would mine this double spend; the sandbox refuses it as geth does.
    const refusedNonce = await chain.sendRaw(conflicting.raw).catch((e: unknown) => e);
    expect(refusedNonce).toBeInstanceOf(ChainRejectedError);
    expect((refusedNonce as ChainRejectedError).reason).toBe(`nonce too low: address ${sender}, tx: ${nonce} state: ${nonce + 1n}`);
    const replay = await chain.sendRaw(first.raw).catch((e: unknown) => e);
    expect((replay as ChainRejectedError).reason).toMatch(/^nonce too low/);
    expect(await chain.balance(recipient)).toBe(recipientBefore);
    expect(await chain.nonce(sender)).toBe(nonce + 1n);

    const otherChain = new ChainRegistry({ customNetworks: [{ name: 'other', base: 'testnet', chainIds: { ETH: chain.chainId + 1n } }] }).resolve('ETH', 'other');
    const foreign = withFilledFields(evmFamily.parse(buildEvmTransfer({ to: recipient, valueWei: 1n }), otherChain), {
      nonce: await chain.nonce(sender, 'pending'), gas: 21_000n, gasPrice: await chain.gasPrice(),
    });
    const raw = withKey(wallet, 0, (privateKey) => evmFamily.sign(foreign, [{ privateKey }], otherChain)).raw;
    const refused = await chain.sendRaw(raw).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChainRejectedError);
    expect((refused as ChainRejectedError).reason).toMatch(/signature/i);
  });

  it('answers a future-nonce transaction at once and mines it when the gap is filled, as geth queues it', async () => {
    const nonce = await chain.nonce(sender, 'pending');
    const gasPrice = await chain.gasPrice();
    const later = await signTransfer(buildEvmTransfer({ to: recipient, valueWei: 20n }), async () => ({ nonce: nonce + 1n, gas: 21_000n, gasPrice }));
    const next = await signTransfer(buildEvmTransfer({ to: recipient, valueWei: 10n }), async () => ({ nonce, gas: 21_000n, gasPrice }));
    const recipientBefore = await chain.balance(recipient);
    const started = Date.now();
    expect(await chain.sendRaw(later.raw)).toBe(later.txId);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(chain.waitForReceipt(later.txId, 200)).rejects.toBeInstanceOf(ChainTimeoutError);
    await chain.sendRaw(next.raw);
    expect((await chain.waitForReceipt(next.txId)).status).toBe('success');
    expect((await chain.waitForReceipt(later.txId)).status).toBe('success');
    expect((await chain.balance(recipient)) - recipientBefore).toBe(30n);
    expect(await chain.nonce(sender)).toBe(nonce + 2n);
  });

  it('refuses broadcasts on the wire while stopped, and accepts the same bytes after restart', async () => {
    const value = 777n;
    const signed = await signTransfer(buildEvmTransfer({ to: recipient, valueWei: value }), async () => ({
      nonce: await chain.nonce(sender, 'pending'), gas: 21_000n, gasPrice: await chain.gasPrice(),
    }));
    const recipientBefore = await chain.balance(recipient);
    const url = chain.rpcUrl;
    await chain.stop();
    const refused = await chain.sendRaw(signed.raw).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChainUnavailableError);
    expect((refused as ChainUnavailableError).context.code).toBe('ECONNREFUSED');
    await expect(callJsonRpc(url, 'eth_blockNumber', [], 1_000)).rejects.toBeInstanceOf(ChainUnavailableError);

    await chain.restart();
    expect(chain.rpcUrl).toBe(url);
    expect(await chain.balance(recipient)).toBe(recipientBefore);
    expect(await chain.sendRaw(signed.raw)).toBe(signed.txId);
    expect((await chain.waitForReceipt(signed.txId)).status).toBe('success');
    expect((await chain.balance(recipient)) - recipientBefore).toBe(value);
  });

  it('times out waiting for a receipt that never comes', async () => {
    await expect(chain.waitForReceipt('0x' + '00'.repeat(32), 100)).rejects.toBeInstanceOf(ChainTimeoutError);
  });
});

describe('sandbox EVM chain with a block time', () => {
  it('mines on its timer, pauses while stopped and resumes after restart', async () => {
    const chain = await startEvmChain({ chainId: 1_337_003, blockTimeMs: 100 });
    try {
      const hash = await chain.fund('0x' + '12'.repeat(20), 1_000n);
      expect((await chain.waitForReceipt(hash)).status).toBe('success');
      await chain.stop();
      await expect(chain.request('eth_blockNumber')).rejects.toBeInstanceOf(ChainUnavailableError);
      await chain.restart();
      const height = BigInt((await chain.request('eth_blockNumber')) as string);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(BigInt((await chain.request('eth_blockNumber')) as string)).toBeGreaterThan(height);
      expect(await chain.balance('0x' + '12'.repeat(20))).toBe(1_000n);
    } finally {
      await chain.close();
    }
  });
});

describe('sandbox Bitcoin regtest (bcoin)', () => {
  let chain: BitcoinRegtest;
  let btc: ChainNetwork;
  let wallet: AccountNode;
  let funded: string;

  beforeAll(async () => {
    const started = Date.now();
    chain = await startBitcoinRegtest();
    console.info(`[sandbox-chains] bcoin regtest up with segwit at height ${chain.height()} in ${Date.now() - started} ms`);
    btc = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', utxo: { BTC: chain.network } }] }).resolve('BTC', 'sandbox');
    wallet = account(btc);
    funded = addressOf(wallet.childPublicKey(0), btc);
  });
  afterAll(async () => {
    wallet?.wipe();
    await chain?.stop();
  });

  it('starts at the segwit activation height with segwit active', async () => {
    expect(chain.height()).toBe(SEGWIT_ACTIVATION_HEIGHT);
    const info = (await callJsonRpc(chain.rpcUrl, 'getblockchaininfo', [])) as { blocks: number; bip9_softforks: Record<string, { status: string }> };
    expect(info.blocks).toBe(SEGWIT_ACTIVATION_HEIGHT);
    expect(info.bip9_softforks.segwit?.status).toBe('active');
    expect(btc.derivationPath).toBe("m/44'/1'/0'/0");
    expect(funded).toMatch(/^rb1q[02-9ac-hj-np-z]{38}$/);
  });

  it('funds a Sigil-derived P2WPKH address with a confirmed output of exactly that amount', async () => {
    const { txid, vout } = await chain.fund(funded, 5_000_000n);
    const confirmation = await chain.waitForConfirmation(txid, { timeoutMs: 1_000 });
    expect(confirmation.height).toBe(chain.height());
    const utxos = await chain.listUnspent(funded);
    const script = `0014${Buffer.from(crypto.hash160(wallet.childPublicKey(0))).toString('hex')}`;
    expect(utxos).toEqual([{ txid, vout, value: 5_000_000n, script, height: confirmation.height, coinbase: false }]);
    expect(await chain.getUnspent(txid, vout)).toEqual(utxos[0]);
    expect(await chain.balance(funded)).toBe(5_000_000n);
    await expect(chain.fund('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 1n)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('accepts a Sigil-signed spend into the mempool, then refuses a double spend and a bad signature with reasons', async () => {
    const to = addressOf(wallet.childPublicKey(1), btc);
    const payment = await buildBitcoinPayment({ fromAddress: [{ address: funded, signatureId: SIG_A }], to: [{ address: to, value: '0.01' }], fee: '0.00002', changeAddress: funded }, chain);
    const tx = utxoFamily.parse(payment.serializedTransaction, btc);
    const signed = withKey(wallet, 0, (privateKey) => utxoFamily.sign(tx, [{ privateKey }], btc));
    expect(await chain.sendRaw(signed.raw)).toBe(signed.txId);
    // In the mempool: the new outputs are listed unconfirmed, the spent one is gone.
    expect((await chain.listUnspent(to)).map((u) => [u.value, u.height])).toEqual([[1_000_000n, null]]);
    await expect(chain.waitForConfirmation(signed.txId, { timeoutMs: 100 })).rejects.toBeInstanceOf(ChainTimeoutError);

    const again = await chain.sendRaw(signed.raw).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ChainRejectedError);

    const doubleSpend = utxoFamily.parse(payment.serializedTransaction.replace(/"satoshis":1000000,/, '"satoshis":999000,').replace(/"hash":"[0-9a-f]{64}",/, ''), btc);
    const conflicting = withKey(wallet, 0, (privateKey) => utxoFamily.sign(doubleSpend, [{ privateKey }], btc));
    expect(conflicting.txId).not.toBe(signed.txId);
    const refused = await chain.sendRaw(conflicting.raw).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChainRejectedError);
    expect((refused as ChainRejectedError).reason).toBe('bad-txns-inputs-spent'); // bcoin's mempool-conflict reason

    await chain.mine(1);
    expect((await chain.waitForConfirmation(signed.txId)).confirmations).toBe(1);
    const spentOnChain = await chain.sendRaw(conflicting.raw).catch((e: unknown) => e);
    expect((spentOnChain as ChainRejectedError).reason).toBe('bad-txns-inputs-missingorspent');
    const change = (await chain.listUnspent(funded)).find((u) => u.txid === signed.txId)!;
    const spendChange = await buildBitcoinPayment({ fromUTXO: [{ txHash: change.txid, index: change.vout, signatureId: SIG_A }], to: [{ address: to, value: '0.001' }], fee: '0.00001', changeAddress: funded }, chain);
    const good = withKey(wallet, 0, (privateKey) => utxoFamily.sign(utxoFamily.parse(spendChange.serializedTransaction, btc), [{ privateKey }], btc));
    const tampered = Transaction.fromHex(good.raw);
    tampered.ins[0]!.witness[0]![10]! ^= 0x01; // a bit of r: the DER stays valid, the signature does not
    const badSig = await chain.sendRaw(tampered.toHex()).catch((e: unknown) => e);
    expect(badSig).toBeInstanceOf(ChainRejectedError);
    expect((badSig as ChainRejectedError).reason).toMatch(/script-verify/);

    const garbage = await chain.sendRaw('00').catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(ChainRejectedError);
    await expect(chain.sendRaw('0x00')).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses calls once stopped', async () => {
    const other = await startBitcoinRegtest();
    await other.stop();
    await expect(other.mine(1)).rejects.toBeInstanceOf(ChainUnavailableError);
    await expect(other.sendRaw('00')).rejects.toBeInstanceOf(ChainUnavailableError);
    await other.stop();
  });

  it('with autoMineMs, confirms a mempool transaction without being asked', async () => {
    const auto = await startBitcoinRegtest({ autoMineMs: 50 });
    try {
      const address = addressOf(wallet.childPublicKey(5), btc);
      const funded5 = await auto.fund(address, 100_000n);
      const payment = await buildBitcoinPayment({ fromUTXO: [{ txHash: funded5.txid, index: funded5.vout, signatureId: SIG_A }], to: [{ address: auto.faucetAddress, value: '0.0005' }], fee: '0.00001', changeAddress: address }, auto);
      const signed = withKey(wallet, 5, (privateKey) => utxoFamily.sign(utxoFamily.parse(payment.serializedTransaction, btc), [{ privateKey }], btc));
      const height = auto.height();
      await auto.sendRaw(signed.raw);
      const confirmation = await auto.waitForConfirmation(signed.txId, { timeoutMs: 5_000 });
      expect(confirmation.height).toBe(height + 1);
      expect(await auto.balance(address)).toBe(100_000n - 50_000n - 1_000n);
    } finally {
      await auto.stop();
    }
  });

  it('reports no unspent output for unknown or malformed outpoints', async () => {
    expect(await chain.getUnspent('ab'.repeat(32), 0)).toBeUndefined();
    expect(await chain.getUnspent('not-a-txid', 0)).toBeUndefined();
  });
});
