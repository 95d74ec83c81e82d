/**
 * Issue 4 figures: one daemon pass over 1,000 pending EVM txs from 50 wallets, against the Tatum simulator
 * with 20 ms latency, the embedded store (SQLite), and KMS on moto_server (falling back to the local key when
 * moto_server is absent — then KMS calls are not counted). Reported: txs/s at concurrency 1 and 32 with a
 * rate limit that does not bind (10,000 req/s), txs/s at 50 req/s against the rate-limited maximum, 429s,
 * KMS Decrypts per signed tx, Tatum calls per completed tx.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultRegistry } from '../lib/chains/registry.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import type { KeyProvider } from '../lib/custody/key-provider.js';
import { MemoryEventSink } from '../lib/events/event-sink.js';
import { DEFAULT_FEE_CAPS, type PipelineDeps } from '../lib/pipeline/deps.js';
import { OpenedWalletCache } from '../lib/pipeline/opened-wallets.js';
import { runPass } from '../lib/pipeline/pass.js';
import { LocalHmacAuditMac, localAuditKeyPath } from '../lib/audit/audit-mac.js';
import { ChainedAuditTrail } from '../lib/audit/audit-trail.js';
import { parsePolicyFile } from '../lib/policy/policy-file.js';
import { SqliteAuditStore } from '../lib/store/audit-sqlite.js';
import { SqliteLedger } from '../lib/store/ledger-sqlite.js';
import { SqliteWalletActivity } from '../lib/store/wallet-activity-sqlite.js';
import { SqliteWalletStore } from '../lib/store/sqlite-wallet-store.js';
import { HttpTatumApi } from '../lib/tatum/client.js';
import { defaultBurstFor, MemoryRateLimiter } from '../lib/tatum/rate-limiter.js';
import { walletService } from '../lib/wallets/index.js';
import { startTatumSimulator } from '../sandbox/tatum/simulator.js';
import { startMotoForBench } from './harness.js';

const API_KEY = 'bench-api-key-0123456789';
/** The guard rails as a daemon runs with them: a deny-list, a velocity-capped ALLOW, unusual-activity checks. */
const POLICY = parsePolicyFile(`rules:
  - { name: deny-list, action: BLOCK, when: { to: { deny: ["0x000000000000000000000000000000000000dead"] } } }
  - { name: capped, action: ALLOW, when: { amount: { max: "1" }, velocity: { window: 1h, maxCount: 1000 } } }
default: BLOCK
unusual:
  burst: { window: 10m, maxCount: 1000 }
  firstTimeDestination: true
`);
const WALLETS = 50;
const TXS = 1000;

export interface PipelineRun {
  readonly label: string;
  readonly txs: number;
  readonly seconds: number;
  readonly txPerSecond: number;
  readonly completed: number;
  readonly tatumCalls: number;
  readonly tooManyRequests: number;
  readonly decrypts: number | null;
}

