/**
 * A parsed, validated policy (docs/policy.md): an ordered list of rules and a default action. Values are
 * already canonical (addresses lowercase 0x / lowercase bech32, selectors lowercase, windows in ms), so
 * evaluation compares without re-parsing. Only parsePolicyFile and the tests build one.
 */
import type { DecimalAmount } from './units.js';

export const POLICY_ACTIONS = ['ALLOW', 'BLOCK', 'REQUIRE_APPROVAL'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Inclusive bounds; at least one is present. */
export interface DecimalBounds {
  readonly min?: DecimalAmount;
  readonly max?: DecimalAmount;
}

export interface IntegerBounds {
  readonly min?: bigint;
  readonly max?: bigint;
}

export interface PolicyConditions {
  /** Chain codes (e.g. `ETH`). */
  readonly chain?: readonly string[];
  readonly network?: readonly string[];
  /** Wallet signatureIds. */
  readonly wallet?: readonly string[];
  readonly to?: { readonly allow?: ReadonlySet<string>; readonly deny?: ReadonlySet<string> };
  /** Sum of all outputs' native value, in native units of the transaction's chain. */
  readonly amount?: DecimalBounds;
  /** An ERC-20 `transfer` of `token`; bounds in token units with `decimals` (base units when 0). */
  readonly tokenAmount?: { readonly token: string; readonly decimals: number } & DecimalBounds;
  /** The fee (UTXO) or the most it can cost (EVM gas × max fee), in native units. */
  readonly fee?: DecimalBounds;
  /** The EVM gas limit, in gas. */
  readonly gas?: IntegerBounds;
  /** Lowercase `0x` + 8 hex. */
  readonly contractCalls?: { readonly allowSelectors: ReadonlySet<string> };
  readonly velocity?: { readonly windowMs: number; readonly window: string; readonly maxCount?: number; readonly maxSum?: DecimalAmount };
  /** Minutes after midnight in `timezone`; `from > to` wraps over midnight; `to` is exclusive. */
  readonly hours?: { readonly from: number; readonly to: number; readonly timezone: string; readonly text: string };
}

export interface PolicyRule {
  readonly name: string;
  readonly action: PolicyAction;
  readonly when: PolicyConditions;
  /** 1-based line of the rule in its file (0 when built in code). */
  readonly line: number;
}

/**
 * The `unusual:` section (docs/policy.md §Unusual activity): what makes a signing worth an `Unusual
 * Activity` event. It never changes a decision; every threshold is in the file, and an absent part detects
 * nothing.
 */
export interface UnusualConfig {
  readonly amount?: {
    /** Above `factor` × the nearest-rank `percentile` of the wallet's amounts on this chain in `window`, once it has `minSamples`. */
    readonly usual?: { readonly percentile: number; readonly window: string; readonly windowMs: number; readonly minSamples: number; readonly factor: DecimalAmount };
    /** Above a fixed amount in native units, per chain code. */
    readonly fixed?: ReadonlyMap<string, DecimalAmount>;
  };
  /** More than `maxCount` signings of one wallet in `window`, this one included. */
  readonly burst?: { readonly window: string; readonly windowMs: number; readonly maxCount: number };
  /** A destination the wallet never sent to before. */
  readonly firstTimeDestination?: boolean;
  /** Signing outside these hours (same form as a rule's `hours`). */
  readonly hours?: NonNullable<PolicyConditions['hours']>;
  /** 1-based line of the section (0 when built in code). */
  readonly line: number;
}

export interface Policy {
  readonly rules: readonly PolicyRule[];
  readonly default: PolicyAction;
  /** Absent: no unusual-activity detection. */
  readonly unusual?: UnusualConfig;
}
