/**
 * The packaged template (`osls package --stage ci`, defaults: testnet, a VPC made by the stack) against the
 * claims of issue 6 and serverless.yml's header: every function wired as the issue asks, sign's network has
 * no road out, the tables are protected and laid out exactly as the code creates them, nothing that holds
 * wallets or keys is deleted with the stack. Custody (key policy, IAM) is in template-iam.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFunctionsConfig } from '../../lib/aws-config.js';
import { createWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { createLedgerTable } from '../../lib/store/ledger-dynamodb-table.js';
import { createRateLimitTable } from '../../lib/store/rate-limit-dynamodb.js';
import { createActivityTable } from '../../lib/store/wallet-activity-dynamodb.js';
import { createAuditTable } from '../../lib/store/audit-dynamodb.js';
import { TemplateResolver } from '../../infra/policy-simulator.js';
import { asList, branches, grants, referencedIds, resource, resourcesOfType, roleStatements, type CfnTemplate, type Json } from '../../infra/template-model.js';
import { packagedStack, ROOT } from '../support/osls-package.js';

let template: CfnTemplate;
let resolver: TemplateResolver;
beforeAll(async () => {
  template = (await packagedStack()).template;
  resolver = new TemplateResolver(template);
}, 300_000);

const FUNCTIONS = { poll: 'PollLambdaFunction', sign: 'SignLambdaFunction', broadcast: 'BroadcastLambdaFunction', verify: 'VerifyLambdaFunction', createWallet: 'CreateWalletLambdaFunction' } as const;
const props = (id: string) => resource(template, id).Properties ?? {};
const obj = (value: Json | undefined) => value as Record<string, Json>;

describe('functions', () => {
  it('run nodejs22.x on arm64, one bundle each, with the handlers of functions/', () => {
    for (const [key, id] of Object.entries(FUNCTIONS)) {
      const p = props(id);
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(String(obj(p.Code).S3Key)).toMatch(new RegExp(`/${key}\\.zip$`));
      expect(p.Handler).toBe(`functions/${key === 'createWallet' ? 'create-wallet' : key}.handler`);
    }
  });

  it('set exactly the environment lib/aws-config.ts reads, which parses, and no secret', () => {
    const source = readFileSync(join(ROOT, 'lib/aws-config.ts'), 'utf8');
    // SIGIL_ALLOW_UNAPPROVED_MAINNET is an escape hatch for tests and local runs: the stack never sets it.
    const read = new Set([...source.matchAll(/\b((?:SIGIL|TATUM)_[A-Z_]+)\b/g)].map((m) => m[1]!).filter((n) => n !== 'SIGIL_ALLOW_UNAPPROVED_MAINNET'));
    expect(read.size).toBe(21);
    for (const id of Object.values(FUNCTIONS)) {
      const variables = obj(obj(props(id).Environment).Variables);
      expect(new Set(Object.keys(variables))).toEqual(read);
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolver.value(v)).replace(/^arn:aws:kms:[^:]+:\d+:key\/WalletKey$/, 'arn:aws:kms:us-east-1:123456789012:key/1234')]));
      env.SIGIL_WALLET_TABLE = 'sigil-ci-wallets';
      env.SIGIL_LEDGER_TABLE = 'sigil-ci-ledger';
      env.SIGIL_RATE_LIMIT_TABLE = 'sigil-ci-rate-limit';
      env.SIGIL_ACTIVITY_TABLE = 'sigil-ci-activity';
      env.SIGIL_AUDIT_TABLE = 'sigil-ci-audit';
      env.SIGIL_EVENT_BUS = 'sigil-ci';
      expect(parseFunctionsConfig(env).network).toBe('testnet');
      expect(parseFunctionsConfig(env).activityTable).toBe('sigil-ci-activity');
      expect(parseFunctionsConfig(env).audit).toEqual({ table: 'sigil-ci-audit', keyId: 'arn:aws:kms:us-east-1:123456789012:key/AuditKey' });
      expect(variables.SIGIL_TATUM_API_KEY_PARAMETER).toMatch(/^\/sigil\/ci\//);
      expect(Object.keys(variables).some((k) => /API_KEY$|PASSWORD|SECRET$/.test(k))).toBe(false);
    }
    expect(resourcesOfType(template, 'AWS::SSM::Parameter')).toEqual([]);
  });

  it('poll: schedule rate(1 minute), no VPC, no retries, events older than 60 s dropped', () => {
    expect(props('PollLambdaFunction').VpcConfig).toBeUndefined();
    expect(props('PollLambdaEvConf')).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => referencedIds(r.Properties?.Targets).has('PollLambdaFunction'));
    expect(schedules.map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['rate(1 minute)']);
  });

  it('sign: fed by the approved-transactions queue with partial batches, a concurrency cap and a redrive DLQ', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]![1].Properties ?? {};
    expect(referencedIds(mapping.FunctionName)).toEqual(new Set(['SignLambdaFunction']));
    expect(referencedIds(mapping.EventSourceArn)).toEqual(new Set(['SignQueue']));
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(obj(mapping.ScalingConfig).MaximumConcurrency).toBe(5);
    const queue = props('SignQueue');
    expect(referencedIds(obj(queue.RedrivePolicy).deadLetterTargetArn)).toEqual(new Set(['SignDeadLetterQueue']));
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(props('SignLambdaFunction').Timeout));
    const rule = props('SignApprovedRule');
    expect(obj(rule.EventPattern)['detail-type']).toEqual(['Pending Transaction Approved']);
    expect(referencedIds(rule.Targets)).toEqual(new Set(['SignQueue', 'EventDeliveryDeadLetterQueue']));
  });

  it('broadcast: target of "Transaction Signed" with a retry policy and DLQs, no VPC', () => {
    expect(props('BroadcastLambdaFunction').VpcConfig).toBeUndefined();
    const rule = props('BroadcastSignedRule');
    expect(obj(rule.EventPattern)['detail-type']).toEqual(['Transaction Signed']);
    const [target] = rule.Targets as Array<Record<string, Json>>;
    expect(referencedIds(target!.Arn)).toEqual(new Set(['BroadcastLambdaFunction']));
    expect(obj(target!.RetryPolicy).MaximumRetryAttempts).toBeGreaterThan(0);
    expect(referencedIds(target!.DeadLetterConfig)).toEqual(new Set(['EventDeliveryDeadLetterQueue']));
    expect(referencedIds(props('BroadcastSignedRulePermission').SourceArn)).toEqual(new Set(['BroadcastSignedRule']));
    const config = props('BroadcastLambdaEvConf');
    expect(config.MaximumRetryAttempts).toBe(2);
    expect(referencedIds(config.DestinationConfig)).toEqual(new Set(['BroadcastFailureQueue']));
  });

  it('verify: daily, in the VPC, with the 15-minute cap; create-wallet: in the VPC, invoked only by the wallet-admin role', () => {
    const verify = props('VerifyLambdaFunction');
    expect(verify.Timeout).toBe(900);
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => referencedIds(r.Properties?.Targets).has('VerifyLambdaFunction'));
    expect(schedules.map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['rate(1 day)']);
    for (const id of ['SignLambdaFunction', 'VerifyLambdaFunction', 'CreateWalletLambdaFunction']) expect(props(id).VpcConfig).toBeDefined();
    const invokers = resourcesOfType(template, 'AWS::IAM::Role').filter(([roleId]) =>
      roleStatements(template, roleId).some(({ statement }) => statement.Effect === 'Allow' && grants(statement, 'lambda:InvokeFunction')),
    );
    expect(invokers.map(([id]) => id)).toEqual(['WalletAdminRole']);
    expect(resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, r]) => referencedIds(r.Properties?.FunctionName).has('CreateWalletLambdaFunction'))).toEqual([]);
  });
});

describe('network: sign has no road to the internet', () => {
  const SUBNETS = ['PrivateSubnetA', 'PrivateSubnetB'];

  it('sign, verify and create-wallet run in the private subnets (with the stack-made VPC by default)', () => {
    expect(resolver.condition('CreateVpc')).toBe(true);
    for (const id of ['SignLambdaFunction', 'VerifyLambdaFunction', 'CreateWalletLambdaFunction']) {
      const vpc = obj(props(id).VpcConfig);
      expect(referencedIds(vpc.SubnetIds)).toEqual(new Set([...SUBNETS, 'ExistingSubnetIds']));
      expect(resolver.value(vpc.SubnetIds)).toEqual(['ref:PrivateSubnetA', 'ref:PrivateSubnetB']);
      expect(resolver.value(vpc.SecurityGroupIds)).toEqual(['ref:LambdaSecurityGroup']);
    }
  });

  it('their route table has no route at all (only the implicit local one and the DynamoDB gateway endpoint)', () => {
    const tables = resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation')
      .filter(([, a]) => SUBNETS.some((s) => referencedIds(a.Properties?.SubnetId).has(s)))
      .map(([, a]) => [...referencedIds(a.Properties?.RouteTableId)][0]);
    expect(tables).toEqual(['PrivateRouteTable', 'PrivateRouteTable']);
    expect(resourcesOfType(template, 'AWS::EC2::Route')).toEqual([]);
    const gateways = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(([, e]) => e.Properties?.VpcEndpointType === 'Gateway');
    expect(gateways.map(([, e]) => resolver.value(e.Properties?.ServiceName))).toEqual(['com.amazonaws.us-east-1.dynamodb']);
    for (const [id] of resourcesOfType(template, 'AWS::EC2::Subnet')) expect(props(id).MapPublicIpOnLaunch).toBe(false);
  });

  it('the stack has no internet, NAT, egress-only or transit gateway, no peering and no public address', () => {
    const outward = ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::TransitGateway', 'AWS::EC2::TransitGatewayAttachment', 'AWS::EC2::VPCPeeringConnection', 'AWS::EC2::EIP', 'AWS::EC2::VPNGateway'];
    expect(Object.values(template.Resources).filter((r) => outward.includes(r.Type))).toEqual([]);
  });

  it('endpoints for KMS, EventBridge and SQS (interface) and DynamoDB (gateway) only, each limited to the stack resources', () => {
    const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').map(([id, e]) => [String(resolver.value(e.Properties?.ServiceName)).split('.').pop(), e.Properties?.VpcEndpointType, id]);
    expect(endpoints.sort()).toEqual([
      ['dynamodb', 'Gateway', 'DynamoDbEndpoint'],
      ['events', 'Interface', 'EventsEndpoint'],
      ['kms', 'Interface', 'KmsEndpoint'],
      ['sqs', 'Interface', 'SqsEndpoint'],
    ]);
    expect(referencedIds(props('KmsEndpoint').PolicyDocument)).toEqual(new Set(['WalletKey']));
    expect(referencedIds(props('EventsEndpoint').PolicyDocument)).toEqual(new Set(['EventBus']));
  });

  it("the functions' security group sends HTTPS only", () => {
    for (const rule of branches(props('LambdaSecurityGroup').SecurityGroupEgress)) {
      expect(obj(rule)).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    }
  });
});

interface CapturedTable {
  create: Record<string, Json>;
  ttl?: Record<string, Json>;
}

/** What lib's create*Table sends to DynamoDB, captured without a network. */
async function captured(create: (client: DynamoDBClient) => Promise<void>): Promise<CapturedTable> {
  const out: Partial<CapturedTable> = {};
  const client = {
    config: {},
    send: async (command: { constructor: { name: string }; input: Record<string, Json> }) => {
      const name = command.constructor.name;
      if (name === 'CreateTableCommand') out.create = command.input;
      if (name === 'UpdateTimeToLiveCommand') out.ttl = command.input;
      if (name === 'DescribeTableCommand') return { Table: { ...out.create, TableStatus: 'ACTIVE' } };
      return {};
    },
  };
  await create(client as unknown as DynamoDBClient);
  return out as CapturedTable;
}

