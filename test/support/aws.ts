/**
 * What AWS suites share: the endpoint injected by the global setup (null → skip the suite) and client
 * options with dummy credentials, so no test can ever reach a real AWS account.
 */
import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';

export const awsEndpoint: string | null = inject('awsEndpoint');

export function awsClientConfig(endpoint: string = awsEndpoint ?? 'http://127.0.0.1:1') {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** A resource name no other test file will pick, since files share one moto_server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
