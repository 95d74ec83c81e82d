/**
 * The policy engine in the pipeline (issue 7, Build 1), over the real harness (SQLite ledger and activity,
 * the Tatum simulator over HTTP, a local key file):
 * - BLOCK → REJECTED before a nonce is taken and before any secret is opened; reported to Tatum once and
 *   alerted once however many passes see it;
 * - ALLOW signs without asking the four-eye service; REQUIRE_APPROVAL asks it; no policy file + four-eye asks
 *   for every tx (covered by pipeline-four-eye.test.ts);
 * - the signer decides again: a policy that blocks by the time the tx reaches the signer wins;
 * - velocity from the activity history; UTXO change to the signer's own address is not "sent".
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeAddress } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFourEyeUrl } from '../../lib/pipeline/four-eye.js';
import { signPendingById } from '../../lib/pipeline/handoff.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { parsePolicyFile } from '../../lib/policy/policy-file.js';
import { addressFromXpub } from '../../lib/keys/index.js';
import { evmTransfer, ownedScript, randomTxid, startPipelineHarness, utxoTransfer, type HarnessOptions, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
const ETHER = 10n ** 18n;

let harness: PipelineHarness | undefined;
let reviewer: { server: Server; url: string; asked: string[] } | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  reviewer?.server.closeAllConnections();
  reviewer?.server.close();
  reviewer = undefined;
});

async function start(policyText: string | null, options: HarnessOptions = {}): Promise<PipelineHarness> {
  harness = await startPipelineHarness({ ...options, ...(policyText ? { policy: parsePolicyFile(policyText) } : {}) });
  return harness;
}

async function startReviewer(): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url!);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  reviewer = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
  return reviewer;
}

async function ethWallet(h: PipelineHarness): Promise<{ id: string; address: string }> {
  const key = `0x${randomBytes(32).toString('hex')}`;
  return { id: await h.storePrivateKey('ETH', key), address: computeAddress(key).toLowerCase() };
}

const BLOCK_LARGE = `
rules:
  - name: large-eth
    action: BLOCK
    when: { chain: [ETH], amount: { min: "5" } }
default: ALLOW
`;

describe('policy BLOCK in the pipeline', () => {
  it('rejects before a nonce is taken or a secret opened; reported and alerted once over many passes', async () => {
    const h = await start(BLOCK_LARGE);
    const wallet = await ethWallet(h);
    h.sim.state.rpc.chain('ETH').nonces.set(wallet.address, 3n);
    const blocked = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: 6n * ETHER }) });
    for (let pass = 0; pass < 4; pass++) {
      await runPass(h.deps, {}, 'all');
      h.clock.advance(10_000);
    }
    const record = await h.record(blocked);
    expect(record.state).toBe('REJECTED');
    expect(record.reason).toMatch(/^policy: rule "large-eth" \(line 3\) matched: chain ETH; amount 6 ≥ 5$/);
    expect(record.prepared).toBeNull();
    expect(h.keys.decrypts).toEqual([]);
    expect(h.broadcastsOf(blocked)).toEqual([]);
    expect(h.sim.state.errorsReported.filter((e) => e.signatureId === blocked)).toHaveLength(1);
    expect(h.events.of('Transaction Rejected')).toEqual([{ pendingId: blocked, chain: 'ETH', reason: record.reason, rule: 'large-eth' }]);

    // No nonce was burnt: the next payment of the wallet takes the chain's pending count, 3.
    const allowed = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: ETHER }) });
    await runPass(h.deps, {}, 'all');
    expect((await h.record(allowed)).state).toBe('COMPLETED');
    expect(JSON.parse((await h.record(allowed)).prepared!).nonce).toBe('3');
  });

  it('a BLOCK on a deny-listed address holds whatever case the transaction writes it in', async () => {
    const denied = `0x${'ab'.repeat(20)}`;
    const h = await start(`rules:\n  - { name: deny, action: BLOCK, when: { to: { deny: ["${denied.toUpperCase().replace('0X', '0x')}"] } } }\ndefault: ALLOW\n`);
    const wallet = await ethWallet(h);
    const ids = [denied, denied.toUpperCase().replace('0X', '0x')].map((to) =>
      h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ to, value: 1n, nonce: 0, gas: 21_000, gasPrice: GWEI }) }),
    );
    await runPass(h.deps, {}, 'all');
    for (const id of ids) expect((await h.record(id)).state).toBe('REJECTED');
    expect(h.keys.decrypts).toEqual([]);
  });
});

describe('ALLOW and REQUIRE_APPROVAL with a four-eye service', () => {
  const POLICY = `
rules:
  - name: small
    action: ALLOW
    when: { amount: { max: "1" } }
default: REQUIRE_APPROVAL
`;
  it('ALLOW signs without asking; REQUIRE_APPROVAL asks the service, then signs', async () => {
    const service = await startReviewer();
    const h = await start(POLICY, { config: { fourEye: { url: parseFourEyeUrl(`${service.url}/approve`), method: 'GET', timeoutMs: 1_000 } } });
    const wallet = await ethWallet(h);
    const small = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: ETHER / 2n, nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    const large = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: 2n * ETHER, nonce: 1, gas: 21_000, gasPrice: GWEI }) });
    await runPass(h.deps, {}, 'all');
    expect((await h.record(small)).state).toBe('COMPLETED');
    expect((await h.record(large)).state).toBe('COMPLETED');
    expect(service.asked).toEqual([`/approve/${large}`]);
  });
});

describe('the signer decides again', () => {
  it('a tx approved under one policy is REJECTED by a signer whose policy blocks it; nothing is decrypted', async () => {
    const h = await start(null);
    const wallet = await ethWallet(h);
    const id = h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: 6n * ETHER, nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    await runPass(h.deps, {}, 'approve');
    expect((await h.record(id)).state).toBe('APPROVED');
    const signer = h.worker('signer', { policy: parsePolicyFile(BLOCK_LARGE) });
    expect(await signPendingById(signer.deps, id)).toBe('rejected');
    expect(await h.record(id)).toMatchObject({ state: 'REJECTED', reason: expect.stringMatching(/^policy at signing: rule "large-eth"/) });
    expect(h.keys.decrypts).toEqual([]);
    expect(await signPendingById(signer.deps, id)).toBe('skipped'); // a duplicate delivery changes nothing
    expect(h.events.count('Transaction Rejected', id)).toBe(1);
  });
});

describe('velocity from the activity history', () => {
  it('ALLOW at most 2 per hour per wallet; the third falls to the default BLOCK; an hour later one more is allowed', async () => {
    const h = await start(`
rules:
  - name: two-an-hour
    action: ALLOW
    when: { velocity: { window: 1h, maxCount: 2 } }
default: BLOCK
`);
    const wallet = await ethWallet(h);
    const pay = (nonce: number) => h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ value: 1n, nonce, gas: 21_000, gasPrice: GWEI }) });
    const first = [pay(0), pay(1)];
    await runPass(h.deps, {}, 'all');
    h.clock.advance(1_000);
    const third = pay(2);
    await runPass(h.deps, {}, 'all');
    for (const id of first) expect((await h.record(id)).state).toBe('COMPLETED');
    expect(await h.record(third)).toMatchObject({ state: 'REJECTED', reason: 'policy: no rule matched; default BLOCK' });
    h.clock.advance(3_600_000);
    const later = pay(2);
    await runPass(h.deps, {}, 'all');
    expect((await h.record(later)).state).toBe('COMPLETED');
  });
});

describe('UTXO change', () => {
  it('change back to the signing address is not a destination: an allow-list of the recipient alone allows the payment', async () => {
    const h = await start(null, { network: 'testnet', config: { network: 'testnet' } });
    const { signatureId, xpub } = await h.storeMnemonic('BTC', 'testnet');
    const chain = h.chain('BTC', 'testnet');
    const recipient = addressFromXpub(xpub, 9, chain);
    const policy = parsePolicyFile(`rules:\n  - { name: known, action: ALLOW, when: { to: { allow: ["${recipient}"] } } }\ndefault: BLOCK\n`);
    const worker = h.worker('with-policy', { policy });
    const tx = JSON.parse(utxoTransfer([{ txid: randomTxid(), vout: 0, satoshis: 100_000, script: ownedScript(xpub, 0, chain) }], { script: ownedScript(xpub, 9, chain), satoshis: 60_000 })) as {
      outputs: Array<{ satoshis: number; script: string }>;
    };
    const withChange = { ...tx, outputs: [...tx.outputs, { satoshis: 30_000, script: ownedScript(xpub, 0, chain) }] }; // change to the signer's own address
    const paid = h.addPending({ chain: 'BTC', hashes: [signatureId], signatures: [{ id: signatureId, index: 0 }], serializedTransaction: JSON.stringify(withChange) });
    const leak = { ...tx, outputs: [...tx.outputs, { satoshis: 30_000, script: ownedScript(xpub, 5, chain) }] }; // "change" to another address
    const leaked = h.addPending({ chain: 'BTC', hashes: [signatureId], signatures: [{ id: signatureId, index: 0 }], serializedTransaction: JSON.stringify(leak) });
    await runPass(worker.deps, {}, 'all');
    expect((await h.record(paid)).state).toBe('COMPLETED');
    expect(await h.record(leaked)).toMatchObject({ state: 'REJECTED', reason: 'policy: no rule matched; default BLOCK' });
  });
});

describe('unusual activity', () => {
  it('a first payment to a destination and a burst raise Unusual Activity events (alerts, not blocks); repeats to a known destination do not', async () => {
    const h = await start(`
rules: []
default: ALLOW
unusual:
  burst: { window: 10m, maxCount: 2 }
  firstTimeDestination: true
`);
    const wallet = await ethWallet(h);
    const friend = `0x${'f1'.repeat(20)}`;
    const pay = (nonce: number, to = friend) => h.addPending({ chain: 'ETH', hashes: [wallet.id], serializedTransaction: evmTransfer({ to, value: 1n, nonce, gas: 21_000, gasPrice: GWEI }) });
    const first = pay(0);
    await runPass(h.deps, {}, 'all');
    expect(h.events.of('Unusual Activity')).toEqual([expect.objectContaining({ pendingId: first, wallet: wallet.id, kind: 'first-time-destination' })]);
    h.clock.advance(1_000);
    const second = pay(1);
    await runPass(h.deps, {}, 'all');
    expect(h.events.count('Unusual Activity', second)).toBe(0);
    h.clock.advance(1_000);
    const third = pay(2);
    await runPass(h.deps, {}, 'all');
    expect(h.events.of('Unusual Activity').filter((e) => e.pendingId === third).map((e) => e.kind)).toEqual(['burst']);
    for (const id of [first, second, third]) expect((await h.record(id)).state).toBe('COMPLETED');
  });
});
