/**
 * The wallet service's create and read paths against the Tatum vectors (test/vectors/tatum-vectors.json, a copy of the shared fixture) and
 * an independent derivation (@scure/bip39 + @scure/bip32), over a real SQLite store and a local key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { computeAddress } from 'ethers';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';
import { InvalidInputError, InvalidMnemonicError, UnsupportedChainError } from '../../../lib/errors.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import { walletService, WalletError } from '../../../lib/wallets/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; testnet: boolean; xpub: string; addresses: string[]; privateKeys: string[] }>;
};
const dirs: string[] = [];
const bytes = (text: string) => new TextEncoder().encode(text);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-wallets-'));
  dirs.push(dir);
  const store = SqliteWalletStore.open(join(dir, 'w.db'));
  const provider = new LocalKeyProvider(randomBytes(32));
  const events = new MemoryEventSink();
  let keyCalls = 0;
  const deps = { store, keys: async () => (keyCalls++, provider), events, registry: defaultRegistry };
  return { store, provider, events, service: walletService(deps), keyCalls: () => keyCalls };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every event detail as text: what a log shipper would see. */
function eventText(events: MemoryEventSink): string {
  return JSON.stringify(events.events);
}

describe('mnemonic wallets', () => {
  for (const vector of vectors.derivation) {
    it(`stores the vector mnemonic on ${vector.chain} and derives Tatum's xpub, addresses and keys`, async () => {
      const { service, events } = setup();
      const { signatureId, xpub } = await service.storeMnemonicWallet(bytes(`  ${vectors.mnemonic.replace(/ /g, '  ')}\n`), vector.chain, 'mainnet');
      expect(xpub).toBe(vector.xpub);
      for (const [i, address] of vector.addresses.entries()) expect(await service.addressAt(signatureId, i)).toEqual({ address });
      for (const [i, privateKey] of vector.privateKeys.entries()) expect(await service.privateKeyAt(signatureId, i)).toEqual({ privateKey });
      const entry = await service.revealWallet(signatureId);
      expect(Object.keys(entry)).toEqual(['mnemonic', 'xpub', 'chain', 'testnet']);
      expect(entry).toEqual({ mnemonic: vectors.mnemonic, xpub: vector.xpub, chain: vector.chain, testnet: false });
      expect(events.events.map((e) => e.detailType)).toEqual(['Wallet Created', 'Secret Exported', 'Secret Exported', 'Secret Exported']);
      expect(eventText(events)).not.toContain(vectors.mnemonic.split(' ').slice(0, 3).join(' '));
      for (const key of vector.privateKeys) expect(eventText(events)).not.toContain(key);
    });
  }

  it('generates a 24-word mnemonic whose xpub an independent BIP32 implementation agrees with', async () => {
    const { service } = setup();
    const { signatureId, xpub } = await service.createMnemonicWallet('BTC', 'testnet');
    expect(signatureId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { mnemonic, testnet } = (await service.revealWallet(signatureId)) as { mnemonic: string; testnet: boolean };
    expect(testnet).toBe(true);
    expect(mnemonic.split(' ')).toHaveLength(24);
    expect(validateMnemonic(mnemonic, wordlist)).toBe(true);
    const account = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic), { public: 0x043587cf, private: 0x04358394 }).derive("m/44'/1'/0'/0");
    expect(xpub).toBe(account.publicExtendedKey);
  });

  it('refuses a bad checksum, an unknown chain and an unknown network before asking for a key', async () => {
    const { service, store, keyCalls } = setup();
    const words = vectors.mnemonic.split(' ');
    [words[0], words[1]] = [words[1]!, words[0]!];
    await expect(service.storeMnemonicWallet(bytes(words.join(' ')), 'ETH', 'mainnet')).rejects.toMatchObject({ reason: 'checksum' });
    await expect(service.storeMnemonicWallet(bytes(words.join(' ')), 'ETH', 'mainnet')).rejects.toBeInstanceOf(InvalidMnemonicError);
    await expect(service.createMnemonicWallet('FOO', 'mainnet')).rejects.toBeInstanceOf(UnsupportedChainError);
    await expect(service.createMnemonicWallet('BTC', 'regtest')).rejects.toBeInstanceOf(UnsupportedChainError);
    expect(keyCalls()).toBe(0);
    expect(await store.listIds()).toEqual([]);
  });
});

