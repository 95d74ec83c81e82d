/**
 * The app side of the sandbox: what an app's Tatum call makes Tatum store, built from live chain state,
 * then signed by Sigil's chain families and confirmed on the local chains.
 *
 * - buildEvmTransfer writes Tatum's web3-config JSON; with Tatum's own vector's fields it signs to Tatum's
 *   vector bytes; the Ethereum endpoint's pending transaction, filled and signed, moves exactly value + fee.
 * - buildBitcoinPayment writes bitcore's toObject() JSON (Sigil re-serializes it byte for byte); a payment
 *   from two mnemonic-derived addresses is signed with the keys its `signatures` name, confirmed, and the
 *   senders lose exactly amount + fee.
 * - Both endpoints refuse malformed bodies with a 400-style AppRequestError and store nothing; fuzzed
 *   bodies never raise anything else. A property test checks built payments against their requests.
 */
import { readFileSync } from 'node:fs';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainRegistry, defaultRegistry, type ChainNetwork } from '../../lib/chains/registry.js';
import { evmFamily, withFilledFields } from '../../lib/chains/evm/index.js';
import { utxoFamily } from '../../lib/chains/utxo/index.js';
import { accountFromMnemonic, addressOf, decodePrivateKey, generateMnemonic, type AccountNode } from '../../lib/keys/index.js';
import { parsePendingTransaction, type PendingTransaction } from '../../lib/tatum/pending-transaction.js';
import { startBitcoinRegtest, SANDBOX_REGTEST_PARAMS, type BitcoinRegtest } from '../../sandbox/chains/bitcoin-chain.js';
import { startEvmChain, type EvmChain } from '../../sandbox/chains/evm-chain.js';
import { createBitcoinTransfer } from '../../sandbox/app/bitcoin-endpoint.js';
import { buildBitcoinPayment, type BitcoinUtxoSource } from '../../sandbox/app/bitcoin-payment.js';
import { createEthereumTransfer } from '../../sandbox/app/ethereum-endpoint.js';
import { buildEvmTransfer } from '../../sandbox/app/evm-transfer.js';
import { AppRequestError } from '../../sandbox/app/request-fields.js';

