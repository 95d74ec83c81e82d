/**
 * Exactly once. Pending txs over EVM and UTXO chains, from wallets of every kind, each delivered many times
 * (twice in every list, by every worker, and again after Tatum completed it), worked on by several workers
 * sharing one SQLite file, with crashes after claim, after sign (raw stored, no broadcast) and after
 * broadcast (sent, markBroadcast not written). Further passes finish everything: every tx is broadcast with
 * exactly one distinct signed payload, none is lost, none fails, no nonce or outpoint is spent twice.
 * - in one process: 500 txs, four concurrent workers (four PipelineDeps with their own owner, SQLite
 *   connection, Tatum client and opened-wallet cache), crashes thrown at the injection points;
 * - as separate OS processes: 120 txs, three `node --import tsx` workers, each SIGKILLed at one point.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Transaction, computeAddress } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressFromXpub } from '../../lib/keys/index.js';
import { runPass, type PassSummary } from '../../lib/pipeline/pass.js';
import {
  SimulatedCrash,
  crashingLedger,
  evmTransfer,
  ownedScript,
  randomTxid,
  repeatingTatum,
  startPipelineHarness,
  utxoTransfer,
  type CrashPlan,
  type PipelineHarness,
  type Worker,
} from '../support/pipeline-harness.js';

const GWEI = 1_000_000_000n;
const WORKERS = 4;

interface Population {
  /** Every pending id, with the sender EVM address (null for UTXO) and whether its nonce was left open. */
  readonly txs: Array<{ readonly id: string; readonly chain: string; readonly from: string | null; readonly allocated: boolean }>;
  readonly wallets: number;
}

/**
 * `total` pending txs: EVM (ETH, BSC, MATIC) from private-key and mnemonic wallets, half with the nonce given
 * (distinct per sender) and half left to the allocator (on senders that never get a given nonce); UTXO
 * (BTC, LTC, DOGE) from mnemonic wallets at several indexes and one BTC private-key wallet, every outpoint
 * fresh.
 */
async function populate(h: PipelineHarness, total: number): Promise<Population> {
  const txs: Population['txs'][number][] = [];
  let wallets = 0;
  const evmSenders: Array<{ chain: string; id: string; index: number | null; address: string; allocated: boolean; next: number }> = [];
  for (const chain of ['ETH', 'BSC', 'MATIC']) {
    for (const allocated of [false, true]) {
      const key = `0x${randomBytes(32).toString('hex')}`;
      evmSenders.push({ chain, id: await h.storePrivateKey(chain, key), index: null, address: computeAddress(key).toLowerCase(), allocated, next: 0 });
      const mnemonic = await h.createMnemonic(chain);
      for (const index of [0, 1]) {
        const address = `0x${addressFromXpub(mnemonic.xpub, index, h.chain(chain)).slice(-40).toLowerCase()}`;
        evmSenders.push({ chain, id: mnemonic.signatureId, index, address, allocated, next: 0 });
      }
      wallets += 2;
    }
  }
  const utxoSenders: Array<{ chain: string; id: string; xpub: string | null; script: string | null }> = [];
  for (const chain of ['BTC', 'LTC', 'DOGE']) {
    const mnemonic = await h.createMnemonic(chain);
    utxoSenders.push({ chain, id: mnemonic.signatureId, xpub: mnemonic.xpub, script: null });
    wallets++;
  }
  const btcKey = await h.storePrivateKey('BTC', 'KzeNPFqtVGArNMzanTA46rz4Kt4eddShjt3PJcWyPaeJ5tdTZXsr');
  utxoSenders.push({ chain: 'BTC', id: btcKey, xpub: null, script: '00147a432042553d14a8d545d7c1e7d133b0bbb20cd3' });
  wallets++;

  for (let i = 0; i < total; i++) {
    if (i % 5 < 3) {
      const sender = evmSenders[i % evmSenders.length]!;
      const nonce = sender.allocated ? undefined : sender.next++;
      const serializedTransaction = evmTransfer({ value: BigInt(i + 1), gas: 21_000, gasPrice: GWEI, ...(nonce !== undefined ? { nonce } : {}) });
      const id = h.addPending({ chain: sender.chain, hashes: [sender.id], index: sender.index, serializedTransaction });
      txs.push({ id, chain: sender.chain, from: sender.address, allocated: sender.allocated });
    } else {
      const sender = utxoSenders[i % utxoSenders.length]!;
      const index = sender.xpub ? i % 3 : null;
      const script = sender.script ?? ownedScript(sender.xpub!, index!, h.chain(sender.chain));
      const inputs = Array.from({ length: 1 + (i % 2) }, (_, k) => ({ txid: randomTxid(), vout: k, satoshis: 50_000 + i, script }));
      const serializedTransaction = utxoTransfer(inputs, { script, satoshis: 40_000 });
      const id = h.addPending({ chain: sender.chain, hashes: [sender.id], ...(index !== null ? { signatures: [{ id: sender.id, index }] } : {}), serializedTransaction });
      txs.push({ id, chain: sender.chain, from: null, allocated: false });
    }
  }
  return { txs, wallets };
}

