/**
 * The trail's boundary and format: what record() refuses (never a secret in an entry), the hash and MAC
 * byte for byte against an independent computation, bounded retries, NO_AUDIT.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  ChainedAuditTrail,
  GENESIS_HASH,
  hashOfEntry,
  LocalHmacAuditMac,
  macMessageOf,
  NO_AUDIT,
  type AuditStore,
} from '../../../lib/audit/index.js';

function memoryStore(): AuditStore & { appended: number } {
  const rows = new Map<string, import('../../../lib/audit/index.js').AuditEntry>();
  const store = {
    appended: 0,
    async head(stream: string) {
      const seqs = [...rows.values()].filter((e) => e.stream === stream).map((e) => e.seq);
      if (seqs.length === 0) return undefined;
      const entry = rows.get(`${stream}/${Math.max(...seqs)}`)!;
      return { stream, seq: entry.seq, entry };
    },
    async append(entry: import('../../../lib/audit/index.js').AuditEntry) {
      const key = `${entry.stream}/${entry.seq}`;
      if (rows.has(key)) return false;
      rows.set(key, entry);
      store.appended++;
      return true;
    },
    entries: async () => [],
    streams: async () => ({ streams: [] }),
    recent: async () => [],
    close: async () => {},
  };
  return store;
}

const mac = new LocalHmacAuditMac(new Uint8Array(32).fill(1));
const fixed = () => new Date('2026-11-25T12:00:00.000Z');
const input = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ stream: { kind: 'wallet', id: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }, action: 'secret.revealed', actor: 'cli alice@host', detail, ...extra }) as never;

describe('record(): the boundary', () => {
  const trail = new ChainedAuditTrail(memoryStore(), mac, { clock: fixed });

  it.each([['mnemonic'], ['privateKey'], ['secret'], ['password'], ['seedPhrase'], ['dataKey'], ['plaintext']])('refuses a detail field named %s', async (field) => {
    await expect(trail.record(input({ [field]: 'x' }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
  });

  it('refuses a value shaped like a mnemonic, whatever its field is called, and never echoes it', async () => {
    const words = 'abandon '.repeat(11) + 'about';
    const error = (await trail.record(input({ note: words })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
    expect(error.message).not.toContain('abandon');
    expect(JSON.stringify((error as unknown as { context: unknown }).context)).not.toContain('abandon');
  });

  it.each([
    ['a nested object', { a: { b: 1 } }],
    ['an array', { a: [1] }],
    ['a fraction', { a: 1.5 }],
    ['an unsafe integer', { a: 2 ** 60 }],
    ['undefined', { a: undefined }],
    ['a long string', { a: 'x'.repeat(1025) }],
    ['a bad field name', { 'a b': 1 }],
  ])('refuses %s in a detail', async (_, detail) => {
    await expect(trail.record(input(detail))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
  });

  it('refuses an unknown action, stream kind or id, and a bad actor', async () => {
    await expect(trail.record(input({}, { action: 'wallet.exported' }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
    await expect(trail.record(input({}, { stream: { kind: 'user', id: 'a' } }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
    await expect(trail.record(input({}, { stream: { kind: 'tx', id: 'a#b' } }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
    await expect(trail.record(input({}, { actor: '' }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
    await expect(trail.record(input({}, { actor: 'a\nb' }))).rejects.toMatchObject({ code: 'INVALID_AUDIT_INPUT' });
  });

  it('takes every action of the catalogue', async () => {
    for (const action of AUDIT_ACTIONS) await expect(trail.record(input({ n: 1 }, { action }))).resolves.toMatchObject({ action });
  });
});

describe('the entry format, byte for byte', () => {
  it('hash = sha256 of the RFC 8785 JSON of {v, stream, seq, prevHash, at, action, actor, detail}; mac = HMAC over "sigil-audit-v1:" + hash', async () => {
    const entry = await new ChainedAuditTrail(memoryStore(), mac, { clock: fixed }).record(input({ z: 'last', a: 1, m: null, b: true }));
    const canonical =
      '{"action":"secret.revealed","actor":"cli alice@host","at":"2026-11-25T12:00:00.000Z","detail":{"a":1,"b":true,"m":null,"z":"last"},' +
      `"prevHash":"${'0'.repeat(64)}","seq":1,"stream":"wallet#3fa85f64-5717-4562-b3fc-2c963f66afa6","v":1}`;
    expect(entry.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(hashOfEntry(entry)).toBe(entry.hash);
    expect(entry.mac).toBe(createHmac('sha256', new Uint8Array(32).fill(1)).update(`sigil-audit-v1:${entry.hash}`).digest('hex'));
    expect(Buffer.from(macMessageOf(entry.hash)).toString()).toBe(`sigil-audit-v1:${entry.hash}`);
    expect(entry.prevHash).toBe(GENESIS_HASH);
    expect(entry.macKeyId).toBe(mac.keyId);
  });

  it('the local MAC key is derived from the key file with a label (never the file key itself)', async () => {
    const fileKey = new Uint8Array(32).fill(9);
    const derived = createHmac('sha256', fileKey).update('sigil-audit-mac-key-v1').digest();
    const viaDerived = new LocalHmacAuditMac(new Uint8Array(derived));
    const viaFileKey = new LocalHmacAuditMac(fileKey.slice());
    expect(viaDerived.keyId).not.toBe(viaFileKey.keyId);
  });
});

describe('appending', () => {
  it('links each entry to the one before, per stream', async () => {
    const trail = new ChainedAuditTrail(memoryStore(), mac, { clock: fixed });
    const a1 = await trail.record(input({ n: 1 }));
    const a2 = await trail.record(input({ n: 2 }));
    const b1 = await trail.record(input({ n: 3 }, { stream: { kind: 'tx', id: 'abc' } }));
    expect([a1.seq, a2.seq, b1.seq]).toEqual([1, 2, 1]);
    expect(a2.prevHash).toBe(a1.hash);
    expect(b1.prevHash).toBe(GENESIS_HASH);
  });

  it('gives up with CONFLICT after maxAttempts lost races, having written nothing', async () => {
    const store = memoryStore();
    store.append = async () => false;
    const trail = new ChainedAuditTrail(store, mac, { maxAttempts: 3 });
    await expect(trail.record(input({}))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('NO_AUDIT records nothing and answers a placeholder', async () => {
    expect(await NO_AUDIT.record(input({ n: 1 }))).toMatchObject({ seq: 0, macKeyId: 'none', action: 'secret.revealed' });
  });
});
