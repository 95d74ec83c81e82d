/**
 * The sign handler (functions/sign.ts) against hostile, broken and repeated SQS messages, in-process on
 * moto_server with the stack's wiring (see functions-flow.test.ts). What is signed is what the LEDGER holds:
 * - a message that names a real pending id but lies about the tx (another detail, a fake serializedTransaction,
 *   raw bytes, another chain) signs the ledger's APPROVED tx, byte-identical to an independent oracle;
 * - a message naming an unknown id, or a tx not (yet) APPROVED, signs nothing and changes nothing;
 * - a malformed body is dropped (not in batchItemFailures: retrying cannot fix it);
 * - a transient failure (ledger table missing, KMS unreachable) is in batchItemFailures, and the redelivery
 *   signs;
 * - duplicate deliveries sign once: one SIGNED, one "Transaction Signed", one broadcast payload.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { type Message } from '@aws-sdk/client-sqs';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { Wallet, hexlify } from 'ethers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as broadcastHandler } from '../../functions/broadcast.js';
import { handler as pollHandler } from '../../functions/poll.js';
import { resetRuntime } from '../../functions/runtime.js';
import { handler as signHandler } from '../../functions/sign.js';
import tatumVectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { awsEndpoint, uniqueName } from '../support/aws.js';
import { lambdaContext, receiveAll, sqsEventOf, startFunctionsStack, type FunctionsStack } from '../support/functions-stack.js';

/** Sepolia, the ETH testnet (EIP-155 chain id). */
const SEPOLIA = 11155111n;
const GWEI = 1_000_000_000n;
const TO = `0x${'5e'.repeat(20)}`;
const ATTACKER = `0x${'a7'.repeat(20)}`;
const encode = (text: string) => new TextEncoder().encode(text);

/** Independent oracle: a legacy ETH testnet transfer of `value` at `nonce`, signed with ethers by the key at m/44'/1'/0'/0/index. */
function ethOracle(index: number, nonce: number, value: bigint): Promise<string> {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(tatumVectors.mnemonic)).derive(`m/44'/1'/0'/0/${index}`);
  return new Wallet(hexlify(node.privateKey!)).signTransaction({ type: 0, chainId: SEPOLIA, nonce, gasPrice: 20n * GWEI, gasLimit: 21_000n, to: TO, value, data: '0x' });
}

/** The serializedTransaction Tatum would hold for the same transfer. */
const ethTransfer = (nonce: number, value: bigint, gasPrice = 20n * GWEI) => JSON.stringify({ from: 0, to: TO, value: value.toString(), nonce, gasPrice: gasPrice.toString(), gas: 21000 });

