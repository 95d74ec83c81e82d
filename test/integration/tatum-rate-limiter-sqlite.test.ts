/**
 * The RateLimiter contract on SQLite, including acquirers in two child processes on the same file (the
 * "several daemons share one store" case), plus the SQLite specifics: the table is a migrated component
 * of the shared Sigil database, and a bucket survives reopening the file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRateLimiter } from '../../lib/store/rate-limit-sqlite.js';
import { openSqliteDatabase, readComponentVersion } from '../../lib/store/sqlite.js';
import { describeRateLimiterContract, type ExternalAcquirersSetup } from '../contract/rate-limiter.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sigil-ratelimit-'));
const path = join(dir, 'sigil.db');
const opened: SqliteRateLimiter[] = [];
const LIMITER_MODULE = pathToFileURL(resolve('lib/store/rate-limit-sqlite.ts')).href;

afterAll(() => {
  for (const limiter of opened) limiter.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One child process on the shared file: it loads, opens the limiter, prints "ready", then reads
 * {startAt, stopAt} from stdin, runs `acquirers` loops and prints their admission times as JSON.
 */
async function startChild(setup: ExternalAcquirersSetup): Promise<(startAt: number, stopAt: number) => Promise<number[]>> {
  const code = `
    import { createInterface } from 'node:readline';
    const { SqliteRateLimiter } = await import(${JSON.stringify(LIMITER_MODULE)});
    const setup = ${JSON.stringify(setup)};
    const limiter = SqliteRateLimiter.open(${JSON.stringify(path)}, { ratePerSecond: setup.ratePerSecond, burst: setup.burst });
    process.stdout.write('ready\\n');
    const lines = createInterface({ input: process.stdin });
    const { startAt, stopAt } = JSON.parse(await new Promise((r) => lines.once('line', r)));
    lines.close();
    const times = [];
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    await Promise.all(Array.from({ length: setup.acquirers }, async () => {
      while (Date.now() < stopAt) { await limiter.acquire(setup.key); times.push(Date.now()); }
    }));
    limiter.close();
    process.stdout.write(JSON.stringify(times));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: resolve('.'), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number[]>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`rate limiter child exited ${status}: ${err.slice(0, 2000)}`));
      else resolvePromise(JSON.parse(out.slice(out.indexOf('\n') + 1)) as number[]);
    });
  });
  await new Promise<void>((resolveReady, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolveReady();
    });
    exited.catch(reject);
  });
  return async (startAt, stopAt) => {
    child.stdin.end(`${JSON.stringify({ startAt, stopAt })}\n`);
    return exited;
  };
}

describeRateLimiterContract({
  name: 'sqlite (one file, several connections and processes)',
  create(options) {
    // Each limiter is its own connection to the file: sharing goes through SQLite, not through memory.
    const limiter = SqliteRateLimiter.open(path, options);
    opened.push(limiter);
    return limiter;
  },
  external: async (setup) => {
    const children = await Promise.all([startChild(setup), startChild(setup)]);
    return { run: (startAt, stopAt) => Promise.all(children.map((start) => start(startAt, stopAt))) };
  },
});

describe('SqliteRateLimiter on the shared Sigil database', () => {
  it('registers its table as the rate-limit component, and keeps buckets across reopening', async () => {
    const file = join(dir, 'reopen.db');
    const t = { now: 1_700_000_000_000, sleeps: [] as number[] };
    const options = { ratePerSecond: 10, burst: 1, clock: () => t.now, sleep: async (ms: number) => void t.sleeps.push(ms) };
    const first = SqliteRateLimiter.open(file, options);
    await first.acquire('bucket-a');
    first.close();
    const second = SqliteRateLimiter.open(file, options);
    await second.acquire('bucket-a');
    second.close();
    expect(t.sleeps).toEqual([100]);
    const db = openSqliteDatabase(file);
    expect(readComponentVersion(db, 'rate-limit')).toBe(1);
    expect(db.prepare('SELECT key FROM rate_limit_buckets').all()).toEqual([{ key: 'bucket-a' }]);
    db.close();
  });

  it('works on a database another component opened, without closing it', async () => {
    const db = openSqliteDatabase(join(dir, 'shared.db'));
    const limiter = new SqliteRateLimiter(db, { ratePerSecond: 100, burst: 5 });
    await limiter.acquire('bucket-b');
    limiter.close();
    expect(db.open).toBe(true);
    db.close();
  });
});
