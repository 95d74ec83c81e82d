import { describe, expect, it } from 'vitest';
import type { AccountNode } from '../../../lib/keys/hd.js';
import { OpenedWalletCache, type OpenedWallet } from '../../../lib/pipeline/opened-wallets.js';

function fakeKey(byte: number): OpenedWallet {
  return { kind: 'privateKey', privateKey: new Uint8Array(32).fill(byte) };
}

function fakeAccount(): { wallet: OpenedWallet; wiped: () => boolean } {
  let wiped = false;
  const account: AccountNode = { xpub: 'x', childPrivateKey: () => new Uint8Array(32), childPublicKey: () => new Uint8Array(33), wipe: () => void (wiped = true) };
  return { wallet: { kind: 'mnemonic', account }, wiped: () => wiped };
}

describe('opened wallet cache', () => {
  it('opens a wallet once while it is fresh and at the same version', async () => {
    let clock = 0;
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 1000, now: () => clock });
    let opens = 0;
    const open = async () => (opens++, fakeKey(7));
    for (let i = 0; i < 5; i++) expect(await cache.use('w', 1, open, (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1))).toBe(7);
    expect(opens).toBe(1);
    clock = 1001;
    await cache.use('w', 1, open, () => undefined);
    expect(opens).toBe(2);
    expect(cache.opens).toBe(2);
  });

  it('reopens and wipes the old secret when the record version changes', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 10, maxAgeMs: 60_000 });
    const first = fakeKey(1);
    await cache.use('w', 1, async () => first, () => undefined);
    await cache.use('w', 2, async () => fakeKey(2), () => undefined);
    expect(first.kind === 'privateKey' && first.privateKey.every((b) => b === 0)).toBe(true);
  });

  it('evicts the least recently used beyond maxEntries and wipes it', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 2, maxAgeMs: 60_000 });
    const a = fakeAccount();
    await cache.use('a', 1, async () => a.wallet, () => undefined);
    await cache.use('b', 1, async () => fakeKey(2), () => undefined);
    await cache.use('a', 1, async () => fakeAccount().wallet, () => undefined); // touch a: b is now LRU
    await cache.use('c', 1, async () => fakeKey(3), () => undefined);
    expect(cache.size).toBe(2);
    expect(a.wiped()).toBe(false);
    let reopenedB = false;
    await cache.use('b', 1, async () => ((reopenedB = true), fakeKey(2)), () => undefined);
    expect(reopenedB).toBe(true);
  });

  it('with maxEntries 0 opens, uses and wipes every time', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 0, maxAgeMs: 60_000 });
    const key = fakeKey(9);
    const seen = await cache.use('w', 1, async () => key, (w) => (w.kind === 'privateKey' ? w.privateKey[0] : -1));
    expect(seen).toBe(9);
    expect(key.kind === 'privateKey' && key.privateKey.every((b) => b === 0)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('clear() wipes every cached secret', async () => {
    const cache = new OpenedWalletCache({ maxEntries: 5, maxAgeMs: 60_000 });
    const a = fakeAccount();
    const k = fakeKey(5);
    await cache.use('a', 1, async () => a.wallet, () => undefined);
    await cache.use('k', 1, async () => k, () => undefined);
    cache.clear();
    expect(a.wiped()).toBe(true);
    expect(k.kind === 'privateKey' && k.privateKey.every((b) => b === 0)).toBe(true);
    expect(cache.size).toBe(0);
  });
});
