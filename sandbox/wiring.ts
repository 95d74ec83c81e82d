/**
 * The sandbox's world in one process, wired as `sigil daemon` wires the embedded defaults (local key file,
 * one SQLite file for wallets, ledger and rate limiter) but pointed at local peers:
 *
 *   ganache (EVM, chain id 1337) ◄─ broadcastHook / rpcHook ─┐
 *   bcoin regtest (segwit active) ◄─ broadcastHook ──────────┤
 *                                                            Tatum simulator ◄── HttpTatumApi ◄── pipeline
 *   app-side calls (POST /v3/ethereum|bitcoin/transaction) ──┘ (extraRoutes)
 *
 * on the custom network `sandbox` (ETH at the local chain id; BTC with regtest's bech32 `rb`; LTC and
 * DOGE with their testnet formats: they have no local chain, the simulator answers their broadcasts).
 *
 * The data folder keeps the store, its key file and the ledger between runs; the chains and the simulator
 * start empty every time. What makes a leftover store safe with fresh chains is in demo-accounts.ts.
 */
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChainRegistry } from '../lib/chains/registry.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import type { EventSink } from '../lib/events/event-sink.js';
import { DEFAULT_FEE_CAPS, type PipelineConfig, type PipelineDeps } from '../lib/pipeline/deps.js';
import { OpenedWalletCache } from '../lib/pipeline/opened-wallets.js';
import { LocalHmacAuditMac, localAuditKeyPath } from '../lib/audit/audit-mac.js';
import { ChainedAuditTrail } from '../lib/audit/audit-trail.js';
import { loadPolicyFile } from '../lib/policy/load-policy-file.js';
import { SqliteAuditStore } from '../lib/store/audit-sqlite.js';
import { SqliteLedger } from '../lib/store/ledger-sqlite.js';
import { SqliteWalletActivity } from '../lib/store/wallet-activity-sqlite.js';
import { SqliteRateLimiter } from '../lib/store/rate-limit-sqlite.js';
import { openSqliteDatabase, type SqliteDatabase } from '../lib/store/sqlite.js';
import { SqliteSettings } from '../lib/store/sqlite-settings.js';
import { SqliteWalletStore } from '../lib/store/sqlite-wallet-store.js';
import { HttpTatumApi } from '../lib/tatum/client.js';
import { walletService, type WalletService } from '../lib/wallets/index.js';
import { relayJsonRpc } from './chains/json-rpc-client.js';
import { SANDBOX_REGTEST_PARAMS, startBitcoinRegtest, type BitcoinRegtest } from './chains/bitcoin-chain.js';
import { startEvmChain, type EvmChain } from './chains/evm-chain.js';
import { tatumAppRoutes } from './tatum-app-routes.js';
import { startTatumSimulator, type TatumSimulator } from './tatum/simulator.js';

export const SANDBOX_NETWORK = 'sandbox';
/** ganache's customary local chain id; the registry pins it for ETH on the `sandbox` network. */
export const SANDBOX_EVM_CHAIN_ID = 1337n;
/** The simulator's API key. Not a secret: the simulator listens on loopback and holds nothing of value. */
export const SANDBOX_API_KEY = 'sigil-sandbox-simulator-key';
/** The policy the sandbox signs under (shipped beside this file). */
export const SANDBOX_POLICY_FILE = fileURLToPath(new URL('./policy.yaml', import.meta.url));
/** What the data folder holds; `--reset` removes these and nothing else. */
export const SANDBOX_FILES: readonly string[] = ['sigil.db', 'sigil.db-wal', 'sigil.db-shm', 'sigil.db.key', 'sigil.db.audit.key'];

/** The registry with the `sandbox` network (derivation and formats of testnet, as Tatum's testnet wallets). */
export function sandboxRegistry(evmChainId: bigint = SANDBOX_EVM_CHAIN_ID): ChainRegistry {
  return new ChainRegistry({
    customNetworks: [{ name: SANDBOX_NETWORK, base: 'testnet', chainIds: { ETH: evmChainId }, utxo: { BTC: SANDBOX_REGTEST_PARAMS } }],
  });
}

/** The daemon's settings (cli/commands-daemon.ts), with a short settle delay so a lost broadcast is retried within seconds. */
export const SANDBOX_PIPELINE: Omit<PipelineConfig, 'network'> = {
  leaseMs: 5 * 60_000,
  approvalRetryMs: 60_000,
  settleAfterMs: 5_000,
  feeCaps: DEFAULT_FEE_CAPS,
  concurrency: 8,
};

export interface SandboxOptions {
  readonly dataDir: string;
  /** Where the pipeline's and the wallet service's events go. */
  readonly events: EventSink;
  /** 0 (default): a block per transaction. */
  readonly evmBlockTimeMs?: number;
  /** Mine a regtest block this often while the mempool is not empty (default 1000). */
  readonly btcAutoMineMs?: number;
  /** Overrides of SANDBOX_PIPELINE (tests: a four-eye service, settle at once). */
  readonly pipeline?: Partial<Omit<PipelineConfig, 'network'>>;
  readonly owner?: string;
  /** The policy file (default SANDBOX_POLICY_FILE); null: none (every tx allowed, or asked with four-eye). */
  readonly policyFile?: string | null;
}