describe('tables', () => {
  const TABLES = ['WalletTable', 'LedgerTable', 'RateLimitTable', 'ActivityTable', 'AuditTable'];

  it('every table has point-in-time recovery, KMS encryption and deletion protection in every replica, and is retained', () => {
    const tables = [...resourcesOfType(template, 'AWS::DynamoDB::GlobalTable'), ...resourcesOfType(template, 'AWS::DynamoDB::Table')];
    expect(tables.map(([id]) => id).sort()).toEqual([...TABLES].sort());
    for (const [id, table] of tables) {
      expect([table.DeletionPolicy, table.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      const replicas = branches(table.Properties?.Replicas).map(obj);
      expect(replicas).toHaveLength(2); // this region, and the optional ReplicaRegion
      for (const replica of replicas) {
        expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
        expect(replica.DeletionProtectionEnabled).toBe(true);
        expect(obj(replica.SSESpecification).KMSMasterKeyId).toBeDefined();
      }
      expect(referencedIds(replicas[0]!.SSESpecification)).toEqual(new Set(['StorageKey']));
    }
  });

  it('mirror exactly the layouts lib/store creates (keys, indexes, projections, billing, TTL)', async () => {
    const layouts = {
      WalletTable: await captured((c) => createWalletTable(c, 'x')),
      LedgerTable: await captured((c) => createLedgerTable(c, 'x')),
      RateLimitTable: await captured((c) => createRateLimitTable(c, 'x')),
      ActivityTable: await captured((c) => createActivityTable(c, 'x')),
      AuditTable: await captured((c) => createAuditTable(c, 'x')),
    };
    const bySet = (list: Json | undefined) => new Set(asList(list as Json[]).map((x) => JSON.stringify(x)));
    for (const [id, layout] of Object.entries(layouts)) {
      const p = props(id);
      expect(bySet(p.AttributeDefinitions), id).toEqual(bySet(layout.create.AttributeDefinitions));
      expect(p.KeySchema, id).toEqual(layout.create.KeySchema);
      expect(p.BillingMode, id).toBe(layout.create.BillingMode);
      expect(p.GlobalSecondaryIndexes ?? [], id).toEqual(layout.create.GlobalSecondaryIndexes ?? []);
      expect(p.LocalSecondaryIndexes ?? [], id).toEqual(layout.create.LocalSecondaryIndexes ?? []);
      const ttl = layout.ttl ? obj(layout.ttl.TimeToLiveSpecification) : undefined;
      expect(p.TimeToLiveSpecification, id).toEqual(ttl ? { AttributeName: ttl.AttributeName, Enabled: true } : undefined);
    }
  });
});

describe('storage, logs and retention', () => {
  it('queues use SQS-managed encryption; the topic and every log group the storage key; logs expire, the audit log in 10 years', () => {
    for (const [id, queue] of resourcesOfType(template, 'AWS::SQS::Queue')) expect(queue.Properties?.SqsManagedSseEnabled, id).toBe(true);
    expect(referencedIds(props('AlertTopic').KmsMasterKeyId)).toEqual(new Set(['StorageKey']));
    for (const [id, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
      expect(referencedIds(group.Properties?.KmsKeyId), id).toEqual(new Set(['StorageKey']));
      expect(group.Properties?.RetentionInDays, id).toBeGreaterThanOrEqual(365);
    }
    expect(props('AuditLogGroup').RetentionInDays).toBe(3653);
  });

  it('keys, tables, the audit log and the event archive survive a stack deletion', () => {
    for (const id of ['WalletKey', 'StorageKey', 'WalletTable', 'LedgerTable', 'RateLimitTable', 'ActivityTable', 'AuditLogGroup', 'EventArchive']) {
      expect(resource(template, id).DeletionPolicy, id).toBe('Retain');
    }
  });

  it('a CloudTrail rule alerts on any management of the wallet key', () => {
    const rule = props('WalletKeyManagementRule');
    const detail = obj(obj(rule.EventPattern).detail);
    expect(detail.eventName).toEqual(expect.arrayContaining(['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'CreateGrant', 'DisableKeyRotation']));
    expect(referencedIds(detail.resources)).toEqual(new Set(['WalletKey']));
    expect(referencedIds(rule.Targets)).toEqual(new Set(['AlertTopic']));
  });
});

describe('serverless.yml', () => {
  it('needs no AWS lookup at package time (${ssm:}, ${cf:}, ${s3:}, ${aws:})', () => {
    const files = ['serverless.yml', ...readdirSync(join(ROOT, 'infra')).filter((f) => f.endsWith('.yml')).map((f) => `infra/${f}`)];
    for (const file of files) {
      const code = readFileSync(join(ROOT, file), 'utf8').split('\n').filter((line) => !/^\s*#/.test(line));
      expect(code.filter((line) => /\$\{(ssm|cf|s3|aws):/.test(line)), file).toEqual([]);
    }
  });
});

describe('stack outputs', () => {
  it('give the operator every name `sigil --store aws` needs: tables, the wallet key and the audit key ARN', () => {
    const outputs = template.Outputs ?? {};
    for (const name of ['WalletTableName', 'LedgerTableName', 'RateLimitTableName', 'ActivityTableName', 'AuditTableName']) expect(outputs[name], name).toBeDefined();
    expect(obj(outputs.WalletKeyArn).Value).toEqual({ 'Fn::GetAtt': ['WalletKey', 'Arn'] });
    // The ARN, not the alias: every audit entry names the key that MACed it, and verify compares that name.
    expect(obj(outputs.AuditKeyArn).Value).toEqual({ 'Fn::GetAtt': ['AuditKey', 'Arn'] });
  });
});
