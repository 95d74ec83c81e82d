/**
 * AwsKmsKeyProvider against a stub client: the exact KMS requests (KeyId always named, the context as
 * EncryptionContext, AES_256), AWS errors mapped to CustodyError codes, malformed responses refused, and
 * the call counters. (Behaviour against a real KMS API: test/integration/aws-kms-key-provider.test.ts.)
 */
import {
  DecryptCommand,
  DisabledException,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInvalidStateException,
  KMSServiceException,
  NotFoundException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { AwsKmsKeyProvider } from '../../../lib/custody/aws-kms-key-provider.js';
import type { CustodyErrorCode } from '../../../lib/custody/custody-error.js';
import { openSecret, sealSecret } from '../../../lib/custody/envelope.js';
import { contextFor, expectCustodyError, MNEMONIC } from '../../contract/key-provider.contract.js';

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const meta = { $metadata: {} };

function stub(respond: (command: unknown) => unknown): { client: Pick<KMSClient, 'send'>; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      return respond(command);
    },
  } as unknown as Pick<KMSClient, 'send'>;
  return { client, sent };
}

function awsError(name: string): Error {
  const options = { message: 'AWS said no', $metadata: {} };
  switch (name) {
    case 'DisabledException': return new DisabledException(options);
    case 'NotFoundException': return new NotFoundException(options);
    case 'KMSInvalidStateException': return new KMSInvalidStateException(options);
    case 'InvalidCiphertextException': return new InvalidCiphertextException(options);
    case 'IncorrectKeyException': return new IncorrectKeyException(options);
    default: return new KMSServiceException({ name, $fault: 'client', ...options });
  }
}

describe('AwsKmsKeyProvider requests', () => {
  it('GenerateDataKey with KeySpec AES_256 and the context; Decrypt naming the KeyId with the same context', async () => {
    const dataKey = new Uint8Array(32).fill(9);
    const blob = new Uint8Array(150).fill(4);
    const { client, sent } = stub((command) =>
      command instanceof GenerateDataKeyCommand
        ? { ...meta, Plaintext: Uint8Array.from(dataKey), CiphertextBlob: blob, KeyId: ARN }
        : { ...meta, Plaintext: Uint8Array.from(dataKey), KeyId: ARN },
    );
    const provider = new AwsKmsKeyProvider({ client, keyId: 'alias/sigil' });
    const context = contextFor();
    const envelope = await sealSecret(provider, new TextEncoder().encode(MNEMONIC), context);
    expect(envelope.keyId).toBe(ARN);
    expect(new TextDecoder().decode(await openSecret(provider, envelope, context))).toBe(MNEMONIC);
    const [generate, decrypt] = sent as [GenerateDataKeyCommand, DecryptCommand];
    expect(generate.input).toEqual({ KeyId: 'alias/sigil', KeySpec: 'AES_256', EncryptionContext: { ...context } });
    expect(decrypt.input).toEqual({ CiphertextBlob: blob, KeyId: ARN, EncryptionContext: { ...context }, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(provider.calls).toEqual({ GenerateDataKey: 1, Decrypt: 1, Encrypt: 0, ReEncrypt: 0 });
  });

  it('refuses malformed KMS responses and wipes a returned plaintext of the wrong size', async () => {
    const short = new Uint8Array(16).fill(5);
    const cases: unknown[] = [
      { ...meta, Plaintext: short, CiphertextBlob: new Uint8Array(10), KeyId: ARN },
      { ...meta, Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array(10), KeyId: 'alias/sigil' },
      { ...meta, Plaintext: new Uint8Array(32), KeyId: ARN },
    ];
    for (const response of cases) {
      const provider = new AwsKmsKeyProvider({ client: stub(() => response).client, keyId: ARN });
      await expectCustodyError(provider.generateDataKey(contextFor()), ['KEY_PROVIDER_FAILED']);
    }
    expect(short.every((byte) => byte === 0)).toBe(true);
  });
});

describe('AWS errors become CustodyErrors', () => {
  const table: Array<[string, CustodyErrorCode]> = [
    ['DisabledException', 'KEY_UNAVAILABLE'],
    ['NotFoundException', 'KEY_UNAVAILABLE'],
    ['AccessDeniedException', 'KEY_UNAVAILABLE'],
    ['KMSInvalidStateException', 'KEY_UNAVAILABLE'],
    ['KeyUnavailableException', 'KEY_UNAVAILABLE'],
    ['InvalidCiphertextException', 'TAMPERED'],
    ['IncorrectKeyException', 'KEY_MISMATCH'],
    ['ThrottlingException', 'KEY_PROVIDER_FAILED'],
    ['KMSInternalException', 'KEY_PROVIDER_FAILED'],
  ];
  for (const [name, code] of table) {
    it(`${name} → ${code}, on Decrypt and on GenerateDataKey, with the AWS error as cause`, async () => {
      const thrown = awsError(name);
      const provider = new AwsKmsKeyProvider({ client: stub(() => Promise.reject(thrown)).client, keyId: ARN });
      const context = contextFor();
      const onDecrypt = await expectCustodyError(provider.decryptDataKey(new Uint8Array(100), ARN, context), [code]);
      expect(onDecrypt.cause).toBe(thrown);
      expect(onDecrypt.context).toMatchObject({ signatureId: context.signatureId, keyId: ARN, operation: 'Decrypt', awsError: name });
      expect(onDecrypt.message).not.toContain('AWS said no');
      expect(onDecrypt.message).not.toContain('\n');
      await expectCustodyError(provider.generateDataKey(context), [code]);
      expect(provider.calls).toMatchObject({ GenerateDataKey: 1, Decrypt: 1 });
    });
  }

  it('a network error (not an AWS service error) → KEY_PROVIDER_FAILED', async () => {
    const provider = new AwsKmsKeyProvider({ client: stub(() => Promise.reject(new TypeError('fetch failed'))).client, keyId: ARN });
    await expectCustodyError(provider.generateDataKey(contextFor()), ['KEY_PROVIDER_FAILED']);
  });
});
