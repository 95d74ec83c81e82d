/**
 * The AuditStore contract (lib/audit/audit-store.ts), run against every adapter, together with the trail
 * and verification over it: create-only appends, reads in order, paging, the tail; concurrent appenders
 * on one stream making one unbroken chain; and tamper detection (edit, delete, reorder, an entry rewritten
 * with a recomputed hash but no valid MAC) with the harness's MAC key — the local key file on SQLite, a
 * KMS HMAC key on moto for DynamoDB.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChainedAuditTrail,
  GENESIS_HASH,
  hashOfEntry,
  LocalHmacAuditMac,
  macMessageOf,
  streamOf,
  verifyAuditTrail,
  type AuditEntry,
  type AuditMac,
  type AuditStore,
  type StoredAuditItem,
} from '../../lib/audit/index.js';
import { detailText } from '../../lib/audit/audit-entry.js';

/** Stored fields by their entry names (the harness maps them to columns or attributes). */
export type RawField = 'prevHash' | 'at' | 'day' | 'action' | 'actor' | 'detail' | 'hash' | 'mac' | 'macKeyId';

export interface AuditStoreHarness {
  readonly store: AuditStore;
  readonly mac: AuditMac;
  /** Another store over the same data (a second connection or client): concurrent writers. */
  other(): AuditStore;
  /** Overwrite stored fields of (stream, seq) behind the adapter's back (what an attacker with table access does). */
  rewrite(stream: string, seq: number, fields: Partial<Record<RawField, string>>): Promise<void>;
  remove(stream: string, seq: number): Promise<void>;
}

export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

export function clockFrom(start: number, stepMs = 1000): () => Date {
  let now = start;
  return () => new Date((now += stepMs));
}

export function rawOf(entry: AuditEntry): Record<RawField, string> {
  return {
    prevHash: entry.prevHash,
    at: entry.at,
    day: entry.at.slice(0, 10),
    action: entry.action,
    actor: entry.actor,
    detail: detailText(entry.detail),
    hash: entry.hash,
    mac: entry.mac,
    macKeyId: entry.macKeyId,
  };
}

const walletId = (): string => `0f${randomBytes(4).toString('hex')}-1111-4111-8111-${randomBytes(6).toString('hex')}`;
const txId = (): string => randomBytes(12).toString('hex');

function entriesOf(items: readonly StoredAuditItem[]): AuditEntry[] {
  return items.map((item) => {
    if (!item.entry) throw new Error(`entry ${item.stream} ${item.seq}: ${item.problem}`);
    return item.entry;
  });
}

