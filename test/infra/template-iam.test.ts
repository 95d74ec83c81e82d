/**
 * Custody in the packaged template (`osls package --stage ci`, defaults: testnet): who may use the wallet key,
 * decided as AWS decides it (infra/policy-simulator.ts evaluates the key policy together with the roles' IAM
 * policies) and read from the roles: only sign, verify and the custodian can Decrypt; poll and broadcast hold
 * no kms:* at all; no "*" where AWS accepts narrower.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decideKmsRequest, OUTSIDE_ADMIN, ROOT_ARN, roleArn, TemplateResolver } from '../../infra/policy-simulator.js';
import { actionsOf, asList, branches, documentStatements, grants, referencedIds, resource, resourcesOfType, roleStatements, type CfnTemplate, type Json, type PlacedStatement } from '../../infra/template-model.js';
import { packagedStack } from '../support/osls-package.js';

let template: CfnTemplate;
let resolver: TemplateResolver;
beforeAll(async () => {
  template = (await packagedStack()).template;
  resolver = new TemplateResolver(template);
}, 300_000);

const obj = (value: Json | undefined) => value as Record<string, Json>;
const WALLET_CONTEXT = { app: 'sigil', purpose: 'wallet-secret', network: 'testnet', chain: 'BTC', signatureId: 'x', publicHash: 'y' };

describe('the wallet key: separation of duties, as AWS would decide it', () => {
  const roles = () => resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id);
  function allowed(action: string, options: { context?: Record<string, string>; mfa?: boolean } = {}): string[] {
    const principals = [...roles(), 'OUTSIDE_ADMIN'];
    return principals.filter((who) => {
      const principal = who === 'OUTSIDE_ADMIN' ? OUTSIDE_ADMIN : roleArn(template, who);
      return decideKmsRequest(template, 'WalletKey', { principal, action, encryptionContext: options.context ?? WALLET_CONTEXT, mfa: options.mfa ?? true }) === 'allow';
    });
  }

  it('only sign, verify and the custodian can Decrypt; the custodian only with MFA', () => {
    expect(allowed('kms:Decrypt')).toEqual(['SignRole', 'VerifyRole', 'CustodianRole']);
    expect(allowed('kms:Decrypt', { mfa: false })).toEqual(['SignRole', 'VerifyRole']);
  });

  it('sign and verify Decrypt only wallet secrets of app sigil and the stage network', () => {
    expect(allowed('kms:Decrypt', { context: { ...WALLET_CONTEXT, network: 'mainnet' } })).toEqual(['CustodianRole']);
    expect(allowed('kms:Decrypt', { context: { ...WALLET_CONTEXT, purpose: 'backup' } })).toEqual(['CustodianRole']);
    expect(allowed('kms:Decrypt', { context: { ...WALLET_CONTEXT, app: 'other' } })).toEqual(['CustodianRole']);
    expect(allowed('kms:Decrypt', { context: {} })).toEqual(['CustodianRole']);
  });

  it('wallet-admin and create-wallet may only GenerateDataKey, for the same context; nobody may Encrypt or grant', () => {
    expect(allowed('kms:GenerateDataKey')).toEqual(['CreateWalletRole', 'WalletAdminRole']);
    expect(allowed('kms:GenerateDataKey', { context: { ...WALLET_CONTEXT, network: 'mainnet' } })).toEqual([]);
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKeyPair', 'kms:CreateGrant', 'kms:Sign']) {
      expect(allowed(action), action).toEqual([]);
    }
    for (const role of ['WalletAdminRole', 'CreateWalletRole']) {
      for (const action of ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:PutKeyPolicy', 'kms:DisableKey']) expect(allowed(action)).not.toContain(role);
    }
  });

  it('only the custodian (MFA) may ReEncrypt, disable the key or schedule its deletion', () => {
    for (const action of ['kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DisableKey', 'kms:ScheduleKeyDeletion']) {
      expect(allowed(action), action).toEqual(['CustodianRole']);
      expect(allowed(action, { mfa: false }), action).toEqual([]);
    }
  });

  it('the key-admin role and the deployer manage the key but cannot use it; poll and broadcast can do nothing with it', () => {
    for (const action of ['kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:TagResource', 'kms:DescribeKey']) expect(allowed(action)).toEqual(expect.arrayContaining(['KeyAdminRole', 'OUTSIDE_ADMIN']));
    for (const action of ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:CreateGrant', 'kms:ScheduleKeyDeletion']) {
      expect(allowed(action), action).not.toContain('KeyAdminRole');
      expect(allowed(action), action).not.toContain('OUTSIDE_ADMIN');
    }
    const anything = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:DescribeKey', 'kms:PutKeyPolicy', 'kms:CreateGrant', 'kms:ListGrants'];
    for (const action of anything) {
      expect(allowed(action)).not.toContain('PollRole');
      expect(allowed(action)).not.toContain('BroadcastRole');
    }
  });

  it('is symmetric, rotating, multi-Region, aliased and retained', () => {
    const key = resource(template, 'WalletKey');
    expect(key.Properties).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', EnableKeyRotation: true, MultiRegion: true });
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(resourcesOfType(template, 'AWS::KMS::Alias').some(([, a]) => referencedIds(a.Properties?.TargetKeyId).has('WalletKey'))).toBe(true);
  });

  it('the key policy never delegates use to the account root, and denies Decrypt/ReEncrypt*/deletion to everyone else by name', () => {
    const statements = documentStatements(template, 'WalletKey', 'KeyPolicy').map((p) => p.statement);
    for (const s of statements.filter((s) => s.Effect === 'Allow')) {
      const principals = asList(resolver.value(obj(s.Principal as Json).AWS));
      if (principals.includes(ROOT_ARN)) {
        for (const use of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:CreateGrant']) expect(grants(s, use), `${s.Sid} ${use}`).toBe(false);
      }
    }
    const denied = (action: string) => statements.filter((s) => s.Effect === 'Deny' && grants(s, action));
    const exempt = (action: string) => denied(action).flatMap((s) => asList(resolver.value(s.Condition?.ArnNotEquals?.['aws:PrincipalArn'])));
    const arn = (id: string) => roleArn(template, id);
    expect(exempt('kms:Decrypt').sort()).toEqual([arn('SignRole'), arn('VerifyRole'), arn('CustodianRole')].sort());
    expect(exempt('kms:ReEncryptFrom')).toEqual([arn('CustodianRole')]);
    expect(exempt('kms:ScheduleKeyDeletion')).toEqual([arn('CustodianRole')]);
    expect(exempt('kms:DisableKey')).toEqual([arn('CustodianRole')]);
    expect(denied('kms:CreateGrant').every((s) => s.Condition === undefined)).toBe(true);
  });
});

