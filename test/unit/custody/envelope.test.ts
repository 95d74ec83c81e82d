/**
 * envelope.ts and its format: strict parsing of stored envelopes (table and fuzz), the canonical context
 * encoding and its validation, publicHashOf, and sealSecret's contract with any provider.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, SigilError } from '../../../lib/errors.js';
import { CustodyError } from '../../../lib/custody/custody-error.js';
import { canonicalJson } from '../../../lib/custody/canonical-json.js';
import { assertWalletContext, canonicalContextBytes } from '../../../lib/custody/context.js';
import { openSecret, parseEnvelope, publicHashOf, sealSecret, walletContext } from '../../../lib/custody/envelope.js';
import type { Envelope } from '../../../lib/custody/envelope-types.js';
import type { DataKey, EncryptionContext, KeyProvider } from '../../../lib/custody/key-provider.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { contextFor, expectCustodyError, MNEMONIC } from '../../contract/key-provider.contract.js';

const kek = new Uint8Array(32).fill(7);
const provider = new LocalKeyProvider(kek);
const KMS_ARN = 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4908-8706-050403020100';

async function validEnvelope(): Promise<{ envelope: Envelope; context: EncryptionContext }> {
  const context = contextFor();
  return { envelope: await sealSecret(provider, new TextEncoder().encode(MNEMONIC), context), context };
}

function parseError(value: unknown): CustodyError {
  try {
    parseEnvelope(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError);
    expect((error as CustodyError).code).toBe('INVALID_ENVELOPE');
    return error as CustodyError;
  }
  throw new Error(`parseEnvelope accepted ${JSON.stringify(value)}`);
}

describe('parseEnvelope', () => {
  it('accepts a sealed envelope and a KMS-shaped one, returning exactly the eight fields', async () => {
    const { envelope } = await validEnvelope();
    expect(parseEnvelope({ ...envelope })).toEqual(envelope);
    const kms = { ...envelope, provider: 'aws-kms', keyId: KMS_ARN, edk: Buffer.alloc(184, 1).toString('base64') };
    expect(Object.keys(parseEnvelope(kms)).sort()).toEqual(['alg', 'ct', 'edk', 'iv', 'keyId', 'provider', 'tag', 'v']);
  });

  it('rejects every deviation with INVALID_ENVELOPE and says what was expected', async () => {
    const { envelope } = await validEnvelope();
    const { tag: _tag, ...withoutTag } = envelope;
    const cases: Array<[unknown, RegExp]> = [
      [null, /must be an object, got null/],
      [[envelope], /must be an object, got an array/],
      [withoutTag, /missing tag/],
      [{ ...envelope, note: 'x' }, /unknown "note"/],
      [{ ...envelope, v: 2 }, /envelope\.v must be 1, got the number 2/],
      [{ ...envelope, v: '1' }, /envelope\.v must be 1/],
      [{ ...envelope, alg: 'AES-128-GCM' }, /envelope\.alg must be "AES-256-GCM"/],
      [{ ...envelope, provider: 'gcp-kms' }, /envelope\.provider must be "local" or "aws-kms"/],
      [{ ...envelope, keyId: 'local:test' }, /local envelope must be "local:" and 16 hex digits/],
      [{ ...envelope, provider: 'aws-kms' }, /must be a KMS key ARN/],
      [{ ...envelope, provider: 'aws-kms', keyId: 'alias/sigil' }, /must be a KMS key ARN/],
      [{ ...envelope, iv: Buffer.alloc(16).toString('base64') }, /envelope\.iv must be base64 of 12 bytes, got 16 bytes/],
      [{ ...envelope, tag: Buffer.alloc(12).toString('base64') }, /envelope\.tag must be base64 of 16 bytes, got 12 bytes/],
      [{ ...envelope, tag: envelope.tag.replace(/==$/, '') }, /canonical base64/],
      [{ ...envelope, ct: `${envelope.ct.slice(0, 4)}\n${envelope.ct.slice(4)}` }, /canonical base64/],
      [{ ...envelope, ct: envelope.ct.replace(/\+/g, '-').replace(/\//g, '_') }, /canonical base64|bytes/],
      [{ ...envelope, ct: '' }, /envelope\.ct must be base64 of 1-16384 bytes, got 0 bytes/],
      [{ ...envelope, edk: Buffer.alloc(6145).toString('base64') }, /envelope\.edk must be base64 of 1-6144 bytes/],
      [{ ...envelope, iv: 12 }, /envelope\.iv must be base64 of 12 bytes, got the number 12/],
    ];
    for (const [value, message] of cases) expect(parseError(value).message).toMatch(message);
  });

  it('rejects non-canonical base64 whose bytes decode the same (trailing bits set)', async () => {
    const { envelope } = await validEnvelope();
    // A 16-byte tag ends in "==": the character before the padding carries 4 unused bits. Flipping one
    // decodes to the same bytes in Node, but is not canonical.
    const tag = envelope.tag;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(tag[tag.length - 3]!);
    const sloppy = `${tag.slice(0, -3)}${alphabet[last ^ 1]}==`;
    expect(sloppy).not.toBe(tag);
    expect(Buffer.from(sloppy, 'base64').equals(Buffer.from(tag, 'base64'))).toBe(true);
    expect(parseError({ ...envelope, tag: sloppy }).message).toMatch(/canonical base64/);
  });

  it('fuzz: arbitrary values never crash it with anything but INVALID_ENVELOPE', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parseEnvelope(value);
          return false; // fc.anything() never builds a valid envelope
        } catch (error) {
          return error instanceof CustodyError && error.code === 'INVALID_ENVELOPE' && !error.message.includes('\n');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: a valid envelope with one field replaced by an arbitrary value is accepted only if it is still well formed', async () => {
    const { envelope } = await validEnvelope();
    const fields = Object.keys(envelope) as Array<keyof Envelope>;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.oneof(fc.string(), fc.base64String(), fc.integer(), fc.constant(null)), (field, value) => {
        const candidate = { ...envelope, [field]: value };
        try {
          const parsed = parseEnvelope(candidate);
          return parsed[field] === value;
        } catch (error) {
          return error instanceof CustodyError && error.code === 'INVALID_ENVELOPE';
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('encryption context', () => {
  it('publicHashOf is hex sha256 of the UTF-8 string', () => {
    expect(publicHashOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(() => publicHashOf('')).toThrow(CustodyError);
  });

  it('the canonical encoding sorts members, has no whitespace, and ignores construction order', () => {
    const context = contextFor({ signatureId: 'a1', chain: 'ETH', network: 'testnet', publicHash: publicHashOf('0xabc') });
    const reordered = { publicHash: context.publicHash, network: 'testnet', signatureId: 'a1', purpose: 'wallet-secret', chain: 'ETH', app: 'sigil' } as const;
    const text = new TextDecoder().decode(canonicalContextBytes(context));
    expect(text).toBe(`{"app":"sigil","chain":"ETH","network":"testnet","publicHash":"${context.publicHash}","purpose":"wallet-secret","signatureId":"a1"}`);
    expect(new TextDecoder().decode(canonicalContextBytes(reordered))).toBe(text);
  });

  it('walletContext and every entry point refuse malformed fields with CONTEXT_MISMATCH', async () => {
    const good = { signatureId: randomUUID(), chain: 'BTC', network: 'mainnet', publicHash: publicHashOf('x') };
    const bad = [
      { ...good, signatureId: '' },
      { ...good, signatureId: 'has space' },
      { ...good, signatureId: 'quote"' },
      { ...good, chain: 'x'.repeat(129) },
      { ...good, network: 'main\nnet' },
      { ...good, publicHash: publicHashOf('x').toUpperCase() },
      { ...good, publicHash: 'ab' },
    ];
    for (const fields of bad) expect(() => walletContext(fields)).toThrow(expect.objectContaining({ code: 'CONTEXT_MISMATCH' }));
    const { envelope, context } = await validEnvelope();
    await expectCustodyError(openSecret(provider, envelope, { ...context, app: 'other' } as unknown as EncryptionContext), ['CONTEXT_MISMATCH']);
    expect(() => assertWalletContext({ ...context, extra: '1' })).toThrow(/exactly the fields/);
  });

  it('canonicalJson is RFC 8785 for its subset: sorted by code unit, undefined omitted, only safe integers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, A: { z: '"', y: '\u00e9' } })).toBe('{"A":{"y":"é","z":"\\""},"a":[true,null,"x"],"b":1}');
    expect(() => canonicalJson(1.5)).toThrow(InvalidInputError);
    expect(() => canonicalJson({ d: new Date() } as never)).toThrow(InvalidInputError);
  });
});

describe('sealSecret / openSecret', () => {
  it('refuses an empty or oversized secret', async () => {
    await expect(sealSecret(provider, new Uint8Array(0), contextFor())).rejects.toBeInstanceOf(InvalidInputError);
    await expect(sealSecret(provider, new Uint8Array(16 * 1024 + 1), contextFor())).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('round-trips any secret (1..1024 bytes), and the ciphertext has the secret length', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1024 }), async (secret) => {
        const context = contextFor();
        const envelope = await sealSecret(provider, secret, context);
        expect(Buffer.from(envelope.ct, 'base64')).toHaveLength(secret.length);
        expect(Buffer.from(await openSecret(provider, envelope, context))).toEqual(Buffer.from(secret));
      }),
      { numRuns: 300 },
    );
  });

  it('wipes the data key it was given, also when the seal fails', async () => {
    const handed: Uint8Array[] = [];
    const recording: KeyProvider = {
      kind: 'local',
      keyId: provider.keyId,
      async generateDataKey(context): Promise<DataKey> {
        const dataKey = await provider.generateDataKey(context);
        handed.push(dataKey.plaintext);
        return dataKey;
      },
      decryptDataKey: async (wrapped, keyId, context) => {
        const key = await provider.decryptDataKey(wrapped, keyId, context);
        handed.push(key);
        return key;
      },
    };
    const context = contextFor();
    const envelope = await sealSecret(recording, new TextEncoder().encode(MNEMONIC), context);
    await openSecret(recording, envelope, context);
    await expectCustodyError(openSecret(recording, { ...envelope, ct: Buffer.from('tampered!').toString('base64') }, context), ['TAMPERED']);
    expect(handed).toHaveLength(3);
    for (const key of handed) expect(key.every((byte) => byte === 0)).toBe(true);
  });

  it('an envelope of one provider kind is refused by the other with KEY_MISMATCH', async () => {
    const { envelope, context } = await validEnvelope();
    const kmsShaped: KeyProvider = { ...provider, kind: 'aws-kms', keyId: KMS_ARN, generateDataKey: provider.generateDataKey, decryptDataKey: provider.decryptDataKey };
    const error = await expectCustodyError(openSecret(kmsShaped, envelope, context), ['KEY_MISMATCH']);
    expect(error).toBeInstanceOf(SigilError);
  });
});
