/**
 * The AWS KMS KeyProvider (ARCHITECTURE §Custody): data keys from GenerateDataKey (KeySpec AES_256) and
 * unwrapped by Decrypt, both with the wallet's EncryptionContext; Decrypt always names the KeyId, so a
 * blob can never be opened with "whatever key it says". The KMSClient is injected (the entry point builds
 * it once per container). Every call is counted, so benches can report KMS calls per seal and per open.
 *
 * AWS errors become CustodyError: DisabledException, NotFoundException, AccessDeniedException,
 * KMSInvalidStateException, KeyUnavailableException → KEY_UNAVAILABLE; InvalidCiphertextException (the
 * blob or the context does not match) → TAMPERED; IncorrectKeyException → KEY_MISMATCH; anything else
 * (throttling, network, internal) → KEY_PROVIDER_FAILED with the AWS error as `cause`.
 */
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ReEncryptCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { DataKey, EncryptionContext } from './key-provider.js';
import type { RewrappableKeyProvider, WrappedDataKey } from './rewrappable-key-provider.js';
import { InvalidInputError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { CustodyError, type CustodyErrorCode } from './custody-error.js';
import { describeValue } from './describe-value.js';
import { assertWalletContext, kmsEncryptionContext } from './context.js';
import { KMS_KEY_ARN_PATTERN } from './envelope-format.js';

export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'Encrypt' | 'ReEncrypt';
export type KmsCallCounts = Readonly<Record<KmsOperation, number>>;

export interface AwsKmsKeyProviderOptions {
  /** Any object with KMSClient's `send` (a KMSClient; a stub in unit tests). */
  readonly client: Pick<KMSClient, 'send'>;
  /** The key new data keys are generated under: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /**
   * KmsCalls per operation for every request, KmsThrottles when one ends in ThrottlingException (after
   * the SDK's own retries: a throttle the SDK absorbed is not seen here).
   */
  readonly metrics?: Metrics;
}

const ERROR_CODES: Readonly<Record<string, CustodyErrorCode>> = {
  DisabledException: 'KEY_UNAVAILABLE',
  NotFoundException: 'KEY_UNAVAILABLE',
  AccessDeniedException: 'KEY_UNAVAILABLE',
  KMSInvalidStateException: 'KEY_UNAVAILABLE',
  KeyUnavailableException: 'KEY_UNAVAILABLE',
  InvalidKeyUsageException: 'KEY_UNAVAILABLE',
  InvalidCiphertextException: 'TAMPERED',
  IncorrectKeyException: 'KEY_MISMATCH',
};

export class AwsKmsKeyProvider implements RewrappableKeyProvider {
  readonly kind = 'aws-kms' as const;
  readonly keyId: string;
  readonly #client: Pick<KMSClient, 'send'>;
  readonly #calls: Record<KmsOperation, number> = { GenerateDataKey: 0, Decrypt: 0, Encrypt: 0, ReEncrypt: 0 };
  readonly #metrics: Metrics | undefined;

  constructor(options: AwsKmsKeyProviderOptions) {
    if (typeof options.keyId !== 'string' || options.keyId.length === 0 || options.keyId.length > 2048) {
      throw new InvalidInputError(`a KMS key id, ARN or alias of 1-2048 characters is required, got ${describeValue(options.keyId)}`);
    }
    this.keyId = options.keyId;
    this.#client = options.client;
    this.#metrics = options.metrics;
  }

  /** KMS calls made so far, per operation. */
  get calls(): KmsCallCounts {
    return { ...this.#calls };
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    assertWalletContext(context);
    const response = await this.#send('GenerateDataKey', context, this.keyId, () =>
      this.#client.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: kmsEncryptionContext(context) }),
      ),
    );
    const { Plaintext: plaintext, CiphertextBlob: wrapped, KeyId: keyId } = response;
    if (!(plaintext instanceof Uint8Array) || plaintext.length !== 32 || !(wrapped instanceof Uint8Array) || !isKeyArn(keyId)) {
      plaintext?.fill(0);
      throw malformedResponse('GenerateDataKey', context, this.keyId);
    }
    return { plaintext, wrapped, keyId };
  }

  async decryptDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext): Promise<Uint8Array> {
    assertWalletContext(context);
    const response = await this.#send('Decrypt', context, keyId, () =>
      this.#client.send(
        new DecryptCommand({
          CiphertextBlob: wrapped,
          KeyId: keyId,
          EncryptionContext: kmsEncryptionContext(context),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      ),
    );
    const plaintext = response.Plaintext;
    if (!(plaintext instanceof Uint8Array) || plaintext.length !== 32) {
      plaintext?.fill(0);
      throw malformedResponse('Decrypt', context, keyId);
    }
    return plaintext;
  }

  /** KMS Encrypt of a given data key under this provider's key (rotation from another provider). */
  async encryptDataKey(plaintext: Uint8Array, context: EncryptionContext): Promise<WrappedDataKey> {
    assertWalletContext(context);
    const response = await this.#send('Encrypt', context, this.keyId, () =>
      this.#client.send(
        new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: kmsEncryptionContext(context) }),
      ),
    );
    if (!(response.CiphertextBlob instanceof Uint8Array) || !isKeyArn(response.KeyId)) {
      throw malformedResponse('Encrypt', context, this.keyId);
    }
    return { wrapped: response.CiphertextBlob, keyId: response.KeyId };
  }

  /**
   * KMS ReEncrypt of a blob wrapped under `sourceKeyId` to this provider's key, same context: rotation
   * between KMS keys without the data key ever leaving KMS.
   */
  async reEncryptDataKey(wrapped: Uint8Array, sourceKeyId: string, context: EncryptionContext): Promise<WrappedDataKey> {
    assertWalletContext(context);
    const kmsContext = kmsEncryptionContext(context);
    const response = await this.#send('ReEncrypt', context, sourceKeyId, () =>
      this.#client.send(
        new ReEncryptCommand({
          CiphertextBlob: wrapped,
          SourceKeyId: sourceKeyId,
          SourceEncryptionContext: kmsContext,
          DestinationKeyId: this.keyId,
          DestinationEncryptionContext: kmsContext,
        }),
      ),
    );
    if (!(response.CiphertextBlob instanceof Uint8Array) || !isKeyArn(response.KeyId)) {
      throw malformedResponse('ReEncrypt', context, this.keyId);
    }
    return { wrapped: response.CiphertextBlob, keyId: response.KeyId };
  }

  async #send<T>(operation: KmsOperation, context: EncryptionContext, keyId: string, call: () => Promise<T>): Promise<T> {
    this.#calls[operation] += 1;
    this.#count('KmsCalls', operation);
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && error.name === 'ThrottlingException') this.#count('KmsThrottles', operation);
      throw kmsError(error, operation, context, keyId);
    }
  }

  /** Best effort: a metrics failure never stands in for the KMS answer or error. */
  #count(name: 'KmsCalls' | 'KmsThrottles', operation: KmsOperation): void {
    try {
      this.#metrics?.emit(name, 1, { Operation: operation });
    } catch {
      /* not counted */
    }
  }
}