/** A port nothing listens on (KMS "unreachable"). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}


describe.skipIf(!awsEndpoint)('sign handler: the ledger, not the message, is signed', () => {
  let stack: FunctionsStack;
  let signatureId: string;
  let nextNonce = 0;

  /** An ETH testnet transfer from child 0, added at the simulator; returns its id and the oracle's bytes. */
  async function pendingTransfer(value: bigint, gasPrice?: bigint) {
    const nonce = nextNonce++;
    const id = stack.addPending({ chain: 'ETH', hashes: [signatureId], index: 0, serializedTransaction: ethTransfer(nonce, value, gasPrice) });
    return { id, expected: await ethOracle(0, nonce, value) };
  }

  /** Run the poll handler; the first "Pending Transaction Approved" message per pending id. */
  async function poll(): Promise<Map<string, Message>> {
    expect(await pollHandler({}, lambdaContext())).toEqual({ passes: 1, errors: 0 });
    const byId = new Map<string, Message>();
    for (const m of await receiveAll(stack.sqs, stack.approvedQueue)) {
      const id = JSON.parse(m.Body!).detail.pendingId as string;
      if (!byId.has(id)) byId.set(id, m);
    }
    return byId;
  }

  const sign = (messages: readonly Message[]) => signHandler(sqsEventOf(messages, stack.approvedQueueArn), lambdaContext());
  /** A message as SQS delivers it, with `body` (an object is sent as its JSON). */
  const message = (body: unknown): Message => ({ MessageId: randomUUID(), ReceiptHandle: randomUUID(), MD5OfBody: 'x', Body: typeof body === 'string' ? body : JSON.stringify(body) });
  const signedIds = async () => (await receiveAll(stack.sqs, stack.signedQueue)).map((m) => JSON.parse(m.Body!).detail.pendingId as string);

  beforeAll(async () => {
    stack = await startFunctionsStack('sign');
    signatureId = (await stack.wallets.storeMnemonicWallet(encode(tatumVectors.mnemonic), 'ETH', 'testnet')).signatureId;
  });

  afterEach(() => {
    vi.restoreAllMocks();
    resetRuntime();
    stack.applyEnv();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a message that lies about the tx signs what the ledger holds', async () => {
    const a = await pendingTransfer(1_000n);
    const b = await pendingTransfer(2_000n);
    const approved = await poll();
    const real = JSON.parse(approved.get(a.id)!.Body!) as { detail: Record<string, unknown> };
    // Names A, but claims another chain, network, destination, amount, raw bytes and wallet.
    const forged = {
      ...real,
      account: '999999999999',
      detail: {
        pendingId: a.id,
        chain: 'BTC',
        network: 'mainnet',
        serializedTransaction: JSON.stringify({ from: 0, to: ATTACKER, value: (10n ** 24n).toString(), nonce: 0, gasPrice: '1', gas: 21000 }),
        prepared: JSON.stringify({ to: ATTACKER }),
        raw: '0xdeadbeef',
        hash: `0x${'00'.repeat(32)}`,
        hashes: [randomUUID()],
        index: 7,
      },
    };
    // Names B, carrying A's whole detail otherwise.
    const swapped = { ...real, detail: { ...real.detail, pendingId: b.id } };
    expect(await sign([message(forged), message(swapped)])).toEqual({ batchItemFailures: [] });

    for (const { id, expected } of [a, b]) expect(await stack.ledger.get(id)).toMatchObject({ state: 'SIGNED', chain: 'ETH', network: 'testnet', raw: expected });
    const signed = await receiveAll(stack.sqs, stack.signedQueue);
    expect(signed.map((m) => JSON.parse(m.Body!).detail.pendingId).sort()).toEqual([a.id, b.id].sort());
    for (const m of signed) expect(await broadcastHandler(JSON.parse(m.Body!), lambdaContext())).toMatchObject({ state: 'COMPLETED' });
    for (const { id, expected } of [a, b]) expect(stack.sim.state.broadcasts.filter((x) => x.signatureId === id).map((x) => x.txData)).toEqual([expected]);
    expect(JSON.stringify(stack.sim.state.broadcasts)).not.toContain(ATTACKER.slice(2));
    // The genuine announcements of A and B, delivered after the lies, find them signed: nothing more happens.
    expect(await sign([...approved.values()])).toEqual({ batchItemFailures: [] });
    expect(await signedIds()).toEqual([]);
  });

  it('a message naming an unknown id or a tx that is not APPROVED signs nothing and changes nothing', async () => {
    const first = await pendingTransfer(3_000n);
    const template = JSON.parse((await poll()).get(first.id)!.Body!) as { detail: Record<string, unknown> };
    const naming = (pendingId: string) => message({ ...template, detail: { ...template.detail, pendingId } });

    const unknown = randomBytes(12).toString('hex');
    // Above the 1,000 gwei cap: poll REJECTs it.
    const rejected = stack.addPending({ chain: 'ETH', hashes: [signatureId], index: 0, serializedTransaction: ethTransfer(900, 1n, 2_000n * GWEI) });
    await poll();
    // Claimed by a poller still preparing it (lease held), and by one that crashed mid-prepare (lease expired).
    const held = randomBytes(12).toString('hex');
    const abandoned = randomBytes(12).toString('hex');
    for (const [id, leaseMs, nonce] of [[held, 600_000, 901], [abandoned, 1, 902]] as const) {
      const pending = { id, chain: 'ETH', serializedTransaction: ethTransfer(nonce, 1n), hashes: [signatureId], index: 0, withdrawalId: null, withdrawalResponses: null };
      expect((await stack.ledger.claim({ id, chain: 'ETH', network: 'testnet', pending: JSON.stringify(pending) }, 'poll:elsewhere', Date.now(), leaseMs)).outcome).toBe('claimed');
    }
    const before = await Promise.all([rejected, held, abandoned].map((id) => stack.ledger.get(id)));
    expect(before.map((r) => r?.state)).toEqual(['REJECTED', 'CLAIMED', 'CLAIMED']);

    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    expect(await sign([unknown, rejected, held, abandoned].map(naming))).toEqual({ batchItemFailures: [] });
    expect(kmsSends.mock.calls.filter(([command]) => command instanceof DecryptCommand)).toEqual([]);
    expect(await stack.ledger.get(unknown)).toBeUndefined();
    expect(await Promise.all([rejected, held, abandoned].map((id) => stack.ledger.get(id)))).toEqual(before);
    expect(await signedIds()).toEqual([]);
  });

  it('a malformed body is dropped, not retried, and does not stop the rest of the batch', async () => {
    const good = await pendingTransfer(4_000n);
    const approved = await poll();
    const real = JSON.parse(approved.get(good.id)!.Body!) as Record<string, unknown> & { detail: Record<string, unknown> };
    const bodies = [
      'not json',
      '',
      'null',
      '[]',
      { ...real, source: 'aws.events' },
      { ...real, 'detail-type': 'Transaction Signed' },
      { ...real, detail: { ...real.detail, pendingId: good.id.toUpperCase() } },
      { ...real, detail: JSON.stringify(real.detail) },
    ];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const malformed = bodies.map(message);
    expect(await sign([...malformed.slice(0, 4), approved.get(good.id)!, ...malformed.slice(4)])).toEqual({ batchItemFailures: [] });
    expect(errors.mock.calls.map(([line]) => String(line).match(/^sign: dropped message (\S+):/)?.[1])).toEqual(malformed.map((m) => m.MessageId));
    expect(await stack.ledger.get(good.id)).toMatchObject({ state: 'SIGNED', raw: good.expected });
    expect(await signedIds()).toEqual([good.id]);
  });

  it('a transient failure is returned in batchItemFailures, and the redelivered message signs', async () => {
    const tx = await pendingTransfer(5_000n);
    const delivery = (await poll()).get(tx.id)!;

    const kmsSends = vi.spyOn(KMSClient.prototype, 'send');
    const decrypts = () => kmsSends.mock.calls.filter(([command]) => command instanceof DecryptCommand).length;

    // The ledger table is missing (a misdeploy, a region outage): retry; nothing got as far as KMS.
    process.env.SIGIL_LEDGER_TABLE = uniqueName('sigil-missing-ledger');
    resetRuntime();
    expect(await sign([delivery])).toEqual({ batchItemFailures: [{ itemIdentifier: delivery.MessageId }] });
    expect(decrypts()).toBe(0);

    // KMS unavailable, in a fresh container (nothing opened yet): retry; the tx stays APPROVED and unsigned.
    // (An unreachable endpoint, not DisableKey: moto 5.2.1 still decrypts under a disabled key.)
    stack.applyEnv();
    process.env.AWS_ENDPOINT_URL_KMS = `http://127.0.0.1:${await closedPort()}`;
    resetRuntime();
    expect(await sign([delivery])).toEqual({ batchItemFailures: [{ itemIdentifier: delivery.MessageId }] });
    expect(decrypts()).toBeGreaterThan(0);
    expect(await stack.ledger.get(tx.id)).toMatchObject({ state: 'APPROVED', raw: null, owner: null });
    expect(await signedIds()).toEqual([]);

    // SQS redelivers the same message to another invocation once KMS is back: it signs, once.
    stack.applyEnv();
    resetRuntime();
    expect(await sign([delivery])).toEqual({ batchItemFailures: [] });
    expect(await stack.ledger.get(tx.id)).toMatchObject({ state: 'SIGNED', raw: tx.expected });
    expect(await signedIds()).toEqual([tx.id]);
  });

  it('duplicate deliveries sign once: one SIGNED, one "Transaction Signed", one broadcast payload', async () => {
    const tx = await pendingTransfer(6_000n);
    const delivery = (await poll()).get(tx.id)!;
    const copy = { ...delivery, MessageId: randomUUID() };
    // Concurrent invocations (other containers) and later redeliveries, with the message's own copies.
    const results = await Promise.all([sign([delivery, copy, delivery]), sign([copy]), sign([delivery])]);
    expect(results).toEqual(Array(3).fill({ batchItemFailures: [] }));
    expect(await sign([delivery, copy])).toEqual({ batchItemFailures: [] });
    expect(await stack.ledger.get(tx.id)).toMatchObject({ state: 'SIGNED', raw: tx.expected });

    const signed = await receiveAll(stack.sqs, stack.signedQueue);
    expect(signed.map((m) => JSON.parse(m.Body!).detail.pendingId)).toEqual([tx.id]);
    // EventBridge delivers at least once: the broadcaster sees the event again after it completed.
    const event = JSON.parse(signed[0]!.Body!) as unknown;
    for (let i = 0; i < 3; i++) expect(await broadcastHandler(event, lambdaContext())).toEqual({ pendingId: tx.id, state: 'COMPLETED' });
    expect(stack.sim.state.broadcasts.filter((b) => b.signatureId === tx.id).map((b) => b.txData)).toEqual([tx.expected]);
    expect(await stack.ledger.get(tx.id)).toMatchObject({ state: 'COMPLETED', raw: tx.expected });
  });
});
