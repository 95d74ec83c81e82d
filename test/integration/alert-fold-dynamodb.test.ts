/**
 * The DynamoDB FoldStore on moto, in a ledger table made by createLedgerTable: the FoldStore contract, then
 * two alert handlers (separate clients, as two Lambda containers) admitting one storm concurrently — exactly
 * one message, every repeat counted once, redeliveries of the same event ids counted never — and the
 * ledger's own scans never seeing an alert item.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertFolder } from '../../lib/alerts/fold.js';
import { DynamoDbFoldStore } from '../../lib/alerts/fold-dynamodb.js';
import { DynamoDbLedger } from '../../lib/store/ledger-dynamodb.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { failedAlert, foldStoreContract, uniqueChain } from '../unit/alerts/fold-store.contract.js';

const table = uniqueName('sigil-alert-fold');
const clients: DynamoDBClient[] = [];
const client = () => {
  const c = new DynamoDBClient(awsClientConfig());
  clients.push(c);
  return c;
};

describe.skipIf(!awsEndpoint)('DynamoDbFoldStore on moto', () => {
  beforeAll(async () => {
    await createLedgerTable(client(), table);
  }, 60_000);

  afterAll(async () => {
    await clients[0]!.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    for (const c of clients) c.destroy();
  });

  foldStoreContract({ name: 'DynamoDB', create: (clock) => new DynamoDbFoldStore(client(), table, clock), parallel: false });

  /** A store whose commit waits for `gate`: handler A decides, then handler B runs to the end, then A writes. */
  class GatedStore extends DynamoDbFoldStore {
    gate: Promise<void> = Promise.resolve();
    reachedCommit: () => void = () => {};
    override async commit(...args: Parameters<DynamoDbFoldStore['commit']>) {
      this.reachedCommit();
      await this.gate;
      return super.commit(...args);
    }
  }

  async function interleave(runA: (a: AlertFolder) => Promise<unknown>, runB: (b: AlertFolder) => Promise<unknown>) {
    let now = Date.now();
    const clock = () => now;
    const gated = new GatedStore(client(), table, clock);
    let release!: () => void;
    gated.gate = new Promise((resolve) => (release = resolve));
    const atCommit = new Promise<void>((resolve) => (gated.reachedCommit = resolve));
    const a = new AlertFolder(gated, { windowMs: 60_000, clock });
    const b = new AlertFolder(new DynamoDbFoldStore(client(), table, clock), { windowMs: 60_000, clock });
    const first = runA(a);
    await atCommit; // A has read the window and decided; it now waits to write
    gated.reachedCommit = () => {};
    const second = await runB(b);
    release();
    return { a: await first, b: second, folder: b, advance: (ms: number) => (now += ms) };
  }

  it('two handlers, one storm: the one that decided on a stale window re-reads it and folds', async () => {
    const chain = uniqueChain();
    const { a, b, folder, advance } = await interleave(
      (h) => h.admit(randomUUID(), failedAlert(undefined, chain)),
      (h) => h.admit(randomUUID(), failedAlert(undefined, chain)),
    );
    expect(b).toMatchObject({ decision: 'send', duplicate: false });
    expect(a).toMatchObject({ decision: 'fold', duplicate: false });
    advance(61_000);
    expect(await folder.admit(randomUUID(), failedAlert(undefined, chain))).toMatchObject({ decision: 'send', carried: { count: 1 } });
  });

  it('two handlers, one event delivered to both: counted once, both get the same decision', async () => {
    const chain = uniqueChain();
    const event = randomUUID();
    const { a, b } = await interleave(
      (h) => h.admit(event, failedAlert(undefined, chain)),
      (h) => h.admit(event, failedAlert(undefined, chain)),
    );
    expect(b).toMatchObject({ decision: 'send', duplicate: false });
    expect(a).toMatchObject({ decision: 'send', duplicate: true });
  });

  it('a storm of 30 events, each delivered twice by two handlers in turn: one send, 29 folds, no double count', async () => {
    let now = Date.now();
    const clock = () => now;
    const handlers = [0, 1].map(() => new AlertFolder(new DynamoDbFoldStore(client(), table, clock), { windowMs: 60_000, clock }));
    const chain = uniqueChain();
    const decisions = [];
    for (let i = 0; i < 30; i++) {
      const id = randomUUID();
      const first = await handlers[i % 2]!.admit(id, failedAlert(undefined, chain));
      const again = await handlers[(i + 1) % 2]!.admit(id, failedAlert(undefined, chain));
      expect(again).toMatchObject({ decision: first.decision, duplicate: true });
      decisions.push(first.decision);
    }
    expect(decisions.filter((d) => d === 'send')).toHaveLength(1);
    now += 61_000;
    expect(await handlers[0]!.admit(randomUUID(), failedAlert(undefined, chain))).toMatchObject({ decision: 'send', carried: { count: 29 } });
  }, 60_000);

  it('the ledger never lists an alert item', async () => {
    const ledger = new DynamoDbLedger(client(), table);
    const page = await ledger.list({ limit: 1000 });
    expect(page.records).toEqual([]);
  });
});
