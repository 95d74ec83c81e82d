import { randomBytes } from 'node:crypto';
import bs58check from 'bs58check';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainRegistry } from '../../../lib/chains/registry.js';
import { parseWalletRecord, publicHashOf, walletRecordsEqual } from '../../../lib/store/record-codec.js';
import { StoreError } from '../../../lib/store/store-error.js';
import type { WalletRecord } from '../../../lib/store/wallet-store.js';
import { fakeEnvelope, makeWalletRecord } from '../../contract/wallet-store.contract.js';

/** A value that must never appear in an error: it stands for a secret found where a record should be. */
const SECRET = 'abandon ability able about above absent absorb abstract absurd abuse access accident';

function errorOf(value: unknown, options?: Parameters<typeof parseWalletRecord>[1]): StoreError {
  try {
    parseWalletRecord(value, options);
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected parseWalletRecord to throw');
}

function expectCorrupt(value: unknown, field?: string): StoreError {
  const error = errorOf(value);
  expect(error.code).toBe('CORRUPT_RECORD');
  if (field) expect(error.context.field).toBe(field);
  expect(error.message).not.toContain('\n');
  return error;
}

const base = makeWalletRecord();
const withFields = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...base, ...patch });
const withSealed = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...base, sealed: { ...base.sealed, ...patch } });
const without = (field: string, from: Record<string, unknown> = { ...base }): Record<string, unknown> => {
  const copy = { ...from };
  delete copy[field];
  return copy;
};
const b64 = (n: number): string => randomBytes(n).toString('base64');

describe('parseWalletRecord: valid records', () => {
  it('returns a fresh object with exactly the record fields, for every kind', () => {
    for (const record of [base, makeWalletRecord({ kind: 'privateKey', network: 'testnet' }), makeWalletRecord({ kind: 'foreign', chain: 'ALGO' }), makeWalletRecord({ network: 'regtest', testnet: false })]) {
      const parsed = parseWalletRecord(JSON.parse(JSON.stringify(record)));
      expect(parsed).toStrictEqual(record);
      expect(parsed).not.toBe(record);
    }
  });

  it('accepts a chain of an injected registry that the default one lacks', () => {
    const registry = new ChainRegistry({ extraEvmChains: [{ code: 'FTM', broadcastPath: 'fantom', chainIds: { mainnet: 250n, testnet: 4002n } }] });
    const record = makeWalletRecord({ kind: 'privateKey', chain: 'FTM' });
    expectCorrupt(record, 'chain');
    expect(parseWalletRecord(record, { registry })).toStrictEqual(record);
  });
});

