/**
 * The recovery drill (verifyAll), the health report, backup/restore/verifyBackup and key rotation,
 * including the faults they exist to catch: a flipped byte in an envelope, a replaced xpub, a backup
 * that does not match the store, an old key after rotation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { generateRecipientKeyPair } from '../../../lib/custody/backup.js';
import type { KeyProvider } from '../../../lib/custody/key-provider.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';
import { SqliteWalletStore } from '../../../lib/store/sqlite-wallet-store.js';
import { parseBackupDocument, walletService } from '../../../lib/wallets/index.js';
import { sealRecord } from '../../../lib/wallets/sealing.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  mnemonic: string;
  derivation: Array<{ chain: string; xpub: string; privateKeys: string[] }>;
};
const dirs: string[] = [];
const bytes = (text: string) => new TextEncoder().encode(text);

function setup(provider: KeyProvider = new LocalKeyProvider(randomBytes(32))) {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-integrity-'));
  dirs.push(dir);
  const path = join(dir, 'w.db');
  const store = SqliteWalletStore.open(path);
  const events = new MemoryEventSink();
  const keys = { current: provider };
  const service = walletService({ store, keys: async () => keys.current, events, registry: defaultRegistry });
  return { path, store, events, keys, service };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Three wallets of every kind a store holds. */
async function populate(service: ReturnType<typeof setup>['service']) {
  const mnemonic = await service.storeMnemonicWallet(bytes(vectors.mnemonic), 'BTC', 'mainnet');
  const key = await service.storePrivateKeyWallet(bytes(vectors.derivation[1]!.privateKeys[0]!), 'ETH', 'mainnet');
  const fresh = await service.createMnemonicWallet('DOGE', 'testnet');
  return [mnemonic.signatureId, key.signatureId, fresh.signatureId];
}

