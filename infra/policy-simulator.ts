/**
 * A small evaluator of the packaged template's KMS key policies together with the roles' IAM policies — enough
 * to answer "may principal P call kms:X on this key with this encryption context, with or without MFA?" for
 * every principal the stack defines and for an IAM administrator outside it. The template tests use it to
 * prove the separation of duties of infra/keys.yml as AWS would decide it, not only by reading statements.
 *
 * It follows the AWS policy evaluation logic for a same-account request: an explicit Deny in the key policy
 * wins; an Allow naming the principal suffices; an Allow naming the account root delegates to IAM (the
 * principal's own policies must allow too). Intrinsics are resolved with the parameter defaults the
 * template carries (the packaged stage's settings). Condition operators it does not know make it throw, so
 * a new kind of condition in the template cannot pass unexamined.
 */
import { asList, branches, resource, roleStatements, type CfnTemplate, type Json, type PolicyStatement } from './template-model.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
/** An IAM principal of the account that the stack does not define, whose IAM policy allows everything. */
export const OUTSIDE_ADMIN = `arn:aws:iam::${ACCOUNT}:role/some-administrator`;

export interface KmsRequest {
  /** The calling principal's ARN (a role of the stack: see roleArn). */
  readonly principal: string;
  readonly action: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
  readonly mfa?: boolean;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class TemplateResolver {
  constructor(private readonly template: CfnTemplate) {}

  condition(name: string): boolean {
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`unknown condition ${name}`);
    return this.truth(expression);
  }

  private truth(expression: Json): boolean {
    if (!isObject(expression)) throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
    const [fn, args] = Object.entries(expression)[0] as [string, Json[]];
    if (fn === 'Fn::Equals') return this.value(args[0]) === this.value(args[1]);
    if (fn === 'Fn::Not') return !this.truth(args[0]!);
    if (fn === 'Fn::And') return args.every((a) => this.truth(a));
    if (fn === 'Fn::Or') return args.some((a) => this.truth(a));
    if (fn === 'Condition') return this.condition(args as unknown as string);
    throw new Error(`cannot evaluate condition function ${fn}`);
  }

  /** A literal for a value made of the intrinsics the policies use; ARNs of stack resources are synthesized. */
  value(node: Json | undefined): string | string[] {
    if (typeof node === 'string') return node;
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
    if (Array.isArray(node)) return node.flatMap((item) => this.value(item));
    if (!isObject(node)) throw new Error(`cannot resolve ${JSON.stringify(node)}`);
    if (typeof node.Ref === 'string') return this.ref(node.Ref);
    if (Array.isArray(node['Fn::GetAtt'])) return this.arnOf(String(node['Fn::GetAtt'][0]));
    if (Array.isArray(node['Fn::If'])) {
      const [name, yes, no] = node['Fn::If'];
      return this.value(this.condition(String(name)) ? yes : no);
    }
    if (typeof node['Fn::Sub'] === 'string') {
      return node['Fn::Sub'].replace(/\$\{([A-Za-z0-9:]+)(?:\.Arn)?\}/g, (whole, name: string) => String(whole.endsWith('.Arn}') ? this.arnOf(name) : this.ref(name)));
    }
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'];
      return asList(this.value(parts)).join(String(separator));
    }
    if (Array.isArray(node['Fn::Split'])) {
      const [separator, text] = node['Fn::Split'];
      return String(this.value(text)).split(String(separator));
    }
    throw new Error(`cannot resolve ${JSON.stringify(node).slice(0, 200)}`);
  }

  private ref(name: string): string {
    if (name === 'AWS::AccountId') return ACCOUNT;
    if (name === 'AWS::Region') return REGION;
    if (name === 'AWS::Partition') return 'aws';
    const parameter = this.template.Parameters?.[name];
    if (parameter) return parameter.Default ?? '';
    if (this.template.Resources[name]) return `ref:${name}`;
    throw new Error(`unknown reference ${name}`);
  }

  arnOf(id: string): string {
    const found = resource(this.template, id);
    if (found.Type === 'AWS::IAM::Role') return `arn:aws:iam::${ACCOUNT}:role/${String(this.value(found.Properties?.RoleName))}`;
    if (found.Type === 'AWS::KMS::Key') return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
    return `arn:aws:synthetic:${REGION}:${ACCOUNT}:${id}`;
  }
}