const SIG_A = '1f7f7c0c-3906-4aa1-9dfe-4b67c43918f6';
const SIG_B = '2b7e1516-28ae-4d2a-a6ab-f7158809cf4f';
const TO = '0x' + 'cd'.repeat(20);
const vectors = JSON.parse(readFileSync(new URL('../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  signing: Array<{ name: string; key: { privateKey: string }; serializedTransaction: string; signed: string }>;
};

function account(chain: ChainNetwork): AccountNode {
  const mnemonic = generateMnemonic();
  try {
    return accountFromMnemonic(mnemonic, chain);
  } finally {
    mnemonic.fill(0);
  }
}

/** Collects what the endpoints store. */
function pendingSink() {
  const stored: PendingTransaction[] = [];
  return { stored, addPending: (tx: PendingTransaction) => void stored.push(tx) };
}

async function refusal(run: () => Promise<unknown>): Promise<AppRequestError> {
  const error = await run().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppRequestError);
  expect((error as AppRequestError).status).toBe(400);
  return error as AppRequestError;
}

describe('buildEvmTransfer: Tatum web3-config JSON', () => {
  it('writes from: 0, decimal strings and only the fields given, in a fixed order', () => {
    expect(buildEvmTransfer({ to: TO.toUpperCase().replace('0X', '0x'), valueWei: 1000n })).toBe(`{"from":0,"to":"${TO}","value":"1000"}`);
    expect(buildEvmTransfer({ to: TO, valueWei: 5n, nonce: 0, gasPrice: 7n, gas: 21_000n, data: '0xABCD' })).toBe(
      `{"from":0,"to":"${TO}","value":"5","data":"0xabcd","nonce":0,"gasPrice":"7","gas":"21000"}`,
    );
    expect(buildEvmTransfer({ to: TO, valueWei: 0n, maxFeePerGas: 9n, maxPriorityFeePerGas: 2n })).toBe(
      `{"from":0,"to":"${TO}","value":"0","maxFeePerGas":"9","maxPriorityFeePerGas":"2"}`,
    );
  });

  it("with the fields of Tatum's ETH vector, signs to the vector's bytes", () => {
    const vector = vectors.signing.find((v) => v.name === 'evm-eth')!;
    const fields = JSON.parse(vector.serializedTransaction) as { to: string; value: string; nonce: number; gasPrice: string; gas: number };
    const eth = defaultRegistry.resolve('ETH', 'mainnet');
    const serialized = buildEvmTransfer({ to: fields.to, valueWei: BigInt(fields.value), nonce: fields.nonce, gasPrice: BigInt(fields.gasPrice), gas: BigInt(fields.gas) });
    expect(evmFamily.parse(serialized, eth)).toEqual(evmFamily.parse(vector.serializedTransaction, eth));
    const privateKey = decodePrivateKey(vector.key.privateKey, eth);
    expect(evmFamily.sign(evmFamily.parse(serialized, eth), [{ privateKey }], eth).raw).toBe(vector.signed);
    privateKey.fill(0);
  });

  it('refuses mixed fee models, a priority fee above the cap, bad addresses and out-of-range values', () => {
    const cases: Array<[Parameters<typeof buildEvmTransfer>[0], string]> = [
      [{ to: TO, valueWei: 1n, gasPrice: 1n, maxFeePerGas: 2n }, 'gasPrice'],
      [{ to: TO, valueWei: 1n, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }, 'maxPriorityFeePerGas'],
      [{ to: '0x1234', valueWei: 1n }, 'to'],
      [{ to: '0xCDcdCDcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd', valueWei: 1n }, 'to'],
      [{ to: TO, from: 'nope', valueWei: 1n }, 'from'],
      [{ to: TO, valueWei: -1n }, 'valueWei'],
      [{ to: TO, valueWei: 1n, nonce: 2 ** 53 }, 'nonce'],
      [{ to: TO, valueWei: 1n, data: '0xabc' }, 'data'],
    ];
    for (const [options, field] of cases) {
      let caught: unknown;
      try {
        buildEvmTransfer(options);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(AppRequestError);
      expect((caught as AppRequestError).field).toBe(field);
    }
  });
});

describe('POST /v3/ethereum/transaction on the local EVM chain', () => {
  let chain: EvmChain;
  let eth: ChainNetwork;
  let wallet: AccountNode;

  beforeAll(async () => {
    chain = await startEvmChain({ chainId: 1_337_002 });
    eth = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', chainIds: { ETH: chain.chainId } }] }).resolve('ETH', 'sandbox');
    wallet = account(eth);
  });
  afterAll(async () => {
    wallet?.wipe();
    await chain?.close();
  });

  it('stores a pending transfer that Sigil fills, signs and the chain confirms; value + fee move exactly', async () => {
    const sender = addressOf(wallet.childPublicKey(3), eth);
    await chain.fund(sender, 10n ** 18n);
    const sink = pendingSink();
    const answer = await createEthereumTransfer(
      { to: TO, amount: '0.0012', currency: 'ETH', signatureId: SIG_A, index: 3, fee: { gasLimit: '21000', gasPrice: '2.5' } },
      { addPending: sink.addPending, newPendingId: () => 'a1'.repeat(12) },
    );
    expect(answer).toEqual({ signatureId: 'a1'.repeat(12) });
    expect(sink.stored).toHaveLength(1);
    const pending = parsePendingTransaction(JSON.parse(JSON.stringify(sink.stored[0])));
    expect(pending).toEqual({
      id: 'a1'.repeat(12), chain: 'ETH', hashes: [SIG_A], index: 3, signatures: null, withdrawalId: null, withdrawalResponses: null, txId: null,
      serializedTransaction: `{"from":0,"to":"${TO}","value":"1200000000000000","gasPrice":"2500000000","gas":"21000"}`,
    });

    const tx = withFilledFields(evmFamily.parse(pending.serializedTransaction, eth), { nonce: await chain.nonce(sender, 'pending') });
    const key = wallet.childPrivateKey(pending.index!);
    const signed = evmFamily.sign(tx, [{ privateKey: key }], eth);
    key.fill(0);
    const [senderBefore, toBefore] = [await chain.balance(sender), await chain.balance(TO)];
    await chain.sendRaw(signed.raw);
    const receipt = await chain.waitForReceipt(signed.txId);
    expect(receipt.effectiveGasPrice).toBe(2_500_000_000n);
    expect(senderBefore - (await chain.balance(sender))).toBe(1_200_000_000_000_000n + 21_000n * 2_500_000_000n);
    expect((await chain.balance(TO)) - toBefore).toBe(1_200_000_000_000_000n);
  });

  it('leaves nonce, gas and fee to the prepare step when the body gives none', async () => {
    const sink = pendingSink();
    const { signatureId } = await createEthereumTransfer({ to: TO, amount: '1', currency: 'ETH', signatureId: SIG_B }, sink);
    expect(signatureId).toMatch(/^[0-9a-f]{24}$/);
    expect(sink.stored[0]).toMatchObject({ id: signatureId, index: null, serializedTransaction: `{"from":0,"to":"${TO}","value":"1000000000000000000"}` });
    // nonce 0 is a nonce (upstream treats it as missing), and call data is kept whole.
    const data = '0x' + 'ab'.repeat(300);
    await createEthereumTransfer({ to: TO, amount: '0', currency: 'ETH', signatureId: SIG_B, nonce: 0, data }, sink);
    expect(sink.stored[1]!.serializedTransaction).toBe(`{"from":0,"to":"${TO}","value":"0","data":"${data}","nonce":0}`);
    expect(evmFamily.parse(sink.stored[1]!.serializedTransaction, eth)).toMatchObject({ nonce: 0n, data });
  });

  it('refuses malformed bodies with a 400 naming the field, and stores nothing', async () => {
    const good = { to: TO, amount: '0.1', currency: 'ETH', signatureId: SIG_A };
    const cases: Array<[unknown, string]> = [
      [null, 'body'],
      [[good], 'body'],
      [{ ...good, to: undefined }, 'to'],
      [{ ...good, to: '0x' + 'cd'.repeat(19) }, 'to'],
      [{ ...good, to: '0xCDcdCDcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd' }, 'to'],
      [{ ...good, currency: 'BTC' }, 'currency'],
      [{ ...good, amount: 0.1 }, 'amount'],
      [{ ...good, amount: '0.1234567890123456789' }, 'amount'],
      [{ ...good, amount: '-1' }, 'amount'],
      [{ ...good, amount: '1e3' }, 'amount'],
      [{ ...good, signatureId: SIG_A.toUpperCase() }, 'signatureId'],
      [{ ...good, index: -1 }, 'index'],
      [{ ...good, index: 1.5 }, 'index'],
      [{ ...good, signatureID: SIG_A }, 'signatureID'],
      [{ ...good, fee: { gasLimit: '21000' } }, 'fee.gasPrice'],
      [{ ...good, fee: { gasLimit: '0', gasPrice: '1' } }, 'fee.gasLimit'],
      [{ ...good, fee: { gasLimit: '21000', gasPrice: '1.0000000001' } }, 'fee.gasPrice'],
      [{ ...good, fee: { gasLimit: '21000', gasPrice: '1', tip: '1' } }, 'fee.tip'],
      [{ ...good, nonce: -1 }, 'nonce'],
      [{ ...good, data: 'hello' }, 'data'],
    ];
    const sink = pendingSink();
    for (const [body, field] of cases) {
      const error = await refusal(() => createEthereumTransfer(body, sink));
      expect(error.field, JSON.stringify(body)).toBe(field);
    }
    expect(sink.stored).toEqual([]);
  });

  it('fuzz: any body is either stored as a parseable pending tx or refused with AppRequestError', async () => {
    // Mostly-valid fields, each now and then absent or replaced by any JSON value, so both paths are exercised.
    const field = <T>(valid: fc.Arbitrary<T>) => fc.option(fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.anything(), weight: 1 }), { nil: undefined, freq: 12 });
    const body = fc.oneof(
      { arbitrary: fc.anything(), weight: 1 },
      {
        weight: 4,
        arbitrary: fc.record({
          to: field(fc.constantFrom(TO, TO.toUpperCase().replace('0X', '0x'), '0xCDcdCDcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd')),
          amount: field(fc.stringMatching(/^[0-9]{1,6}(\.[0-9]{1,19})?$/)),
          currency: field(fc.constant('ETH')),
          signatureId: field(fc.uuid()),
          index: field(fc.integer({ min: -2, max: 2 ** 31 })),
          fee: field(fc.record({ gasLimit: fc.oneof(fc.stringMatching(/^[0-9]{1,8}$/), fc.nat()), gasPrice: fc.oneof(fc.stringMatching(/^[0-9]{1,4}(\.[0-9]{1,10})?$/), fc.double()) })),
          nonce: field(fc.nat()),
        }),
      },
    );
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const sink = pendingSink();
        try {
          const { signatureId } = await createEthereumTransfer(input, sink);
          expect(parsePendingTransaction(JSON.parse(JSON.stringify(sink.stored[0]))).id).toBe(signatureId);
          expect(() => evmFamily.parse(sink.stored[0]!.serializedTransaction, eth)).not.toThrow();
        } catch (error) {
          if (!(error instanceof AppRequestError)) throw error;
          expect(sink.stored).toEqual([]);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('POST /v3/bitcoin/transaction on the local regtest', () => {
  let chain: BitcoinRegtest;
  let btc: ChainNetwork;
  let wallet: AccountNode;
  const address = (i: number) => addressOf(wallet.childPublicKey(i), btc);

  beforeAll(async () => {
    chain = await startBitcoinRegtest();
    btc = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', utxo: { BTC: chain.network } }] }).resolve('BTC', 'sandbox');
    wallet = account(btc);
  });
  afterAll(async () => {
    wallet?.wipe();
    await chain?.stop();
  });

  it('pays from two mnemonic-derived addresses; signed with the keys the pending tx names, confirmed, amount + fee move exactly', async () => {
    await chain.fund(address(0), 1_000_000n);
    await chain.fund(address(1), 1_000_000n);
    const dest = address(7);
    const sink = pendingSink();
    const { signatureId } = await createBitcoinTransfer(
      {
        fromAddress: [{ address: address(0), signatureId: SIG_A, index: 0 }, { address: address(1), signatureId: SIG_A, index: 1 }],
        to: [{ address: dest, value: 0.015 }],
        fee: '0.0001',
        changeAddress: address(0),
      },
      { bitcoin: chain, addPending: sink.addPending },
    );
    const pending = parsePendingTransaction(JSON.parse(JSON.stringify(sink.stored[0])));
    expect(pending).toMatchObject({ id: signatureId, chain: 'BTC', hashes: [SIG_A, SIG_A], index: null, signatures: [{ id: SIG_A, index: 0 }, { id: SIG_A, index: 1 }] });

    const tx = utxoFamily.parse(pending.serializedTransaction, btc);
    // Sigil writes bitcore's JSON back byte for byte: nothing was lost or reordered.
    expect(utxoFamily.serializeUnsigned(tx, btc)).toBe(pending.serializedTransaction);
    expect(tx.outputs.map((o) => o.satoshis)).toEqual([1_500_000n, 2_000_000n - 1_500_000n - 10_000n]);
    const keys = pending.signatures!.map((s) => ({ privateKey: wallet.childPrivateKey(s.index) }));
    const signed = utxoFamily.sign(tx, keys, btc);
    for (const key of keys) key.privateKey.fill(0);

    const before = (await chain.balance(address(0))) + (await chain.balance(address(1)));
    expect(await chain.sendRaw(signed.raw)).toBe(signed.txId);
    await chain.mine(1);
    await chain.waitForConfirmation(signed.txId);
    const after = (await chain.balance(address(0))) + (await chain.balance(address(1)));
    expect(before - after).toBe(1_500_000n + 10_000n);
    expect(await chain.listUnspent(dest)).toEqual([expect.objectContaining({ txid: signed.txId, vout: 0, value: 1_500_000n, height: chain.height() })]);
  });

  it('spends the named outputs of a private-key wallet (fromUTXO, no index): hashes only, no signatures', async () => {
    const from = address(20);
    const { txid, vout } = await chain.fund(from, 300_000n);
    const payment = await buildBitcoinPayment({ fromUTXO: [{ txHash: txid, index: vout, signatureId: SIG_B }], to: [{ address: address(21), value: '0.001' }], fee: '0.00000500', changeAddress: from }, chain);
    expect(payment).toMatchObject({ hashes: [SIG_B], signatures: null, index: null, fee: 500n, inputs: [{ txid, vout, value: 300_000n }] });
    const key = wallet.childPrivateKey(20);
    const signed = utxoFamily.sign(utxoFamily.parse(payment.serializedTransaction, btc), [{ privateKey: key }], btc);
    key.fill(0);
    await chain.sendRaw(signed.raw);
    await chain.mine(1);
    await chain.waitForConfirmation(signed.txId);
    expect(await chain.balance(from)).toBe(300_000n - 100_000n - 500n);
    expect(await chain.balance(address(21))).toBe(100_000n);
  });

  it('refuses malformed or unpayable bodies with a 400 naming the field, and stores nothing', async () => {
    const from = address(30);
    const { txid, vout } = await chain.fund(from, 100_000n);
    const utxo = [{ txHash: txid, index: vout, signatureId: SIG_A }];
    const to = [{ address: address(31), value: '0.0005' }];
    const good = { fromUTXO: utxo, to, fee: '0.00001', changeAddress: from };
    const cases: Array<[unknown, string]> = [
      ['{}', 'body'],
      [{ to }, 'fromUTXO'],
      [{ ...good, fromAddress: [{ address: from, signatureId: SIG_A }] }, 'fromUTXO'],
      [{ fromUTXO: utxo, to, fee: '0.00001' }, 'changeAddress'],
      [{ fromUTXO: utxo, to, changeAddress: from }, 'fee'],
      [{ fromAddress: [{ address: from, signatureId: SIG_A }], to }, 'fee'],
      [{ ...good, to: [] }, 'to'],
      [{ ...good, to: [{ address: address(31), value: '0.000000001' }] }, 'to[0].value'],
      [{ ...good, to: [{ address: address(31), value: 0 }] }, 'to[0].value'],
      [{ ...good, to: [{ address: address(31), value: 1e-7 }] }, 'to[0].value'],
      [{ ...good, to: [{ address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', value: '0.1' }] }, 'to[0].address'],
      [{ ...good, to: [{ address: address(31), value: '0.1', memo: 'x' }] }, 'to[0].memo'],
      [{ ...good, changeAddress: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' }, 'changeAddress'],
      [{ ...good, fromUTXO: [{ ...utxo[0], index: vout + 5 }] }, 'fromUTXO[0]'],
      [{ ...good, fromUTXO: [utxo[0], utxo[0]] }, 'fromUTXO[1]'],
      [{ ...good, fromUTXO: [{ ...utxo[0], txHash: 'zz' }] }, 'fromUTXO[0].txHash'],
      [{ ...good, fromUTXO: [{ ...utxo[0], signatureId: 'not-a-uuid' }] }, 'fromUTXO[0].signatureId'],
      [{ ...good, fromUTXO: [{ ...utxo[0], signatureIdIndex: -1 }] }, 'fromUTXO[0].signatureIdIndex'],
      [{ ...good, to: [{ address: address(31), value: '0.001' }] }, 'fromUTXO'],
      [{ fromAddress: [{ address: address(32), signatureId: SIG_A }], to, fee: '0.00001', changeAddress: from }, 'fromAddress'],
      [{ fromAddress: [{ address: from, signatureId: SIG_A }, { address: from, signatureId: SIG_B }], to, fee: '0.00001', changeAddress: from }, 'fromAddress'],
      [{ fromUTXO: utxo, to: [{ address: address(31), value: '0.001' }] }, 'fromUTXO'],
    ];
    const sink = pendingSink();
    for (const [body, field] of cases) {
      const error = await refusal(() => createBitcoinTransfer(body, { bitcoin: chain, addPending: sink.addPending }));
      expect(error.field, JSON.stringify(body)).toBe(field);
    }
    expect(sink.stored).toEqual([]);
  });
});

describe('buildBitcoinPayment over an in-memory UTXO set', () => {
  const params = SANDBOX_REGTEST_PARAMS;
  const btc = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', utxo: { BTC: params } }] }).resolve('BTC', 'sandbox');
  const wallet = account(btc);
  const addresses = Array.from({ length: 4 }, (_, i) => addressOf(wallet.childPublicKey(i), btc));
  afterAll(() => wallet.wipe());

  const txidOf = (n: number) => (n + 1).toString(16).padStart(64, '0');

  /** Coin n is output n % 3 of transaction txidOf(n), paying addresses[owner]. */
  function sourceOf(coins: Array<{ owner: number; value: bigint }>): BitcoinUtxoSource {
    const utxos = coins.map((coin, n) => ({
      address: addresses[coin.owner]!,
      txid: txidOf(n),
      vout: n % 3,
      value: coin.value,
      script: Buffer.from(bitcoinAddress.toOutputScript(addresses[coin.owner]!, params)).toString('hex'),
      height: 500 + n,
      coinbase: false,
    }));
    return {
      network: params,
      listUnspent: async (addr) => utxos.filter((u) => u.address === addr),
      getUnspent: async (txid, vout) => utxos.find((u) => u.txid === txid && u.vout === vout),
    };
  }

  it('property: the built transaction pays each recipient, charges at least the fee and at most fee + dust, and is signable', async () => {
    const amount = fc.bigInt({ min: 1_000n, max: 5_000_000n });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ owner: fc.integer({ min: 0, max: 1 }), value: amount }), { minLength: 1, maxLength: 5 }),
        fc.array(amount, { minLength: 1, maxLength: 3 }),
        fc.bigInt({ min: 0n, max: 20_000n }),
        async (coins, pays, fee) => {
          const source = sourceOf(coins);
          const request = {
            fromAddress: [{ address: addresses[0]!, signatureId: SIG_A, index: 0 }, { address: addresses[1]!, signatureId: SIG_A, index: 1 }],
            to: pays.map((sats, i) => ({ address: addresses[2 + (i % 2)]!, value: btcString(sats) })),
            fee: btcString(fee),
            changeAddress: addresses[0]!,
          };
          const needed = pays.reduce((a, b) => a + b, 0n) + fee;
          const total = coins.reduce((a, c) => a + c.value, 0n);
          let payment;
          try {
            payment = await buildBitcoinPayment(request, source);
          } catch (error) {
            expect(error).toBeInstanceOf(AppRequestError);
            expect(total).toBeLessThan(needed);
            return;
          }
          const tx = utxoFamily.parse(payment.serializedTransaction, btc);
          const totalIn = tx.inputs.reduce((a, i) => a + i.prevout.satoshis, 0n);
          const totalOut = tx.outputs.reduce((a, o) => a + o.satoshis, 0n);
          expect(payment.fee).toBe(totalIn - totalOut);
          expect(payment.fee).toBeGreaterThanOrEqual(fee);
          expect(payment.fee - fee).toBeLessThanOrEqual(546n);
          expect(tx.outputs.slice(0, pays.length).map((o) => o.satoshis)).toEqual(pays);
          expect(payment.hashes).toHaveLength(tx.inputs.length);
          // Each input is signed by the key of the address that owns it, in input order.
          expect(payment.signatures!.map((s) => s.index)).toEqual(payment.inputs.map((i) => coins[Number.parseInt(i.txid, 16) - 1]!.owner));
          const keys = [0, 1].map((i) => ({ privateKey: wallet.childPrivateKey(i) }));
          expect(() => utxoFamily.sign(tx, keys, btc)).not.toThrow();
          for (const key of keys) key.privateKey.fill(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fuzz: any body is either built or refused with AppRequestError', async () => {
    const source = sourceOf([{ owner: 0, value: 1_000_000n }]);
    const field = <T>(valid: fc.Arbitrary<T>) => fc.option(fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.anything(), weight: 1 }), { nil: undefined, freq: 12 });
    const value = fc.oneof({ arbitrary: fc.stringMatching(/^0\.000[0-9]{1,6}$/), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 300_000 }).map((n) => n / 1e8), weight: 1 });
    const to = field(fc.array(fc.record({ address: fc.constantFrom(...addresses), value }), { minLength: 1, maxLength: 3 }));
    const fee = field(fc.stringMatching(/^0\.0000[0-9]{1,5}$/));
    const changeAddress = field(fc.constantFrom(...addresses));
    const body = fc.oneof(
      { arbitrary: fc.anything(), weight: 1 },
      { weight: 3, arbitrary: fc.record({ fromUTXO: field(fc.array(fc.record({ txHash: fc.constant(txidOf(0)), index: fc.constantFrom(0, 0, 0, 1, -1), signatureId: fc.constant(SIG_A) }), { minLength: 1, maxLength: 2 })), to, fee, changeAddress }) },
      { weight: 3, arbitrary: fc.record({ fromAddress: field(fc.array(fc.record({ address: fc.constantFrom(addresses[0]!, addresses[0]!, addresses[2]!), signatureId: fc.constant(SIG_A), index: fc.nat(3) }), { minLength: 1, maxLength: 2 })), to, fee, changeAddress }) },
    );
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const sink = pendingSink();
        try {
          await createBitcoinTransfer(input, { bitcoin: source, addPending: sink.addPending });
          expect(() => utxoFamily.parse(sink.stored[0]!.serializedTransaction, btc)).not.toThrow();
        } catch (error) {
          if (!(error instanceof AppRequestError)) throw error;
          expect(sink.stored).toEqual([]);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function btcString(sats: bigint): string {
  return `${sats / 100_000_000n}.${(sats % 100_000_000n).toString().padStart(8, '0')}`;
}
