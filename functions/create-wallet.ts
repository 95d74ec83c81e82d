/**
 * `create-wallet` (private VPC; invoked by the wallet-admin role): a fresh mnemonic is generated, sealed under
 * the wallet key (KMS GenerateDataKey, the only KMS call this role may make) and stored, so on AWS a
 * mnemonic is born inside the VPC rather than on an operator's laptop.
 *
 * Input: exactly `{"chain", "network"}`, the network being this stage's (the key policy would refuse another
 * one anyway). Output: `{signatureId, xpub}`, as `generatemanagedwallet` prints. The mnemonic never leaves
 * lib/wallets (createMnemonicWallet wipes it): it is not returned, logged, or put in an event.
 *
 * `walletContainer` also serves `verify`: both run the wallet service over the same per-container adapters.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { awsAuditTrail } from '../lib/audit/aws-audit-trail.js';
import { EmfMetrics } from '../lib/metrics/emf.js';
import { parseFunctionsConfig, type FunctionsConfig } from '../lib/aws-config.js';
import { defaultRegistry } from '../lib/chains/registry.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { InvalidInputError } from '../lib/errors.js';
import { EventBridgeEventSink } from '../lib/events/eventbridge-sink.js';
import { DynamoDbWalletStore } from '../lib/store/dynamodb-wallet-store.js';
import { createMnemonicWallet, type MnemonicWalletResult } from '../lib/wallets/create.js';
import type { WalletDeps } from '../lib/wallets/deps.js';

export interface WalletContainer {
  readonly config: FunctionsConfig;
  readonly dynamo: DynamoDBClient;
  readonly deps: WalletDeps;
  /** KMS calls and throttles of this container (EMF on stdout), flushed by each handler before it returns. */
  readonly metrics: EmfMetrics;
}

let cached: WalletContainer | undefined;

/** The wallet service's adapters of this container (built on first call). `env` is process.env on Lambda. */
export function walletContainer(env: Readonly<Record<string, string | undefined>> = process.env): WalletContainer {
  if (cached) return cached;
  const config = parseFunctionsConfig(env);
  const dynamo = new DynamoDBClient({});
  const kms = new KMSClient({});
  const metrics = new EmfMetrics({ stage: config.stage });
  const keys = Promise.resolve(new AwsKmsKeyProvider({ client: kms, keyId: config.kmsKeyId, metrics }));
  const audit = config.audit ? awsAuditTrail(dynamo, kms, config.audit) : undefined;
  cached = {
    config,
    dynamo,
    metrics,
    deps: {
      store: new DynamoDbWalletStore({ client: dynamo, tableName: config.walletTable, registry: defaultRegistry }),
      keys: () => keys,
      events: new EventBridgeEventSink(new EventBridgeClient({}), config.eventBus),
      registry: defaultRegistry,
      ...(audit ? { audit, actor: `sigil-${config.stage}-create-wallet` } : {}),
    },
  };
  return cached;
}

/** Tests only: forget the container's adapters. */
export function resetWalletContainer(): void {
  cached = undefined;
}

export interface CreateWalletRequest {
  readonly chain: string;
  readonly network: string;
}

const FIELDS = ['chain', 'network'] as const;
const CHAIN_CODE = /^[A-Z0-9]{2,10}$/;

/** The invocation payload, checked at the boundary: exactly chain and network, and the stage's network. */
export function parseCreateWalletRequest(event: unknown, stageNetwork: string): CreateWalletRequest {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidInputError('create-wallet expects a JSON object {"chain","network"}');
  }
  const record = event as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new InvalidInputError(`create-wallet accepts only chain and network; got also ${unknown.slice(0, 5).join(', ')}`);
  const { chain, network } = record;
  if (typeof chain !== 'string' || !CHAIN_CODE.test(chain)) {
    throw new InvalidInputError('create-wallet: chain must be a chain code such as "BTC" or "ETH"');
  }
  if (typeof network !== 'string') throw new InvalidInputError(`create-wallet: network must be "${stageNetwork}"`);
  if (network !== stageNetwork) {
    throw new InvalidInputError(`create-wallet: this stage serves network "${stageNetwork}", not "${network.slice(0, 32)}"`, { network: stageNetwork });
  }
  return { chain, network };
}

export async function handler(event: unknown): Promise<MnemonicWalletResult> {
  const container = walletContainer();
  try {
    return await createFor(container, event);
  } finally {
    await container.metrics.flush().catch(() => undefined);
  }
}

async function createFor({ config, deps }: WalletContainer, event: unknown): Promise<MnemonicWalletResult> {
  const request = parseCreateWalletRequest(event, config.network);
  const created = await createMnemonicWallet(deps, request.chain, request.network);
  console.log(`create-wallet: created ${created.signatureId} (${request.chain}, ${request.network})`);
  return { signatureId: created.signatureId, xpub: created.xpub };
}
