/**
 * `verify` (daily schedule; private VPC; kms:Decrypt like sign): the recovery drill of lib/wallets
 * (`verifyAll`: open every secret, re-derive its xpub or address, compare, emit "Integrity Check Failed" for
 * each mismatch) over this stage's wallets, in signatureId order, one slice at a time.
 *
 * Resuming: after each slice the last signatureId done is written to a checkpoint, and a run stops with
 * STOP_MARGIN_MS to spare before the 15-minute cap; the next run starts after the checkpoint. When a run
 * reaches the end of the list the cycle is complete and the next run starts a new one from the beginning.
 * So a store of any size is drilled completely, over as many runs as it takes (thousands of wallets take
 * one run: a wallet costs one KMS Decrypt and one PBKDF2).
 *
 * The checkpoint is ONE item of the ledger table, `pk = checkpoint#verify#<network>` (kind `checkpoint`: the
 * ledger's scans and its attention index see only tx items). Not in the wallet table: every item there
 * must be a wallet record (listIds and list read them all). The verify role may touch no other ledger item
 * (IAM dynamodb:LeadingKeys). Writes are conditional on the revision read, so two overlapping runs (the
 * schedule and a manual invoke) cannot move the checkpoint backwards: the later one stops.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SigilError } from '../lib/errors.js';
import type { Envelope } from '../lib/custody/envelope-types.js';
import type { WalletFilter, WalletRecord, WalletStore } from '../lib/store/wallet-store.js';
import { verifyAll, type IntegrityFailure } from '../lib/wallets/health.js';
import { walletContainer } from './create-wallet.js';

/** Wallets per slice: a checkpoint write every few seconds of work. */
export const SLICE_SIZE = 50;
/** Stop when less than this is left of the invocation: a slice takes seconds, never a minute. */
export const STOP_MARGIN_MS = 60_000;

export interface DrillCheckpoint {
  /** The last signatureId verified in this cycle ('' = none yet). */
  readonly after: string;
  readonly cycle: number;
  readonly cycleStartedAt: string;
  readonly checked: number;
  readonly failures: number;
  readonly revision: number;
}

