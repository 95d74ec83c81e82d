/**
 * The audit trail (issue 7 §6, docs/audit.md): append-only, one hash chain per stream — per wallet
 * (`wallet#<signatureId>`) and per pending tx (`tx#<pendingId>`) — so writers never contend on one global
 * head, each entry carrying the hash of the one before and a MAC from the audit key.
 *
 * Appending (ChainedAuditTrail.record):
 *   1. read the stream's head (consistent read), next seq = head.seq + 1 (1 for a new stream),
 *      prevHash = head.hash (64 zeros for seq 1);
 *   2. hash the entry, MAC the hash;
 *   3. create-only write of (stream, seq). Another writer who took that seq first makes the write answer
 *      false: re-read the head and go again (bounded, with jittered backoff). Both entries end up in the
 *      chain, one after the other; nothing is ever overwritten.
 *
 * Inputs are checked here, at the boundary: a detail never holds a secret — fields named like secrets are
 * refused (lib/events/catalogue.ts assertNoSecretShape), and so is a value shaped like a mnemonic.
 */
import { assertNoSecretShape } from '../events/catalogue.js';
import { AuditError } from './audit-error.js';
import {
  ACTOR,
  AUDIT_ACTIONS,
  detailShapeProblem,
  GENESIS_HASH,
  hashOfEntry,
  macMessageOf,
  STREAM_ID,
  streamOf,
  type AuditAction,
  type AuditDetail,
  type AuditEntry,
  type AuditStreamKind,
} from './audit-entry.js';
import type { AuditMac } from './audit-mac.js';
import type { AuditStore } from './audit-store.js';

export { AUDIT_ACTIONS, type AuditAction, type AuditDetail, type AuditEntry, type AuditStreamKind } from './audit-entry.js';

export interface AuditRecordInput {
  /** A wallet's signatureId, or a pending transaction's id. */
  readonly stream: { readonly kind: AuditStreamKind; readonly id: string };
  readonly action: AuditAction;
  /** Who or which function: 'sigil-prod-sign', 'daemon host:pid', 'cli user@host'. */
  readonly actor: string;
  /** Ids, chains, amounts, hashes, reasons — never a secret. */
  readonly detail: AuditDetail;
}

export interface AuditTrail {
  record(input: AuditRecordInput): Promise<AuditEntry>;
}

/** For callers that opt out explicitly (tests, tools): records nothing, returns a placeholder entry. */
export const NO_AUDIT: AuditTrail = {
  async record(input: AuditRecordInput): Promise<AuditEntry> {
    return {
      stream: streamOf(input.stream.kind, input.stream.id),
      seq: 0,
      prevHash: GENESIS_HASH,
      at: new Date(0).toISOString(),
      action: input.action,
      actor: input.actor,
      detail: input.detail,
      hash: GENESIS_HASH,
      mac: GENESIS_HASH,
      macKeyId: 'none',
    };
  },
};

/** Twelve or more lower-case words: a mnemonic, whatever the field is called. */
const MNEMONIC_SHAPE = /^\s*[a-z]+(?:\s+[a-z]+){11,}\s*$/;

function invalid(message: string, context: Record<string, unknown> = {}): AuditError {
  return new AuditError('INVALID_AUDIT_INPUT', message, context);
}

/** Check a record() input; returns the stream name. Messages name fields, never their values. */
export function checkAuditInput(input: AuditRecordInput): string {
  const { kind, id } = input.stream ?? ({} as AuditRecordInput['stream']);
  if (kind !== 'wallet' && kind !== 'tx') throw invalid(`audit stream kind must be wallet or tx, got ${String(kind).slice(0, 20)}`);
  if (typeof id !== 'string' || !STREAM_ID.test(id)) throw invalid(`audit stream id must match ${STREAM_ID}`, { kind });
  if (!(AUDIT_ACTIONS as readonly string[]).includes(input.action)) throw invalid(`audit action must be one of ${AUDIT_ACTIONS.join(', ')}`, { kind, id });
  if (typeof input.actor !== 'string' || !ACTOR.test(input.actor)) throw invalid('audit actor must be 1-256 printable ASCII characters', { kind, id });
  const problem = detailShapeProblem(input.detail);
  if (problem) throw invalid(`audit ${input.action}: ${problem}`, { kind, id });
  try {
    assertNoSecretShape(input.detail);
  } catch (error) {
    throw invalid(`audit ${input.action}: ${error instanceof Error ? error.message.replace('event detail', 'detail') : 'a detail field looks like a secret'}`, { kind, id });
  }
  for (const [key, value] of Object.entries(input.detail)) {
    if (typeof value === 'string' && MNEMONIC_SHAPE.test(value)) throw invalid(`audit ${input.action}: detail field "${key}" holds a value shaped like a mnemonic and is refused`, { kind, id });
  }
  return streamOf(kind, id);
}

export interface ChainedAuditTrailOptions {
  readonly clock?: () => Date;
  /** Appends tried before CONFLICT (default 16). */
  readonly maxAttempts?: number;
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(100, 2 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ChainedAuditTrail implements AuditTrail {
  readonly #store: AuditStore;
  readonly #mac: AuditMac;
  readonly #clock: () => Date;
  readonly #maxAttempts: number;

  constructor(store: AuditStore, mac: AuditMac, options: ChainedAuditTrailOptions = {}) {
    this.#store = store;
    this.#mac = mac;
    this.#clock = options.clock ?? (() => new Date());
    this.#maxAttempts = options.maxAttempts ?? 16;
  }

  async record(input: AuditRecordInput): Promise<AuditEntry> {
    const stream = checkAuditInput(input);
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const head = await this.#store.head(stream);
      if (head && !head.entry) {
        throw new AuditError('CORRUPT_HEAD', `audit stream ${stream}: its last entry (seq ${head.seq}) is damaged (${head.problem}); run \`sigil audit verify\``, { stream, seq: head.seq });
      }
      const fields = {
        stream,
        seq: head ? head.seq + 1 : 1,
        prevHash: head?.entry.hash ?? GENESIS_HASH,
        at: this.#clock().toISOString(),
        action: input.action,
        actor: input.actor,
        detail: { ...input.detail },
      };
      const hash = hashOfEntry(fields);
      const mac = toHex(await this.#mac.generate(macMessageOf(hash)));
      const entry: AuditEntry = { ...fields, hash, mac, macKeyId: this.#mac.keyId };
      if (await this.#store.append(entry)) return entry;
      await backoff(attempt);
    }
    throw new AuditError('CONFLICT', `audit stream ${stream}: lost the race for the next entry ${this.#maxAttempts} times in a row; nothing was written`, { stream });
  }
}

/** A trail that opens its store and key on first use (read-only commands never create either). */
export function lazyAuditTrail(open: () => Promise<AuditTrail>): AuditTrail {
  let opened: Promise<AuditTrail> | undefined;
  return {
    async record(input) {
      opened ??= open();
      return (await opened).record(input);
    },
  };
}
