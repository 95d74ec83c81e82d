/**
 * The WalletStore contract (lib/store/wallet-store.ts): one suite that every adapter runs. Records are
 * built by the fixture helpers below: well-formed, with fake envelopes (random bytes of the right
 * lengths) unless a test asks for a real AES-256-GCM seal of a known secret.
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import bs58check from 'bs58check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.js';
import type { Envelope } from '../../lib/custody/envelope-types.js';
import { publicHashOf } from '../../lib/store/record-codec.js';
import { StoreError, WalletConflictError } from '../../lib/store/store-error.js';
import { WALLET_SCHEMA_VERSION, type WalletKind, type WalletRecord, type WalletStore } from '../../lib/store/wallet-store.js';

export type Damage = 'bad-json' | 'newer-schema';

export interface WalletStoreHarness {
  readonly store: WalletStore;
  /** Damage the stored record of `signatureId` behind the adapter's back (raw client / raw SQL). */
  damage(signatureId: string, damage: Damage): Promise<void>;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A random account xpub (depth 3, compressed public key) in base58check. */
export function randomXpub(): string {
  const bytes = Buffer.concat([Buffer.from('0488b21e03', 'hex'), randomBytes(8), randomBytes(32), Buffer.from([0x02 + (randomBytes(1)[0]! & 1)]), randomBytes(32)]);
  return bs58check.encode(bytes);
}

/** Random bytes of the lengths a real envelope has (an AWS KMS data key blob is 184 bytes). */
export function fakeEnvelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    alg: 'AES-256-GCM',
    provider: 'aws-kms',
    keyId: 'arn:aws:kms:us-east-1:111122223333:key/0f0e0d0c-0b0a-4908-8706-050403020100',
    edk: b64(randomBytes(184)),
    iv: b64(randomBytes(12)),
    ct: b64(randomBytes(80)),
    tag: b64(randomBytes(16)),
    ...overrides,
  };
}

/** A real AES-256-GCM seal of `secret` under a throw-away key: the stored bytes are what real ones look like. */
export function sealForTest(secret: Uint8Array): Envelope {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
  const envelope = fakeEnvelope({ provider: 'local', keyId: 'local:test', edk: b64(randomBytes(60)), iv: b64(iv), ct: b64(ct), tag: b64(cipher.getAuthTag()) });
  key.fill(0);
  return envelope;
}

export interface RecordOptions {
  readonly kind?: WalletKind;
  readonly chain?: string;
  readonly network?: string;
  readonly testnet?: boolean;
  readonly address?: string;
  readonly sealed?: Envelope;
  readonly signatureId?: string;
}

