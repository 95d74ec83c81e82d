/**
 * The functions' environment (lib/aws-config.ts) at the boundary: the variables issue 7 added — the stage, the
 * shipped policy file, the activity table, the audit table and key — parse when well formed, are optional where
 * they may be empty, and a bad value is an InvalidInputError naming the variable, never a crash or a guess.
 */
import { describe, expect, it } from 'vitest';
import { parseFunctionsConfig } from '../../lib/aws-config.js';
import { InvalidInputError } from '../../lib/errors.js';

const BASE = {
  SIGIL_STAGE: 'prod',
  SIGIL_NETWORK: 'testnet',
  SIGIL_WALLET_TABLE: 'sigil-prod-wallets',
  SIGIL_LEDGER_TABLE: 'sigil-prod-ledger',
  SIGIL_RATE_LIMIT_TABLE: 'sigil-prod-rate-limit',
  SIGIL_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/abc',
  SIGIL_EVENT_BUS: 'sigil-prod',
  SIGIL_TATUM_API_KEY_PARAMETER: '/sigil/prod/tatum-api-key',
};

function refusal(env: Record<string, string | undefined>): InvalidInputError {
  try {
    parseFunctionsConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('the environment was accepted');
}

describe('parseFunctionsConfig: the guard rails variables', () => {
  it('parses them, and leaves the optional ones out when empty or unset', () => {
    const full = parseFunctionsConfig({
      ...BASE,
      SIGIL_POLICY_FILE: 'policies/prod.yaml',
      SIGIL_ACTIVITY_TABLE: 'sigil-prod-activity',
      SIGIL_AUDIT_TABLE: 'sigil-prod-audit',
      SIGIL_AUDIT_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/hmac',
    });
    expect(full).toMatchObject({ stage: 'prod', policyFile: 'policies/prod.yaml', activityTable: 'sigil-prod-activity', audit: { table: 'sigil-prod-audit', keyId: 'arn:aws:kms:us-east-1:123456789012:key/hmac' } });
    const bare = parseFunctionsConfig({ ...BASE, SIGIL_POLICY_FILE: '', SIGIL_ACTIVITY_TABLE: '' });
    expect(bare).not.toHaveProperty('policyFile');
    expect(bare).not.toHaveProperty('activityTable');
    expect(bare).not.toHaveProperty('audit');
  });

  it.each([
    [{ SIGIL_STAGE: undefined }, 'SIGIL_STAGE'],
    [{ SIGIL_STAGE: 'has space' }, 'SIGIL_STAGE'],
    [{ SIGIL_POLICY_FILE: '/etc/passwd.yaml' }, 'SIGIL_POLICY_FILE'],
    [{ SIGIL_POLICY_FILE: 'policies/../../secret.yaml' }, 'SIGIL_POLICY_FILE'],
    [{ SIGIL_POLICY_FILE: 'policies/prod.txt' }, 'SIGIL_POLICY_FILE'],
    [{ SIGIL_ACTIVITY_TABLE: 'x' }, 'SIGIL_ACTIVITY_TABLE'],
    [{ SIGIL_AUDIT_TABLE: 'sigil-prod-audit' }, 'SIGIL_AUDIT_KEY_ID'],
    [{ SIGIL_AUDIT_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/hmac' }, 'SIGIL_AUDIT_TABLE'],
  ])('refuses %o, naming %s', (override, variable) => {
    const error = refusal({ ...BASE, ...override });
    expect(error.message).toContain(variable);
    expect(error.context).toMatchObject({ variable });
  });
});