/** The drill's checkpoint item in the ledger table (see the file header). */
export class DrillCheckpoints {
  readonly #key: { pk: { S: string } };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    network: string,
  ) {
    this.#key = { pk: { S: `checkpoint#verify#${network}` } };
  }

  async read(): Promise<DrillCheckpoint | undefined> {
    const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: this.#key, ConsistentRead: true }));
    if (!item) return undefined;
    const number = (name: string) => Number(item[name]?.N ?? Number.NaN);
    const checkpoint = {
      after: item.after?.S ?? '',
      cycle: number('cycle'),
      cycleStartedAt: item.cycleStartedAt?.S ?? '',
      checked: number('checked'),
      failures: number('failures'),
      revision: number('revision'),
    };
    if (item.kind?.S !== 'checkpoint' || ![checkpoint.cycle, checkpoint.checked, checkpoint.failures, checkpoint.revision].every(Number.isSafeInteger)) {
      throw new SigilError('CORRUPT_RECORD', `the verify checkpoint in ${this.table} is malformed; delete item ${this.#key.pk.S} to start a new cycle`, { table: this.table });
    }
    return checkpoint;
  }

  /** Writes `next` (revision bumped) if the item is still at `previous`; false if another run moved it. */
  async write(next: Omit<DrillCheckpoint, 'revision'>, previous: DrillCheckpoint | undefined, now: Date): Promise<DrillCheckpoint | undefined> {
    const revision = (previous?.revision ?? 0) + 1;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.#key,
            kind: { S: 'checkpoint' },
            schema: { N: '1' },
            ...(next.after ? { after: { S: next.after } } : {}),
            cycle: { N: String(next.cycle) },
            cycleStartedAt: { S: next.cycleStartedAt },
            checked: { N: String(next.checked) },
            failures: { N: String(next.failures) },
            revision: { N: String(revision) },
            updatedAt: { S: now.toISOString() },
          },
          ...(previous
            ? { ConditionExpression: 'revision = :revision', ExpressionAttributeValues: { ':revision': { N: String(previous.revision) } } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return { ...next, revision };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

/** verifyAll sees only `ids` (listIds) and reads records through `store`; it needs nothing else. */
class DrillSlice implements WalletStore {
  constructor(
    private readonly store: WalletStore,
    private readonly ids: readonly string[],
  ) {}
  async listIds(_filter?: WalletFilter): Promise<string[]> {
    return [...this.ids];
  }
  get(signatureId: string): Promise<WalletRecord | undefined> {
    return this.store.get(signatureId);
  }
  put(): Promise<'created' | 'unchanged'> {
    return refuse('put');
  }
  putMany(): Promise<Array<'created' | 'unchanged'>> {
    return refuse('putMany');
  }
  list(): Promise<WalletRecord[]> {
    return refuse('list');
  }
  remove(): Promise<boolean> {
    return refuse('remove');
  }
  replaceSealed(_id: string, _version: number, _sealed: Envelope): Promise<WalletRecord> {
    return refuse('replaceSealed');
  }
  async close(): Promise<void> {}
}

function refuse(operation: string): never {
  throw new SigilError('INTERNAL', `the verify drill's store view does not ${operation}`);
}

export interface DrillSummary {
  readonly network: string;
  readonly cycle: number;
  /** The signatureId this run started after ('' = the start of the cycle). */
  readonly resumedAfter: string;
  readonly checked: number;
  readonly ok: number;
  readonly failures: ReadonlyArray<Pick<IntegrityFailure, 'signatureId' | 'code'>>;
  /** Wallets of this cycle left for the next run. */
  readonly remaining: number;
  readonly cycleComplete: boolean;
  /** Another run moved the checkpoint while this one worked; this one stopped. */
  readonly superseded: boolean;
}

interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export async function handler(_event: unknown, context: LambdaContext): Promise<DrillSummary> {
  const container = walletContainer();
  try {
    return await drill(container, context);
  } finally {
    await container.metrics.flush().catch(() => undefined);
  }
}

async function drill({ config, deps, dynamo }: ReturnType<typeof walletContainer>, context: LambdaContext): Promise<DrillSummary> {
  const clock = deps.clock ?? (() => new Date());
  const checkpoints = new DrillCheckpoints(dynamo, config.ledgerTable, config.network);
  const start = await checkpoints.read();
  let point: DrillCheckpoint | undefined = start;
  let progress: Omit<DrillCheckpoint, 'revision'> = start ?? { after: '', cycle: 1, cycleStartedAt: clock().toISOString(), checked: 0, failures: 0 };
  const ids = (await deps.store.listIds({ network: config.network })).filter((id) => id > progress.after);
  const failures: IntegrityFailure[] = [];
  let checked = 0;
  let superseded = false;
  while (checked < ids.length && context.getRemainingTimeInMillis() > STOP_MARGIN_MS) {
    const slice = ids.slice(checked, checked + SLICE_SIZE);
    const result = await verifyAll({ ...deps, store: new DrillSlice(deps.store, slice) });
    checked += result.checked;
    failures.push(...result.failures);
    progress = { ...progress, after: slice[slice.length - 1]!, checked: progress.checked + result.checked, failures: progress.failures + result.failures.length };
    point = await checkpoints.write(progress, point, clock());
    if (!point) {
      superseded = true;
      break;
    }
  }
  const cycleComplete = !superseded && checked === ids.length;
  if (cycleComplete) {
    const next = { after: '', cycle: progress.cycle + 1, cycleStartedAt: clock().toISOString(), checked: 0, failures: 0 };
    superseded = (await checkpoints.write(next, point, clock())) === undefined;
  }
  const summary: DrillSummary = {
    network: config.network,
    cycle: progress.cycle,
    resumedAfter: start?.after ?? '',
    checked,
    ok: checked - failures.length,
    failures: failures.map(({ signatureId, code }) => ({ signatureId, code })),
    remaining: ids.length - checked,
    cycleComplete: cycleComplete && !superseded,
    superseded,
  };
  console.log(`verify: ${JSON.stringify({ ...summary, failures: summary.failures.length })}`);
  return summary;
}
