/**
 * The policy engine (issue 7, part 1): parse a policy file strictly, build the normalised view of a parsed
 * transaction, and decide ALLOW / BLOCK / REQUIRE_APPROVAL (first match wins); detect unusual activity
 * (the `unusual:` section). docs/policy.md is the spec.
 */
export { parsePolicyFile, PolicyFileError, type PolicyFileOptions } from './policy-file.js';
export { POLICY_ACTIONS, type Policy, type PolicyAction, type PolicyConditions, type PolicyRule, type UnusualConfig } from './policy.js';
export { destinationsOf, policyInputOfEvm, policyInputOfSummary, policyInputOfUtxo, type PolicyInput } from './policy-input.js';
export { evaluatePolicy, withinHours, type PolicyContext, type PolicyDecision, type VelocityTotals } from './evaluate.js';
export { canonicalAddress, canonicalDestination, nativeDecimals } from './units.js';
export { detectUnusual, historyWindowMs, nearestRank, velocityTotals, type UnusualFacts, type UnusualFinding, type UnusualKind } from './unusual.js';