async function onePass(label: string, provider: KeyProvider, kmsDecrypts: () => number | null, concurrency: number, ratePerSecond: number, simulatorLimit: number | null): Promise<PipelineRun> {
  const dir = mkdtempSync(join(process.env.SIGIL_BENCH_DIR ?? tmpdir(), 'sigil-bench-'));
  const sim = await startTatumSimulator({ apiKey: API_KEY, latencyMs: 20, network: 'testnet', ...(simulatorLimit ? { rateLimit: { ratePerSecond: simulatorLimit, burst: simulatorLimit } } : {}) });
  const store = SqliteWalletStore.open(join(dir, 'sigil.db'));
  const ledger = SqliteLedger.open(join(dir, 'sigil.db'));
  // As `sigil daemon` keeps them: the activity history and the audit trail in the store's file.
  const activity = SqliteWalletActivity.open(join(dir, 'sigil.db'));
  const auditStore = SqliteAuditStore.open(join(dir, 'sigil.db'));
  const auditMac = await LocalHmacAuditMac.open(localAuditKeyPath(join(dir, 'sigil.db')), { create: true });
  try {
    const service = walletService({ store, keys: async () => provider, events: new MemoryEventSink(), registry: defaultRegistry });
    const wallets: string[] = [];
    for (let i = 0; i < WALLETS; i++) wallets.push((await service.createMnemonicWallet('ETH', 'testnet')).signatureId);
    for (let i = 0; i < TXS; i++) {
      const wallet = wallets[i % WALLETS]!;
      const nonce = Math.floor(i / WALLETS);
      sim.state.addPending({
        id: randomBytes(12).toString('hex'),
        chain: 'ETH',
        serializedTransaction: JSON.stringify({ from: 0, to: '0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb', value: String(1000 + i), nonce, gasPrice: '20000000000', gas: 21000 }),
        hashes: [wallet],
        index: 0,
      });
    }
    const decryptsBefore = kmsDecrypts();
    const requestsBefore = sim.state.requests.length;
    const deps: PipelineDeps = {
      registry: defaultRegistry,
      wallets: store,
      ledger,
      tatum: new HttpTatumApi({ baseUrl: sim.url, apiKey: API_KEY, rateLimiter: new MemoryRateLimiter({ ratePerSecond, burst: defaultBurstFor(ratePerSecond) }) }),
      keys: provider,
      events: new MemoryEventSink(),
      openedWallets: new OpenedWalletCache({ maxEntries: 1000, maxAgeMs: 600_000 }),
      policy: POLICY,
      activity,
      audit: new ChainedAuditTrail(auditStore, auditMac),
      now: Date.now,
      owner: `bench:${concurrency}:${ratePerSecond}`,
      config: { network: 'testnet', leaseMs: 600_000, approvalRetryMs: 60_000, settleAfterMs: 600_000, feeCaps: DEFAULT_FEE_CAPS, concurrency },
    };
    const started = performance.now();
    const summary = await runPass(deps, {}, "all");
    if (process.env.SIGIL_BENCH_DEBUG) console.error(JSON.stringify(summary).slice(0, 2000));
    const seconds = (performance.now() - started) / 1000;
    deps.openedWallets.clear();
    const decryptsAfter = kmsDecrypts();
    return {
      label,
      txs: TXS,
      seconds,
      txPerSecond: TXS / seconds,
      completed: summary.outcomes.completed ?? 0,
      tatumCalls: sim.state.requests.length - requestsBefore,
      tooManyRequests: sim.state.stats.tooManyRequests + sim.state.stats.rateLimited,
      decrypts: decryptsBefore === null || decryptsAfter === null ? null : decryptsAfter - decryptsBefore,
    };
  } finally {
    auditMac.close();
    await auditStore.close();
    await activity.close();
    await ledger.close();
    await store.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function pipelineFigures(): Promise<{ runs: PipelineRun[]; notes: string[] }> {
  const notes: string[] = [];
  const moto = await startMotoForBench();
  let provider: KeyProvider;
  let decrypts: () => number | null;
  let client: KMSClient | undefined;
  if (moto) {
    client = new KMSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const kms = new AwsKmsKeyProvider({ client, keyId });
    provider = kms;
    decrypts = () => kms.calls.Decrypt;
  } else {
    provider = new LocalKeyProvider(randomBytes(32));
    decrypts = () => null;
    notes.push('moto_server not installed: the local key provider was used and KMS calls are not counted');
  }
  try {
    const runs = [
      await onePass('concurrency 1, 10,000 req/s', provider, decrypts, 1, 10_000, null),
      await onePass('concurrency 32, 10,000 req/s', provider, decrypts, 32, 10_000, null),
      await onePass('concurrency 32, 50 req/s (simulator enforces 50/s)', provider, decrypts, 32, 50, 50),
    ];
    const [serial, parallel, limited] = runs as [PipelineRun, PipelineRun, PipelineRun];
    notes.push(`speed-up of concurrency 32 over 1: ${(parallel.txPerSecond / serial.txPerSecond).toFixed(1)}× (target ≥ 10×)`);
    const maxAtLimit = 50 / (limited.tatumCalls / limited.txs);
    notes.push(`at 50 req/s: ${limited.txPerSecond.toFixed(1)} tx/s of a rate-limited maximum of ${maxAtLimit.toFixed(1)} tx/s (${((100 * limited.txPerSecond) / maxAtLimit).toFixed(0)}%; target ≥ 90%), 429s: ${limited.tooManyRequests}`);
    for (const run of runs) {
      notes.push(`${run.label}: Tatum calls per completed tx ${(run.tatumCalls / Math.max(1, run.completed)).toFixed(3)} (target ≤ 1.05)${run.decrypts === null ? '' : `, KMS Decrypts per signed tx ${(run.decrypts / Math.max(1, run.completed)).toFixed(3)} (target ≤ 0.05)`}`);
    }
    return { runs, notes };
  } finally {
    client?.destroy();
    moto?.stop();
  }
}
