/**
 * The pipeline test harness: real adapters only, wired as `sigil daemon` wires them.
 *
 * - one SQLite file in a temp dir, shared by SqliteWalletStore and SqliteLedger (each worker opens its own
 *   connection to it, as separate daemons would);
 * - a LocalKeyProvider over a key file, wrapped to count `decryptDataKey` (one call = one KMS Decrypt on AWS);
 * - a MemoryEventSink wrapped to count events by detail type;
 * - the Tatum simulator on loopback, reached through HttpTatumApi with a fast retry policy (the waits it
 *   asks for, Retry-After included, are recorded and cut to 1 ms);
 * - one OpenedWalletCache per worker, the default registry, a PipelineConfig with short leases;
 * - a manual clock: `deps.now` and the ledger's clock, so leases, denials and settling advance only when a
 *   test says so (HTTP timeouts stay on the wall clock).
 *
 * `openWorker` builds a PipelineDeps from paths and URLs alone, so a child process (the multi-process
 * exactly-once test) builds the very same worker as the in-process tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crypto as btcCrypto } from 'bitcoinjs-lib';
import vectors from '../vectors/tatum-vectors.json' with { type: 'json' };
import { defaultRegistry, type ChainNetwork, type ChainRegistry } from '../../lib/chains/registry.js';
import type { DataKey, EncryptionContext, KeyProvider } from '../../lib/custody/key-provider.js';
import { LocalKeyProvider } from '../../lib/custody/local-key-provider.js';
import type { DetailType, EventDetail } from '../../lib/events/catalogue.js';
import { MemoryEventSink, type EventSink } from '../../lib/events/event-sink.js';
import { childPublicKeyFromXpub } from '../../lib/keys/index.js';
import { DEFAULT_FEE_CAPS, type PipelineConfig, type PipelineDeps } from '../../lib/pipeline/deps.js';
import { OpenedWalletCache } from '../../lib/pipeline/opened-wallets.js';
import type { Ledger, LedgerRecord } from '../../lib/store/ledger.js';
import type { Policy } from '../../lib/policy/policy.js';
import { SqliteLedger } from '../../lib/store/ledger-sqlite.js';
import { SqliteWalletActivity } from '../../lib/store/wallet-activity-sqlite.js';
import { SqliteWalletStore } from '../../lib/store/sqlite-wallet-store.js';
import { openSqliteDatabase } from '../../lib/store/sqlite.js';
import { HttpTatumApi, type HttpTatumApiOptions, type TatumApi } from '../../lib/tatum/client.js';
import type { PendingTransaction } from '../../lib/tatum/pending-transaction.js';
import { UnlimitedRateLimiter } from '../../lib/tatum/rate-limiter.js';
import { walletService } from '../../lib/wallets/index.js';
import { startTatumSimulator, type TatumSimulator, type TatumSimulatorOptions } from '../../sandbox/tatum/simulator.js';

export const HARNESS_API_KEY = 'pipeline-harness-key-0f1e2d3c4b5a69788796a5b4';
/** The Tatum fixture mnemonic: its keys sign test/vectors/*.json. */
export const TATUM_MNEMONIC: string = vectors.mnemonic;

export const DEFAULT_TEST_CONFIG: PipelineConfig = {
  network: 'mainnet',
  leaseMs: 200,
  approvalRetryMs: 5_000,
  settleAfterMs: 1_000,
  feeCaps: DEFAULT_FEE_CAPS,
  concurrency: 4,
};

