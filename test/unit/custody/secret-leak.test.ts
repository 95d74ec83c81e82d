/**
 * No custody error and no envelope ever carries a secret: every failure path is provoked with known
 * secret bytes, KEK, data key and password, and the messages, contexts and stacks of the thrown errors,
 * and the JSON of envelopes and headers, are scanned for them as UTF-8, hex and base64.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type KMSClient } from '@aws-sdk/client-kms';
import { SigilError } from '../../../lib/errors.js';
import { AwsKmsKeyProvider } from '../../../lib/custody/aws-kms-key-provider.js';
import { generateRecipientKeyPair, openFromRecipient, sealToRecipient } from '../../../lib/custody/backup.js';
import { openSecret, parseEnvelope, sealSecret, walletContext } from '../../../lib/custody/envelope.js';
import { encodeKeyFile, openKeyFile } from '../../../lib/custody/key-file.js';
import type { DataKey, EncryptionContext, KeyProvider } from '../../../lib/custody/key-provider.js';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { createPasswordKeyHeader, deriveKekFromPassword, parsePasswordKeyHeader } from '../../../lib/custody/password-key.js';
import { rewrapEnvelope } from '../../../lib/custody/rewrap.js';
import { contextFor, flipBase64, MNEMONIC } from '../../contract/key-provider.contract.js';

const SECRET = new TextEncoder().encode(MNEMONIC);
const KEK = new Uint8Array(32).map((_, i) => 200 - i);
const PASSWORD = new TextEncoder().encode('Tr0ub4dor&3-sigil-leak-check');

/** Every spelling of a secret that a careless message could contain. */
function spellings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const forms = [buffer.toString('hex'), buffer.toString('hex').toUpperCase(), buffer.toString('base64url')];
  for (let offset = 0; offset < 3; offset++) forms.push(buffer.subarray(offset).toString('base64').slice(0, 24));
  const utf8 = buffer.toString('utf8');
  if (!utf8.includes('\ufffd')) forms.push(utf8.slice(0, 16));
  return forms.map((form) => form.slice(0, 32)).filter((form) => form.length >= 12);
}

const needles: string[] = [];
const dataKeys: Uint8Array[] = [];
const caught: unknown[] = [];

function remember(...secrets: Uint8Array[]): void {
  for (const secret of secrets) needles.push(...spellings(secret));
}
remember(SECRET, KEK, PASSWORD);
needles.push('quantum tobacco', 'tobacco key');

/** A provider that records every data key it hands out, so they are scanned too. */
function recording(inner: KeyProvider): KeyProvider {
  return {
    kind: inner.kind,
    keyId: inner.keyId,
    async generateDataKey(context): Promise<DataKey> {
      const dataKey = await inner.generateDataKey(context);
      dataKeys.push(Uint8Array.from(dataKey.plaintext));
      return dataKey;
    },
    async decryptDataKey(wrapped, keyId, context) {
      const key = await inner.decryptDataKey(wrapped, keyId, context);
      dataKeys.push(Uint8Array.from(key));
      return key;
    },
  };
}

async function expectThrows(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    caught.push(error);
    return;
  }
  throw new Error('expected a failure');
}

function scan(label: string, text: string): void {
  for (const needle of needles) expect(text.includes(needle), `${label} contains a secret spelling "${needle.slice(0, 6)}…"`).toBe(false);
}

