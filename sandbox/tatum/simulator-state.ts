/**
 * What the Tatum simulator knows and records, exposed to tests as `simulator.state` (the admin API):
 * pending KMS transactions (add with `addPending`; they are served as stored, so a test can add a
 * malformed one), and every broadcast, withdrawal broadcast, reported error, completion, deletion and
 * request, in arrival order.
 */
import { randomBytes } from 'node:crypto';
import { RpcGateway } from './rpc-gateway.js';

/** A KMS transaction as the simulator serves it: Tatum's fields, plus whatever a test put there. */
export type SimulatedTransaction = Record<string, unknown>;

export interface BroadcastRecord {
  /** The broadcast path segment, e.g. `bitcoin` for POST /v3/bitcoin/broadcast. */
  readonly path: string;
  readonly txData: string;
  readonly signatureId: string | null;
  readonly txId: string;
}

export interface WithdrawalBroadcastRecord {
  readonly currency: string;
  readonly txData: string;
  readonly withdrawalId: string;
  readonly signatureId: string | null;
  readonly txId: string;
}

export interface ReportedError {
  readonly signatureId: string;
  readonly error: string;
}

export interface RequestRecord {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly status: number | 'hang';
  readonly clientVersion: string | null;
  readonly contentType: string | null;
  readonly authenticated: boolean;
  /** Number of signature ids in a pending-list body. */
  readonly signatureIds?: number;
}

export type CompletionResult = 'completed' | 'already' | 'unknown' | 'conflict';

export class SimulatorState {
  /** Every KMS transaction by id, pending or completed (`txId` set). */
  readonly transactions = new Map<string, SimulatedTransaction>();
  readonly broadcasts: BroadcastRecord[] = [];
  readonly withdrawalBroadcasts: WithdrawalBroadcastRecord[] = [];
  readonly errorsReported: ReportedError[] = [];
  readonly completions: Array<{ readonly id: string; readonly txId: string }> = [];
  readonly deletions: Array<{ readonly id: string; readonly revert: boolean }> = [];
  readonly requests: RequestRecord[] = [];
  readonly rpc: RpcGateway;
  readonly stats = { tooManyRequests: 0, rateLimited: 0, hangs: 0, serverErrors: 0 };
  #rawCounter = 0;

  constructor(rpc: RpcGateway) {
    this.rpc = rpc;
  }

  /**
   * Add a KMS transaction; `id` defaults to a fresh 24-hex id, `hashes` to []. A copy is stored and
   * returned. An item whose `id` is not a string is stored under a private key (to test parsers).
   */
  addPending(tx: SimulatedTransaction & { readonly chain: unknown }): SimulatedTransaction {
    const stored: SimulatedTransaction = structuredClone({ hashes: [], ...tx });
    if (!('id' in stored)) stored.id = randomBytes(12).toString('hex');
    const key = typeof stored.id === 'string' ? stored.id : `raw-${++this.#rawCounter}`;
    this.transactions.set(key, stored);
    return stored;
  }

  /** Transactions not completed yet. */
  get pending(): SimulatedTransaction[] {
    return [...this.transactions.values()].filter((tx) => !tx.txId);
  }

  /** Pending transactions of `chain` naming any of `ids` in `hashes` or `signatures[].id`. */
  pendingFor(chain: string, ids: ReadonlySet<string>): SimulatedTransaction[] {
    return this.pending.filter((tx) => {
      if (tx.chain !== chain) return false;
      const hashes = Array.isArray(tx.hashes) ? tx.hashes : [];
      const signatures = Array.isArray(tx.signatures) ? tx.signatures : [];
      return (
        hashes.some((h) => typeof h === 'string' && ids.has(h)) ||
        signatures.some((s) => typeof s === 'object' && s !== null && typeof (s as { id?: unknown }).id === 'string' && ids.has((s as { id: string }).id))
      );
    });
  }

  /** Mark `id` completed with `txId`; the same txId again is accepted, another is a conflict. */
  complete(id: string, txId: string): CompletionResult {
    const tx = this.transactions.get(id);
    if (!tx) return 'unknown';
    if (tx.txId) return tx.txId === txId ? 'already' : 'conflict';
    tx.txId = txId;
    return 'completed';
  }
}
