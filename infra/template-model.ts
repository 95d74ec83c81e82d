/**
 * A typed view of the packaged CloudFormation template (`osls package` → cloudformation-template-update-
 * stack.json), for the template tests and the deploy rehearsal: resources by type, the policy statements
 * that apply to a role, the logical ids a value refers to, IAM action wildcards.
 *
 * Intrinsics are kept as they are, except `Fn::If`, which `branches` expands: a policy statement list with
 * an `Fn::If` item holds whichever branch CloudFormation picks, so a check must hold for both.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Type: string; Default?: string }>;
  readonly Conditions?: Record<string, Json>;
  readonly Outputs?: Record<string, Json>;
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Json;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: Json;
  readonly NotResource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}

/** A policy statement and where it came from. */
export interface PlacedStatement {
  /** Logical id of the resource holding the policy. */
  readonly holder: string;
  readonly statement: PolicyStatement;
}

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function resource(template: CfnTemplate, id: string): CfnResource {
  const found = template.Resources[id];
  if (!found) throw new Error(`the template has no resource ${id}`);
  return found;
}

/** Both branches of every `Fn::If` in a list (an `AWS::NoValue` branch contributes nothing). */
export function branches(items: Json | undefined): Json[] {
  if (items === undefined) return [];
  const list = Array.isArray(items) ? items : [items];
  return list.flatMap((item) => {
    if (isObject(item) && Array.isArray(item['Fn::If'])) {
      const [, yes, no] = item['Fn::If'];
      return [yes, no].filter((b): b is Json => !(isObject(b) && b.Ref === 'AWS::NoValue')).flatMap((b) => branches(b));
    }
    return [item];
  });
}

function statementsOfDocument(document: Json | undefined): PolicyStatement[] {
  if (!isObject(document)) return [];
  return branches(document.Statement).filter(isObject) as unknown as PolicyStatement[];
}

export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Statements that apply to an IAM role: its inline policies and every AWS::IAM::Policy / ManagedPolicy naming it. */
export function roleStatements(template: CfnTemplate, roleId: string): PlacedStatement[] {
  const role = resource(template, roleId);
  const inline = asList(role.Properties?.Policies as Json[] | undefined).flatMap((policy) =>
    statementsOfDocument(isObject(policy) ? policy.PolicyDocument : undefined).map((statement) => ({ holder: roleId, statement })),
  );
  const attached = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter(([, r]) => asList(r.Properties?.Roles as Json[] | undefined).some((ref) => isObject(ref) && ref.Ref === roleId))
    .flatMap(([id, r]) => statementsOfDocument(r.Properties?.PolicyDocument).map((statement) => ({ holder: id, statement })));
  return [...inline, ...attached];
}

/** Statements of a resource policy property (KeyPolicy, PolicyDocument, AssumeRolePolicyDocument …). */
export function documentStatements(template: CfnTemplate, id: string, property: string): PlacedStatement[] {
  return statementsOfDocument(resource(template, id).Properties?.[property]).map((statement) => ({ holder: id, statement }));
}

export function actionsOf(statement: PolicyStatement): string[] {
  return asList(statement.Action);
}

/** Whether an IAM action pattern (`kms:ReEncrypt*`, `kms:*`, `*`) covers `action` (case-insensitive, as IAM). */
export function actionCovers(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

export function grants(statement: PolicyStatement, action: string): boolean {
  return actionsOf(statement).some((pattern) => actionCovers(pattern, action));
}

/** Logical ids a value refers to through Ref, Fn::GetAtt and Fn::Sub `${Id}` / `${Id.Attr}`. */
export function referencedIds(value: Json | undefined): Set<string> {
  const ids = new Set<string>();
  const visit = (node: Json | undefined): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      if (typeof node.Ref === 'string') ids.add(node.Ref);
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') ids.add(getAtt[0]);
      const sub = node['Fn::Sub'];
      const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
      for (const match of text?.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g) ?? []) ids.add(match[1]!);
      Object.values(node).forEach(visit);
    }
  };
  visit(value);
  for (const pseudo of [...ids].filter((id) => id.startsWith('AWS'))) ids.delete(pseudo);
  return ids;
}

/** The logical ids an AWS principal element names (role ARNs as Fn::GetAtt), and whether it is "*". */
export function principalIds(principal: Json | undefined): { ids: Set<string>; everyone: boolean; literal: Json[] } {
  if (principal === '*') return { ids: new Set(), everyone: true, literal: [] };
  const aws = isObject(principal) ? principal.AWS : undefined;
  const entries = branches(aws);
  return {
    ids: referencedIds(entries),
    everyone: entries.includes('*'),
    literal: entries.filter((e) => referencedIds(e).size === 0),
  };
}
