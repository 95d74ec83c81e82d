/** The audit trail (docs/audit.md): entries, the trail, the MAC keys, the store port and verification. */
export * from './audit-entry.js';
export * from './audit-error.js';
export * from './audit-mac.js';
export * from './audit-store.js';
export { ChainedAuditTrail, checkAuditInput, lazyAuditTrail, NO_AUDIT, type AuditRecordInput, type AuditTrail, type ChainedAuditTrailOptions } from './audit-trail.js';
export * from './verify.js';
