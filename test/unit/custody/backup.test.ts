/**
 * Backup sealing to an offline X25519 recipient (docs/backup.md): the known-answer vector from an
 * independent implementation, round trips, and every way a blob must fail to open.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vector from '../../vectors/envelope-backup-v1.json' with { type: 'json' };
import { InvalidInputError } from '../../../lib/errors.js';
import { CustodyError, type CustodyErrorCode } from '../../../lib/custody/custody-error.js';
import {
  generateRecipientKeyPair,
  openFromRecipient,
  parseSealedToRecipient,
  recipientFingerprint,
  sealToRecipient,
  type SealedToRecipient,
} from '../../../lib/custody/backup.js';
import { backupWalletAad, type BackupWalletPublicFields } from '../../../lib/custody/backup-file.js';
import { flipBase64, MNEMONIC } from '../../contract/key-provider.contract.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const wallet = vector.wallet as BackupWalletPublicFields;

function openError(run: () => unknown, code: CustodyErrorCode): CustodyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError);
    expect((error as CustodyError).code).toBe(code);
    return error as CustodyError;
  }
  throw new Error(`expected CustodyError ${code}, it opened`);
}

describe('backup known-answer vector', () => {
  it('computes the documented fingerprint and aad, and opens the vector blob', () => {
    expect(recipientFingerprint(vector.recipientPublicKeyPem)).toBe(vector.fingerprint);
    expect(new TextDecoder().decode(backupWalletAad(wallet))).toBe(vector.aad);
    const opened = openFromRecipient(vector.recipientPrivateKeyPem, vector.sealed, utf8(vector.aad));
    expect(new TextDecoder().decode(opened)).toBe(vector.plaintext);
  });

  it('the aad ignores the secret member and absent optional fields', () => {
    const entry = { ...wallet, address: undefined, secret: vector.sealed };
    expect(new TextDecoder().decode(backupWalletAad(entry as BackupWalletPublicFields))).toBe(vector.aad);
    expect(() => backupWalletAad({ ...wallet, testnet: 'false' } as unknown as BackupWalletPublicFields)).toThrow(InvalidInputError);
    expect(() => backupWalletAad({ ...wallet, kind: 'seed' } as unknown as BackupWalletPublicFields)).toThrow(InvalidInputError);
  });
});

describe('sealToRecipient / openFromRecipient', () => {
  const recipient = generateRecipientKeyPair();
  const aad = backupWalletAad(wallet);

  it('round-trips, and the blob names the recipient by fingerprint', () => {
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    expect(sealed.recipient).toBe(recipientFingerprint(recipient.publicKeyPem));
    expect(sealed.recipient).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.parse(JSON.stringify(sealed)) as unknown;
    expect(parseSealedToRecipient(stored)).toEqual(sealed);
    expect(new TextDecoder().decode(openFromRecipient(recipient.privateKeyPem, stored, aad))).toBe(MNEMONIC);
  });

  it('round-trips arbitrary secrets and aad; each seal uses a fresh ephemeral key and iv', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.uint8Array({ maxLength: 256 }), (secret, anyAad) => {
        const a = sealToRecipient(recipient.publicKeyPem, secret, anyAad);
        const b = sealToRecipient(recipient.publicKeyPem, secret, anyAad);
        expect(a.epk).not.toBe(b.epk);
        expect(a.iv).not.toBe(b.iv);
        expect(Buffer.from(openFromRecipient(recipient.privateKeyPem, a, anyAad))).toEqual(Buffer.from(secret));
      }),
      { numRuns: 200 },
    );
  });

  it('another private key fails with WRONG_RECIPIENT, naming both fingerprints', () => {
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    const other = generateRecipientKeyPair();
    const error = openError(() => openFromRecipient(other.privateKeyPem, sealed, aad), 'WRONG_RECIPIENT');
    expect(error.message).toContain(sealed.recipient);
    expect(error.message).toContain(recipientFingerprint(other.publicKeyPem));
    // Even with the fingerprint forged to match, the other key derives another AES key.
    const forged = { ...sealed, recipient: recipientFingerprint(other.publicKeyPem) };
    openError(() => openFromRecipient(other.privateKeyPem, forged, aad), 'TAMPERED');
  });

  it('altered public fields (aad) fail with TAMPERED', () => {
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    for (const changed of [
      { ...wallet, signatureId: '00000000-0000-4000-8000-000000000000' },
      { ...wallet, xpub: `${wallet.xpub!.slice(0, -1)}K` },
      { ...wallet, testnet: true },
      { ...wallet, network: 'testnet' },
    ]) {
      openError(() => openFromRecipient(recipient.privateKeyPem, sealed, backupWalletAad(changed)), 'TAMPERED');
    }
  });

  it('a flipped byte in epk, iv, ct or tag fails (TAMPERED or INVALID_BACKUP), never opens', () => {
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    for (const field of ['epk', 'iv', 'ct', 'tag'] as const) {
      const length = Buffer.from(sealed[field], 'base64').length;
      for (let index = 0; index < length; index += field === 'ct' ? 17 : 1) {
        const damaged: SealedToRecipient = { ...sealed, [field]: flipBase64(sealed[field], index) };
        try {
          openFromRecipient(recipient.privateKeyPem, damaged, aad);
          throw new Error(`opened with ${field}[${index}] flipped`);
        } catch (error) {
          expect(['TAMPERED', 'INVALID_BACKUP']).toContain((error as CustodyError).code);
        }
      }
    }
  });

  it('parses blobs strictly', () => {
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    for (const broken of [
      null,
      { ...sealed, v: 2 },
      { ...sealed, alg: 'X25519' },
      { ...sealed, extra: true },
      { ...sealed, recipient: sealed.recipient.toUpperCase() },
      { ...sealed, epk: Buffer.alloc(31).toString('base64') },
      { ...sealed, iv: Buffer.alloc(16).toString('base64') },
      { ...sealed, tag: Buffer.alloc(15).toString('base64') },
      { ...sealed, ct: '' },
    ]) {
      openError(() => parseSealedToRecipient(broken), 'INVALID_BACKUP');
      openError(() => openFromRecipient(recipient.privateKeyPem, broken, aad), 'INVALID_BACKUP');
    }
  });

  it('refuses a private key where the public key belongs, and keys that are not X25519', () => {
    expect(() => sealToRecipient(recipient.privateKeyPem, utf8(MNEMONIC), aad)).toThrow(/PUBLIC key/);
    expect(() => recipientFingerprint(recipient.privateKeyPem)).toThrow(InvalidInputError);
    expect(() => sealToRecipient('not a pem', utf8(MNEMONIC), aad)).toThrow(InvalidInputError);
    const sealed = sealToRecipient(recipient.publicKeyPem, utf8(MNEMONIC), aad);
    expect(() => openFromRecipient(recipient.publicKeyPem, sealed, aad)).toThrow(InvalidInputError);
  });

  it('refuses a low-order recipient key', () => {
    const zeroKey = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.alloc(32)]).toString('base64')}\n-----END PUBLIC KEY-----\n`;
    expect(() => sealToRecipient(zeroKey, utf8(MNEMONIC), aad)).toThrow(/low-order/);
  });
});
