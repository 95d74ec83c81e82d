/**
 * AwsKmsKeyProvider against a KMS API (moto_server in CI, LocalStack with AWS_ENDPOINT_URL): the
 * KeyProvider contract, unavailable keys, KMS calls per seal and open, and rotation to and from KMS.
 */
import { randomUUID } from 'node:crypto';
import { CreateKeyCommand, DecryptCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { AwsKmsKeyProvider } from '../../lib/custody/aws-kms-key-provider.js';
import { openSecret, sealSecret } from '../../lib/custody/envelope.js';
import { LocalKeyProvider } from '../../lib/custody/local-key-provider.js';
import { rewrapEnvelope } from '../../lib/custody/rewrap.js';
import { awsClientConfig, awsEndpoint, uniqueName } from '../support/aws.js';
import { contextFor, expectCustodyError, keyProviderContract, MNEMONIC } from '../contract/key-provider.contract.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe.skipIf(!awsEndpoint)(`AwsKmsKeyProvider (${awsEndpoint ?? 'no endpoint'})`, () => {
  const client = new KMSClient(awsClientConfig());

  /** A new symmetric KMS key; returns its ARN. */
  async function newKey(): Promise<string> {
    const created = await client.send(new CreateKeyCommand({ Description: uniqueName('sigil-custody-test') }));
    return created.KeyMetadata!.Arn!;
  }

  keyProviderContract('aws-kms', async () => new AwsKmsKeyProvider({ client, keyId: await newKey() }));

  it('makes exactly one KMS call per seal (GenerateDataKey) and one per open (Decrypt)', async () => {
    const provider = new AwsKmsKeyProvider({ client, keyId: await newKey() });
    const context = contextFor();
    const envelope = await sealSecret(provider, utf8(MNEMONIC), context);
    expect(provider.calls).toEqual({ GenerateDataKey: 1, Decrypt: 0, Encrypt: 0, ReEncrypt: 0 });
    expect(text(await openSecret(provider, envelope, context))).toBe(MNEMONIC);
    expect(provider.calls).toEqual({ GenerateDataKey: 1, Decrypt: 1, Encrypt: 0, ReEncrypt: 0 });
  });

  it('a nonexistent key id fails seal and open with KEY_UNAVAILABLE', async () => {
    const missing = `arn:aws:kms:us-east-1:123456789012:key/${randomUUID()}`;
    const provider = new AwsKmsKeyProvider({ client, keyId: missing });
    const context = contextFor();
    const error = await expectCustodyError(sealSecret(provider, utf8(MNEMONIC), context), ['KEY_UNAVAILABLE']);
    expect(error.context).toMatchObject({ operation: 'GenerateDataKey', awsError: 'NotFoundException', keyId: missing });

    const real = new AwsKmsKeyProvider({ client, keyId: await newKey() });
    const envelope = await sealSecret(real, utf8(MNEMONIC), context);
    await expectCustodyError(openSecret(real, { ...envelope, keyId: missing }, context), ['KEY_UNAVAILABLE', 'KEY_MISMATCH']);
  });

  it('DisableKey → KEY_UNAVAILABLE on open', async (ctx) => {
    const keyId = await newKey();
    const provider = new AwsKmsKeyProvider({ client, keyId });
    const context = contextFor();
    const envelope = await sealSecret(provider, utf8(MNEMONIC), context);
    // By key id, not ARN: moto 5.2.1 answers DisableKey on an ARN with an HTTP 500.
    await client.send(new DisableKeyCommand({ KeyId: keyId.slice(keyId.indexOf(':key/') + 5) }));
    const enforced = await client
      .send(new DecryptCommand({ CiphertextBlob: Buffer.from(envelope.edk, 'base64'), KeyId: keyId, EncryptionContext: { ...context } }))
      .then(() => false, (error: Error) => error.name === 'DisabledException');
    if (!enforced) {
      // moto 5.2.1 records the Disabled state but still decrypts; LocalStack and AWS refuse. The mapping of
      // DisabledException is covered in test/unit/custody/aws-kms-errors.test.ts.
      ctx.skip('this KMS emulator does not enforce DisableKey on Decrypt');
    }
    const error = await expectCustodyError(openSecret(provider, envelope, context), ['KEY_UNAVAILABLE']);
    expect(error.context).toMatchObject({ operation: 'Decrypt', awsError: 'DisabledException' });
  });

  describe('rotation', () => {
    it('local → KMS → local: iv/ct/tag unchanged, each old provider no longer opens', async () => {
      const local = new LocalKeyProvider(new Uint8Array(32).fill(11));
      const kms = new AwsKmsKeyProvider({ client, keyId: await newKey() });
      const context = contextFor();
      const sealed = await sealSecret(local, utf8(MNEMONIC), context);

      const onKms = await rewrapEnvelope(sealed, context, local, kms);
      expect(onKms).toMatchObject({ provider: 'aws-kms', iv: sealed.iv, ct: sealed.ct, tag: sealed.tag });
      expect(onKms.keyId).toMatch(/^arn:aws:kms:/);
      expect(text(await openSecret(kms, onKms, context))).toBe(MNEMONIC);
      await expectCustodyError(openSecret(local, onKms, context), ['KEY_MISMATCH']);
      expect(kms.calls).toMatchObject({ Encrypt: 1, Decrypt: 1 });

      const otherLocal = new LocalKeyProvider(new Uint8Array(32).fill(12));
      const back = await rewrapEnvelope(onKms, context, kms, otherLocal);
      expect(back).toMatchObject({ provider: 'local', keyId: otherLocal.keyId, iv: sealed.iv, ct: sealed.ct, tag: sealed.tag });
      expect(text(await openSecret(otherLocal, back, context))).toBe(MNEMONIC);
      await expectCustodyError(openSecret(kms, back, context), ['KEY_MISMATCH']);
      await expectCustodyError(openSecret(local, back, context), ['KEY_MISMATCH']);
    });

    it('KMS → KMS uses ReEncrypt (the data key stays in KMS); the old key no longer opens the new blob', async () => {
      const oldKey = new AwsKmsKeyProvider({ client, keyId: await newKey() });
      const newKeyProvider = new AwsKmsKeyProvider({ client, keyId: await newKey() });
      const context = contextFor();
      const sealed = await sealSecret(oldKey, utf8(MNEMONIC), context);
      const rotated = await rewrapEnvelope(sealed, context, oldKey, newKeyProvider);
      expect(rotated).toMatchObject({ provider: 'aws-kms', iv: sealed.iv, ct: sealed.ct, tag: sealed.tag });
      expect(rotated.keyId).not.toBe(sealed.keyId);
      expect(newKeyProvider.calls).toEqual({ GenerateDataKey: 0, Decrypt: 0, Encrypt: 0, ReEncrypt: 1 });
      expect(oldKey.calls).toMatchObject({ Decrypt: 0 });
      expect(text(await openSecret(newKeyProvider, rotated, context))).toBe(MNEMONIC);
      await expectCustodyError(openSecret(oldKey, { ...rotated, keyId: sealed.keyId }, context));
      // ReEncrypt checks the source context too: a moved envelope cannot be laundered through rotation.
      await expectCustodyError(rewrapEnvelope(sealed, contextFor(), oldKey, newKeyProvider), ['TAMPERED']);
    });
  });
});