let directory: string | undefined;
afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('no secret in errors or envelopes', () => {
  it('provokes every failure path and scans what comes out', async () => {
    const local = recording(new LocalKeyProvider(KEK));
    const context = contextFor();
    const envelope = await sealSecret(local, SECRET, context);
    const secretB64 = Buffer.from(SECRET).toString('base64');
    const secretHex = Buffer.from(SECRET).toString('hex');

    // Opening failures.
    for (const field of ['ct', 'iv', 'tag', 'edk'] as const) {
      await expectThrows(() => openSecret(local, { ...envelope, [field]: flipBase64(envelope[field], 2) }, context));
    }
    await expectThrows(() => openSecret(local, envelope, contextFor()));
    await expectThrows(() => openSecret(new LocalKeyProvider(new Uint8Array(32)), envelope, context));
    await expectThrows(() => rewrapEnvelope({ ...envelope, ct: flipBase64(envelope.ct, 0) }, context, new LocalKeyProvider(KEK), new LocalKeyProvider(new Uint8Array(32))));

    // Malformed envelopes and contexts carrying secret material in the wrong places.
    for (const [field, value] of [['ct', MNEMONIC], ['edk', `${secretHex}=`], ['keyId', MNEMONIC], ['provider', secretB64], ['v', secretHex], ['alg', MNEMONIC], ['iv', secretB64], ['tag', secretB64]] as const) {
      await expectThrows(() => parseEnvelope({ ...envelope, [field]: value }));
    }
    await expectThrows(() => parseEnvelope(MNEMONIC));
    await expectThrows(() => walletContext({ signatureId: MNEMONIC, chain: 'BTC', network: 'mainnet', publicHash: 'x' }));
    await expectThrows(() => walletContext({ signatureId: 'a', chain: secretHex, network: 'mainnet', publicHash: secretHex }));
    await expectThrows(() => openSecret(local, envelope, { ...context, publicHash: secretHex.slice(0, 64) } as EncryptionContext));

    // Passwords.
    const { header } = await createPasswordKeyHeader(PASSWORD, { N: 2 ** 15, r: 8, p: 1 });
    await expectThrows(() => deriveKekFromPassword(new TextEncoder().encode('not the password'), header));
    await expectThrows(() => parsePasswordKeyHeader({ ...header, salt: Buffer.from(PASSWORD).toString('base64') }));
    await expectThrows(() => parsePasswordKeyHeader({ ...header, check: new TextDecoder().decode(PASSWORD) }));
    const passwordKek = await deriveKekFromPassword(PASSWORD, header);
    remember(passwordKek);

    // Key files holding the KEK, damaged or too open.
    directory = await mkdtemp(join(tmpdir(), 'sigil-leak-'));
    const keyPath = join(directory, 'sigil.key');
    const fileBytes = encodeKeyFile(KEK);
    fileBytes[44] = fileBytes[44]! ^ 1;
    await writeFile(keyPath, fileBytes, { mode: 0o600 });
    await expectThrows(() => openKeyFile(keyPath, { create: false }));
    await writeFile(keyPath, encodeKeyFile(KEK));
    await chmod(keyPath, 0o644);
    await expectThrows(() => openKeyFile(keyPath, { create: false }));

    // KMS failures (a stub that fails every call with an AWS-shaped error).
    const failing = { send: async () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })) } as unknown as Pick<KMSClient, 'send'>;
    const kms = new AwsKmsKeyProvider({ client: failing, keyId: 'alias/sigil' });
    await expectThrows(() => sealSecret(kms, SECRET, context));
    await expectThrows(() => kms.decryptDataKey(SECRET, 'alias/sigil', context));

    // Backups.
    const recipient = generateRecipientKeyPair();
    const aad = new TextEncoder().encode('{"signatureId":"a"}');
    const sealed = sealToRecipient(recipient.publicKeyPem, SECRET, aad);
    await expectThrows(() => openFromRecipient(generateRecipientKeyPair().privateKeyPem, sealed, aad));
    await expectThrows(() => openFromRecipient(recipient.privateKeyPem, sealed, new Uint8Array(0)));
    await expectThrows(() => openFromRecipient(recipient.privateKeyPem, { ...sealed, ct: secretHex }, aad));
    await expectThrows(() => openFromRecipient(recipient.privateKeyPem, { ...sealed, tag: flipBase64(sealed.tag, 1) }, aad));

    remember(...dataKeys);
    expect(dataKeys.length).toBeGreaterThanOrEqual(2);
    expect(caught.length).toBeGreaterThanOrEqual(30);
    for (const [index, error] of caught.entries()) {
      expect(error, `failure ${index}`).toBeInstanceOf(SigilError);
      const sigil = error as SigilError;
      expect(sigil.message.includes('\n'), `failure ${index} message is one line`).toBe(false);
      scan(`failure ${index} (${sigil.code}) message`, sigil.message);
      scan(`failure ${index} (${sigil.code}) context`, JSON.stringify(sigil.context));
      scan(`failure ${index} (${sigil.code}) stack`, String(sigil.stack));
    }
    scan('envelope JSON', JSON.stringify(envelope));
    scan('password header JSON', JSON.stringify(header));
    scan('sealed backup JSON', JSON.stringify(sealed));
  });
});