export function auditStoreContract(name: string, makeHarness: () => Promise<AuditStoreHarness>): void {
  describe(`AuditStore contract: ${name}`, () => {
    let h: AuditStoreHarness;
    let trail: ChainedAuditTrail;
    const opened: AuditStore[] = [];

    beforeEach(async () => {
      h = await makeHarness();
      trail = new ChainedAuditTrail(h.store, h.mac, { clock: clockFrom(T0) });
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await h.store.close();
    });

    async function chain(n: number, id = txId()): Promise<{ stream: string; entries: AuditEntry[] }> {
      const entries: AuditEntry[] = [];
      for (let i = 0; i < n; i++) {
        entries.push(await trail.record({ stream: { kind: 'tx', id }, action: i === 0 ? 'tx.claimed' : 'tx.approved', actor: 'test-writer', detail: { step: i, chain: 'ETH' } }));
      }
      return { stream: streamOf('tx', id), entries };
    }

    it('an empty store: no head, no entries, no streams, no tail; verify is ok', async () => {
      expect(await h.store.head('tx#nothing')).toBeUndefined();
      expect(await h.store.entries('tx#nothing')).toEqual([]);
      expect(await h.store.streams()).toEqual({ streams: [] });
      expect(await h.store.recent(10)).toEqual([]);
      expect(await verifyAuditTrail(h.store, h.mac)).toEqual({ streams: 0, entries: 0, ok: true, brokenStreams: 0 });
    });

    it('appends are create-only on (stream, seq) and read back field for field', async () => {
      const { stream, entries } = await chain(3);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
      expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
      expect(entries[0]!.macKeyId).toBe(h.mac.keyId);
      expect(entriesOf(await h.store.entries(stream))).toEqual(entries);
      expect((await h.store.head(stream))?.entry).toEqual(entries[2]);
      const forged = { ...entries[1]!, actor: 'someone-else' };
      expect(await h.store.append(forged)).toBe(false);
      expect(entriesOf(await h.store.entries(stream))).toEqual(entries);
    });

    it('entries from a seq, with a limit', async () => {
      const { stream, entries } = await chain(5);
      expect(entriesOf(await h.store.entries(stream, { fromSeq: 3 }))).toEqual(entries.slice(2));
      expect(entriesOf(await h.store.entries(stream, { fromSeq: 2, limit: 2 }))).toEqual(entries.slice(1, 3));
    });

    it('streams are listed page by page, every stream once over all pages', async () => {
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push((await chain(2)).stream);
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await h.store.streams({ ...(cursor ? { cursor } : {}), limit: 2 });
        for (const stream of page.streams) seen.add(stream);
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 50);
      expect([...seen].sort()).toEqual(names.sort());
      expect(pages).toBeGreaterThan(1);
    });

    it('recent: the newest entries of all streams first', async () => {
      const a = await chain(2);
      const b = await chain(2);
      const recent = entriesOf(await h.store.recent(3));
      expect(recent).toEqual([b.entries[1], b.entries[0], a.entries[1]]);
    });

    it('a wallet stream and a tx stream never share a chain', async () => {
      const id = walletId();
      const w = await trail.record({ stream: { kind: 'wallet', id }, action: 'wallet.created', actor: 'cli a@b', detail: { chain: 'BTC' } });
      expect(w.stream).toBe(`wallet#${id}`);
      expect(w.seq).toBe(1);
      expect((await verifyAuditTrail(h.store, h.mac)).ok).toBe(true);
    });

    it('concurrent appenders on one stream (two connections) make one unbroken chain', async () => {
      const other = h.other();
      opened.push(other);
      const second = new ChainedAuditTrail(other, h.mac);
      const id = txId();
      const writes = Array.from({ length: 16 }, (_, i) =>
        (i % 2 === 0 ? trail : second).record({ stream: { kind: 'tx', id }, action: 'tx.policy', actor: `writer-${i % 2}`, detail: { n: i } }),
      );
      const written = await Promise.all(writes);
      expect(written.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      const stored = entriesOf(await h.store.entries(streamOf('tx', id)));
      expect(stored.map((e) => e.detail.n).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 16 }, (_, i) => i));
      expect(await verifyAuditTrail(h.store, h.mac)).toMatchObject({ ok: true, streams: 1, entries: 16 });
    });

    describe('tamper detection', () => {
      it('an edited entry: hash mismatch at that entry', async () => {
        const { stream } = await chain(4);
        await h.rewrite(stream, 2, { actor: 'mallory' });
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ stream, seq: 2, kind: 'hash' });
      });

      it('a deleted entry in the middle, and a deleted first entry', async () => {
        const a = await chain(4);
        await h.remove(a.stream, 3);
        const result = await verifyAuditTrail(h.store, h.mac, { stream: a.stream });
        expect(result).toMatchObject({ ok: false, entries: 2, firstBroken: { stream: a.stream, seq: 3, kind: 'missing' } });
        const b = await chain(3);
        await h.remove(b.stream, 1);
        expect((await verifyAuditTrail(h.store, h.mac, { stream: b.stream })).firstBroken).toMatchObject({ seq: 1, kind: 'missing' });
      });

      it('reordered entries: the first moved entry does not link', async () => {
        const { stream, entries } = await chain(4);
        await h.rewrite(stream, 2, rawOf(entries[2]!));
        await h.rewrite(stream, 3, rawOf(entries[1]!));
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ stream, seq: 2, kind: 'link' });
      });

      it('an entry rewritten with a recomputed hash but no valid MAC is named, even with the rest of the chain re-linked', async () => {
        const { stream, entries } = await chain(4);
        const edited = { ...entries[1]!, detail: { step: 1, chain: 'ETH', to: '0xattacker' } };
        const hash2 = hashOfEntry(edited);
        await h.rewrite(stream, 2, { detail: detailText(edited.detail), hash: hash2 });
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ stream, seq: 2, kind: 'mac' });
        // The forger re-links every later entry too (new prevHash, new hash), still without the key.
        let prev = hash2;
        for (const later of entries.slice(2)) {
          const hash = hashOfEntry({ ...later, prevHash: prev });
          await h.rewrite(stream, later.seq, { prevHash: prev, hash });
          prev = hash;
        }
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ stream, seq: 2, kind: 'mac' });
      });

      it("a forger's own MAC key: refused by key id, or by MAC when the id is copied", async () => {
        const { stream, entries } = await chain(2);
        const forger = new LocalHmacAuditMac(randomBytes(32));
        const edited = { ...entries[1]!, actor: 'forger' };
        const hash = hashOfEntry(edited);
        const mac = Buffer.from(await forger.generate(macMessageOf(hash))).toString('hex');
        await h.rewrite(stream, 2, { actor: 'forger', hash, mac, macKeyId: forger.keyId });
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ seq: 2, kind: 'key' });
        await h.rewrite(stream, 2, { macKeyId: h.mac.keyId });
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ seq: 2, kind: 'mac' });
      });

      it('a damaged entry is named as corrupt, and a damaged head stops appends to its stream only', async () => {
        const { stream } = await chain(2);
        await h.rewrite(stream, 2, { detail: '{"step": 1}' });
        expect((await verifyAuditTrail(h.store, h.mac)).firstBroken).toMatchObject({ seq: 2, kind: 'corrupt' });
        await expect(trail.record({ stream: { kind: 'tx', id: stream.slice(3) }, action: 'tx.signed', actor: 'w', detail: {} })).rejects.toMatchObject({ code: 'CORRUPT_HEAD' });
        const other = await chain(1);
        expect(other.entries[0]!.seq).toBe(1);
      });

      it('broken streams are counted; intact ones still verify', async () => {
        const good = await chain(3);
        const bad = await chain(3);
        await h.rewrite(bad.stream, 1, { at: '2020-01-01T00:00:00.000Z', day: '2020-01-01' });
        const result = await verifyAuditTrail(h.store, h.mac);
        expect(result).toMatchObject({ ok: false, streams: 2, brokenStreams: 1, firstBroken: { stream: bad.stream, seq: 1, kind: 'hash' } });
        expect(result.entries).toBe(3);
        expect((await verifyAuditTrail(h.store, h.mac, { stream: good.stream })).ok).toBe(true);
      });
    });
  });
}
