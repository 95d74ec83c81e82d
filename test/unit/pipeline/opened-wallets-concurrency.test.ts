/**
 * The opened-wallet cache under concurrency, as the pipeline uses it (several transactions of one wallet
 * signed at once): one open per wallet however many callers miss together, and no secret left unwiped when
 * two opens of one wallet race.
 */
import { describe, expect, it } from 'vitest';
import { OpenedWalletCache, type OpenedWallet } from '../../../lib/pipeline/opened-wallets.js';

function key(byte: number): OpenedWallet & { kind: 'privateKey' } {
  return { kind: 'privateKey', privateKey: new Uint8Array(32).fill(byte) };
}

const wiped = (w: OpenedWallet) => w.kind === 'privateKey' && w.privateKey.every((b) => b === 0);

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('opened wallet cache, concurrent callers', () => {
  it('eight callers that miss together share one open (one Decrypt), and each sees the key', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 60_000 });
    const gate = deferred<OpenedWallet>();
    let opens = 0;
    const open = () => (opens++, gate.promise);
    const uses = Array.from({ length: 8 }, () => cache.use('w', 1, open, (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1)));
    gate.resolve(key(7));
    expect(await Promise.all(uses)).toEqual(Array(8).fill(7));
    expect(opens).toBe(1);
    expect(cache.opens).toBe(1);
  });

  it('a failed open fails its caller; the callers waiting on it open again themselves', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 60_000 });
    const first = deferred<OpenedWallet>();
    let calls = 0;
    const open = () => (++calls === 1 ? first.promise : Promise.resolve(key(3)));
    const a = cache.use('w', 1, open, () => 'a');
    const b = cache.use('w', 1, open, (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1));
    const c = cache.use('w', 1, open, (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1));
    first.reject(new Error('KMS throttled'));
    await expect(a).rejects.toThrow('KMS throttled');
    expect(await Promise.all([b, c])).toEqual([3, 3]);
    expect(calls).toBe(2); // the failed open, then one shared retry
  });

  it('two versions opened at once: the entry replaced is wiped, and clear() leaves no secret behind', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 60_000 });
    const slow = deferred<OpenedWallet>();
    const v1 = key(1);
    const v2 = key(2);
    const old = cache.use('w', 1, () => slow.promise, () => undefined);
    await cache.use('w', 2, async () => v2, () => undefined);
    slow.resolve(v1);
    await old;
    expect([wiped(v1), wiped(v2)].filter(Boolean)).toHaveLength(1); // exactly one stays cached
    cache.clear();
    expect(wiped(v1) && wiped(v2)).toBe(true);
  });

  it('a warm wallet is served without waiting for another wallet being opened', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 60_000 });
    await cache.use('warm', 1, async () => key(5), () => undefined);
    const gate = deferred<OpenedWallet>();
    const cold = cache.use('cold', 1, () => gate.promise, () => 'cold');
    expect(await cache.use('warm', 1, async () => key(6), (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1))).toBe(5);
    gate.resolve(key(9));
    expect(await cold).toBe('cold');
    expect(cache.opens).toBe(2);
  });
});
