/**
 * Wallet events on the audit trail (lib/wallets/wallet-audit.ts): created, removed, and every path that
 * reveals a secret (getmanagedwallet, getprivatekey, export, backup) leaves one entry on the wallet's
 * stream; restores record their creations; no secret reaches any stored column; and a reveal whose entry
 * cannot be written reveals nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainedAuditTrail, LocalHmacAuditMac, verifyAuditTrail, type AuditTrail } from '../../../lib/audit/index.js';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { generateRecipientKeyPair } from '../../../lib/custody/backup.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';
import { SqliteAuditStore } from '../../../lib/store/audit-sqlite.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import { walletService } from '../../../lib/wallets/index.js';

const MNEMONIC = 'quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten';
const bytes = (text: string) => new TextEncoder().encode(text);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(audit?: (store: SqliteAuditStore, mac: LocalHmacAuditMac) => AuditTrail) {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-wallet-audit-'));
  dirs.push(dir);
  const path = join(dir, 'sigil.db');
  const store = SqliteWalletStore.open(path);
  const auditStore = SqliteAuditStore.open(path);
  const mac = new LocalHmacAuditMac(randomBytes(32));
  const provider = new LocalKeyProvider(randomBytes(32));
  const trail = audit ? audit(auditStore, mac) : new ChainedAuditTrail(auditStore, mac);
  const deps = { store, keys: async () => provider, events: new MemoryEventSink(), registry: defaultRegistry, audit: trail, actor: 'cli alice@host' };
  return { path, store, auditStore, mac, deps, service: walletService(deps) };
}

async function actionsOf(auditStore: SqliteAuditStore, signatureId: string) {
  return (await auditStore.entries(`wallet#${signatureId}`)).map((item) => ({ action: item.entry!.action }));
}

describe('wallet events on the audit trail', () => {
  it('create, reveal by every path, back up, remove: one entry each on the wallet stream, in order, chain intact', async () => {
    const { service, auditStore, mac } = setup();
    const { signatureId } = await service.storeMnemonicWallet(bytes(MNEMONIC), 'ETH', 'mainnet');
    const key = await service.storePrivateKeyWallet(bytes('0x' + '11'.repeat(32)), 'ETH', 'mainnet');
    await service.revealWallet(signatureId);
    await service.privateKeyAt(signatureId, 3);
    await service.addressAt(signatureId, 0);
    await service.exportAll();
    const recipient = generateRecipientKeyPair();
    await service.backup(recipient.publicKeyPem);
    await service.removeWallet(key.signatureId);
    const entries = (await auditStore.entries(`wallet#${signatureId}`)).map((item) => item.entry!);
    expect(entries.map((e) => e.action)).toEqual(['wallet.created', 'secret.revealed', 'secret.revealed', 'secret.revealed', 'secret.revealed']);
    for (const entry of entries) {
      expect(entry.actor).toBe('cli alice@host');
      expect(entry.detail).toMatchObject({ chain: 'ETH', network: 'mainnet', kind: 'mnemonic' });
    }
    expect(entries[0]!.detail.source).toBe('store');
    expect(entries[4]!.detail.recipient).toEqual(expect.any(String));
    const details = (await auditStore.entries(`wallet#${signatureId}`)).map((item) => item.entry!.detail);
    expect(details.map((d) => d.action ?? null)).toEqual([null, 'getmanagedwallet', 'getprivatekey', 'export', 'backup']);
    expect(details[2]).toMatchObject({ index: 3 });
    expect((await actionsOf(auditStore, key.signatureId)).map((e) => e.action)).toEqual(['wallet.created', 'secret.revealed', 'secret.revealed', 'wallet.removed']);
    expect(await verifyAuditTrail(auditStore, mac)).toMatchObject({ ok: true, streams: 2, entries: 9 });
  });

  it('no secret reaches any stored column of the audit table', async () => {
    const { service, path } = setup();
    const { signatureId } = await service.storeMnemonicWallet(bytes(MNEMONIC), 'BTC', 'mainnet');
    const { privateKey } = await service.privateKeyAt(signatureId, 0);
    const key = await service.storePrivateKeyWallet(bytes('0x' + '22'.repeat(32)), 'ETH', 'mainnet');
    await service.revealWallet(key.signatureId);
    await service.exportAll();
    const db = new Database(path, { readonly: true });
    const text = JSON.stringify(db.prepare('SELECT * FROM audit_entries').all());
    db.close();
    expect(text.length).toBeGreaterThan(500);
    for (const secret of [MNEMONIC.split(' ').slice(0, 3).join(' '), 'tobacco', privateKey, '22'.repeat(32), '2222222222']) expect(text).not.toContain(secret);
  });

  it('a reveal whose audit entry cannot be written reveals nothing (and sends no event)', async () => {
    let failing = false;
    const { service, deps } = setup((store, mac) => {
      const inner = new ChainedAuditTrail(store, mac);
      return { record: async (input) => (failing ? Promise.reject(new Error('audit store down')) : inner.record(input)) };
    });
    const { signatureId } = await service.storeMnemonicWallet(bytes(MNEMONIC), 'ETH', 'mainnet');
    failing = true;
    await expect(service.revealWallet(signatureId)).rejects.toThrow('audit store down');
    await expect(service.privateKeyAt(signatureId, 0)).rejects.toThrow('audit store down');
    await expect(service.exportAll()).rejects.toThrow('audit store down');
    expect(deps.events.events.map((e) => e.detailType)).toEqual(['Wallet Created']);
  });

  it('without an audit trail in the deps, every operation works as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigil-wallet-noaudit-'));
    dirs.push(dir);
    const provider = new LocalKeyProvider(randomBytes(32));
    const service = walletService({ store: SqliteWalletStore.open(join(dir, 'w.db')), keys: async () => provider, events: new MemoryEventSink(), registry: defaultRegistry });
    const { signatureId } = await service.storeMnemonicWallet(bytes(MNEMONIC), 'ETH', 'mainnet');
    await expect(service.revealWallet(signatureId)).resolves.toMatchObject({ chain: 'ETH' });
  });
});
