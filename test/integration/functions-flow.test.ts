/**
 * The Lambda handlers (functions/poll.ts, sign.ts, broadcast.ts) invoked in-process against moto_server, wired
 * as the stack wires them: DynamoDB tables made by the create* helpers, a KMS key, an EventBridge bus whose
 * rules route "Pending Transaction Approved" and "Transaction Signed" to SQS queues, the Tatum API key in an
 * SSM SecureString, and the Tatum simulator as TATUM_API_URL. The handlers read only process.env, as on Lambda.
 *
 * poll → the approved queue → sign (as an SQS event) → the signed queue → broadcast: the simulator must record
 * exactly the bytes an independent oracle signs (ethers over @scure/bip32 keys for ETH; bitcore's vector for
 * BTC), and poll must never reach kms:Decrypt. A mainnet deployment without four-eye approval refuses to start.
 */
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { Wallet, hexlify } from 'ethers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as broadcastHandler } from '../../functions/broadcast.js';
import { handler as pollHandler } from '../../functions/poll.js';
import { resetRuntime, runtime } from '../../functions/runtime.js';
import { handler as signHandler } from '../../functions/sign.js';
import { AwsKmsKeyProvider } from '../../lib/custody/aws-kms-key-provider.js';
import { InvalidInputError } from '../../lib/errors.js';
import utxoVectors from '../vectors/utxo-vectors.json' with { type: 'json' };
import tatumVectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { awsEndpoint } from '../support/aws.js';
import { lambdaContext, receiveAll, sqsEventOf, startFunctionsStack, type FunctionsStack } from '../support/functions-stack.js';

/** Sepolia, the ETH testnet (EIP-155 chain id). */
const SEPOLIA = 11155111n;
const GWEI = 1_000_000_000n;
const encode = (text: string) => new TextEncoder().encode(text);

/** Independent oracle: the key at Tatum's ETH testnet path m/44'/1'/0'/0/i, signed with ethers. */
function ethOracle(index: number, tx: { nonce: number; gasPrice: bigint; gasLimit: bigint; to: string; value: bigint }) {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(tatumVectors.mnemonic)).derive(`m/44'/1'/0'/0/${index}`);
  const wallet = new Wallet(hexlify(node.privateKey!));
  return { address: wallet.address.toLowerCase(), sign: () => wallet.signTransaction({ type: 0, chainId: SEPOLIA, data: '0x', ...tx }) };
}

const btcVector = utxoVectors.vectors.find((v) => v.name === 'btc-p2wpkh-testnet')!;