describe('private-key wallets', () => {
  it('stores a WIF and an 0x key; the address comes from the key, the index is ignored', async () => {
    const { service, store } = setup();
    const [btc, eth] = vectors.derivation;
    const btcId = (await service.storePrivateKeyWallet(bytes(`${btc!.privateKeys[0]}\n`), 'BTC', 'mainnet')).signatureId;
    const ethId = (await service.storePrivateKeyWallet(bytes(eth!.privateKeys[1]!), 'ETH', 'mainnet')).signatureId;
    expect(await service.addressAt(btcId, 7)).toEqual({ address: btc!.addresses[0] });
    expect(await service.privateKeyAt(btcId, 5)).toEqual({ privateKey: btc!.privateKeys[0] });
    expect(await service.addressAt(ethId, 0)).toEqual({ address: eth!.addresses[1] });
    expect(await service.revealWallet(ethId)).toEqual({ privateKey: eth!.privateKeys[1], chain: 'ETH', testnet: false });
    const record = await store.get(btcId);
    expect(record).toMatchObject({ kind: 'privateKey', address: btc!.addresses[0] });
    expect(record?.xpub).toBeUndefined();
  });

  it('refuses a mainnet WIF for a testnet wallet without echoing the key', async () => {
    const { service, store } = setup();
    const wif = vectors.derivation[0]!.privateKeys[0]!;
    const error = await service.storePrivateKeyWallet(bytes(wif), 'BTC', 'testnet').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(JSON.stringify({ m: (error as Error).message, c: (error as InvalidInputError).context })).not.toContain(wif.slice(4, 20));
    expect(await store.listIds()).toEqual([]);
  });

  it('generates a batch of distinct valid keys, each reported as stored', async () => {
    const { service, events } = setup();
    const seen: number[] = [];
    const results = await service.generatePrivateKeyBatch('ETH', 'mainnet', 5, (_, done) => seen.push(done));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(results.map((r) => r.signatureId)).size).toBe(5);
    expect(new Set(results.map((r) => r.address)).size).toBe(5);
    for (const { signatureId, address } of results) {
      const { privateKey } = await service.privateKeyAt(signatureId, 0);
      expect(computeAddress(privateKey).toLowerCase()).toBe(address);
    }
    expect(events.events.filter((e) => e.detailType === 'Wallet Created')).toHaveLength(5);
    await expect(service.generatePrivateKeyBatch('ETH', 'mainnet', 0)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('lookup, export and removal', () => {
  it('rejects a malformed signatureId without echoing it, and an unknown one by name', async () => {
    const { service } = setup();
    const pasted = vectors.mnemonic;
    const error = await service.revealWallet(pasted).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).not.toContain('quantum');
    const unknown = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    await expect(service.addressAt(unknown, 0)).rejects.toMatchObject({ code: 'UNKNOWN_WALLET', message: expect.stringContaining(unknown) });
  });

  it('exports every entry by signatureId and audits each; getaddress reveals nothing and emits nothing', async () => {
    const { service, events } = setup();
    const a = await service.storeMnemonicWallet(bytes(vectors.mnemonic), 'ETH', 'mainnet');
    const b = await service.storePrivateKeyWallet(bytes(vectors.derivation[0]!.privateKeys[1]!), 'BTC', 'mainnet');
    await service.addressAt(a.signatureId, 3);
    const before = events.events.length;
    const all = await service.exportAll();
    expect(Object.keys(all)).toEqual([a.signatureId, b.signatureId].sort());
    expect(all[a.signatureId]).toEqual(await service.revealWallet(a.signatureId));
    const exported = events.events.slice(before).filter((e) => e.detail.action === 'export');
    expect(exported.map((e) => e.detail.signatureId).sort()).toEqual([a.signatureId, b.signatureId].sort());
    expect(events.events.filter((e) => e.detailType === 'Secret Exported' && e.detail.action === 'getaddress')).toHaveLength(0);
  });

  it('removes a wallet once, with a Wallet Removed event', async () => {
    const { service, events, store } = setup();
    const { signatureId } = await service.createMnemonicWallet('LTC', 'mainnet');
    await service.removeWallet(signatureId);
    expect(await store.get(signatureId)).toBeUndefined();
    expect(events.events.at(-1)).toMatchObject({ detailType: 'Wallet Removed', detail: { signatureId, chain: 'LTC' } });
    await expect(service.removeWallet(signatureId)).rejects.toBeInstanceOf(WalletError);
  });
});
