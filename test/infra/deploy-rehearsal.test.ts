/**
 * Deploy rehearsal: the packaged stack created on moto_server's CloudFormation, its artifacts uploaded to
 * moto's S3, then the resources checked through the services' own APIs, the wallet functions run in-process
 * on the deployed tables, key and bus (with the environment the stack gave them), and the stack deleted to
 * see what is retained.
 *
 * What moto lacks, and how the rehearsal adapts (everything else is the packaged template as is):
 * - Resource types moto's CloudFormation does not implement, skipped by moto and listed in MOTO_LACKS:
 *   CloudWatch alarms, Lambda event-invoke configs, S3 bucket policies, SQS queue policies, SNS topic
 *   policies (and SNS subscriptions, absent here anyway: no AlertEmail). template.test.ts checks them.
 * - AWS::DynamoDB::GlobalTable: not implemented; each becomes an AWS::DynamoDB::Table with the same keys,
 *   indexes, billing and TTL, and its first replica's PITR, deletion protection and KMS key.
 * - Fn::Cidr: not implemented; computed here for the default VpcCidr.
 * - Ref of an AWS::Events::EventBus returns moto's object, not the name; replaced by the name.
 * - AWS::KMS::Key Tags: moto reads the KMS API's TagKey/TagValue instead of CloudFormation's Key/Value.
 * - AWS::Events::Archive EventPattern: moto wants a JSON string, not an object; so does a key's KeyPolicy
 *   (moto keeps an object and then fails DescribeKey): both wrapped in Fn::ToJsonString, which moto resolves.
 * - moto's CloudFormation ignores a table's TimeToLiveSpecification, PointInTimeRecoverySpecification and
 *   SSESpecification (it passes CloudFormation's SSEEnabled where its API reads Enabled), a key's MultiRegion
 *   and a function's Architectures; it lists no subnet association of a route table made by
 *   SubnetRouteTableAssociation, and filters no event source mapping by function name; it deletes a VPC
 *   before what is in it. Those checks run on LocalStack only (template.test.ts covers them statically).
 * Physical names get a unique prefix instead of `sigil-ci`, so reruns on one server do not collide.
 */
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInternetGatewaysCommand, DescribeNatGatewaysCommand, DescribeRouteTablesCommand, DescribeVpcEndpointsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KmsAuditMac } from '../../lib/audit/audit-mac.js';
import { verifyAuditTrail } from '../../lib/audit/verify.js';
import { DynamoDbAuditStore } from '../../lib/store/audit-dynamodb.js';
import { describeWalletTable } from '../../lib/store/dynamodb-wallet-table.js';
import { handler as createWallet, resetWalletContainer } from '../../functions/create-wallet.js';
import { handler as verify } from '../../functions/verify.js';
import type { CfnTemplate, Json } from '../../infra/template-model.js';
import { awsClientConfig, awsEndpoint } from '../support/aws.js';
import { packagedStack } from '../support/osls-package.js';

const MOTO_LACKS = ['AWS::CloudWatch::Alarm', 'AWS::Lambda::EventInvokeConfig', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'];

/** The /n subnets `Fn::Cidr [cidr, count, hostBits]` yields, for IPv4. */
function cidrs(cidr: string, count: number, hostBits: number): string[] {
  const [address, prefix] = cidr.split('/') as [string, string];
  const base = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0) & ~(2 ** (32 - Number(prefix)) - 1);
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * 2 ** hostBits;
    return `${[24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')}/${32 - hostBits}`;
  });
}