describe.skipIf(!awsEndpoint)('Lambda handlers in-process on moto_server: poll → sign → broadcast', () => {
  let stack: FunctionsStack;

  beforeAll(async () => {
    stack = await startFunctionsStack('flow');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    resetRuntime();
    stack.applyEnv();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('signs and broadcasts exactly the expected bytes per pending id, and the ledger ends COMPLETED', async () => {
    const eth = await stack.wallets.storeMnemonicWallet(encode(tatumVectors.mnemonic), 'ETH', 'testnet');
    const btc = await stack.wallets.storePrivateKeyWallet(encode(btcVector.keys[0]!.wif), 'BTC', 'testnet');
    const to = `0x${'5e'.repeat(20)}`;

    // ETH, complete as sent (index 0).
    const full = ethOracle(0, { nonce: 5, gasPrice: 20n * GWEI, gasLimit: 21_000n, to, value: 10n ** 15n });
    const ethFull = stack.addPending({ chain: 'ETH', hashes: [eth.signatureId], index: 0, serializedTransaction: JSON.stringify({ from: 0, to, value: '1000000000000000', nonce: 5, gasPrice: '20000000000', gas: 21000 }) });
    // ETH with nonce, gas and fee open (index 1): prepare fills them from the simulator's RPC gateway.
    const open = ethOracle(1, { nonce: 7, gasPrice: 20n * GWEI, gasLimit: 21_000n, to, value: 12_345n });
    stack.sim.state.rpc.chain('ETH').nonces.set(open.address, 7n);
    const ethOpen = stack.addPending({ chain: 'ETH', hashes: [eth.signatureId], index: 1, serializedTransaction: JSON.stringify({ from: 0, to, value: '12345' }) });
    // BTC testnet private-key wallet: bitcore's vector, byte for byte.
    const btcTx = stack.addPending({ chain: 'BTC', hashes: [btc.signatureId], index: null, serializedTransaction: btcVector.serializedTransaction });
    const expected = new Map([
      [ethFull, { path: 'ethereum', txData: await full.sign() }],
      [ethOpen, { path: 'ethereum', txData: await open.sign() }],
      [btcTx, { path: 'bitcoin', txData: btcVector.signed }],
    ]);

    // poll: no kms:Decrypt from any KMS client in the process, and none through the runtime's KeyProvider.
    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    const decrypts = () => kmsSends.mock.calls.filter(([command]) => command instanceof DecryptCommand).length;
    const polled = await pollHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext());
    expect(polled).toEqual({ passes: 1, errors: 0 });
    expect(decrypts()).toBe(0);
    const keys = (await runtime().deps('probe')).keys as AwsKmsKeyProvider;
    expect(keys.calls.Decrypt).toBe(0);
    for (const id of expected.keys()) expect((await stack.ledger.get(id))?.state).toBe('APPROVED');
    const prepared = JSON.parse((await stack.ledger.get(ethOpen))!.prepared!) as Record<string, unknown>;
    expect([prepared.nonce, prepared.gas, prepared.gasPrice].map(String)).toEqual(['7', '21000', String(20n * GWEI)]);

    // The rule delivered one "Pending Transaction Approved" per tx, and no other detail type, to the signer's queue
    // (the pass's stale sweep does not re-announce what it approved moments ago).
    const approved = await receiveAll(stack.sqs, stack.approvedQueue);
    expect(approved.map((m) => JSON.parse(m.Body!)['detail-type'])).toEqual(Array(3).fill('Pending Transaction Approved'));
    expect(approved.map((m) => JSON.parse(m.Body!).detail.pendingId).sort()).toEqual([...expected.keys()].sort());

    // sign: one KMS Decrypt per wallet (two wallets, three txs), seen by both counters (so both can see one).
    expect(await signHandler(sqsEventOf(approved, stack.approvedQueueArn), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(keys.calls.Decrypt).toBe(2);
    expect(decrypts()).toBe(2);
    for (const [id, { txData }] of expected) expect(await stack.ledger.get(id)).toMatchObject({ state: 'SIGNED', raw: txData });

    // broadcast: fed the "Transaction Signed" events as EventBridge delivers them.
    const signed = await receiveAll(stack.sqs, stack.signedQueue);
    expect(signed).toHaveLength(3);
    for (const message of signed) {
      const event = JSON.parse(message.Body!) as { detail: { pendingId: string } };
      expect(event).toMatchObject({ source: 'sigil', 'detail-type': 'Transaction Signed' });
      expect(await broadcastHandler(event, lambdaContext())).toEqual({ pendingId: event.detail.pendingId, state: 'COMPLETED' });
    }

    for (const [id, { path, txData }] of expected) {
      expect(stack.sim.state.broadcasts.filter((b) => b.signatureId === id).map((b) => ({ path: b.path, txData: b.txData }))).toEqual([{ path, txData }]);
      const record = (await stack.ledger.get(id))!;
      expect(record).toMatchObject({ state: 'COMPLETED', raw: txData });
      expect(record.txId).toBe(stack.sim.state.broadcasts.find((b) => b.signatureId === id)!.txId);
      expect(stack.sim.state.transactions.get(id)?.txId).toBe(record.txId);
    }
    expect(stack.sim.state.broadcasts).toHaveLength(3);
    expect(stack.sim.state.errorsReported).toEqual([]);
    expect(decrypts()).toBe(2); // broadcast decrypts nothing
  });

  it('a mainnet deployment without SIGIL_EXTERNAL_URL refuses to start, in every handler, before any I/O', async () => {
    resetRuntime();
    process.env.SIGIL_NETWORK = 'mainnet';
    delete process.env.SIGIL_EXTERNAL_URL;
    const requests = stack.sim.state.requests.length;
    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    const refusals = await Promise.all(
      [
        pollHandler({}, lambdaContext()),
        signHandler({ Records: [] }, lambdaContext()),
        broadcastHandler({ source: 'sigil', 'detail-type': 'Transaction Signed', detail: { pendingId: 'a'.repeat(24) } }, lambdaContext()),
      ].map((run) => run.then(() => null, (e: unknown) => e)),
    );
    for (const error of refusals) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toMatch(/^mainnet needs four-eye approval: set SIGIL_EXTERNAL_URL/);
    }
    expect(stack.sim.state.requests.length).toBe(requests);
    expect(kmsSends).not.toHaveBeenCalled();

    // The same environment with an approver configured starts (the URL is only parsed here, not called).
    resetRuntime();
    process.env.SIGIL_EXTERNAL_URL = 'https://approver.example/sigil';
    expect(runtime().config).toMatchObject({ network: 'mainnet', fourEye: { method: 'GET' } });
    expect(runtime().config.fourEye?.url.href).toBe('https://approver.example/sigil');
  });
});
