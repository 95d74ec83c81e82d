/**
 * `sigil daemon --runOnce` as a user runs it (in-process `main`, real SQLite store, the Tatum simulator over
 * HTTP, a four-eye receiver on loopback): the upstream vectors' wallets are stored through the CLI, their
 * pending txs are signed and broadcast with exactly the vectors' bytes to the vectors' paths, stdout carries
 * only the pass summary, and `sigil ledger list` shows them COMPLETED.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { memoryIo } from '../../cli/memory-io.js';
import { startTatumSimulator, type TatumSimulator } from '../../sandbox/tatum/simulator.js';
import vectors from '../vectors/tatum-vectors.json' with { type: 'json' };

const API_KEY = 'cli-daemon-test-key-0123';
let sim: TatumSimulator;
let approvals: Server;
let approvalUrl: string;
const approved: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'sigil-cli-daemon-'));

beforeAll(async () => {
  sim = await startTatumSimulator({ apiKey: API_KEY, network: 'mainnet' });
  approvals = createServer((req, res) => {
    approved.push(req.url!);
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => approvals.listen(0, '127.0.0.1', r));
  approvalUrl = `http://127.0.0.1:${(approvals.address() as AddressInfo).port}/approve`;
});
afterAll(async () => {
  approvals.close();
  await sim.close();
});

async function sigil(argv: string[], stdin?: string[]) {
  const mem = memoryIo({ cwd: root, homeDir: root, env: { TATUM_API_URL: sim.url, TATUM_API_KEY: API_KEY }, ...(stdin ? { stdin } : {}) });
  const code = await main([...argv, '--path', join(root, 'sigil.db')], mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe('sigil daemon --runOnce', () => {
  it('signs and broadcasts the upstream vectors byte for byte, with four-eye approval on mainnet', async () => {
    const expected = new Map<string, { path: string; signed: string }>();
    for (const vector of vectors.signing) {
      const stored = await sigil(['storemanagedprivatekey', vector.chain], [vector.key.privateKey]);
      expect(stored.code).toBe(0);
      const { signatureId } = JSON.parse(stored.stdout) as { signatureId: string };
      const id = randomBytes(12).toString('hex');
      sim.state.addPending({ id, chain: vector.chain, serializedTransaction: vector.serializedTransaction, hashes: [signatureId], index: null, withdrawalId: null });
      expected.set(id, { path: vector.broadcastPath, signed: vector.signed });
    }

    const refused = await sigil(['daemon', '--runOnce']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/mainnet daemon needs four-eye approval/);
    expect(sim.state.broadcasts).toEqual([]);

    const run = await sigil(['daemon', '--runOnce', '--externalUrl', approvalUrl]);
    expect(run.stderr).not.toMatch(/Transaction Failed|errors=[1-9]|sigil: (?!daemon on)/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { outcomes: Record<string, number>; errorCount: number };
    expect(summary).toMatchObject({ outcomes: { completed: expected.size }, errorCount: 0 });
    expect(approved.sort()).toEqual([...expected.keys()].map((id) => `/approve/${id}`).sort());
    for (const [id, want] of expected) {
      const sent = sim.state.broadcasts.filter((b) => b.signatureId === id);
      expect(sent).toHaveLength(1);
      expect(`/v3/${sent[0]!.path}/broadcast`).toBe(want.path);
      expect(sent[0]!.txData).toBe(want.signed);
    }

    const listed = await sigil(['ledger', 'list']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string; state: string }>).map((r) => [r.id, r.state]).sort()).toEqual([...expected.keys()].map((id) => [id, 'COMPLETED']).sort());

    // A second pass finds nothing new to sign and sends nothing again.
    const again = await sigil(['daemon', '--runOnce', '--externalUrl', approvalUrl]);
    expect(again.code).toBe(0);
    expect(sim.state.broadcasts).toHaveLength(expected.size);
  });

  it('--policy blocks what the file blocks (reported to Tatum once, alerted to --alertFile), signs the rest, and the audit trail verifies', async () => {
    const eth = vectors.signing.find((v) => v.chain === 'ETH')!;
    const stored = await sigil(['storemanagedprivatekey', 'ETH'], [eth.key.privateKey]);
    const { signatureId } = JSON.parse(stored.stdout) as { signatureId: string };
    const tx = JSON.parse(eth.serializedTransaction) as Record<string, unknown>;
    const blockedTx = JSON.stringify({ ...tx, to: '0x000000000000000000000000000000000000dEaD' });
    const blocked = randomBytes(12).toString('hex');
    sim.state.addPending({ id: blocked, chain: 'ETH', serializedTransaction: blockedTx, hashes: [signatureId], index: null, withdrawalId: null });
    writeFileSync(join(root, 'policy.yaml'), 'rules:\n  - { name: deny-list, action: BLOCK, when: { to: { deny: ["0x000000000000000000000000000000000000dead"] } } }\ndefault: REQUIRE_APPROVAL\n');

    const badPolicy = await sigil(['daemon', '--runOnce', '--externalUrl', approvalUrl, '--policy', 'missing.yaml']);
    expect(badPolicy.code).not.toBe(0);
    expect(badPolicy.stderr).toMatch(/cannot read the policy file .*missing\.yaml/);
    const undeployable = await sigil(['daemon', '--runOnce', '--testnet', '--policy', 'policy.yaml']);
    expect(undeployable.stderr).toMatch(/REQUIRE_APPROVAL but no approval service/);

    for (let pass = 0; pass < 2; pass++) {
      const run = await sigil(['daemon', '--runOnce', '--externalUrl', approvalUrl, '--policy', 'policy.yaml', '--alertFile', 'alerts.jsonl']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/\[sigil alert\]|policy policy\.yaml: 1 rule/);
    }
    expect(sim.state.broadcasts.filter((b) => b.signatureId === blocked)).toEqual([]);
    expect(sim.state.errorsReported.filter((e) => e.signatureId === blocked)).toHaveLength(1);
    const alerts = readFileSync(join(root, 'alerts.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { detailType: string; ids: Record<string, string> });
    expect(alerts.filter((a) => a.ids.pendingId === blocked).map((a) => a.detailType)).toEqual(['Transaction Rejected']);
    const listed = JSON.parse((await sigil(['ledger', 'show', blocked])).stdout) as { state: string; reason: string };
    expect(listed).toMatchObject({ state: 'REJECTED', reason: expect.stringContaining('rule "deny-list"') });

    const audit = await sigil(['audit', 'verify']);
    expect(audit.code).toBe(0);
    const shown = JSON.parse((await sigil(['audit', 'show', '--tx', blocked])).stdout) as unknown;
    expect(JSON.stringify(shown)).toMatch(/tx\.claimed.*tx\.policy.*tx\.rejected/);
  });

  it('rejects bad daemon flags with a clear message and exit 2 or 1', async () => {
    expect((await sigil(['daemon', '--testnet', '--period', '-3'])).stderr).toMatch(/--period must be a positive number/);
    expect((await sigil(['daemon', '--testnet', '--externalUrl', 'http://approvals.example.com/x'])).stderr).toMatch(/https/);
    expect((await sigil(['daemon', '--testnet', '--transactionIds', 'nope'])).stderr).toMatch(/not a pending transaction id/);
    expect((await sigil(['daemon', '--testnet', '--bogus'])).code).toBe(2);
  });
});