export interface Sandbox {
  readonly dataDir: string;
  readonly dbPath: string;
  readonly registry: ChainRegistry;
  readonly evm: EvmChain;
  readonly btc: BitcoinRegtest;
  readonly sim: TatumSimulator;
  /** The pipeline over this sandbox: pass it to runPass / runDaemon. */
  readonly deps: PipelineDeps;
  readonly wallets: WalletService;
  readonly settings: SqliteSettings;
  /** Run `fn` in one BEGIN IMMEDIATE transaction of the store's database (atomic across processes). */
  atomically<T>(fn: () => T): T;
  /** Stops the simulator and the chains and closes the store; call once, after the daemon has stopped. */
  close(): Promise<void>;
}

/** Remove the sandbox's files from `dataDir` (never anything else: the folder may be one the user chose). */
export function resetSandboxData(dataDir: string): void {
  for (const name of SANDBOX_FILES) rmSync(join(dataDir, name), { force: true });
}

async function closeQuietly(steps: ReadonlyArray<() => unknown>): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch {
      // Shutting down: one part failing to close must not keep the others open.
    }
  }
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dbPath = join(options.dataDir, 'sigil.db');
  const registry = sandboxRegistry();
  const [evm, btc] = await Promise.all([
    startEvmChain({ chainId: SANDBOX_EVM_CHAIN_ID, blockTimeMs: options.evmBlockTimeMs ?? 0 }),
    startBitcoinRegtest({ autoMineMs: options.btcAutoMineMs ?? 1000 }),
  ]);
  const cleanup: Array<() => unknown> = [() => btc.stop(), () => evm.close()];
  try {
    const sim = await startTatumSimulator({
      apiKey: SANDBOX_API_KEY,
      network: 'testnet',
      broadcastHook: ({ path, txData }) => (path === 'ethereum' ? evm.sendRaw(txData) : path === 'bitcoin' ? btc.sendRaw(txData) : undefined),
      rpcHook: ({ chain, method, params }) => (chain === 'ETH' ? relayJsonRpc(evm.rpcUrl, method, params) : undefined),
      extraRoutes: tatumAppRoutes({ bitcoin: btc, addPending: (tx) => void sim.state.addPending({ ...tx }) }),
    });
    cleanup.unshift(() => sim.close());

    const db: SqliteDatabase = openSqliteDatabase(dbPath);
    cleanup.push(() => db.close());
    const store = new SqliteWalletStore(db, { registry });
    const ledger = new SqliteLedger(db);
    const activity = new SqliteWalletActivity(db);
    const policyFile = options.policyFile === undefined ? SANDBOX_POLICY_FILE : options.policyFile;
    const policy = policyFile === null ? undefined : loadPolicyFile(policyFile, registry);
    const rateLimiter = new SqliteRateLimiter(db, { ratePerSecond: 100, burst: 100 });
    const settings = new SqliteSettings(db);
    const keys = await LocalKeyProvider.fromKeyFile(join(options.dataDir, 'sigil.db.key'), { create: true });
    cleanup.push(() => keys.close());
    // The audit trail as `sigil daemon` keeps it: in the store's file, MACed with <store>.audit.key.
    const auditMac = await LocalHmacAuditMac.open(localAuditKeyPath(dbPath), { create: true });
    cleanup.push(() => auditMac.close());
    const audit = new ChainedAuditTrail(new SqliteAuditStore(db), auditMac);
    const openedWallets = new OpenedWalletCache({ maxEntries: 100, maxAgeMs: 15 * 60_000 });
    cleanup.unshift(() => openedWallets.clear());

    const deps: PipelineDeps = {
      registry,
      wallets: store,
      ledger,
      tatum: new HttpTatumApi({ baseUrl: sim.url, apiKey: SANDBOX_API_KEY, rateLimiter, timeoutMs: 10_000 }),
      keys,
      events: options.events,
      openedWallets,
      activity,
      audit,
      ...(policy ? { policy } : {}),
      now: Date.now,
      owner: options.owner ?? `${hostname()}:${process.pid}:sandbox`,
      config: { ...SANDBOX_PIPELINE, ...options.pipeline, network: SANDBOX_NETWORK },
    };
    let closed = false;
    return {
      dataDir: options.dataDir,
      dbPath,
      registry,
      evm,
      btc,
      sim,
      deps,
      wallets: walletService({ store, keys: async () => keys, events: options.events, registry, audit, actor: `sandbox ${hostname()}` }),
      settings,
      atomically: (fn) => db.transaction(fn).immediate(),
      close: async () => {
        if (closed) return;
        closed = true;
        await closeQuietly(cleanup);
      },
    };
  } catch (error) {
    await closeQuietly(cleanup);
    throw error;
  }
}