describe('parseWalletRecord: refusals', () => {
  it('refuses what is not a plain object', () => {
    for (const value of [null, undefined, 1, 'record', [], [base], new Date(), new (class Record {})()]) expectCorrupt(value);
  });

  it.each(['schema', 'signatureId', 'chain', 'network', 'testnet', 'kind', 'xpub', 'publicHash', 'sealed', 'createdAt', 'version'])('refuses a record without %s', (field) => {
    expectCorrupt(without(field));
  });

  it('refuses unknown fields without echoing their values, even a plaintext secret', () => {
    const error = expectCorrupt(withFields({ mnemonic: SECRET }), 'record');
    expect(error.message).toContain('mnemonic');
    expect(JSON.stringify([error.message, error.context])).not.toContain('abandon');
    expect(expectCorrupt(withFields({ [SECRET]: 1 })).message).not.toContain('abandon');
    expect(expectCorrupt(withSealed({ plaintext: SECRET }), 'sealed').message).not.toContain('abandon');
  });

  it.each([
    ['signatureId', withFields({ signatureId: base.signatureId.toUpperCase() })],
    ['signatureId', withFields({ signatureId: '00000000-0000-0000-0000-000000000000' })],
    ['signatureId', withFields({ signatureId: SECRET })],
    ['chain', withFields({ chain: 'btc' })],
    ['chain', withFields({ chain: 'NOPE' })],
    ['chain', withFields({ chain: SECRET })],
    ['network', withFields({ network: 'Mainnet' })],
    ['network', withFields({ network: '' })],
    ['testnet', withFields({ testnet: 'false' })],
    ['testnet', withFields({ testnet: true })],
    ['testnet', makeWalletRecord({ network: 'testnet', testnet: false })],
    ['kind', withFields({ kind: 'xpub' })],
    ['address', withFields({ address: '0xabc' })],
    ['xpub', { ...makeWalletRecord({ kind: 'privateKey' }), xpub: base.xpub }],
    ['address', without('address', { ...makeWalletRecord({ kind: 'privateKey' }) })],
    ['address', { ...makeWalletRecord({ kind: 'foreign' }), address: 'has space' }],
    ['xpub', withFields({ xpub: `${base.xpub!.slice(0, -1)}${base.xpub!.endsWith('1') ? '2' : '1'}` })],
    ['publicHash', withFields({ publicHash: base.publicHash.toUpperCase() })],
    ['publicHash', withFields({ publicHash: publicHashOf('someone else') })],
    ['sealed', withFields({ sealed: JSON.stringify(base.sealed) })],
    ['sealed.v', withSealed({ v: 0 })],
    ['sealed.alg', withSealed({ alg: 'AES-128-GCM' })],
    ['sealed.provider', withSealed({ provider: 'gcp-kms' })],
    ['sealed.keyId', withSealed({ keyId: '' })],
    ['sealed.edk', withSealed({ edk: '' })],
    ['sealed.edk', withSealed({ edk: 'not base64!' })],
    ['sealed.iv', withSealed({ iv: b64(16) })],
    ['sealed.iv', withSealed({ iv: 'AAAAAAAAAAAAAAA' })],
    ['sealed.tag', withSealed({ tag: b64(12) })],
    ['sealed.tag', withSealed({ tag: `${b64(16).slice(0, 21)}B==` /* non-zero padding bits */ })],
    ['sealed.ct', withSealed({ ct: '' })],
    ['createdAt', withFields({ createdAt: '2026-02-30T00:00:00.000Z' })],
    ['createdAt', withFields({ createdAt: '2026-01-01' })],
    ['createdAt', withFields({ createdAt: '2026-01-01T00:00:00.000+01:00' })],
    ['createdAt', withFields({ createdAt: 1767225600000 })],
    ['version', withFields({ version: 0 })],
    ['version', withFields({ version: 1.5 })],
    ['version', withFields({ version: '1' })],
    ['schema', withFields({ schema: 0 })],
  ])('refuses a bad %s', (field, value) => {
    const error = expectCorrupt(value, field);
    expect(error.message).not.toContain('abandon');
  });

  it('refuses an extended private key in the xpub field without echoing it', () => {
    const xprvBytes = Buffer.concat([Buffer.from('0488ade403', 'hex'), randomBytes(40), Buffer.from([0]), randomBytes(32)]);
    const xprv = bs58check.encode(xprvBytes);
    const error = expectCorrupt({ ...base, xpub: xprv, publicHash: publicHashOf(xprv) }, 'xpub');
    expect(error.message).toMatch(/PRIVATE/);
    expect(JSON.stringify([error.message, error.context])).not.toContain(xprv.slice(4, 40));
  });

  it('refuses a record or an envelope of a newer schema with UNSUPPORTED_SCHEMA and an upgrade message', () => {
    for (const value of [withFields({ schema: 2 }), withFields({ schema: 3, newField: 'x' }), withSealed({ v: 2, alg: 'X' })]) {
      const error = errorOf(value);
      expect(error.code).toBe('UNSUPPORTED_SCHEMA');
      expect(error.message).toMatch(/newer.*upgrade/);
    }
  });

  it('refuses a stored key named __proto__ as an unknown field', () => {
    expectCorrupt(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(base).slice(1)}`), 'record');
  });
});

describe('walletRecordsEqual', () => {
  it('is true for copies and false for any changed field', () => {
    expect(walletRecordsEqual(base, structuredClone(base))).toBe(true);
    const changes: Array<Partial<WalletRecord>> = [
      { version: 2 },
      { createdAt: '2020-01-01T00:00:00.000Z' },
      { testnet: true },
      { network: 'regtest' },
      { sealed: { ...base.sealed, tag: b64(16) } },
      { sealed: { ...base.sealed, keyId: 'other' } },
      { sealed: fakeEnvelope() },
    ];
    for (const change of changes) expect(walletRecordsEqual(base, { ...base, ...change })).toBe(false);
  });
});

describe('parseWalletRecord fuzz: only the typed error', () => {
  const fields = ['schema', 'signatureId', 'chain', 'network', 'testnet', 'kind', 'xpub', 'address', 'publicHash', 'sealed', 'createdAt', 'version', 'extra', '__proto__'];
  const sealedFields = ['v', 'alg', 'provider', 'keyId', 'edk', 'iv', 'ct', 'tag', 'extra'];
  const value = fc.oneof(fc.anything(), fc.constant(SECRET), fc.string(), fc.integer(), fc.boolean(), fc.constantFrom('mnemonic', 'privateKey', 'foreign', 'mainnet', 'testnet', 'ETH'));
  const mutation = fc.oneof(
    fc.record({ at: fc.constant('record' as const), field: fc.constantFrom(...fields), value: fc.option(value, { nil: undefined }) }),
    fc.record({ at: fc.constant('sealed' as const), field: fc.constantFrom(...sealedFields), value: fc.option(value, { nil: undefined }) }),
    fc.record({ at: fc.constant('char' as const), field: fc.constantFrom('signatureId', 'xpub', 'publicHash', 'createdAt', 'address'), index: fc.nat(200), char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }) }),
  );
  const seeds = [base, makeWalletRecord({ kind: 'privateKey' }), makeWalletRecord({ kind: 'foreign', chain: 'XLM', network: 'testnet' })];

  function check(candidate: unknown): void {
    let parsed: WalletRecord;
    try {
      parsed = parseWalletRecord(candidate);
    } catch (error) {
      expect(error).toBeInstanceOf(StoreError);
      expect(['CORRUPT_RECORD', 'UNSUPPORTED_SCHEMA']).toContain((error as StoreError).code);
      expect((error as StoreError).message).not.toContain('abandon ability');
      return;
    }
    // Whatever passes is a record that parses to itself.
    expect(parseWalletRecord(JSON.parse(JSON.stringify(parsed)))).toStrictEqual(parsed);
  }

  it('random values', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true }), check), { numRuns: 3000 });
  });

  it('random JSON', () => {
    fc.assert(fc.property(fc.json(), (text) => check(JSON.parse(text))), { numRuns: 3000 });
  });

  it('mutated valid records', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        const record: Record<string, unknown> = JSON.parse(JSON.stringify(seed));
        for (const m of mutations) {
          const target = m.at === 'sealed' && typeof record.sealed === 'object' && record.sealed !== null ? (record.sealed as Record<string, unknown>) : record;
          if (m.at === 'char') {
            const text = record[m.field];
            if (typeof text === 'string') record[m.field] = text.slice(0, m.index % (text.length + 1)) + m.char + text.slice((m.index % (text.length + 1)) + 1);
          } else if (m.value === undefined) {
            delete target[m.field];
          } else {
            Object.defineProperty(target, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
          }
        }
        check(record);
      }),
      { numRuns: 5000 },
    );
  });
});