/** Epoch ms that move only when told: `deps.now` and the ledger's clock. */
export class ManualClock {
  constructor(public ms: number = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A KeyProvider that records every decryptDataKey (the wallet whose secret was opened) before delegating. */
export class CountingKeyProvider implements KeyProvider {
  readonly decrypts: Array<{ readonly signatureId: string; readonly chain: string }> = [];
  constructor(readonly inner: KeyProvider) {}
  get kind() {
    return this.inner.kind;
  }
  get keyId() {
    return this.inner.keyId;
  }
  generateDataKey(context: EncryptionContext): Promise<DataKey> {
    return this.inner.generateDataKey(context);
  }
  decryptDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext): Promise<Uint8Array> {
    this.decrypts.push({ signatureId: context.signatureId, chain: context.chain });
    return this.inner.decryptDataKey(wrapped, keyId, context);
  }
  decryptsOf(signatureId: string): number {
    return this.decrypts.filter((d) => d.signatureId === signatureId).length;
  }
}

/** A MemoryEventSink that also answers "how many of this type" and "the details of this type". */
export class CountingEventSink implements EventSink {
  readonly memory = new MemoryEventSink();
  emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    return this.memory.emit(detailType, detail);
  }
  of(detailType: DetailType): EventDetail[] {
    return this.memory.events.filter((e) => e.detailType === detailType).map((e) => e.detail);
  }
  count(detailType: DetailType, pendingId?: string): number {
    return this.of(detailType).filter((d) => pendingId === undefined || d.pendingId === pendingId).length;
  }
}

export async function openKeyProvider(keyFile: string, create = false): Promise<LocalKeyProvider> {
  return LocalKeyProvider.fromKeyFile(keyFile, { create });
}

export interface WorkerOptions {
  readonly dbPath: string;
  readonly keys: KeyProvider;
  readonly tatumUrl: string;
  readonly apiKey?: string;
  readonly owner: string;
  readonly now: () => number;
  readonly events?: EventSink;
  readonly registry?: ChainRegistry;
  readonly config?: Partial<PipelineConfig>;
  readonly cache?: { readonly maxEntries: number; readonly maxAgeMs: number };
  readonly tatum?: Partial<HttpTatumApiOptions>;
  /** Interpose on the ledger (crash injection). */
  readonly wrapLedger?: (ledger: Ledger) => Ledger;
  /** Interpose on the Tatum client (repeated deliveries, crash injection). */
  readonly wrapTatum?: (tatum: TatumApi) => TatumApi;
  /** The policy file in force (absent: effectivePolicy's default). */
  readonly policy?: Policy;
  /** Extra ports (audit, metrics) merged into the deps. */
  readonly extraDeps?: Partial<Pick<PipelineDeps, 'audit' | 'metrics'>>;
}

export interface Worker {
  readonly deps: PipelineDeps;
  /** The waits the Tatum client asked for between attempts (not slept). */
  readonly sleeps: number[];
  readonly ledger: SqliteLedger;
  close(): Promise<void>;
}

/** A worker over its own connection to the shared SQLite file. */
export function openWorker(options: WorkerOptions): Worker {
  const registry = options.registry ?? defaultRegistry;
  const db = openSqliteDatabase(options.dbPath);
  const wallets = new SqliteWalletStore(db, { registry });
  const ledger = new SqliteLedger(db, { clock: options.now });
  const sleeps: number[] = [];
  const http = new HttpTatumApi({
    baseUrl: options.tatumUrl,
    apiKey: options.apiKey ?? HARNESS_API_KEY,
    rateLimiter: new UnlimitedRateLimiter(),
    timeoutMs: 2_000,
    maxAttempts: 4,
    baseDelayMs: 1,
    maxDelayMs: 10,
    maxElapsedMs: 30_000,
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
    ...options.tatum,
  });
  const cache = options.cache ?? { maxEntries: 1_000, maxAgeMs: 3_600_000 };
  const openedWallets = new OpenedWalletCache({ ...cache, now: options.now });
  const deps: PipelineDeps = {
    registry,
    wallets,
    ledger: options.wrapLedger ? options.wrapLedger(ledger) : ledger,
    tatum: options.wrapTatum ? options.wrapTatum(http) : http,
    keys: options.keys,
    events: options.events ?? new MemoryEventSink(),
    openedWallets,
    activity: new SqliteWalletActivity(db),
    ...(options.policy ? { policy: options.policy } : {}),
    ...options.extraDeps,
    now: options.now,
    owner: options.owner,
    config: { ...DEFAULT_TEST_CONFIG, ...options.config },
  };
  return {
    deps,
    sleeps,
    ledger,
    close: async () => {
      openedWallets.clear();
      if (db.open) db.close();
    },
  };
}

