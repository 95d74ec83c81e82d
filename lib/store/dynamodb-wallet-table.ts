/**
 * The DynamoDB wallet table's layout (docs/store.md), created here for tests and the CLI; the deployed
 * table comes from serverless.yml with the same keys, plus PITR and deletion protection.
 *
 *   table   key signatureId (S)                       every record, envelope included
 *   index   byChainNetwork: chainNetwork (S) + signatureId (S), projection KEYS_ONLY
 *
 * KEYS_ONLY is a security property, not only a cost one: the poller (no VPC, no kms:Decrypt) lists ids
 * through the index and must be unable to read a sealed secret from it, so its IAM policy can grant the
 * index alone.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { SigilError } from '../errors.js';
import { StoreError } from './store-error.js';

export const WALLET_INDEX_NAME = 'byChainNetwork';

export function dynamoErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** An AWS failure as a StoreError naming the table and the action; AWS's text stays in `cause`. */
export function toDynamoStoreError(error: unknown, table: string, action: string): SigilError {
  if (error instanceof SigilError) return error;
  const name = dynamoErrorName(error) ?? 'unknown error';
  if (name === 'ResourceNotFoundException') {
    return new StoreError('STORE_UNAVAILABLE', `${action}: DynamoDB table ${table} does not exist (create it with the stack, or createWalletTable)`, { table, action, aws: name }, { cause: error });
  }
  return new StoreError('STORE_UNAVAILABLE', `${action}: DynamoDB table ${table} failed with ${name}`, { table, action, aws: name }, { cause: error });
}

export interface CreateWalletTableOptions {
  /** A customer-managed KMS key for SSE; default: the AWS-managed key aws/dynamodb. */
  readonly sseKmsKeyId?: string;
  /** Default true; tests that delete their tables pass false. */
  readonly deletionProtection?: boolean;
  /** How long to wait for ACTIVE. Default 60 s. */
  readonly maxWaitSeconds?: number;
}

/** Create the table (PAY_PER_REQUEST, the KEYS_ONLY index, SSE with KMS) and wait until it is ACTIVE. */
export async function createWalletTable(client: DynamoDBClient, name: string, options: CreateWalletTableOptions = {}): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'signatureId', AttributeType: 'S' },
          { AttributeName: 'chainNetwork', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'signatureId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: WALLET_INDEX_NAME,
            KeySchema: [
              { AttributeName: 'chainNetwork', KeyType: 'HASH' },
              { AttributeName: 'signatureId', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        SSESpecification: { Enabled: true, SSEType: 'KMS', ...(options.sseKmsKeyId ? { KMSMasterKeyId: options.sseKmsKeyId } : {}) },
        DeletionProtectionEnabled: options.deletionProtection ?? true,
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: options.maxWaitSeconds ?? 60, minDelay: 1, maxDelay: 5 }, { TableName: name });
  } catch (error) {
    throw toDynamoStoreError(error, name, 'createWalletTable');
  }
}

export interface WalletTableSummary {
  readonly tableName: string;
  readonly status: string;
  /** 'ENABLED' with a KMS key, or undefined for DynamoDB's default AWS-owned key. */
  readonly sseStatus: string | undefined;
  readonly itemCount: number | undefined;
}

function hasKeys(actual: TableDescription['KeySchema'], expected: ReadonlyArray<readonly [string, 'HASH' | 'RANGE']>): boolean {
  return (
    actual?.length === expected.length &&
    expected.every(([attribute, type]) => actual.some((k) => k.AttributeName === attribute && k.KeyType === type))
  );
}

/**
 * Check that the table exists, is usable and has the layout above; fails with STORE_UNAVAILABLE (missing,
 * not usable) or TABLE_MISMATCH (other keys, index missing or projecting more than keys).
 */
export async function describeWalletTable(client: DynamoDBClient, name: string): Promise<WalletTableSummary> {
  let table: TableDescription | undefined;
  try {
    table = (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    throw toDynamoStoreError(error, name, 'describeWalletTable');
  }
  if (!table) throw new StoreError('STORE_UNAVAILABLE', `describeWalletTable: DynamoDB returned no description of table ${name}`, { table: name });
  const status = table.TableStatus ?? 'UNKNOWN';
  if (status !== 'ACTIVE' && status !== 'UPDATING') {
    throw new StoreError('STORE_UNAVAILABLE', `DynamoDB table ${name} is ${status}, not ACTIVE`, { table: name, status });
  }
  const mismatch = (what: string) => new StoreError('TABLE_MISMATCH', `DynamoDB table ${name} ${what}; see docs/store.md for the wallet table layout`, { table: name });
  if (!hasKeys(table.KeySchema, [['signatureId', 'HASH']])) throw mismatch('is not keyed by signatureId (HASH) alone');
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === WALLET_INDEX_NAME);
  if (!index) throw mismatch(`has no index ${WALLET_INDEX_NAME}`);
  if (!hasKeys(index.KeySchema, [['chainNetwork', 'HASH'], ['signatureId', 'RANGE']])) throw mismatch(`index ${WALLET_INDEX_NAME} is not keyed by chainNetwork + signatureId`);
  if (index.Projection?.ProjectionType !== 'KEYS_ONLY') {
    throw mismatch(`index ${WALLET_INDEX_NAME} projects ${index.Projection?.ProjectionType ?? 'nothing known'}, not KEYS_ONLY (it must never carry a sealed secret)`);
  }
  return { tableName: name, status, sseStatus: table.SSEDescription?.Status, itemCount: table.ItemCount };
}