describe('IAM: roles', () => {
  const roleIds = () => resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id);
  const onWalletKey = ({ statement }: PlacedStatement) => branches(statement.Resource).some((r) => referencedIds(r).has('WalletKey') || r === '*');

  it('no role but sign, verify and the custodian holds kms:Decrypt; poll and broadcast hold no kms:* but GenerateMac on the audit key', () => {
    const decrypters = roleIds().filter((id) => roleStatements(template, id).some((p) => p.statement.Effect === 'Allow' && grants(p.statement, 'kms:Decrypt') && onWalletKey(p)));
    expect(decrypters.sort()).toEqual(['CustodianRole', 'SignRole', 'VerifyRole']);
    for (const role of ['PollRole', 'BroadcastRole']) {
      const kms = roleStatements(template, role).filter((p) => actionsOf(p.statement).some((a) => a.toLowerCase().startsWith('kms:')));
      expect(kms.flatMap((p) => actionsOf(p.statement))).toEqual(['kms:GenerateMac']);
      expect(kms.flatMap((p) => branches(p.statement.Resource)).map((r) => [...referencedIds(r)])).toEqual([['AuditKey']]);
    }
  });

  it('no Action "*" or "service:*", and Resource "*" only for actions without resource-level permissions', () => {
    const noResourceLevel = new Set(['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'kms:ListKeys', 'kms:ListAliases']);
    const placed = [
      ...roleIds().flatMap((id) => roleStatements(template, id)),
      ...resourcesOfType(template, 'AWS::SQS::QueuePolicy').flatMap(([id]) => documentStatements(template, id, 'PolicyDocument')),
      ...resourcesOfType(template, 'AWS::SNS::TopicPolicy').flatMap(([id]) => documentStatements(template, id, 'PolicyDocument')),
      ...resourcesOfType(template, 'AWS::EC2::VPCEndpoint').flatMap(([id]) => documentStatements(template, id, 'PolicyDocument')),
    ];
    expect(placed.length).toBeGreaterThan(40);
    for (const { holder, statement } of placed) {
      const where = `${holder} ${statement.Sid ?? ''}`;
      expect(statement.NotAction, where).toBeUndefined();
      expect(statement.NotResource, where).toBeUndefined();
      if (statement.Effect === 'Deny') continue; // a broad Deny only narrows
      for (const action of actionsOf(statement)) expect(action === '*' || action.endsWith(':*'), `${where} ${action}`).toBe(false);
      if (branches(statement.Resource).includes('*')) expect(actionsOf(statement).every((a) => noResourceLevel.has(a)), where).toBe(true);
    }
  });

  it('function roles are assumable by Lambda of this account only; the custodian and key-admin roles need MFA', () => {
    for (const id of ['PollRole', 'SignRole', 'BroadcastRole', 'VerifyRole', 'CreateWalletRole']) {
      const [trust] = documentStatements(template, id, 'AssumeRolePolicyDocument');
      expect(trust!.statement.Principal).toEqual({ Service: 'lambda.amazonaws.com' });
      expect(trust!.statement.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    }
    for (const id of ['CustodianRole', 'KeyAdminRole']) {
      const [trust] = documentStatements(template, id, 'AssumeRolePolicyDocument');
      expect(trust!.statement.Condition?.Bool?.['aws:MultiFactorAuthPresent']).toBe('true');
    }
  });

  it('verify may touch only its checkpoint item of the ledger', () => {
    const ledger = roleStatements(template, 'VerifyRole').filter((p) => branches(p.statement.Resource).some((r) => referencedIds(r).has('LedgerTable')));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]!.statement.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['checkpoint#verify#testnet'] } });
  });

  it('the activity history is written only by poll and read only by poll and sign; nobody may delete from it', () => {
    const onActivity = (id: string) =>
      roleStatements(template, id).filter((p) => p.statement.Effect === 'Allow' && branches(p.statement.Resource).some((r) => referencedIds(r).has('ActivityTable')));
    const holders = (action: string) => roleIds().filter((id) => onActivity(id).some((p) => grants(p.statement, action)));
    expect(holders('dynamodb:PutItem')).toEqual(['PollRole']);
    expect(holders('dynamodb:Query').sort()).toEqual(['PollRole', 'SignRole']);
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) expect(holders(action), action).toEqual([]);
    expect(onActivity('SignRole').flatMap((p) => actionsOf(p.statement))).toEqual(['dynamodb:Query']);
  });

  it('Allow statements for any principal carry conditions, except VPC endpoint policies (whose resources are named)', () => {
    const placed = [
      ...resourcesOfType(template, 'AWS::KMS::Key').flatMap(([id]) => documentStatements(template, id, 'KeyPolicy')),
      ...resourcesOfType(template, 'AWS::SQS::QueuePolicy').flatMap(([id]) => documentStatements(template, id, 'PolicyDocument')),
      ...resourcesOfType(template, 'AWS::SNS::TopicPolicy').flatMap(([id]) => documentStatements(template, id, 'PolicyDocument')),
    ];
    const anyone = placed.filter(({ statement }) => statement.Effect === 'Allow' && (statement.Principal === '*' || obj(statement.Principal as Json).AWS === '*'));
    expect(anyone.map((p) => p.statement.Sid)).toEqual(['DynamoDbTablesOfThisAccount']);
    for (const { holder, statement } of anyone) expect(statement.Condition?.StringEquals, `${holder} ${statement.Sid}`).toMatchObject({ 'kms:CallerAccount': { Ref: 'AWS::AccountId' } });
    for (const [id] of resourcesOfType(template, 'AWS::EC2::VPCEndpoint')) {
      for (const { statement } of documentStatements(template, id, 'PolicyDocument')) expect(branches(statement.Resource).includes('*'), id).toBe(false);
    }
  });
});