/** A pending transaction as a test adds it to the simulator (Tatum's field names). */
export interface PendingFields {
  readonly id?: string;
  readonly chain: string;
  readonly serializedTransaction: string;
  readonly hashes?: readonly string[];
  readonly index?: number | null;
  readonly signatures?: ReadonlyArray<{ readonly id: string; readonly index: number }> | null;
  readonly withdrawalId?: string | null;
  readonly withdrawalResponses?: readonly unknown[] | null;
}

export function newPendingId(): string {
  return randomBytes(12).toString('hex');
}

export interface HarnessOptions {
  readonly network?: string;
  readonly registry?: ChainRegistry;
  readonly config?: Partial<PipelineConfig>;
  readonly simulator?: Partial<TatumSimulatorOptions>;
  readonly tatum?: Partial<HttpTatumApiOptions>;
  readonly cache?: { readonly maxEntries: number; readonly maxAgeMs: number };
  readonly policy?: Policy;
  readonly extraDeps?: WorkerOptions['extraDeps'];
}

export interface PipelineHarness {
  readonly dir: string;
  readonly dbPath: string;
  readonly keyFile: string;
  readonly sim: TatumSimulator;
  readonly clock: ManualClock;
  readonly keys: CountingKeyProvider;
  readonly events: CountingEventSink;
  readonly registry: ChainRegistry;
  /** The main worker ('worker-0'). */
  readonly main: Worker;
  readonly deps: PipelineDeps;
  /** Another worker on the same file, simulator, key provider, clock and event sink. */
  worker(owner: string, options?: Partial<Omit<WorkerOptions, 'dbPath' | 'tatumUrl' | 'owner'>>): Worker;
  /** A mnemonic wallet (the Tatum fixture mnemonic by default) stored through the wallet service. */
  storeMnemonic(chain: string, network?: string, mnemonic?: string): Promise<{ signatureId: string; xpub: string }>;
  /** A private-key wallet from the key in the chain's text format (WIF, 0x-hex). */
  storePrivateKey(chain: string, keyText: string, network?: string): Promise<string>;
  /** A fresh random mnemonic wallet. */
  createMnemonic(chain: string, network?: string): Promise<{ signatureId: string; xpub: string }>;
  /** Add a pending tx to the simulator in Tatum's shape; returns its id. */
  addPending(fields: PendingFields): string;
  /** Every simulator broadcast with signatureId `id` (chain and withdrawal endpoints). */
  broadcastsOf(id: string): Array<{ readonly path: string; readonly txData: string }>;
  record(id: string): Promise<LedgerRecord>;
  allRecords(): Promise<LedgerRecord[]>;
  chain(code: string, network?: string): ChainNetwork;
  close(): Promise<void>;
}

