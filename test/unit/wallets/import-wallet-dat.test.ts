/**
 * importWalletDat: entries of a decrypted Tatum wallet.dat under their own signatureIds, all or nothing,
 * idempotent, non-signable chains kept as foreign records.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';
import { decryptWalletDat, parseWalletDat, type WalletDatEntry } from '../../../lib/migration/tatum-wallet-dat.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import type { WalletStore } from '../../../lib/store/wallet-store.js';
import { walletService } from '../../../lib/wallets/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; xpub: string; addresses: string[]; privateKeys: string[] }>;
  walletDat: { password: string; file: string; entries: Record<string, { privateKey: string; chain: string; testnet: boolean }> };
};
const FIXTURE_ID = '11111111-1111-4111-8111-111111111111';
const dirs: string[] = [];

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-import-'));
  dirs.push(dir);
  const store = SqliteWalletStore.open(join(dir, 'w.db'));
  const provider = new LocalKeyProvider(randomBytes(32));
  const events = new MemoryEventSink();
  return { store, events, service: walletService({ store, keys: async () => provider, events, registry: defaultRegistry }) };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixtureEntries(): Map<string, WalletDatEntry> {
  const plaintext = decryptWalletDat(vectors.walletDat.file, new TextEncoder().encode(vectors.walletDat.password));
  return parseWalletDat(plaintext);
}

async function snapshot(store: WalletStore): Promise<string> {
  return JSON.stringify(await store.list());
}

describe('importWalletDat', () => {
  it('imports the fixture wallet.dat under its signatureId; the key and address come back', async () => {
    const { service, events } = setup();
    const report = await service.importWalletDat(fixtureEntries());
    expect(report).toMatchObject({ created: 1, unchanged: 0, failed: 0, written: true });
    expect(report.entries).toEqual([{ signatureId: FIXTURE_ID, chain: 'BTC', network: 'mainnet', kind: 'privateKey', signable: true, status: 'created' }]);
    expect(await service.revealWallet(FIXTURE_ID)).toEqual(vectors.walletDat.entries[FIXTURE_ID]);
    expect(await service.verifyAll()).toMatchObject({ checked: 1, ok: 1 });
    expect(events.events[0]).toMatchObject({ detailType: 'Wallet Created', detail: { signatureId: FIXTURE_ID, source: 'import-wallet-dat' } });
  });

  it('is idempotent: a second import changes nothing and reports unchanged', async () => {
    const { service, store, events } = setup();
    await service.importWalletDat(fixtureEntries());
    const before = await snapshot(store);
    const created = events.events.length;
    const again = await service.importWalletDat(fixtureEntries());
    expect(again).toMatchObject({ created: 0, unchanged: 1, failed: 0, written: true });
    expect(await snapshot(store)).toBe(before);
    expect(events.events.length).toBe(created);
  });

  it('refuses the same signatureId with other content and writes nothing of the batch', async () => {
    const { service, store } = setup();
    await service.importWalletDat(fixtureEntries());
    const before = await snapshot(store);
    const other: WalletDatEntry = { kind: 'privateKey', chain: 'BTC', testnet: false, privateKey: vectors.derivation[0]!.privateKeys[0]! };
    const fresh: WalletDatEntry = { kind: 'privateKey', chain: 'ETH', testnet: false, privateKey: vectors.derivation[1]!.privateKeys[0]! };
    const report = await service.importWalletDat(new Map([[FIXTURE_ID, other], ['22222222-2222-4222-8222-222222222222', fresh]]));
    expect(report).toMatchObject({ failed: 1, written: false, created: 0 });
    expect(report.entries.map((e) => e.status)).toEqual(['error', 'skipped']);
    expect(report.entries[0]!.problem).toContain('different content');
    expect(await snapshot(store)).toBe(before);
  });

  it('checks a mnemonic entry against its xpub; a mismatch fails the whole import', async () => {
    const { service, store } = setup();
    const [btc, eth] = vectors.derivation;
    const good: WalletDatEntry = { kind: 'mnemonic', chain: 'ETH', testnet: false, mnemonic: vectors.mnemonic, xpub: eth!.xpub };
    const swapped: WalletDatEntry = { kind: 'mnemonic', chain: 'BTC', testnet: false, mnemonic: vectors.mnemonic, xpub: eth!.xpub };
    const bad = await service.importWalletDat(new Map([['33333333-3333-4333-8333-333333333333', good], ['44444444-4444-4444-8444-444444444444', swapped]]));
    expect(bad.entries.map((e) => e.status)).toEqual(['skipped', 'error']);
    expect(bad.entries[1]!.problem).toMatch(/xpub is not the xpub of its mnemonic/);
    expect(bad.entries[1]!.problem).not.toContain('quantum');
    expect(await store.listIds()).toEqual([]);
    const ok = await service.importWalletDat(new Map([['33333333-3333-4333-8333-333333333333', good]]));
    expect(ok.created).toBe(1);
    expect(await service.addressAt('33333333-3333-4333-8333-333333333333', 1)).toEqual({ address: eth!.addresses[1] });
    expect(btc!.xpub).not.toBe(eth!.xpub);
  });

  it('keeps chains Sigil cannot sign as foreign records and gives the entry back as it was', async () => {
    const { service } = setup();
    const xrp: WalletDatEntry = { kind: 'secret', chain: 'XRP', testnet: false, address: 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe', secret: 'shSecretSeedNotReal000000000' };
    const sol: WalletDatEntry = { kind: 'privateKey', chain: 'SOL', testnet: true, privateKey: 'SoLKeyNotReal1111111111111111111' };
    const tron: WalletDatEntry = { kind: 'privateKey', chain: 'TRON', testnet: false, privateKey: vectors.derivation[1]!.privateKeys[0]!.slice(2) };
    const ids = ['55555555-5555-4555-8555-555555555555', '66666666-6666-4666-8666-666666666666', '77777777-7777-4777-8777-777777777777'];
    const report = await service.importWalletDat(new Map<string, WalletDatEntry>([[ids[0]!, xrp], [ids[1]!, sol], [ids[2]!, tron]]));
    expect(report.entries.map((e) => [e.kind, e.signable, e.status])).toEqual([
      ['foreign', false, 'created'],
      ['foreign', false, 'created'],
      ['privateKey', false, 'created'],
    ]);
    expect(await service.revealWallet(ids[0]!)).toEqual({ address: xrp.address, secret: xrp.secret, chain: 'XRP', testnet: false });
    expect(await service.privateKeyAt(ids[0]!, 0)).toEqual({ privateKey: xrp.secret });
    expect(await service.addressAt(ids[0]!, 0)).toEqual({ address: xrp.address });
    await expect(service.addressAt(ids[1]!, 0)).rejects.toMatchObject({ code: 'WRONG_WALLET_KIND' });
    expect(await service.revealWallet(ids[2]!)).toEqual({ privateKey: tron.privateKey, chain: 'TRON', testnet: false });
    expect(await service.verifyAll()).toMatchObject({ checked: 3, ok: 3 });
    const health = await service.report(ids);
    expect(health.map((h) => h.signable)).toEqual([false, false, false]);
    expect(health[0]!.warnings[0]).toMatch(/non-signable/);
  });

  it('compares secrets, not only public parts: a foreign entry with the same address and another secret conflicts', async () => {
    const { service, store } = setup();
    const id = '88888888-8888-4888-8888-888888888888';
    const entry: WalletDatEntry = { kind: 'secret', chain: 'XLM', testnet: false, address: 'GBEXAMPLEADDRESS', secret: 'SBEXAMPLESECRETONE' };
    await service.importWalletDat(new Map([[id, entry]]));
    const before = await snapshot(store);
    expect(await service.importWalletDat(new Map([[id, entry]]))).toMatchObject({ unchanged: 1, written: true });
    const other = await service.importWalletDat(new Map([[id, { ...entry, secret: 'SBEXAMPLESECRETTWO' }]]));
    expect(other).toMatchObject({ failed: 1, written: false });
    expect(await snapshot(store)).toBe(before);
  });

  it('refuses an upper-case or malformed signatureId instead of changing it', async () => {
    const { service, store } = setup();
    const entry = fixtureEntries().get(FIXTURE_ID)!;
    const report = await service.importWalletDat(new Map([['AAAAAAAA-1111-4111-8111-111111111111', entry]]));
    expect(report).toMatchObject({ failed: 1, written: false });
    expect(await store.listIds()).toEqual([]);
  });
});