function rawUpdate(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

function flipBase64(text: string, at: number): string {
  const raw = Buffer.from(text, 'base64');
  raw[at % raw.length]! ^= 0x01;
  return raw.toString('base64');
}

describe('verifyAll', () => {
  it('passes on a healthy store and names each tampered wallet, with one event each', async () => {
    const { path, store, events, service } = setup();
    const ids = await populate(service);
    expect(await service.verifyAll()).toEqual({ checked: 3, ok: 3, failures: [] });
    for (const field of ['ct', 'iv', 'tag', 'edk'] as const) {
      const record = (await store.get(ids[0]!))!;
      const tampered = { ...record.sealed, [field]: flipBase64(record.sealed[field], 5) };
      rawUpdate(path, 'UPDATE wallets SET sealed = ? WHERE signatureId = ?', JSON.stringify(tampered), ids[0]);
      const result = await service.verifyAll();
      expect(result.ok).toBe(2);
      expect(result.failures).toEqual([expect.objectContaining({ signatureId: ids[0], code: 'TAMPERED', problem: expect.stringContaining(ids[0]!) })]);
      rawUpdate(path, 'UPDATE wallets SET sealed = ? WHERE signatureId = ?', JSON.stringify(record.sealed), ids[0]);
    }
    expect(events.events.filter((e) => e.detailType === 'Integrity Check Failed')).toHaveLength(4);
    expect(await service.verifyAll()).toMatchObject({ ok: 3 });
  });

  it('catches an xpub replaced by another (publicHash updated too): neither reveal nor verify accept it', async () => {
    const { path, service } = setup();
    const ids = await populate(service);
    const attacker = vectors.derivation[1]!.xpub;
    rawUpdate(path, 'UPDATE wallets SET xpub = ?, publicHash = ? WHERE signatureId = ?', attacker, createHash('sha256').update(attacker).digest('hex'), ids[0]);
    await expect(service.revealWallet(ids[0]!)).rejects.toMatchObject({ code: 'TAMPERED' });
    const result = await service.verifyAll();
    expect(result.failures.map((f) => f.signatureId)).toEqual([ids[0]]);
  });

  it('an envelope copied onto another wallet does not open there', async () => {
    const { path, store, service } = setup();
    const ids = await populate(service);
    const donor = (await store.get(ids[2]!))!;
    rawUpdate(path, 'UPDATE wallets SET sealed = ? WHERE signatureId = ?', JSON.stringify(donor.sealed), ids[0]);
    expect((await service.verifyAll()).failures).toEqual([expect.objectContaining({ signatureId: ids[0], code: 'TAMPERED' })]);
  });

  it('names a wallet whose secret opens but derives another xpub than its record (sealed wrongly)', async () => {
    const { store, keys, service } = setup();
    const ids = await populate(service);
    const eth = vectors.derivation[1]!;
    const record = await sealRecord(
      { store, keys: async () => keys.current, events: new MemoryEventSink(), registry: defaultRegistry },
      keys.current,
      { signatureId: '99999999-9999-4999-8999-999999999999', chain: 'BTC', network: 'mainnet', testnet: false, kind: 'mnemonic', public: { xpub: eth.xpub } },
      bytes(vectors.mnemonic),
    );
    await store.put(record);
    const result = await service.verifyAll();
    expect(result.ok).toBe(ids.length);
    expect(result.failures).toEqual([
      expect.objectContaining({ signatureId: record.signatureId, code: 'INTEGRITY_CHECK_FAILED', problem: expect.stringContaining('derives another xpub') }),
    ]);
  });

  it('reports a corrupt record in the health report instead of failing it whole', async () => {
    const { path, service } = setup();
    const ids = await populate(service);
    rawUpdate(path, 'UPDATE wallets SET publicHash = ? WHERE signatureId = ?', '0'.repeat(64), ids[1]);
    const health = await service.report([ids[0]!, ids[1]!, '3fa85f64-5717-4562-b3fc-2c963f66afa6']);
    expect(health[0]).toMatchObject({ exists: true, kind: 'mnemonic', signable: true, warnings: [] });
    expect(health[1]).toMatchObject({ exists: true, warnings: [expect.stringContaining('publicHash')] });
    expect(health[2]).toMatchObject({ exists: false });
    expect((await service.verifyAll()).failures).toEqual([expect.objectContaining({ signatureId: ids[1], code: 'CORRUPT_RECORD' })]);
  });
});

describe('backup, restore and verifyBackup', () => {
  it('restores into an empty store under another key; verify passes; a second restore changes nothing', async () => {
    const source = setup();
    const ids = await populate(source.service);
    const pair = generateRecipientKeyPair();
    const document = await source.service.backup(pair.publicKeyPem);
    const text = JSON.stringify(document);
    expect(text).not.toContain(vectors.mnemonic.split(' ').slice(3, 6).join(' '));
    expect(text).not.toContain(vectors.derivation[1]!.privateKeys[0]!.slice(2));
    expect(source.events.events.filter((e) => e.detail.action === 'backup')).toHaveLength(3);
    const parsed = parseBackupDocument(text);

    const target = setup();
    const report = await target.service.restore(parsed, pair.privateKeyPem);
    expect(report).toMatchObject({ created: 3, failed: 0, written: true });
    expect(await target.service.verifyAll()).toMatchObject({ checked: 3, ok: 3 });
    for (const id of ids) expect(await target.service.revealWallet(id)).toEqual(await source.service.revealWallet(id));
    expect(await target.service.restore(parsed, pair.privateKeyPem)).toMatchObject({ created: 0, unchanged: 3, written: true });
    expect(await source.service.verifyBackup(parsed, pair.privateKeyPem)).toEqual({ checked: 3, ok: 3, failures: [] });
  });

  it('verifyBackup names wallets missing on either side; a wrong key or a swapped entry restores nothing', async () => {
    const { service } = setup();
    await populate(service);
    const pair = generateRecipientKeyPair();
    const document = parseBackupDocument(JSON.stringify(await service.backup(pair.publicKeyPem)));
    const added = await service.createMnemonicWallet('ETH', 'mainnet');
    const result = await service.verifyBackup(document, pair.privateKeyPem);
    expect(result.failures).toEqual([expect.objectContaining({ signatureId: added.signatureId, problem: expect.stringContaining('not in the backup') })]);

    const target = setup();
    const wrong = await target.service.restore(document, generateRecipientKeyPair().privateKeyPem);
    expect(wrong).toMatchObject({ written: false, failed: 3 });
    const [first, second] = document.wallets;
    const swapped = { ...document, wallets: [{ ...first!, secret: second!.secret }, ...document.wallets.slice(1)] };
    expect(await target.service.restore(swapped, pair.privateKeyPem)).toMatchObject({ written: false, failed: 1 });
    expect(await target.store.listIds()).toEqual([]);
  });

  it('rejects documents that are not backups with a one-line reason', () => {
    expect(() => parseBackupDocument('not json')).toThrow(/not JSON/);
    expect(() => parseBackupDocument('{"format":"sigil-backup","v":2,"createdAt":"2025-01-01T00:00:00Z","recipient":"' + '0'.repeat(64) + '","wallets":[]}')).toThrow(/v must be 1/);
    expect(() => parseBackupDocument('{"format":"sigil-backup","v":1,"createdAt":"2025-01-01T00:00:00Z","recipient":"' + '0'.repeat(64) + '","wallets":[],"extra":1}')).toThrow(/exactly the fields/);
  });
});

describe('rotate', () => {
  it('re-wraps every data key under the new key, leaves the sealed secrets untouched, and resumes', async () => {
    const { store, keys, service } = setup();
    const ids = await populate(service);
    const before = await store.list();
    const old = keys.current;
    const next = new LocalKeyProvider(randomBytes(32));
    expect(await service.rotate(next)).toEqual({ rewrapped: 3, skipped: 0 });
    const after = await store.list();
    for (const [i, record] of after.entries()) {
      expect(record.sealed).toMatchObject({ iv: before[i]!.sealed.iv, ct: before[i]!.sealed.ct, tag: before[i]!.sealed.tag, keyId: next.keyId });
      expect(record.sealed.edk).not.toBe(before[i]!.sealed.edk);
      expect(record.version).toBe(before[i]!.version + 1);
    }
    await expect(service.revealWallet(ids[0]!)).rejects.toMatchObject({ code: 'KEY_MISMATCH' });
    keys.current = next;
    expect(await service.verifyAll()).toMatchObject({ ok: 3 });
    expect(await service.rotate(next)).toEqual({ rewrapped: 0, skipped: 3 });
    expect(old.keyId).not.toBe(next.keyId);
  });
});