describe('the audit trail: writers MAC, only the auditor verifies, nobody rewrites', () => {
  const WRITERS = ['BroadcastRole', 'CreateWalletRole', 'CustodianRole', 'PollRole', 'SignRole', 'WalletAdminRole'];
  const roleIds = () => resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id);
  const allowedOnAuditKey = (action: string, mfa = true) =>
    [...roleIds(), 'OUTSIDE_ADMIN']
      .filter((who) => decideKmsRequest(template, 'AuditKey', { principal: who === 'OUTSIDE_ADMIN' ? OUTSIDE_ADMIN : roleArn(template, who), action, mfa }) === 'allow')
      .sort();

  it('the audit key is an HMAC_256 GENERATE_VERIFY_MAC key, aliased and retained, as is the audit table', () => {
    const key = resource(template, 'AuditKey');
    expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(resourcesOfType(template, 'AWS::KMS::Alias').some(([, a]) => referencedIds(a.Properties?.TargetKeyId).has('AuditKey'))).toBe(true);
    const table = resource(template, 'AuditTable');
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(table.Properties?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('as AWS would decide it: the writers may GenerateMac, only the auditor may VerifyMac, nobody may do both', () => {
    expect(allowedOnAuditKey('kms:GenerateMac')).toEqual(WRITERS);
    expect(allowedOnAuditKey('kms:VerifyMac')).toEqual(['AuditorRole']);
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:Sign']) expect(allowedOnAuditKey(action), action).toEqual([]);
    expect(allowedOnAuditKey('kms:ScheduleKeyDeletion')).toEqual(['CustodianRole']);
    expect(allowedOnAuditKey('kms:ScheduleKeyDeletion', false)).toEqual([]);
  });

  it("the key policy denies VerifyMac to all but the auditor and GenerateMac to all but the writers, by name", () => {
    const statements = documentStatements(template, 'AuditKey', 'KeyPolicy').map((p) => p.statement);
    const exempt = (action: string) =>
      statements.filter((s) => s.Effect === 'Deny' && grants(s, action)).flatMap((s) => asList(resolver.value(s.Condition?.ArnNotEquals?.['aws:PrincipalArn'])));
    expect(exempt('kms:VerifyMac')).toEqual([roleArn(template, 'AuditorRole')]);
    expect(exempt('kms:GenerateMac').sort()).toEqual(WRITERS.map((id) => roleArn(template, id)).sort());
  });

  it('IAM: writers append and read the audit table and GenerateMac; the auditor reads and VerifyMacs; nobody updates or deletes', () => {
    const onAudit = (id: string, target: string) =>
      roleStatements(template, id).filter((p) => p.statement.Effect === 'Allow' && branches(p.statement.Resource).some((r) => referencedIds(r).has(target) || r === '*'));
    const holders = (action: string, target: string) => roleIds().filter((id) => onAudit(id, target).some((p) => grants(p.statement, action))).sort();
    expect(holders('dynamodb:PutItem', 'AuditTable')).toEqual(WRITERS);
    expect(holders('dynamodb:Query', 'AuditTable')).toEqual([...WRITERS, 'AuditorRole'].sort());
    expect(holders('dynamodb:Scan', 'AuditTable')).toEqual(['AuditorRole']);
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete']) {
      expect(holders(action, 'AuditTable'), action).toEqual([]);
    }
    expect(holders('kms:GenerateMac', 'AuditKey')).toEqual(WRITERS);
    expect(holders('kms:VerifyMac', 'AuditKey')).toEqual(['AuditorRole']);
    expect(onAudit('AuditorRole', 'AuditTable').flatMap((p) => actionsOf(p.statement)).filter((a) => /Put|Write|Update|Delete/.test(a))).toEqual([]);
  });

  it('the auditor role needs MFA; every function gets the audit table and key', () => {
    const [trust] = documentStatements(template, 'AuditorRole', 'AssumeRolePolicyDocument');
    expect(trust!.statement.Condition?.Bool?.['aws:MultiFactorAuthPresent']).toBe('true');
    // Who may assume it is the stage's auditorPrincipals, else the account (as for the other operator roles).
    expect(JSON.stringify(trust!.statement.Principal)).toContain('"HasAuditorPrincipals"');
    expect(template.Parameters?.AuditorPrincipals).toBeDefined();
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
      expect(referencedIds(variables.SIGIL_AUDIT_TABLE), id).toEqual(new Set(['AuditTable']));
      expect(referencedIds(variables.SIGIL_AUDIT_KEY_ID), id).toEqual(new Set(['AuditKey']));
    }
  });
});
