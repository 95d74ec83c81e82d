import fc from 'fast-check';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fixtures from '../../vectors/tatum-vectors.json' with { type: 'json' };
import { SigilError } from '../../../lib/errors.js';
import { decryptWalletDat, looksLikeWalletDat, parseWalletDat, WalletDatError } from '../../../lib/migration/tatum-wallet-dat.js';

const enc = new TextEncoder();

/** An independent crypto-js-compatible encryptor (OpenSSL `enc -aes-256-cbc -md md5 -a`) for round trips. */
function encryptLikeCryptoJs(plaintext: string, password: string, salt = randomBytes(8)): string {
  let material = Buffer.alloc(0);
  let block = Buffer.alloc(0);
  while (material.length < 48) {
    block = createHash('md5').update(Buffer.concat([block, Buffer.from(password), salt])).digest();
    material = Buffer.concat([material, block]);
  }
  const cipher = createCipheriv('aes-256-cbc', material.subarray(0, 32), material.subarray(32, 48));
  return Buffer.concat([Buffer.from('Salted__'), salt, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

describe('Tatum wallet.dat', () => {
  it('decrypts the upstream fixture to its entry under the same signatureId', () => {
    const entries = parseWalletDat(decryptWalletDat(fixtures.walletDat.file, enc.encode(fixtures.walletDat.password)));
    const [id, expected] = Object.entries(fixtures.walletDat.entries)[0]!;
    expect([...entries.keys()]).toEqual([id]);
    expect(entries.get(id)).toEqual({ kind: 'privateKey', ...expected });
    expect(looksLikeWalletDat(enc.encode(fixtures.walletDat.file))).toBe(true);
  });

  it('reads every entry shape Tatum KMS writes', () => {
    const data = {
      'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa': { mnemonic: 'm w', xpub: 'xpub1', chain: 'ETH', testnet: true },
      'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb': { privateKey: '0x01', chain: 'BSC', testnet: false },
      'cccccccc-cccc-4ccc-8ccc-cccccccccccc': { address: 'rAddr', secret: 'sSecret', chain: 'XRP', testnet: false },
    };
    const entries = parseWalletDat(decryptWalletDat(encryptLikeCryptoJs(JSON.stringify(data), 'pw'), enc.encode('pw')));
    expect([...entries.values()].map((e) => e.kind)).toEqual(['mnemonic', 'privateKey', 'secret']);
  });

  it('says "wrong password" for a wrong password, never returning garbage', () => {
    expect(() => decryptWalletDat(fixtures.walletDat.file, enc.encode('wrong'))).toThrow(/wrong password/);
  });

  it.each([
    ['empty', ''],
    ['not base64', 'this is not base64!'],
    ['no Salted__ header', Buffer.from('x'.repeat(48)).toString('base64')],
    ['truncated', fixtures.walletDat.file.slice(0, 40)],
  ])('refuses a %s file with a typed error', (_name, text) => {
    expect(() => parseWalletDat(decryptWalletDat(text, enc.encode('test')))).toThrow(WalletDatError);
  });

  it.each([
    ['a key that is not a UUID', { nope: { privateKey: 'k', chain: 'BTC', testnet: false } }],
    ['a missing testnet flag', { '11111111-1111-4111-8111-111111111111': { privateKey: 'k', chain: 'BTC' } }],
    ['an entry with no secret', { '11111111-1111-4111-8111-111111111111': { chain: 'BTC', testnet: false } }],
    ['a mnemonic without xpub', { '11111111-1111-4111-8111-111111111111': { mnemonic: 'a b', chain: 'BTC', testnet: false } }],
    ['an array', []],
  ])('refuses %s, without echoing secrets', (_name, data) => {
    const file = encryptLikeCryptoJs(JSON.stringify(data), 'pw');
    let error: unknown;
    try {
      parseWalletDat(decryptWalletDat(file, enc.encode('pw')));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SigilError);
    expect(JSON.stringify([(error as Error).message, (error as SigilError).context])).not.toMatch(/"k"|a b/);
  });

  it('fuzz: any text and password gives entries or a typed error, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.constant(fixtures.walletDat.file).map((f) => f.slice(0, -4) + 'AAAA')), fc.string(), (text, pw) => {
        try {
          parseWalletDat(decryptWalletDat(text, enc.encode(pw)));
        } catch (e) {
          expect(e).toBeInstanceOf(SigilError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: random JSON plaintexts parse or fail typed', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseWalletDat(enc.encode(JSON.stringify(value)));
        } catch (e) {
          expect(e).toBeInstanceOf(SigilError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