function crashPlanFor(ids: readonly string[], perPoint: number): CrashPlan {
  return {
    afterClaim: new Set(ids.filter((_, i) => i % 25 === 0).slice(0, perPoint)),
    afterSign: new Set(ids.filter((_, i) => i % 25 === 8).slice(0, perPoint)),
    afterBroadcast: new Set(ids.filter((_, i) => i % 25 === 16).slice(0, perPoint)),
  };
}

/** Every check of "exactly once" over the final state of the simulator and the ledger. */
async function expectExactlyOnce(h: PipelineHarness, population: Population): Promise<void> {
  const records = new Map((await h.allRecords()).map((r) => [r.id, r]));
  expect(records.size).toBe(population.txs.length);
  const noncesBySender = new Map<string, number[]>();
  for (const tx of population.txs) {
    const record = records.get(tx.id)!;
    expect(record.state, tx.id).toBe('COMPLETED');
    const sent = h.broadcastsOf(tx.id);
    expect(sent.length, tx.id).toBeGreaterThanOrEqual(1);
    expect(new Set(sent.map((s) => s.txData)), tx.id).toEqual(new Set([record.raw]));
    expect(h.sim.state.transactions.get(tx.id)!.txId, tx.id).toBe(record.txId);
    if (tx.from !== null) {
      const decoded = Transaction.from(record.raw!);
      expect(decoded.from!.toLowerCase(), tx.id).toBe(tx.from); // signed by the sender's key
      const key = `${tx.chain}:${tx.from}:${tx.allocated}`;
      noncesBySender.set(key, [...(noncesBySender.get(key) ?? []), decoded.nonce]);
    }
  }
  // No nonce twice per sender; allocated nonces are gap-free from the chain's pending count (0).
  for (const [key, nonces] of noncesBySender) {
    const sorted = [...nonces].sort((a, b) => a - b);
    expect(new Set(sorted).size, key).toBe(sorted.length);
    if (key.endsWith(':true')) expect(sorted, key).toEqual(sorted.map((_, i) => i));
  }
  // No outpoint spent by two ids (each spend key held by exactly one record).
  const spendOwners = new Map<string, string>();
  for (const record of records.values()) {
    for (const spend of record.spends) {
      expect(spendOwners.get(spend) ?? record.id, spend).toBe(record.id);
      spendOwners.set(spend, record.id);
    }
  }
  expect(h.sim.state.pending).toEqual([]);
  expect(h.sim.state.errorsReported).toEqual([]);
  expect(h.events.count('Transaction Failed')).toBe(0);
  expect(h.events.count('Double Spend Prevented')).toBe(0);
}

describe('exactly once with four concurrent workers in one process', () => {
  let h: PipelineHarness;
  let population: Population;
  let plan: CrashPlan;
  const crashed: string[] = [];
  let summaries: PassSummary[] = [];
  let workers: Worker[];

  beforeAll(async () => {
    h = await startPipelineHarness({ config: { leaseMs: 200, settleAfterMs: 1_000, concurrency: 4 } });
    population = await populate(h, 500);
    plan = crashPlanFor(
      population.txs.map((t) => t.id),
      15,
    );
    const crash = (point: string, id: string): never => {
      crashed.push(`${point}:${id}`);
      throw new SimulatedCrash(point as never, id);
    };
    workers = Array.from({ length: WORKERS }, (_, i) =>
      h.worker(`worker-${i + 1}`, { wrapLedger: (ledger) => crashingLedger(ledger, plan, crash), wrapTatum: (tatum) => repeatingTatum(tatum, 3) }),
    );
    for (let round = 0; round < 12; round++) {
      const results = await Promise.all(workers.map((w) => runPass(w.deps, {}, 'all')));
      summaries.push(...results);
      const open = (await h.allRecords()).filter((r) => r.state !== 'COMPLETED').length;
      if (open === 0 && h.sim.state.pending.length === 0 && round >= 2) break;
      h.clock.advance(1_201); // past every lease (200 ms) and the settle delay (1 s)
    }
  }, 90_000);

  afterAll(async () => {
    await h?.close();
  });

  it('every crash point fired', () => {
    expect(plan.afterClaim.size + plan.afterSign.size + plan.afterBroadcast.size).toBe(0);
    for (const point of ['after-claim', 'after-sign', 'after-broadcast']) expect(crashed.filter((c) => c.startsWith(point))).toHaveLength(15);
  });

  it('every tx was delivered at least three times', () => {
    const deliveries = new Map<string, number>();
    for (const w of workers) for (const [id, n] of (w.deps.tatum as ReturnType<typeof repeatingTatum>).deliveries) deliveries.set(id, (deliveries.get(id) ?? 0) + n);
    for (const tx of population.txs) expect(deliveries.get(tx.id) ?? 0, tx.id).toBeGreaterThanOrEqual(3);
  });

  it('every tx broadcast with exactly one signed payload, completed, none lost, none failed, nothing spent twice', async () => {
    await expectExactlyOnce(h, population);
  });

  it('the only pass errors are the injected crashes and lost races that a later pass absorbed', () => {
    const unexpected = summaries.flatMap((s) => s.errors).filter((e) => !e.includes('simulated crash') && !/LEASE_LOST|INVALID_TRANSITION|CONFLICT/.test(e));
    expect(unexpected).toEqual([]);
  });

  it('secrets: at most one decrypt per wallet per worker', () => {
    expect(h.keys.decrypts.length).toBeLessThanOrEqual(population.wallets * WORKERS);
  });
});

