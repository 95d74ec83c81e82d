/**
 * What every pipeline step runs over: the ports (wallet store, ledger, Tatum, key provider, events), the
 * chain registry, a clock, this worker's identity, and the validated pipeline config. Entry points (the
 * daemon, the Lambda handlers) build one PipelineDeps and hand it down; steps never reach for globals.
 */
import type { AuditTrail } from '../audit/audit-trail.js';
import type { ChainRegistry } from '../chains/registry.js';
import type { KeyProvider } from '../custody/key-provider.js';
import type { EventSink } from '../events/event-sink.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Policy } from '../policy/policy.js';
import type { Ledger } from '../store/ledger.js';
import type { WalletActivity } from '../store/wallet-activity.js';
import type { WalletStore } from '../store/wallet-store.js';
import type { TatumApi } from '../tatum/client.js';
import type { FourEyeConfig } from './four-eye.js';
import type { OpenedWalletCache } from './opened-wallets.js';

/** Ceilings a prepared EVM transaction must respect, so a hostile node or API cannot drain a wallet through fees. */
export interface FeeCaps {
  readonly maxGas: bigint;
  /** Applies to gasPrice (legacy) and maxFeePerGas (EIP-1559), in wei. */
  readonly maxGasPrice: bigint;
}

const GWEI = 1_000_000_000n;

/** Defaults that admit normal traffic: gas ≤ 2,000,000; ≤ 1,000 gwei (≤ 5,000 gwei on MATIC). */
export const DEFAULT_FEE_CAPS: Readonly<Record<string, FeeCaps>> = {
  '*': { maxGas: 2_000_000n, maxGasPrice: 1_000n * GWEI },
  MATIC: { maxGas: 2_000_000n, maxGasPrice: 5_000n * GWEI },
};

export interface PipelineConfig {
  /** The network this deployment signs for: 'mainnet', 'testnet' or a custom network of the registry. */
  readonly network: string;
  /** Lease of a claim; MUST exceed the longest time one worker spends on one transaction. */
  readonly leaseMs: number;
  /** After a four-eye denial, ask again no sooner than this. */
  readonly approvalRetryMs: number;
  /** SIGNED / BROADCAST / BROADCAST_UNKNOWN records untouched this long are re-broadcast or settled. */
  readonly settleAfterMs: number;
  /** Four-eye approval; absent → every transaction that passes the caps is approved. */
  readonly fourEye?: FourEyeConfig;
  /** Fee caps per chain code ('*' for the rest). */
  readonly feeCaps: Readonly<Record<string, FeeCaps>>;
  /** Transactions worked on at once in one process. */
  readonly concurrency: number;
}

export interface PipelineDeps {
  readonly registry: ChainRegistry;
  readonly wallets: WalletStore;
  readonly ledger: Ledger;
  readonly tatum: TatumApi;
  readonly keys: KeyProvider;
  readonly events: EventSink;
  readonly openedWallets: OpenedWalletCache;
  /** The policy file in force; absent → effectivePolicy (policy-gate.ts) decides from the four-eye config. */
  readonly policy?: Policy;
  /** Approved transactions per wallet: velocity and unusual-activity history. Required by velocity rules. */
  readonly activity?: WalletActivity;
  /** The tamper-evident audit trail; absent → nothing is recorded (tests that do not look at it). */
  readonly audit?: AuditTrail;
  /** Absent → NO_METRICS. */
  readonly metrics?: Metrics;
  /** Epoch ms. */
  readonly now: () => number;
  /** This worker's name in leases (host:pid, or the Lambda request id). */
  readonly owner: string;
  readonly config: PipelineConfig;
}

export function feeCapsFor(config: PipelineConfig, chain: string): FeeCaps {
  return config.feeCaps[chain] ?? config.feeCaps['*'] ?? DEFAULT_FEE_CAPS['*']!;
}