export function makeWalletRecord(options: RecordOptions = {}): WalletRecord {
  const kind = options.kind ?? 'mnemonic';
  const chain = options.chain ?? (kind === 'mnemonic' ? 'BTC' : kind === 'privateKey' ? 'ETH' : 'XRP');
  const network = options.network ?? 'mainnet';
  const testnet = options.testnet ?? network === 'testnet';
  const publicValue =
    kind === 'mnemonic'
      ? randomXpub()
      : (options.address ?? (kind === 'privateKey' ? `0x${randomBytes(20).toString('hex')}` : `r${bs58check.encode(randomBytes(20)).slice(0, 30)}`));
  const publicField = kind === 'mnemonic' ? { xpub: publicValue } : { address: publicValue };
  return {
    schema: WALLET_SCHEMA_VERSION,
    signatureId: options.signatureId ?? randomUUID(),
    chain,
    network,
    testnet,
    kind,
    ...publicField,
    publicHash: publicHashOf(publicValue),
    sealed: options.sealed ?? fakeEnvelope(),
    createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, Math.floor(Math.random() * 1000))).toISOString(),
    version: 1,
  };
}

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected StoreError ${code}`).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

export function walletStoreContract(name: string, makeStore: () => Promise<WalletStoreHarness>, cleanup?: (harness: WalletStoreHarness) => Promise<void>): void {
  describe(`WalletStore contract: ${name}`, () => {
    let harness: WalletStoreHarness;
    let store: WalletStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.(harness);
    });

    it('stores and reads back every kind of record field for field', async () => {
      const records = [makeWalletRecord(), makeWalletRecord({ kind: 'privateKey' }), makeWalletRecord({ kind: 'foreign', chain: 'SOL', network: 'testnet' })];
      for (const record of records) expect(await store.put(record)).toBe('created');
      for (const record of records) expect(await store.get(record.signatureId)).toStrictEqual(record);
    });

    it('get of an unknown signatureId is undefined', async () => {
      expect(await store.get(randomUUID())).toBeUndefined();
    });

    it('put of identical content (an equal copy) is unchanged', async () => {
      const record = makeWalletRecord();
      expect(await store.put(record)).toBe('created');
      expect(await store.put(structuredClone(record))).toBe('unchanged');
      expect(await store.list()).toStrictEqual([record]);
    });

    it('put of different content under an existing id is a conflict and leaves the original intact', async () => {
      const original = makeWalletRecord();
      await store.put(original);
      for (const other of [{ ...original, sealed: fakeEnvelope() }, { ...original, version: 2 }, { ...original, createdAt: '2020-01-01T00:00:00.000Z' }]) {
        const error = await expectStoreError(store.put(other), 'CONFLICT');
        expect(error).toBeInstanceOf(WalletConflictError);
        expect(error.context.signatureId).toBe(original.signatureId);
      }
      expect(await store.get(original.signatureId)).toStrictEqual(original);
    });

    it('concurrent puts of one id: exactly one is created, the others conflict', async () => {
      const signatureId = randomUUID();
      const contenders = Array.from({ length: 5 }, () => makeWalletRecord({ signatureId }));
      const outcomes = await Promise.allSettled(contenders.map((record) => store.put(record)));
      const created = outcomes.filter((o) => o.status === 'fulfilled');
      expect(created).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as StoreError).code).toBe('CONFLICT');
      const winner = contenders[outcomes.findIndex((o) => o.status === 'fulfilled')]!;
      expect(await store.get(signatureId)).toStrictEqual(winner);
    });

    it('refuses to store a malformed record, and stores nothing', async () => {
      const record = makeWalletRecord();
      const bad = { ...record, publicHash: '0'.repeat(64) };
      await expect(store.put(bad)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.putMany([makeWalletRecord(), bad])).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.listIds()).toStrictEqual([]);
    });

    it('putMany reports created/unchanged per position, collapses repeats, and a retry completes as unchanged', async () => {
      const existing = makeWalletRecord();
      await store.put(existing);
      const a = makeWalletRecord({ kind: 'privateKey' });
      const b = makeWalletRecord();
      expect(await store.putMany([a, existing, b, structuredClone(a)])).toStrictEqual(['created', 'unchanged', 'created', 'unchanged']);
      expect(await store.putMany([a, existing, b])).toStrictEqual(['unchanged', 'unchanged', 'unchanged']);
      expect(await store.putMany([])).toStrictEqual([]);
      expect(await store.list()).toStrictEqual([existing, a, b].sort((x, y) => (x.signatureId < y.signatureId ? -1 : 1)));
    });

    it('putMany is all or nothing: one conflicting record writes nothing', async () => {
      const existing = makeWalletRecord();
      await store.put(existing);
      const fresh = [makeWalletRecord(), makeWalletRecord({ kind: 'privateKey' })];
      await expectStoreError(store.putMany([fresh[0]!, { ...existing, sealed: fakeEnvelope() }, fresh[1]!]), 'CONFLICT');
      expect(await store.listIds()).toStrictEqual([existing.signatureId]);
      expect(await store.get(existing.signatureId)).toStrictEqual(existing);

      const twin = makeWalletRecord();
      await expectStoreError(store.putMany([fresh[0]!, twin, { ...twin, sealed: fakeEnvelope() }]), 'CONFLICT');
      expect(await store.listIds()).toStrictEqual([existing.signatureId]);
    });

    it('listIds filters by chain, by network, by both, or not at all, in signatureId order', async () => {
      const records = [
        makeWalletRecord({ chain: 'BTC', network: 'mainnet' }),
        makeWalletRecord({ chain: 'BTC', network: 'testnet' }),
        makeWalletRecord({ chain: 'BTC', network: 'regtest', testnet: true }),
        makeWalletRecord({ kind: 'privateKey', chain: 'ETH', network: 'mainnet' }),
        makeWalletRecord({ kind: 'privateKey', chain: 'ETH', network: 'testnet' }),
        makeWalletRecord({ kind: 'foreign', chain: 'XRP', network: 'mainnet' }),
      ];
      await store.putMany(records);
      const ids = (pick: (r: WalletRecord) => boolean) => records.filter(pick).map((r) => r.signatureId).sort();
      expect(await store.listIds()).toStrictEqual(ids(() => true));
      expect(await store.listIds({})).toStrictEqual(ids(() => true));
      expect(await store.listIds({ chain: 'BTC' })).toStrictEqual(ids((r) => r.chain === 'BTC'));
      expect(await store.listIds({ network: 'testnet' })).toStrictEqual(ids((r) => r.network === 'testnet'));
      expect(await store.listIds({ network: 'mainnet' })).toStrictEqual(ids((r) => r.network === 'mainnet'));
      expect(await store.listIds({ chain: 'ETH', network: 'mainnet' })).toStrictEqual(ids((r) => r.chain === 'ETH' && r.network === 'mainnet'));
      expect(await store.listIds({ chain: 'BTC', network: 'regtest' })).toStrictEqual(ids((r) => r.network === 'regtest'));
      expect(await store.listIds({ chain: 'LTC' })).toStrictEqual([]);
      expect(await store.listIds({ chain: 'ETH', network: 'regtest' })).toStrictEqual([]);
    });

    it('list returns every record in signatureId order', async () => {
      const records = Array.from({ length: 12 }, (_, i) => makeWalletRecord({ kind: i % 3 === 0 ? 'privateKey' : 'mnemonic', chain: i % 3 === 0 ? 'ETH' : 'LTC' }));
      await store.putMany(records);
      const listed = await store.list();
      expect(listed.map((r) => r.signatureId)).toStrictEqual(records.map((r) => r.signatureId).sort());
      expect(listed).toStrictEqual([...records].sort((x, y) => (x.signatureId < y.signatureId ? -1 : 1)));
    });

    it('remove is true for an existing record, then false', async () => {
      const keep = makeWalletRecord();
      const gone = makeWalletRecord();
      await store.putMany([keep, gone]);
      expect(await store.remove(gone.signatureId)).toBe(true);
      expect(await store.remove(gone.signatureId)).toBe(false);
      expect(await store.remove(randomUUID())).toBe(false);
      expect(await store.get(gone.signatureId)).toBeUndefined();
      expect(await store.listIds()).toStrictEqual([keep.signatureId]);
    });

    it('replaceSealed swaps the envelope and bumps the version; a stale version changes nothing', async () => {
      const record = makeWalletRecord();
      await store.put(record);
      const rotated = fakeEnvelope({ keyId: 'arn:aws:kms:us-east-1:111122223333:key/new' });
      const next = await store.replaceSealed(record.signatureId, 1, rotated);
      expect(next).toStrictEqual({ ...record, sealed: rotated, version: 2 });
      expect(await store.get(record.signatureId)).toStrictEqual(next);

      const error = await expectStoreError(store.replaceSealed(record.signatureId, 1, fakeEnvelope()), 'VERSION_MISMATCH');
      expect(error.context).toMatchObject({ signatureId: record.signatureId, expectedVersion: 1 });
      expect(await store.get(record.signatureId)).toStrictEqual(next);

      expect(await store.replaceSealed(record.signatureId, 2, record.sealed)).toStrictEqual({ ...record, version: 3 });
      await expectStoreError(store.replaceSealed(randomUUID(), 1, fakeEnvelope()), 'NOT_FOUND');
      await expect(store.replaceSealed(record.signatureId, 3, { ...fakeEnvelope(), iv: 'AAAA' })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.replaceSealed(record.signatureId, 0, fakeEnvelope())).rejects.toBeInstanceOf(InvalidInputError);
      expect((await store.get(record.signatureId))?.version).toBe(3);
    });

    it('a damaged stored record is CORRUPT_RECORD on every read, not a crash; the others stay readable', async () => {
      const healthy = makeWalletRecord();
      const damaged = makeWalletRecord();
      await store.putMany([healthy, damaged]);
      await harness.damage(damaged.signatureId, 'bad-json');
      await expectStoreError(store.get(damaged.signatureId), 'CORRUPT_RECORD');
      await expectStoreError(store.list(), 'CORRUPT_RECORD');
      await expectStoreError(store.put(damaged), 'CORRUPT_RECORD');
      await expectStoreError(store.replaceSealed(damaged.signatureId, 1, fakeEnvelope()), 'CORRUPT_RECORD');
      expect(await store.get(healthy.signatureId)).toStrictEqual(healthy);
      expect(await store.listIds()).toStrictEqual([healthy.signatureId, damaged.signatureId].sort());
      expect(await store.remove(damaged.signatureId)).toBe(true);
    });

    it('a record written by a newer schema is refused with an upgrade message', async () => {
      const record = makeWalletRecord();
      await store.put(record);
      await harness.damage(record.signatureId, 'newer-schema');
      const error = await expectStoreError(store.get(record.signatureId), 'UNSUPPORTED_SCHEMA');
      expect(error.message).toMatch(/newer.*upgrade/);
    });
  });
}