/** Maps an AWS SDK error by its `name`; the AWS message is kept out (it is AWS's text, not ours). */
export function kmsError(error: unknown, operation: KmsOperation, context: EncryptionContext, keyId: string): CustodyError {
  const awsError = error instanceof Error ? error.name : 'UnknownError';
  const code = ERROR_CODES[awsError] ?? 'KEY_PROVIDER_FAILED';
  const details = { signatureId: context.signatureId, keyId, operation, awsError };
  return new CustodyError(code, kmsErrorMessage(code, operation, context.signatureId, keyId, awsError), details, { cause: error });
}

function kmsErrorMessage(code: CustodyErrorCode, operation: KmsOperation, signatureId: string, keyId: string, awsError: string): string {
  switch (code) {
    case 'KEY_UNAVAILABLE':
      return (
        `KMS key ${keyId} cannot be used for ${operation} of ${signatureId}: ${awsError} ` +
        '(disabled, missing, pending deletion or access denied)'
      );
    case 'TAMPERED':
      return `the data key of ${signatureId} does not decrypt under ${keyId}: tampered, or bound to another wallet (${awsError})`;
    case 'KEY_MISMATCH':
      return `the data key of ${signatureId} was not wrapped under ${keyId} (${awsError})`;
    default:
      return `KMS ${operation} for ${signatureId} failed: ${awsError}`;
  }
}

function isKeyArn(value: unknown): value is string {
  return typeof value === 'string' && KMS_KEY_ARN_PATTERN.test(value);
}

function malformedResponse(operation: KmsOperation, context: EncryptionContext, keyId: string): CustodyError {
  return new CustodyError('KEY_PROVIDER_FAILED', `KMS ${operation} for ${context.signatureId} returned a malformed response`, {
    signatureId: context.signatureId,
    keyId,
    operation,
  });
}
