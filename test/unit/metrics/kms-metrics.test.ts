/**
 * The AWS KMS key provider's metrics: KmsCalls per operation for every request, KmsThrottles when one ends
 * in ThrottlingException (a stub client: no emulator throttles on demand), and a real seal and open on
 * moto_server's KMS.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { AwsKmsKeyProvider } from '../../../lib/custody/aws-kms-key-provider.js';
import { MemoryMetrics } from '../../../lib/metrics/metrics.js';
import { awsClientConfig, awsEndpoint } from '../../support/aws.js';
import { contextFor } from '../../contract/key-provider.contract.js';
import { runKmsEmitter } from './emitters.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function awsError(name: string): Error {
  const error = new Error(`${name} from the stub`);
  error.name = name;
  return error;
}

/** A provider whose client fails every call with `name`. */
function failingProvider(name: string, metrics: MemoryMetrics) {
  return new AwsKmsKeyProvider({ client: { send: async () => { throw awsError(name); } }, keyId: KEY, metrics });
}

const byOperation = (metrics: MemoryMetrics, name: 'KmsCalls' | 'KmsThrottles') =>
  Object.fromEntries(['GenerateDataKey', 'Decrypt', 'Encrypt', 'ReEncrypt'].map((op) => [op, metrics.total(name, { Operation: op })]));

describe('AWS KMS key provider metrics', () => {
  it('a ThrottlingException counts one call and one throttle of that operation', async () => {
    const metrics = new MemoryMetrics();
    const provider = failingProvider('ThrottlingException', metrics);
    const context = contextFor();
    await expect(provider.decryptDataKey(new Uint8Array(8), KEY, context)).rejects.toMatchObject({ code: 'KEY_PROVIDER_FAILED' });
    await expect(provider.generateDataKey(context)).rejects.toMatchObject({ code: 'KEY_PROVIDER_FAILED' });
    await expect(provider.reEncryptDataKey(new Uint8Array(8), KEY, context)).rejects.toThrow();
    expect(byOperation(metrics, 'KmsCalls')).toEqual({ GenerateDataKey: 1, Decrypt: 1, Encrypt: 0, ReEncrypt: 1 });
    expect(byOperation(metrics, 'KmsThrottles')).toEqual({ GenerateDataKey: 1, Decrypt: 1, Encrypt: 0, ReEncrypt: 1 });
  });

  it.each(['AccessDeniedException', 'InvalidCiphertextException', 'InternalFailure', 'TimeoutError'])('%s is a call, not a throttle', async (name) => {
    const metrics = new MemoryMetrics();
    await expect(failingProvider(name, metrics).encryptDataKey(new Uint8Array(32), contextFor())).rejects.toThrow();
    expect(byOperation(metrics, 'KmsCalls')).toEqual({ GenerateDataKey: 0, Decrypt: 0, Encrypt: 1, ReEncrypt: 0 });
    expect(metrics.total('KmsThrottles')).toBe(0);
  });

  it('a Metrics adapter that throws never replaces the KMS error', async () => {
    const broken = { emit: () => { throw new Error('metrics down'); }, flush: async () => {} } as unknown as MemoryMetrics;
    await expect(failingProvider('ThrottlingException', broken).decryptDataKey(new Uint8Array(8), KEY, contextFor())).rejects.toMatchObject({
      code: 'KEY_PROVIDER_FAILED',
      context: expect.objectContaining({ awsError: 'ThrottlingException' }),
    });
  });

  it('a context that fails validation makes no call and counts nothing', async () => {
    const metrics = new MemoryMetrics();
    const provider = failingProvider('ThrottlingException', metrics);
    await expect(provider.generateDataKey({ app: 'sigil' } as never)).rejects.toThrow();
    expect(metrics.points).toEqual([]);
  });

  it.skipIf(!awsEndpoint)('a seal and an open on a KMS API: one GenerateDataKey, one Decrypt, no throttle', async () => {
    const metrics = new MemoryMetrics();
    await runKmsEmitter(new KMSClient(awsClientConfig()), metrics);
    expect(metrics.points).toEqual([
      { name: 'KmsCalls', value: 1, dimensions: { Operation: 'GenerateDataKey' } },
      { name: 'KmsCalls', value: 1, dimensions: { Operation: 'Decrypt' } },
    ]);
  });
});
