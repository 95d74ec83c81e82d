/** The audit trail on AWS: entries in the stack's audit table, MACed with its HMAC key (GenerateMac). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDbAuditStore } from '../store/audit-dynamodb.js';
import { KmsAuditMac } from './audit-mac.js';
import { ChainedAuditTrail } from './audit-trail.js';

export function awsAuditTrail(dynamo: DynamoDBClient, kms: KMSClient, audit: { readonly table: string; readonly keyId: string }): ChainedAuditTrail {
  return new ChainedAuditTrail(new DynamoDbAuditStore({ client: dynamo, tableName: audit.table }), new KmsAuditMac({ client: kms, keyId: audit.keyId }));
}