/** The packaged template adapted to moto (see the file header); `prefix` replaces `sigil-ci` in names. */
function rehearsalTemplate(packaged: CfnTemplate, prefix: string, bucket: string, forMoto: boolean): CfnTemplate {
  const template = JSON.parse(JSON.stringify(packaged).replaceAll('"sigil-ci"', `"${prefix}"`).replaceAll('sigil-ci-', `${prefix}-`)) as CfnTemplate & { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> };
  const busName = template.Resources.EventBus!.Properties.Name as string;
  const vpcCidr = template.Parameters!.VpcCidr!.Default!;
  const rewrite = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    if (forMoto && node.Ref === 'EventBus') return busName;
    if (forMoto && Array.isArray(node['Fn::Cidr'])) {
      const [, count, bits] = node['Fn::Cidr'];
      return cidrs(vpcCidr, Number(count), Number(bits));
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]));
  };
  for (const resource of Object.values(template.Resources)) {
    resource.Properties = rewrite(resource.Properties) as Record<string, Json>;
    const p = resource.Properties;
    if (resource.Type === 'AWS::Lambda::Function') (p.Code as Record<string, Json>).S3Bucket = bucket;
    if (resource.Type === 'AWS::DynamoDB::GlobalTable') {
      const { Replicas, SSESpecification: _sse, StreamSpecification: _stream, ...rest } = p;
      const replica = (Replicas as Array<Record<string, Json>>)[0]!;
      resource.Type = 'AWS::DynamoDB::Table';
      resource.Properties = {
        ...rest,
        PointInTimeRecoverySpecification: replica.PointInTimeRecoverySpecification!,
        DeletionProtectionEnabled: replica.DeletionProtectionEnabled!,
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: (replica.SSESpecification as Record<string, Json>).KMSMasterKeyId! },
      };
    }
    if (!forMoto) continue;
    if (resource.Type === 'AWS::KMS::Key') p.Tags = (p.Tags as Array<{ Key: string; Value: string }>).map(({ Key, Value }) => ({ TagKey: Key, TagValue: Value }));
    if (resource.Type === 'AWS::Events::Archive') p.EventPattern = JSON.stringify(p.EventPattern);
    if (resource.Type === 'AWS::KMS::Key') p.KeyPolicy = { 'Fn::ToJsonString': p.KeyPolicy! };
  }
  return template;
}