export async function startPipelineHarness(options: HarnessOptions = {}): Promise<PipelineHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-pipeline-'));
  const dbPath = join(dir, 'sigil.db');
  const keyFile = join(dir, 'sigil.key');
  const registry = options.registry ?? defaultRegistry;
  const network = options.network ?? options.config?.network ?? DEFAULT_TEST_CONFIG.network;
  const keys = new CountingKeyProvider(await openKeyProvider(keyFile, true));
  const events = new CountingEventSink();
  const clock = new ManualClock();
  const sim = await startTatumSimulator({ apiKey: HARNESS_API_KEY, network: network === 'mainnet' ? 'mainnet' : 'testnet', ...options.simulator });
  const workers: Worker[] = [];
  const worker = (owner: string, extra: Partial<Omit<WorkerOptions, 'dbPath' | 'tatumUrl' | 'owner'>> = {}): Worker => {
    const w = openWorker({
      dbPath,
      tatumUrl: sim.url,
      owner,
      keys,
      events,
      now: clock.now,
      registry,
      ...(options.tatum ? { tatum: options.tatum } : {}),
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.extraDeps ? { extraDeps: options.extraDeps } : {}),
      ...extra,
      config: { network, ...options.config, ...extra.config },
    });
    workers.push(w);
    return w;
  };
  const main = worker('worker-0');
  const walletEvents = new MemoryEventSink();
  const service = walletService({ store: main.deps.wallets, keys: async () => keys, events: walletEvents, registry });
  const encode = (text: string) => new TextEncoder().encode(text);

  const harness: PipelineHarness = {
    dir,
    dbPath,
    keyFile,
    sim,
    clock,
    keys,
    events,
    registry,
    main,
    deps: main.deps,
    worker,
    storeMnemonic: (chain, net = network, mnemonic = TATUM_MNEMONIC) => service.storeMnemonicWallet(encode(mnemonic), chain, net),
    storePrivateKey: async (chain, keyText, net = network) => (await service.storePrivateKeyWallet(encode(keyText), chain, net)).signatureId,
    createMnemonic: (chain, net = network) => service.createMnemonicWallet(chain, net),
    addPending: (fields) => {
      const id = fields.id ?? newPendingId();
      sim.state.addPending({
        id,
        chain: fields.chain,
        serializedTransaction: fields.serializedTransaction,
        hashes: [...(fields.hashes ?? [])],
        index: fields.index ?? null,
        ...(fields.signatures ? { signatures: fields.signatures.map((s) => ({ ...s })) } : {}),
        withdrawalId: fields.withdrawalId ?? null,
        withdrawalResponses: fields.withdrawalResponses ? [...fields.withdrawalResponses] : null,
      });
      return id;
    },
    broadcastsOf: (id) => [
      ...sim.state.broadcasts.filter((b) => b.signatureId === id).map((b) => ({ path: `/v3/${b.path}/broadcast`, txData: b.txData })),
      ...sim.state.withdrawalBroadcasts.filter((b) => b.signatureId === id).map((b) => ({ path: '/v3/offchain/withdrawal/broadcast', txData: b.txData })),
    ],
    record: async (id) => {
      const record = await main.ledger.get(id);
      if (!record) throw new Error(`pending tx ${id} is not in the ledger`);
      return record;
    },
    allRecords: async () => {
      const records: LedgerRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await main.ledger.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
        records.push(...page.records);
        cursor = page.cursor;
      } while (cursor);
      return records;
    },
    chain: (code, net = network) => registry.resolve(code, net),
    close: async () => {
      for (const w of workers) await w.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

// ---- building pending transactions ----------------------------------------------------------------------

/** A web3-style EVM transaction as Tatum's callers send it (`from: 0` placeholder, decimal strings). */
export function evmTransfer(fields: {
  readonly to?: string;
  readonly value?: bigint;
  readonly nonce?: number;
  readonly gas?: number;
  readonly gasPrice?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
  readonly data?: string;
}): string {
  const tx: Record<string, unknown> = { from: 0, to: fields.to ?? `0x${'5e'.repeat(20)}`, value: (fields.value ?? 1_000n).toString() };
  if (fields.data !== undefined) tx.data = fields.data;
  if (fields.nonce !== undefined) tx.nonce = fields.nonce;
  if (fields.gas !== undefined) tx.gas = fields.gas;
  if (fields.gasPrice !== undefined) tx.gasPrice = fields.gasPrice.toString();
  if (fields.maxFeePerGas !== undefined) tx.maxFeePerGas = fields.maxFeePerGas.toString();
  if (fields.maxPriorityFeePerGas !== undefined) tx.maxPriorityFeePerGas = fields.maxPriorityFeePerGas.toString();
  return JSON.stringify(tx);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The prevout script that child `index` of `xpub` owns on `chain`: P2WPKH where the chain's addresses are bech32, else P2PKH. */
export function ownedScript(xpub: string, index: number, chain: ChainNetwork): string {
  const pkh = hex(btcCrypto.hash160(childPublicKeyFromXpub(xpub, index, chain)));
  return chain.addressFormat === 'p2wpkh' ? `0014${pkh}` : `76a914${pkh}88ac`;
}

export interface UtxoInputSpec {
  readonly txid: string;
  readonly vout: number;
  readonly satoshis: number;
  /** The prevout script (ownedScript). */
  readonly script: string;
}

/** bitcore `Transaction.toObject()` JSON (TATUM-COMPAT §4) without `hash`: inputs → one payment output. */
export function utxoTransfer(inputs: readonly UtxoInputSpec[], payTo: { readonly script: string; readonly satoshis: number }): string {
  return JSON.stringify({
    version: 2,
    inputs: inputs.map((input) => ({
      prevTxId: input.txid,
      outputIndex: input.vout,
      sequenceNumber: 0xffffffff,
      script: '',
      scriptString: '',
      output: { satoshis: input.satoshis, script: input.script },
    })),
    outputs: [{ satoshis: payTo.satoshis, script: payTo.script }],
    nLockTime: 0,
  });
}

export function randomTxid(): string {
  return randomBytes(32).toString('hex');
}

// ---- interposers ----------------------------------------------------------------------------------------

/** Delegate every member of `inner` (bound to it, so private fields work) except `overrides`. */
export function interpose<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, property) {
      if (Object.prototype.hasOwnProperty.call(overrides, property)) return (overrides as Record<PropertyKey, unknown>)[property];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What a worker "crashing" throws: not a SigilError, so no step mistakes it for a verdict on the tx. */
export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint, readonly pendingId: string) {
    super(`simulated crash ${point} of ${pendingId}`);
  }
}

