/**
 * SqliteWalletActivity: the contract on one database file opened by several connections (as several
 * daemons would), then what only SQLite does: pruning of expired entries, refusing corrupt rows, sharing
 * the Sigil database with other components.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteDatabase, readComponentVersion } from '../../../lib/store/sqlite.js';
import { StoreError } from '../../../lib/store/store-error.js';
import { ACTIVITY_RETENTION_MS } from '../../../lib/store/wallet-activity.js';
import { SqliteWalletActivity } from '../../../lib/store/wallet-activity-sqlite.js';
import { describeWalletActivityContract } from '../../contract/wallet-activity.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sigil-activity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shared = join(dir, 'shared', 'sigil.db');

describeWalletActivityContract({ name: 'sqlite (one file, a connection per store)', create: () => SqliteWalletActivity.open(shared) });

const W = '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10';
const DAY = 86_400_000;
const T0 = 1_750_000_000_000;

describe('SqliteWalletActivity', () => {
  it('deletes entries older than the retention when the wallet records again; markers stay', async () => {
    const store = SqliteWalletActivity.open(join(dir, 'retention.db'));
    await store.record({ wallet: W, pendingId: 'a'.repeat(24), chain: 'BTC', at: T0, amount: '1', destinations: ['bc1qold'] });
    await store.record({ wallet: W, pendingId: 'b'.repeat(24), chain: 'BTC', at: T0 + ACTIVITY_RETENTION_MS, amount: '2', destinations: [] });
    expect((await store.since(W, 0)).map((e) => e.pendingId)).toEqual(['b'.repeat(24), 'a'.repeat(24)]);
    await store.record({ wallet: W, pendingId: 'c'.repeat(24), chain: 'BTC', at: T0 + ACTIVITY_RETENTION_MS + 1, amount: '3', destinations: ['bc1qold'] });
    expect((await store.since(W, 0)).map((e) => e.pendingId)).toEqual(['c'.repeat(24), 'b'.repeat(24)]);
    expect(await store.hasSentTo(W, 'bc1qold', { excludePendingId: 'c'.repeat(24) })).toBe(true);
    await store.close();
  });

  it('honours a shorter retention option', async () => {
    const store = SqliteWalletActivity.open(join(dir, 'short.db'), { retentionMs: DAY });
    await store.record({ wallet: W, pendingId: 'a'.repeat(24), chain: 'ETH', at: T0, amount: '1', destinations: [] });
    await store.record({ wallet: W, pendingId: 'b'.repeat(24), chain: 'ETH', at: T0 + DAY + 1, amount: '1', destinations: [] });
    expect((await store.since(W, 0)).map((e) => e.pendingId)).toEqual(['b'.repeat(24)]);
    await store.close();
  });

  it('refuses a corrupt row as CORRUPT_RECORD without echoing it', async () => {
    const path = join(dir, 'corrupt.db');
    const store = SqliteWalletActivity.open(path);
    await store.record({ wallet: W, pendingId: 'a'.repeat(24), chain: 'ETH', at: T0, amount: '1', destinations: ['0xabc'] });
    const raw = new Database(path);
    raw.prepare(`UPDATE activity_entry SET destinations = '["secret words here"]'`).run();
    raw.close();
    const error = await store.since(W, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('CORRUPT_RECORD');
    expect((error as StoreError).message).not.toContain('secret');
    await store.close();
  });

  it('shares a Sigil database with other components and leaves it open when it did not open it', async () => {
    const db = openSqliteDatabase(join(dir, 'together.db'));
    const store = new SqliteWalletActivity(db);
    expect(readComponentVersion(db, 'activity')).toBe(1);
    new SqliteWalletActivity(db); // migrating again is a no-op
    await store.record({ wallet: W, pendingId: 'a'.repeat(24), chain: 'ETH', at: T0, amount: '1', destinations: [] });
    await store.close();
    expect(db.open).toBe(true);
    db.close();
  });
});
