/**
 * What a pass leaves for the people watching it (issue 7, Build 5 and 6), over the real harness:
 * - the audit trail: one chain per pending tx, in the order the pipeline moved it (claimed → policy →
 *   approved → signed → broadcast → settled; or claimed → policy → rejected), MACed with the local key,
 *   proved intact by verifyAuditTrail, and broken by a row edited in the SQLite file;
 * - the metrics: every point the pipeline emits is in the catalogue and on the dashboard (the dashboard
 *   definition matches what the code emits), with the counts the pass implies.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { assertDashboardCovers } from '../../infra/dashboard/coverage.js';
import { LocalHmacAuditMac, localAuditKeyPath } from '../../lib/audit/audit-mac.js';
import type { AuditEntry } from '../../lib/audit/audit-entry.js';
import { ChainedAuditTrail } from '../../lib/audit/audit-trail.js';
import { verifyAuditTrail } from '../../lib/audit/verify.js';
import { MemoryMetrics } from '../../lib/metrics/metrics.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { parsePolicyFile } from '../../lib/policy/policy-file.js';
import { SqliteAuditStore } from '../../lib/store/audit-sqlite.js';
import { openSqliteDatabase } from '../../lib/store/sqlite.js';
import { evmTransfer, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
const ETHER = 10n ** 18n;
const POLICY = parsePolicyFile('rules:\n  - { name: large, action: BLOCK, when: { amount: { min: "5" } } }\ndefault: ALLOW\n');

let harness: PipelineHarness | undefined;
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await harness?.close();
  harness = undefined;
});

async function observedHarness() {
  const metrics = new MemoryMetrics();
  const probe = await startPipelineHarness({ policy: POLICY });
  const mac = await LocalHmacAuditMac.open(localAuditKeyPath(probe.dbPath), { create: true });
  const store = new SqliteAuditStore(openSqliteDatabase(probe.dbPath), { ownsDatabase: true });
  closers.push(() => mac.close(), () => store.close());
  const worker = probe.worker('observed', { extraDeps: { audit: new ChainedAuditTrail(store, mac), metrics } });
  harness = probe;
  return { h: probe, worker, store, mac, metrics };
}

async function actionsOf(store: SqliteAuditStore, pendingId: string): Promise<string[]> {
  const items = await store.entries(`tx#${pendingId}`);
  return items.map((item) => ('entry' in item ? (item.entry as AuditEntry).action : 'damaged'));
}

describe('a pass, as the audit trail and the metrics see it', () => {
  it('records each tx on its own chain, proves it intact, and names an edited row', async () => {
    const { h, worker, store, mac } = await observedHarness();
    const key = `0x${randomBytes(32).toString('hex')}`;
    const wallet = await h.storePrivateKey('ETH', key);
    const paid = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ value: ETHER, nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    const blocked = h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ value: 6n * ETHER, nonce: 1, gas: 21_000, gasPrice: GWEI }) });
    await runPass(worker.deps, {}, 'all');

    expect(await actionsOf(store, paid)).toEqual(['tx.claimed', 'tx.policy', 'tx.approved', 'tx.policy', 'tx.signed', 'tx.broadcast', 'tx.settled']);
    expect(await actionsOf(store, blocked)).toEqual(['tx.claimed', 'tx.policy', 'tx.rejected']);
    const rejected = (await store.entries(`tx#${blocked}`)).map((i) => (i as { entry: AuditEntry }).entry).at(-1)!;
    expect(rejected).toMatchObject({ actor: 'observed', detail: { rule: 'large', reason: expect.stringContaining('rule "large"') } });
    const policy = (await store.entries(`tx#${paid}`)).map((i) => (i as { entry: AuditEntry }).entry)[1]!;
    expect(policy.detail).toEqual({ step: 'approve', action: 'ALLOW', rule: null, reason: 'no rule matched; default ALLOW' });
    // No secret anywhere the pass wrote: the audit entries, the events, and the raw bytes of the database
    // (wallets, ledger, activity, audit) and its write-ahead log.
    const needle = key.slice(2);
    expect(JSON.stringify(await store.recent(100))).not.toContain(needle);
    expect(JSON.stringify(h.events.memory.events)).not.toContain(needle);
    for (const file of [h.dbPath, `${h.dbPath}-wal`]) {
      const bytes = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
      expect(bytes.includes(Buffer.from(needle, 'hex')), file).toBe(false);
      expect(bytes.includes(Buffer.from(needle)), file).toBe(false);
    }

    const intact = await verifyAuditTrail(store, mac);
    expect(intact).toMatchObject({ ok: true, streams: 2, entries: 10 });

    // Someone with write access to the file "softens" the rejection reason: the chain names the entry.
    const db = openSqliteDatabase(h.dbPath);
    closers.push(() => db.close());
    for (const trigger of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entries'").all() as Array<{ name: string }>) db.exec(`DROP TRIGGER ${trigger.name}`);
    db.prepare("UPDATE audit_entries SET detail = replace(detail, 'large', 'small') WHERE stream = ? AND seq = 3").run(`tx#${blocked}`);
    const broken = await verifyAuditTrail(store, mac);
    expect(broken.ok).toBe(false);
    expect(broken.firstBroken).toMatchObject({ stream: `tx#${blocked}`, seq: 3 });
  });

  it('emits only catalogue metrics, each shown on the dashboard, with the counts of the pass', async () => {
    const { h, worker, metrics } = await observedHarness();
    const wallet = await h.storePrivateKey('ETH', `0x${randomBytes(32).toString('hex')}`);
    h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ value: ETHER, nonce: 0, gas: 21_000, gasPrice: GWEI }) });
    h.addPending({ chain: 'ETH', hashes: [wallet], serializedTransaction: evmTransfer({ value: 6n * ETHER, nonce: 1, gas: 21_000, gasPrice: GWEI }) });
    await runPass(worker.deps, {}, 'all');

    assertDashboardCovers(metrics.points);
    expect(metrics.total('TransactionsSigned', { Chain: 'ETH' })).toBe(1);
    expect(metrics.total('TransactionsBroadcast', { Chain: 'ETH' })).toBe(1);
    expect(metrics.total('TransactionsRejected', { Chain: 'ETH' })).toBe(1);
    expect(metrics.total('PolicyDecisions', { Action: 'BLOCK' })).toBe(1);
    expect(metrics.total('PolicyDecisions', { Action: 'ALLOW' })).toBe(2); // approve and the signer's re-check
    expect(metrics.total('PendingBacklog')).toBe(2);
    expect(metrics.total('PollerHeartbeat')).toBe(1);
    expect(new Set(metrics.points.filter((p) => p.name === 'StepLatency').map((p) => p.dimensions.Step))).toEqual(new Set(['prepare', 'sign', 'broadcast']));
    // A metric the catalogue does not know, or wrong dimensions, is refused at the emit.
    expect(() => metrics.emit('TransactionsSigned', 1, { chain: 'ETH' })).toThrow(/takes dimensions \[Chain\]/);
  });
});