export type CrashPoint = 'after-claim' | 'after-sign' | 'after-broadcast';

/**
 * Ids at which to crash, each consumed the first time it fires (shared by every worker of a test):
 * - after-claim: the claim is written (lease held), then the worker dies;
 * - after-sign: markSigned is written (raw stored, no broadcast), then the worker dies;
 * - after-broadcast: the broadcast went out and was answered, and the worker dies before markBroadcast.
 */
export interface CrashPlan {
  readonly afterClaim: Set<string>;
  readonly afterSign: Set<string>;
  readonly afterBroadcast: Set<string>;
}

export function crashingLedger(inner: Ledger, plan: CrashPlan, crash: (point: CrashPoint, id: string) => never): Ledger {
  return interpose<Ledger>(inner, {
    claim: async (request, owner, now, leaseMs) => {
      const result = await inner.claim(request, owner, now, leaseMs);
      if (result.outcome === 'claimed' && plan.afterClaim.delete(request.id)) crash('after-claim', request.id);
      return result;
    },
    markSigned: async (id, fence, signed) => {
      const record = await inner.markSigned(id, fence, signed);
      if (plan.afterSign.delete(id)) crash('after-sign', id);
      return record;
    },
    markBroadcast: async (id, txId) => {
      if (plan.afterBroadcast.delete(id)) crash('after-broadcast', id);
      return inner.markBroadcast(id, txId);
    },
  });
}

/**
 * Tatum's pending list as an at-least-once feed: every tx appears twice in each list, and a tx already
 * completed keeps being listed (a stale view) until it was delivered `times` times in all.
 */
export function repeatingTatum(inner: TatumApi, times: number): TatumApi & { readonly deliveries: Map<string, number> } {
  const deliveries = new Map<string, number>();
  const seen = new Map<string, PendingTransaction>();
  return interpose<TatumApi & { readonly deliveries: Map<string, number> }>(inner as TatumApi & { readonly deliveries: Map<string, number> }, {
    deliveries,
    pendingTransactions: async (chain, ids) => {
      const batch = await inner.pendingTransactions(chain, ids);
      const live = new Set(batch.transactions.map((tx) => tx.id));
      for (const tx of batch.transactions) seen.set(tx.id, tx);
      const ghosts = [...seen.values()].filter((tx) => tx.chain === chain && !live.has(tx.id) && (deliveries.get(tx.id) ?? 0) < times);
      const list = [...batch.transactions, ...ghosts];
      for (const tx of list) deliveries.set(tx.id, (deliveries.get(tx.id) ?? 0) + 1);
      return { transactions: [...list, ...list.slice().reverse()], rejected: batch.rejected };
    },
  });
}