/**
 * One worker process: builds its PipelineDeps with the harness's openWorker over the shared file, key file
 * and simulator, waits at a start barrier, then runs passes on the wall clock until two quiet passes. Its
 * crash plan SIGKILLs the process at the first injection point it reaches.
 */
const CHILD_SCRIPT = `
const [harnessUrl, passUrl, dbPath, keyFile, tatumUrl, owner, crashJson, readyFile, goFile, deadline] = process.argv.slice(2);
const { writeFileSync, existsSync } = await import('node:fs');
const { openWorker, openKeyProvider, crashingLedger, repeatingTatum } = await import(harnessUrl);
const { runPass } = await import(passUrl);
const crash = JSON.parse(crashJson);
const plan = { afterClaim: new Set(crash.afterClaim), afterSign: new Set(crash.afterSign), afterBroadcast: new Set(crash.afterBroadcast) };
const die = () => {
  process.kill(process.pid, 'SIGKILL');
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
};
const keys = await openKeyProvider(keyFile);
const worker = openWorker({
  dbPath, keys, tatumUrl, owner, now: Date.now,
  config: { leaseMs: 3000, settleAfterMs: 300, concurrency: 4 },
  wrapLedger: (ledger) => crashingLedger(ledger, plan, die),
  wrapTatum: (tatum) => repeatingTatum(tatum, 3),
});
writeFileSync(readyFile, '');
while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 5));
let passes = 0;
let quiet = 0;
const errors = [];
while (Date.now() < Number(deadline) && quiet < 2) {
  const summary = await runPass(worker.deps, {}, 'all');
  passes++;
  errors.push(...summary.errors);
  quiet = summary.pending === 0 && summary.resumed === 0 ? quiet + 1 : 0;
  await new Promise((r) => setTimeout(r, 100));
}
await worker.close();
process.stdout.write(JSON.stringify({ passes, errors }));
`;

describe('exactly once with separate OS processes on one SQLite file', () => {
  it('four worker processes, three of them SIGKILLed after claim, after sign and after broadcast: nothing lost, nothing twice', async () => {
    const h = await startPipelineHarness({ config: { leaseMs: 3_000, settleAfterMs: 300 } });
    try {
      const population = await populate(h, 120);
      const ids = population.txs.map((t) => t.id);
      const script = join(h.dir, 'worker.mjs');
      writeFileSync(script, CHILD_SCRIPT);
      const harnessUrl = pathToFileURL(resolve('test/support/pipeline-harness.ts')).href;
      const passUrl = pathToFileURL(resolve('lib/pipeline/pass.ts')).href;
      const goFile = join(h.dir, 'go');
      const none: string[] = [];
      const plans = [
        { afterClaim: ids.filter((_, i) => i % 4 === 0).slice(0, 30), afterSign: none, afterBroadcast: none },
        { afterClaim: none, afterSign: ids.filter((_, i) => i % 4 === 1).slice(0, 30), afterBroadcast: none },
        { afterClaim: none, afterSign: none, afterBroadcast: ids.filter((_, i) => i % 4 === 2).slice(0, 30) },
        { afterClaim: none, afterSign: none, afterBroadcast: none },
      ];
      const deadline = String(Date.now() + 45_000);
      const children = plans.map((plan, i) => {
        const args = [harnessUrl, passUrl, h.dbPath, h.keyFile, h.sim.url, `proc-${i}`, JSON.stringify(plan), join(h.dir, `ready-${i}`), goFile, deadline];
        const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done) => child.on('close', (code, signal) => done({ code, signal, out, err })));
      });
      const readyBy = Date.now() + 30_000;
      while (readdirSync(h.dir).filter((f) => f.startsWith('ready-')).length < plans.length && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 20));
      writeFileSync(goFile, '');
      const results = await Promise.all(children);

      // Each crash process died at its point; the survivor ended normally.
      for (const [i, result] of results.slice(0, 3).entries()) expect(result.signal, `proc-${i}: ${result.err}`).toBe('SIGKILL');
      expect(results[3]!.code, results[3]!.err).toBe(0);
      expect(existsSync(goFile)).toBe(true);

      // Whatever the dead left behind (leases, signed-not-sent, sent-not-recorded) is finished later.
      const finisher = h.worker('finisher', { now: () => Date.now() + 600_000 });
      for (let pass = 0; pass < 4; pass++) {
        const open = (await h.allRecords()).filter((r) => r.state !== 'COMPLETED').length;
        if (open === 0 && pass > 0) break;
        await runPass(finisher.deps, {}, 'all');
      }
      await expectExactlyOnce(h, population);
    } finally {
      await h.close();
    }
  }, 90_000);
});
