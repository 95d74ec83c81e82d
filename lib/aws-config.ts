/**
 * The Lambda functions' configuration, from their environment (set by serverless.yml), validated once per
 * container. The Tatum API key is NOT here: only the name of its SSM SecureString parameter, read at run
 * time (never written into the template or an environment value).
 */
import { InvalidInputError } from './errors.js';
import { parseFourEyeUrl, type FourEyeConfig } from './pipeline/four-eye.js';

export interface FunctionsConfig {
  /** The stack's stage: the `Stage` dimension of every metric. */
  readonly stage: string;
  readonly network: string;
  readonly walletTable: string;
  readonly ledgerTable: string;
  readonly rateLimitTable: string;
  /** Wallet-activity history (velocity, unusual activity); absent = none kept (a policy with velocity rules refuses to start). */
  readonly activityTable?: string;
  readonly kmsKeyId: string;
  /**
   * The audit trail (docs/audit.md): its DynamoDB table and the ARN of its KMS HMAC key, both or neither
   * (absent: the functions record nothing — tests and stacks that predate the trail).
   */
  readonly audit?: { readonly table: string; readonly keyId: string };
  readonly eventBus: string;
  readonly tatumApiUrl: string;
  /** SSM parameter (SecureString) that holds the Tatum API key. */
  readonly tatumApiKeyParameter: string;
  readonly tatumRatePerSecond: number;
  readonly fourEye?: Omit<FourEyeConfig, 'secret'> & { readonly secretParameter?: string };
  readonly leaseMs: number;
  readonly concurrency: number;
  /** poll: 0 = one pass per invocation, else a pass every period until shortly before the timeout. */
  readonly pollPeriodMs: number;
  /** The policy file shipped in the function's package (relative to the package root); absent = none. */
  readonly policyFile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string, pattern: RegExp, what: string): string {
  const value = env[name];
  if (value === undefined || !pattern.test(value)) throw new InvalidInputError(`${name} must be ${what}`, { variable: name });
  return value;
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new InvalidInputError(`${name} must be a number from ${min} to ${max}`, { variable: name });
  return value;
}

const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;

/** SIGIL_AUDIT_TABLE and SIGIL_AUDIT_KEY_ID go together: one without the other is a misconfigured stack. */
function auditConfig(env: Env): { audit?: { table: string; keyId: string } } {
  const given = (name: string) => env[name] !== undefined && env[name] !== '';
  if (!given('SIGIL_AUDIT_TABLE') && !given('SIGIL_AUDIT_KEY_ID')) return {};
  return {
    audit: {
      table: required(env, 'SIGIL_AUDIT_TABLE', TABLE, 'a DynamoDB table name (set with SIGIL_AUDIT_KEY_ID)'),
      keyId: required(env, 'SIGIL_AUDIT_KEY_ID', /^[A-Za-z0-9:/_-]{1,2048}$/, 'the KMS HMAC key ARN of the audit trail (set with SIGIL_AUDIT_TABLE)'),
    },
  };
}

export function parseFunctionsConfig(env: Env): FunctionsConfig {
  const externalUrl = env.SIGIL_EXTERNAL_URL;
  const method = (env.SIGIL_EXTERNAL_URL_METHOD ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new InvalidInputError('SIGIL_EXTERNAL_URL_METHOD must be GET or POST');
  const network = required(env, 'SIGIL_NETWORK', /^[a-z][a-z0-9-]{0,31}$/, "a network name ('mainnet', 'testnet' or a custom one)");
  if (network === 'mainnet' && !externalUrl && env.SIGIL_ALLOW_UNAPPROVED_MAINNET !== 'true') {
    throw new InvalidInputError('mainnet needs four-eye approval: set SIGIL_EXTERNAL_URL (the ExternalUrl parameter of the stack)');
  }
  return {
    stage: required(env, 'SIGIL_STAGE', /^[A-Za-z0-9_.:-]{1,64}$/, 'the stage name (1–64 of A–Z a–z 0–9 _ . : -)'),
    network,
    walletTable: required(env, 'SIGIL_WALLET_TABLE', TABLE, 'a DynamoDB table name'),
    ledgerTable: required(env, 'SIGIL_LEDGER_TABLE', TABLE, 'a DynamoDB table name'),
    rateLimitTable: required(env, 'SIGIL_RATE_LIMIT_TABLE', TABLE, 'a DynamoDB table name'),
    ...(env.SIGIL_ACTIVITY_TABLE !== undefined && env.SIGIL_ACTIVITY_TABLE !== ''
      ? { activityTable: required(env, 'SIGIL_ACTIVITY_TABLE', TABLE, 'a DynamoDB table name') }
      : {}),
    ...(env.SIGIL_POLICY_FILE !== undefined && env.SIGIL_POLICY_FILE !== ''
      ? { policyFile: required(env, 'SIGIL_POLICY_FILE', /^(?!\/)(?!.*\.\.)[A-Za-z0-9_./-]{1,255}\.(ya?ml|json)$/, 'a relative path to a .yaml, .yml or .json file in the package') }
      : {}),
    kmsKeyId: required(env, 'SIGIL_KMS_KEY_ID', /^[A-Za-z0-9:/_-]{1,2048}$/, 'a KMS key id, ARN or alias'),
    ...auditConfig(env),
    eventBus: required(env, 'SIGIL_EVENT_BUS', /^[A-Za-z0-9/._-]{1,256}$/, 'an EventBridge bus name'),
    tatumApiUrl: env.TATUM_API_URL ?? 'https://api.tatum.io',
    tatumApiKeyParameter: required(env, 'SIGIL_TATUM_API_KEY_PARAMETER', /^[A-Za-z0-9/._-]{1,2048}$/, 'an SSM parameter name'),
    tatumRatePerSecond: number(env, 'SIGIL_TATUM_RATE', 10, 0.1, 100_000),
    ...(externalUrl
      ? {
          fourEye: {
            url: parseFourEyeUrl(externalUrl),
            method,
            timeoutMs: number(env, 'SIGIL_APPROVAL_TIMEOUT_MS', 10_000, 100, 120_000),
            ...(env.SIGIL_EXTERNAL_URL_SECRET_PARAMETER ? { secretParameter: env.SIGIL_EXTERNAL_URL_SECRET_PARAMETER } : {}),
          },
        }
      : {}),
    leaseMs: number(env, 'SIGIL_LEASE_MS', 5 * 60_000, 1_000, 24 * 3_600_000),
    concurrency: number(env, 'SIGIL_CONCURRENCY', 8, 1, 256),
    pollPeriodMs: number(env, 'SIGIL_POLL_PERIOD_SECONDS', 0, 0, 900) * 1000,
  };
}