describe.skipIf(!awsEndpoint)('deploy rehearsal on CloudFormation (moto)', () => {
  const config = awsClientConfig();
  const cfn = new CloudFormationClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const dynamo = new DynamoDBClient(config);
  const kms = new KMSClient(config);
  const ec2 = new EC2Client(config);
  const lambda = new LambdaClient(config);
  const events = new EventBridgeClient(config);
  const iam = new IAMClient(config);
  const sqs = new SQSClient(config);
  const id = randomUUID().slice(0, 8);
  const prefix = `sigil-${id}`;
  const stackName = `sigil-rehearsal-${id}`;
  const bucket = `sigil-rehearsal-artifacts-${id}`;
  let template: CfnTemplate;
  let isMoto = false;
  let resources = new Map<string, StackResourceSummary>();
  const physical = (logicalId: string) => resources.get(logicalId)!.PhysicalResourceId!;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    const stack = await packagedStack();
    isMoto = (await fetch(`${awsEndpoint}/moto-api/`).catch(() => undefined))?.ok === true;
    template = rehearsalTemplate(stack.template, prefix, bucket, isMoto);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const resource of Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      const key = String((resource.Properties!.Code as Record<string, Json>).S3Key);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(stack.artifacts[basename(key, '.zip')]!) }));
    }
    await cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] }));
    for (let i = 0; i < 300; i++) {
      const status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
      if (!status.StackStatus!.endsWith('_IN_PROGRESS')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    let token: string | undefined;
    do {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      for (const r of page.StackResourceSummaries ?? []) resources.set(r.LogicalResourceId!, r);
      token = page.NextToken;
    } while (token);
  }, 300_000);

  afterAll(() => {
    resetWalletContainer();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    for (const client of [cfn, s3, dynamo, kms, ec2, lambda, events, iam, sqs]) client.destroy();
  });

  it('reaches CREATE_COMPLETE with every resource but those moto lacks', async () => {
    const status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    expect(status.StackStatus, status.StackStatusReason).toBe('CREATE_COMPLETE');
    const expected = Object.entries(template.Resources).filter(([, r]) => !r.Condition || r.Condition === 'CreateVpc');
    const missing = expected.filter(([logicalId]) => !resources.has(logicalId)).map(([, r]) => r.Type);
    if (isMoto) expect([...new Set(missing)].sort()).toEqual([...MOTO_LACKS].sort());
    else expect(missing).toEqual([]);
    expect(resources.size).toBeGreaterThan(70);
    expect(resources.has('AlertEmailSubscription')).toBe(false); // no AlertEmail: its condition is false
  });

  it('the tables exist with the layout the code checks, KMS encryption and deletion protection', async () => {
    const summary = await describeWalletTable(dynamo, physical('WalletTable'));
    expect(summary.tableName).toBe(`${prefix}-wallets`);
    for (const logicalId of ['WalletTable', 'LedgerTable', 'RateLimitTable']) {
      const { Table: table } = await dynamo.send(new DescribeTableCommand({ TableName: physical(logicalId) }));
      expect(table?.DeletionProtectionEnabled, logicalId).toBe(true);
      // moto's CloudFormation hands CloudFormation's SSESpecification (SSEEnabled) to an API that reads Enabled.
      if (!isMoto) expect(table?.SSEDescription?.SSEType, logicalId).toBe('KMS');
      expect(table?.BillingModeSummary?.BillingMode, logicalId).toBe('PAY_PER_REQUEST');
    }
    const { Table: ledger } = await dynamo.send(new DescribeTableCommand({ TableName: physical('LedgerTable') }));
    expect(ledger?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType])).toEqual([['byAttention', 'ALL']]);
    if (!isMoto) {
      const backups = await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: physical('WalletTable') }));
      expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
    }
  });

  it('the wallet key rotates and carries the separation-of-duties policy', async () => {
    const keyId = physical('WalletKey');
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeySpec).toBe('SYMMETRIC_DEFAULT');
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!;
    for (const sid of ['SignersDecryptWalletSecretsOfThisNetwork', 'DenyDecryptToAllButSignersAndCustodian', 'CustodianRecoveryWithMfa', 'DenyGrantsToEveryone']) expect(policy).toContain(sid);
    expect(policy).toContain(`role/${prefix}-sign`);
  });

  it("sign's subnets route nowhere but the VPC and the DynamoDB endpoint; the VPC has the four endpoints and no gateway", async () => {
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${prefix}-sign` }));
    const subnets = fn.VpcConfig?.SubnetIds ?? [];
    expect(subnets.sort()).toEqual([physical('PrivateSubnetA'), physical('PrivateSubnetB')].sort());
    expect(fn.VpcConfig?.SecurityGroupIds).toEqual([physical('LambdaSecurityGroup')]);
    const { RouteTables: tables = [] } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [physical('PrivateRouteTable')] }));
    if (!isMoto) expect(tables.flatMap((t) => t.Associations ?? []).map((a) => a.SubnetId).sort()).toEqual([...subnets].sort());
    expect(template.Resources.PrivateSubnetARouteTable?.Type).toBe('AWS::EC2::SubnetRouteTableAssociation');
    for (const route of tables.flatMap((t) => t.Routes ?? [])) {
      expect(route.NatGatewayId ?? route.EgressOnlyInternetGatewayId ?? route.TransitGatewayId ?? route.VpcPeeringConnectionId ?? route.NetworkInterfaceId).toBeUndefined();
      expect(route.GatewayId === 'local' || route.GatewayId?.startsWith('vpce-') || route.GatewayId === undefined, JSON.stringify(route)).toBe(true);
    }
    const vpcId = physical('Vpc');
    const { InternetGateways = [] } = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }));
    expect(InternetGateways).toEqual([]);
    const { NatGateways = [] } = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(NatGateways.filter((n) => n.State !== 'deleted')).toEqual([]);
    const { VpcEndpoints = [] } = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(VpcEndpoints.map((e) => [e.ServiceName!.split('.').pop(), e.VpcEndpointType]).sort()).toEqual([
      ['dynamodb', 'Gateway'],
      ['events', 'Interface'],
      ['kms', 'Interface'],
      ['sqs', 'Interface'],
    ]);
  });

  it('the functions exist as configured: runtime, architecture, VPC or not, roles, the SQS event source', async () => {
    for (const [name, inVpc] of [['poll', false], ['sign', true], ['broadcast', false], ['verify', true], ['create-wallet', true]] as const) {
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${prefix}-${name}` }));
      expect(fn.Runtime, name).toBe('nodejs22.x');
      if (!isMoto) expect(fn.Architectures, name).toEqual(['arm64']); // moto ignores Architectures
      expect(fn.Role, name).toMatch(new RegExp(`:role/${prefix}-${name}$`));
      expect((fn.VpcConfig?.SubnetIds?.length ?? 0) > 0, name).toBe(inVpc);
      expect(fn.Environment?.Variables?.SIGIL_KMS_KEY_ID, name).toMatch(/^arn:aws:kms:/);
    }
    const sign = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${prefix}-sign` }));
    const { EventSourceMappings: all = [] } = await lambda.send(new ListEventSourceMappingsCommand({}));
    const EventSourceMappings = all.filter((m) => m.FunctionArn === sign.FunctionArn);
    expect(EventSourceMappings.map((m) => [m.FunctionResponseTypes, m.ScalingConfig?.MaximumConcurrency])).toEqual([[['ReportBatchItemFailures'], 5]]);
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-sign` }))).QueueUrl!;
    const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }));
    expect(EventSourceMappings.map((m) => m.EventSourceArn)).toEqual([queue.Attributes!.QueueArn]);
    expect(JSON.parse(queue.Attributes!.RedrivePolicy!).deadLetterTargetArn).toMatch(new RegExp(`:${prefix}-sign-dlq$`));
  });

  it('the rules route to their targets, and the poll role holds no KMS permission', async () => {
    const bus = `${prefix}`;
    const targets = async (rule: string) => (await events.send(new ListTargetsByRuleCommand({ Rule: `${prefix}-${rule}`, EventBusName: bus }))).Targets!.map((t) => t.Arn);
    expect((await events.send(new DescribeRuleCommand({ Name: `${prefix}-sign-approved`, EventBusName: bus }))).EventPattern).toContain('Pending Transaction Approved');
    expect(await targets('sign-approved')).toEqual([expect.stringMatching(new RegExp(`:${prefix}-sign$`))]);
    expect(await targets('broadcast-signed')).toEqual([expect.stringMatching(new RegExp(`:function:${prefix}-broadcast$`))]);
    const poll = await iam.send(new GetRolePolicyCommand({ RoleName: `${prefix}-poll`, PolicyName: 'poll' }));
    expect(decodeURIComponent(poll.PolicyDocument!)).not.toMatch(/kms:/i);
  });

  it('the wallet functions work on the deployed tables, key and bus, with the environment the stack set', async () => {
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${prefix}-create-wallet` }));
    const variables = { ...fn.Environment!.Variables };
    // moto's CloudFormation creates every AWS::KMS::Key as SYMMETRIC_DEFAULT, dropping KeySpec HMAC_256 (the
    // template's, asserted in template-iam.test.ts): give the functions an HMAC key made through the KMS API.
    const deployedAuditKey = (await kms.send(new DescribeKeyCommand({ KeyId: variables.SIGIL_AUDIT_KEY_ID! }))).KeyMetadata!;
    if (isMoto && deployedAuditKey.KeySpec !== 'HMAC_256') {
      variables.SIGIL_AUDIT_KEY_ID = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!.Arn!;
    }
    Object.assign(process.env, variables, { AWS_ENDPOINT_URL: awsEndpoint!, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    resetWalletContainer();
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
    let drill;
    try {
      const created = await createWallet({ chain: 'ETH', network: 'testnet' });
      expect(created.xpub).toMatch(/^xpub/);
      resetWalletContainer();
      drill = await verify({}, { getRemainingTimeInMillis: () => 600_000 });
    } finally {
      quiet.mockRestore();
    }
    expect(drill).toMatchObject({ network: 'testnet', checked: 1, ok: 1, cycleComplete: true });
    // The wallet's creation is on the stack's audit table, MACed with the audit key, and verifies.
    const store = new DynamoDbAuditStore({ client: dynamo, tableName: variables.SIGIL_AUDIT_TABLE! });
    const verified = await verifyAuditTrail(store, new KmsAuditMac({ client: kms, keyId: variables.SIGIL_AUDIT_KEY_ID! }));
    expect(verified).toMatchObject({ ok: true, streams: 1, entries: 1 });
    expect((await store.recent(10)).map((item) => item.entry?.action ?? 'damaged')).toEqual(['wallet.created']);
  });

  it('deleting the stack keeps the tables and the keys', async (context) => {
    // moto deletes a stack's VPC before its subnets and endpoints, and fails (DependencyViolation).
    if (isMoto) context.skip();
    await cfn.send(new DeleteStackCommand({ StackName: stackName }));
    for (let i = 0; i < 120; i++) {
      const status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => ({ Stacks: [] }))).Stacks?.[0]?.StackStatus;
      if (!status || !status.endsWith('_IN_PROGRESS')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const logicalId of ['WalletTable', 'LedgerTable', 'RateLimitTable']) {
      await expect(dynamo.send(new DescribeTableCommand({ TableName: physical(logicalId) })), logicalId).resolves.toBeDefined();
    }
    const key = await kms.send(new DescribeKeyCommand({ KeyId: physical('WalletKey') }));
    expect(key.KeyMetadata?.KeyState).toBe('Enabled');
  });
});
