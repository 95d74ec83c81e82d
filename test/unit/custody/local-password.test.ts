/**
 * The local provider over a password-derived KEK: the KeyProvider contract, WRONG_PASSWORD, and the
 * password key header (strict parsing, parameter bounds). scrypt N=2^15 keeps the suite fast; the
 * default (2^17) is checked once.
 */
import { getRandomValues } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import {
  createPasswordKeyHeader,
  DEFAULT_SCRYPT_PARAMS,
  deriveKekFromPassword,
  parsePasswordKeyHeader,
  type PasswordKeyHeader,
} from '../../../lib/custody/password-key.js';
import { openSecret, sealSecret } from '../../../lib/custody/envelope.js';
import { contextFor, expectCustodyError, keyProviderContract, MNEMONIC } from '../../contract/key-provider.contract.js';

const FAST = { N: 2 ** 15, r: 8, p: 1 };
const utf8 = (text: string) => new TextEncoder().encode(text);

keyProviderContract('local password (scrypt)', async () => {
  const { kek } = await createPasswordKeyHeader(getRandomValues(new Uint8Array(16)), FAST);
  return new LocalKeyProvider(kek);
});

describe('password key header', () => {
  it('the default is scrypt N=2^17, r=8, p=1, and a header made with it derives the same KEK again', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 131072, r: 8, p: 1 });
    const { header, kek } = await createPasswordKeyHeader(utf8('hunter2'));
    expect(header).toMatchObject({ v: 1, kdf: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(Buffer.from(header.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(header.check, 'base64')).toHaveLength(32);
    expect(Buffer.from(await deriveKekFromPassword(utf8('hunter2'), header))).toEqual(Buffer.from(kek));
  });

  it('a wrong password fails with WRONG_PASSWORD, not a tamper error', async () => {
    const { header } = await createPasswordKeyHeader(utf8('right password'), FAST);
    const error = await expectCustodyError(deriveKekFromPassword(utf8('wrong password'), header), ['WRONG_PASSWORD']);
    expect(error.message).toBe('the password does not match the stored password key header');
    await expectCustodyError(LocalKeyProvider.fromPassword(utf8('Right password'), header), ['WRONG_PASSWORD']);
  });

  it('a header with another salt or check value fails with WRONG_PASSWORD', async () => {
    const { header } = await createPasswordKeyHeader(utf8('pw'), FAST);
    const other = await createPasswordKeyHeader(utf8('pw'), FAST);
    expect(other.header.salt).not.toBe(header.salt);
    await expectCustodyError(deriveKekFromPassword(utf8('pw'), { ...header, salt: other.header.salt }), ['WRONG_PASSWORD']);
    await expectCustodyError(deriveKekFromPassword(utf8('pw'), { ...header, check: other.header.check }), ['WRONG_PASSWORD']);
  });

  it('the same password with two headers gives two unrelated keys', async () => {
    const a = await createPasswordKeyHeader(utf8('pw'), FAST);
    const b = await createPasswordKeyHeader(utf8('pw'), FAST);
    const providerA = new LocalKeyProvider(a.kek);
    const providerB = new LocalKeyProvider(b.kek);
    expect(providerA.keyId).not.toBe(providerB.keyId);
    const context = contextFor();
    const envelope = await sealSecret(providerA, utf8(MNEMONIC), context);
    await expectCustodyError(openSecret(providerB, envelope, context), ['KEY_MISMATCH']);
    const reopened = await LocalKeyProvider.fromPassword(utf8('pw'), a.header);
    expect(new TextDecoder().decode(await openSecret(reopened, envelope, context))).toBe(MNEMONIC);
  });

  it('refuses to create a header with weak or absurd parameters, or from an empty password', async () => {
    for (const params of [{ N: 2 ** 14, r: 8, p: 1 }, { N: 3 * 2 ** 15, r: 8, p: 1 }, { N: 2 ** 15, r: 4, p: 1 }, { N: 2 ** 15, r: 8, p: 0 }, { N: 2 ** 20, r: 16, p: 1 }]) {
      await expect(createPasswordKeyHeader(utf8('pw'), params)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(createPasswordKeyHeader(new Uint8Array(0), FAST)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('parses a stored header strictly (exact fields, types, bounds, canonical base64)', async () => {
    const { header } = await createPasswordKeyHeader(utf8('pw'), FAST);
    expect(parsePasswordKeyHeader(JSON.parse(JSON.stringify(header)))).toEqual(header);
    const broken: unknown[] = [
      null,
      [],
      'header',
      { ...header, extra: 1 },
      (({ check: _check, ...rest }) => rest)(header),
      { ...header, v: 2 },
      { ...header, kdf: 'pbkdf2' },
      { ...header, N: 2 ** 14 },
      { ...header, N: 2 ** 21 },
      { ...header, N: '32768' },
      { ...header, r: 1 },
      { ...header, p: 1.5 },
      { ...header, salt: header.salt.slice(0, -4) },
      { ...header, salt: `${header.salt}\n` },
      { ...header, check: header.check.replace(/=$/, '') },
    ];
    for (const value of broken) {
      let error: unknown;
      try {
        parsePasswordKeyHeader(value);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(value)).toMatchObject({ code: 'INVALID_KEY_HEADER' });
      await expectCustodyError(deriveKekFromPassword(utf8('pw'), value as PasswordKeyHeader), ['INVALID_KEY_HEADER']);
    }
  });
});
