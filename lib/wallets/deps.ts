/**
 * What the wallet operations run on, injected by the entry point (the CLI now, a Lambda later): no
 * process.env, no console, no clock or randomness that a test cannot control.
 */
import { randomUUID } from 'node:crypto';
import type { ChainRegistry } from '../chains/registry.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { KeyProvider } from '../custody/key-provider.js';
import type { EventSink } from '../events/event-sink.js';
import type { WalletStore } from '../store/wallet-store.js';

export interface WalletDeps {
  readonly store: WalletStore;
  /**
   * The key provider that seals new secrets and opens stored ones. Called only by operations that touch a
   * secret, so a read-only command never prompts for a password or calls KMS; the entry point memoizes it.
   */
  readonly keys: () => Promise<KeyProvider>;
  readonly events: EventSink;
  readonly registry: ChainRegistry;
  readonly clock?: () => Date;
  /** New signatureIds (UUID v4, lower case, as Tatum KMS issues them). */
  readonly newId?: () => string;
  /**
   * The audit trail (docs/audit.md): wallet.created, wallet.removed and secret.revealed are recorded on the
   * wallet's stream before the event is sent and before a secret is returned — if the entry cannot be
   * written, nothing is revealed. Absent: nothing is recorded (callers that predate the trail).
   */
  readonly audit?: AuditTrail;
  /** Who acts, for the audit trail: 'cli user@host', 'sigil-prod-create-wallet'. Default 'sigil'. */
  readonly actor?: string;
}

/** Progress of a long operation: `done` of `total` items handled so far. */
export type ProgressListener = (done: number, total: number) => void;

export function nowIso(deps: WalletDeps): string {
  return (deps.clock?.() ?? new Date()).toISOString();
}

export function newSignatureId(deps: WalletDeps): string {
  return deps.newId?.() ?? randomUUID();
}

const SIGNATURE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether `value` is a signatureId as the store keeps them (lower-case UUID). */
export function isSignatureId(value: string): boolean {
  return SIGNATURE_ID.test(value);
}
