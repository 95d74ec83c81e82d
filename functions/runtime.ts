/**
 * The AWS adapters, built once per Lambda container and reused by every invocation (the SDK clients keep
 * their connections; the opened-wallet cache keeps KMS Decrypts to one per wallet per cache period).
 * The Tatum API key is read from SSM Parameter Store with decryption on first use, and kept in memory only.
 */
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseFunctionsConfig, type FunctionsConfig } from '../lib/aws-config.js';
import { awsAuditTrail } from '../lib/audit/aws-audit-trail.js';
import { EmfMetrics } from '../lib/metrics/emf.js';
import type { Metrics } from '../lib/metrics/metrics.js';
import { defaultRegistry } from '../lib/chains/registry.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { SigilError } from '../lib/errors.js';
import { EventBridgeEventSink } from '../lib/events/eventbridge-sink.js';
import { DEFAULT_FEE_CAPS, type PipelineDeps } from '../lib/pipeline/deps.js';
import { OpenedWalletCache } from '../lib/pipeline/opened-wallets.js';
import { DynamoDbLedger } from '../lib/store/ledger-dynamodb.js';
import { DynamoDbRateLimiter } from '../lib/store/rate-limit-dynamodb.js';
import { DynamoDbWalletStore } from '../lib/store/dynamodb-wallet-store.js';
import { HttpTatumApi, type TatumApi } from '../lib/tatum/client.js';
import { checkPolicyDeployable } from '../lib/pipeline/policy-gate.js';
import { loadPolicyFile } from '../lib/policy/load-policy-file.js';
import { DynamoDbWalletActivity } from '../lib/store/wallet-activity-dynamodb.js';
import { defaultBurstFor } from '../lib/tatum/rate-limiter.js';

export interface Runtime {
  readonly config: FunctionsConfig;
  /** This container's metrics (EMF on stdout); every handler flushes them before it returns. */
  readonly metrics: Metrics;
  /**
   * The pipeline's ports for one invocation. `sign` runs in a VPC whose only endpoints are KMS, DynamoDB,
   * EventBridge and SQS: it gets no Tatum client (and never reads the Tatum key from SSM, which it could not
   * reach); any Tatum call from it is a bug and fails at once.
   */
  readonly deps: (owner: string, options?: { readonly tatum?: boolean }) => Promise<PipelineDeps>;
}

/** The Tatum port of a function that must not talk to Tatum. */
const NO_TATUM: TatumApi = new Proxy({} as TatumApi, {
  get: (_target, method) => () => Promise.reject(new SigilError('NO_TATUM', `this function has no access to Tatum (called ${String(method)})`)),
});

let cached: Runtime | undefined;

async function readParameter(ssm: SSMClient, name: string): Promise<string> {
  const answer = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = answer.Parameter?.Value;
  if (!value) throw new SigilError('CONFIG', `SSM parameter ${name} is empty or missing`, { parameter: name });
  return value;
}

/** The adapters of this container (built on first call). `env` is process.env in production. */
export function runtime(env: Readonly<Record<string, string | undefined>> = process.env): Runtime {
  if (cached) return cached;
  const config = parseFunctionsConfig(env);
  const dynamo = new DynamoDBClient({});
  const ssm = new SSMClient({});
  const kms = new KMSClient({});
  const events = new EventBridgeClient({});
  const openedWallets = new OpenedWalletCache({ maxEntries: 500, maxAgeMs: 10 * 60_000 });
  const metrics = new EmfMetrics({ stage: config.stage });
  const keys = new AwsKmsKeyProvider({ client: kms, keyId: config.kmsKeyId, metrics });
  // The policy ships inside the package (serverless.yml `policyFile`): the signer, which has no route to SSM,
  // reads the very file the poller does. A bad file fails the container's first invocation, loudly.
  const policy = config.policyFile ? loadPolicyFile(resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), config.policyFile), defaultRegistry) : undefined;
  const audit = config.audit ? awsAuditTrail(dynamo, kms, config.audit) : undefined;
  const activity = config.activityTable ? new DynamoDbWalletActivity({ client: dynamo, tableName: config.activityTable }) : undefined;
  checkPolicyDeployable(policy, { activity: activity !== undefined, fourEye: config.fourEye !== undefined });
  let secrets: Promise<{ apiKey: string; approvalSecret?: Uint8Array }> | undefined;
  const loadSecrets = () =>
    (secrets ??= (async () => {
      const apiKey = await readParameter(ssm, config.tatumApiKeyParameter);
      const secretParameter = config.fourEye?.secretParameter;
      return { apiKey, ...(secretParameter ? { approvalSecret: new TextEncoder().encode(await readParameter(ssm, secretParameter)) } : {}) };
    })().catch((error) => {
      secrets = undefined; // a transient SSM failure must not poison the container
      throw error;
    }));
  let tatum: HttpTatumApi | undefined;
  cached = {
    config,
    metrics,
    async deps(owner, options = {}) {
      const withTatum = options.tatum !== false;
      const { apiKey, approvalSecret } = withTatum ? await loadSecrets() : { apiKey: '', approvalSecret: undefined };
      if (withTatum) tatum ??= new HttpTatumApi({
        baseUrl: config.tatumApiUrl,
        apiKey,
        rateLimiter: new DynamoDbRateLimiter({ client: dynamo, tableName: config.rateLimitTable, ratePerSecond: config.tatumRatePerSecond, burst: defaultBurstFor(config.tatumRatePerSecond) }),
        timeoutMs: 8_000,
        metrics,
      });
      const { secretParameter: _unused, ...fourEye } = config.fourEye ?? ({} as NonNullable<FunctionsConfig['fourEye']>);
      return {
        registry: defaultRegistry,
        wallets: new DynamoDbWalletStore({ client: dynamo, tableName: config.walletTable }),
        ledger: new DynamoDbLedger(dynamo, config.ledgerTable),
        tatum: withTatum ? tatum! : NO_TATUM,
        keys,
        events: new EventBridgeEventSink(events, config.eventBus),
        openedWallets,
        metrics,
        ...(policy ? { policy } : {}),
        ...(activity ? { activity } : {}),
        ...(audit ? { audit } : {}),
        now: Date.now,
        owner,
        config: {
          network: config.network,
          leaseMs: config.leaseMs,
          approvalRetryMs: 60_000,
          settleAfterMs: 60_000,
          feeCaps: DEFAULT_FEE_CAPS,
          concurrency: config.concurrency,
          ...(config.fourEye ? { fourEye: { ...fourEye, ...(approvalSecret ? { secret: approvalSecret } : {}) } as PipelineDeps['config']['fourEye'] & object } : {}),
        },
      };
    },
  };
  return cached;
}

/** Run one invocation's work, then write out its metrics (also when the work throws). */
export async function withMetrics<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await cached?.metrics.flush().catch(() => undefined);
  }
}

/** Tests only: forget the container's adapters. */
export function resetRuntime(): void {
  cached = undefined;
}