function wildcard(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(value);
}

function requestKeys(request: KmsRequest): Map<string, string> {
  const keys = new Map<string, string>([['aws:PrincipalArn', request.principal]]);
  for (const [k, v] of Object.entries(request.encryptionContext ?? {})) keys.set(`kms:EncryptionContext:${k}`, v);
  if (request.mfa !== undefined) keys.set('aws:MultiFactorAuthPresent', String(request.mfa));
  if (request.mfa) keys.set('aws:MultiFactorAuthAge', '60');
  return keys;
}

function conditionsHold(resolver: TemplateResolver, statement: PolicyStatement, keys: Map<string, string>): boolean {
  for (const [operator, tests] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(tests)) {
      const values = asList(resolver.value(expected));
      const actual = keys.get(key);
      const negated = operator === 'ArnNotEquals' || operator === 'StringNotEquals';
      if (actual === undefined) {
        if (!negated) return false;
        continue;
      }
      let holds: boolean;
      if (operator === 'StringEquals' || operator === 'ArnEquals' || operator === 'Bool') holds = values.includes(actual);
      else if (operator === 'ArnNotEquals' || operator === 'StringNotEquals') holds = !values.includes(actual);
      else if (operator === 'ArnLike' || operator === 'StringLike') holds = values.some((v) => wildcard(v, actual));
      else if (operator === 'NumericLessThan') holds = values.some((v) => Number(actual) < Number(v));
      else throw new Error(`the simulator does not know condition operator ${operator}`);
      if (!holds) return false;
    }
  }
  return true;
}

function coversAction(statement: PolicyStatement, action: string): boolean {
  return asList(statement.Action).some((pattern) => wildcard(pattern, action));
}

/** Which principal ARNs an AWS principal element names ('*' stays '*'). */
function principalsOf(resolver: TemplateResolver, principal: Json | undefined): string[] {
  if (principal === '*') return ['*'];
  if (!isObject(principal) || principal.AWS === undefined) return [];
  return asList(resolver.value(principal.AWS));
}

/** The IAM side: do the principal's own policies allow `action` on `resourceArn`? */
function iamAllows(template: CfnTemplate, resolver: TemplateResolver, request: KmsRequest, resourceArn: string): boolean {
  if (request.principal === OUTSIDE_ADMIN) return true;
  const role = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && resolver.arnOf(id) === request.principal);
  if (!role) return false;
  const keys = requestKeys(request);
  const relevant = roleStatements(template, role[0]).map((p) => p.statement).filter((s) => coversAction(s, request.action));
  const onResource = (s: PolicyStatement) => branches(s.Resource).some((r) => asList(resolver.value(r)).some((arn) => wildcard(arn, resourceArn)));
  const applies = relevant.filter((s) => onResource(s) && conditionsHold(resolver, s, keys));
  return !applies.some((s) => s.Effect === 'Deny') && applies.some((s) => s.Effect === 'Allow');
}

/** How AWS would decide a KMS request on the key `keyId` of the template. */
export function decideKmsRequest(template: CfnTemplate, keyId: string, request: KmsRequest): Decision {
  const resolver = new TemplateResolver(template);
  const keyPolicy = resource(template, keyId).Properties?.KeyPolicy;
  const statements = (isObject(keyPolicy) ? branches(keyPolicy.Statement) : []).filter(isObject) as unknown as PolicyStatement[];
  const keys = requestKeys(request);
  const applicable = statements.filter((s) => coversAction(s, request.action) && conditionsHold(resolver, s, keys));
  const names = (s: PolicyStatement) => principalsOf(resolver, s.Principal);
  const namesPrincipal = (s: PolicyStatement) => names(s).some((p) => p === '*' || p === request.principal);
  if (applicable.some((s) => s.Effect === 'Deny' && namesPrincipal(s))) return 'explicit-deny';
  if (applicable.some((s) => s.Effect === 'Allow' && namesPrincipal(s))) return 'allow';
  const delegates = applicable.some((s) => s.Effect === 'Allow' && names(s).includes(ROOT_ARN));
  return delegates && iamAllows(template, resolver, request, resolver.arnOf(keyId)) ? 'allow' : 'implicit-deny';
}

/** ARN of a role of the template, as the simulator names principals. */
export function roleArn(template: CfnTemplate, roleId: string): string {
  return new TemplateResolver(template).arnOf(roleId);
}
