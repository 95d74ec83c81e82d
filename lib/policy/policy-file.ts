/**
 * The boundary of the policy engine: a policy file (YAML 1.2 or JSON) in, a validated Policy out, or a
 * PolicyFileError naming the line, the field and the reason. Strict by design (docs/policy.md): an unknown
 * key, a duplicate, a wrong type, a value out of range, an unknown chain or network, a malformed address,
 * selector, window or time all stop the start — a typo in a guard rail must never silently widen it.
 */
import type { Node } from 'yaml';
import { defaultRegistry, type ChainRegistry } from '../chains/registry.js';
import { POLICY_ACTIONS, type DecimalBounds, type IntegerBounds, type Policy, type PolicyAction, type PolicyConditions, type PolicyRule } from './policy.js';
import { canonicalAddress, parseDecimalAmount, type DecimalAmount } from './units.js';
import { parseUnusualSection } from './unusual-file.js';
import { shown, YamlReader } from './yaml-reader.js';

export { PolicyFileError } from './yaml-reader.js';

const MAX_RULES = 1000;
const MAX_LIST = 10_000;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SELECTOR = /^0x[0-9a-fA-F]{8}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,77})(\.[0-9]{1,36})?$/;
const INTEGER = /^(0|[1-9][0-9]{0,77})$/;
const WINDOW = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Velocity is read from the wallet-activity history; a window longer than a year is a mistake, not a policy. */
const MAX_WINDOW_MS = 366 * 86_400_000;
const ANY = /^[\s\S]*$/;

const CONDITION_KEYS = ['chain', 'network', 'wallet', 'to', 'amount', 'tokenAmount', 'fee', 'gas', 'contractCalls', 'velocity', 'hours'] as const;

export interface PolicyFileOptions {
  /** Chains and networks a rule may name (default: the built-in registry). */
  readonly registry?: ChainRegistry;
}

/** Parse and validate a policy file. Throws only PolicyFileError. */
export function parsePolicyFile(text: string, options: PolicyFileOptions = {}): Policy {
  const { reader, root } = YamlReader.open(text);
  const parser = new RuleParser(reader, options.registry ?? defaultRegistry);
  const top = reader.map(root, '', ['rules', 'default', 'unusual'], ['rules', 'default']);
  const ruleNodes = reader.seq(top.get('rules')?.value, 'rules', MAX_RULES, 0);
  const rules: PolicyRule[] = [];
  const names = new Set<string>();
  ruleNodes.forEach((node, i) => {
    const rule = parser.rule(node, `rules[${i}]`);
    if (names.has(rule.name)) reader.fail(node, `rules[${i}].name`, `duplicate rule name ${shown(rule.name)}`);
    names.add(rule.name);
    rules.push(rule);
  });
  const unusual = top.get('unusual');
  return { rules, default: parser.action(top.get('default')?.value, 'default'), ...(unusual ? { unusual: parseUnusualSection(parser, unusual.value, 'unusual') } : {}) };
}

/** Field readers shared by rules and the `unusual:` section (unusual-file.ts). */
export class RuleParser {
  constructor(
    readonly r: YamlReader,
    readonly registry: ChainRegistry,
  ) {}

  action(node: Node | null | undefined, path: string): PolicyAction {
    return this.r.string(node, path, new RegExp(`^(${POLICY_ACTIONS.join('|')})$`), POLICY_ACTIONS.join(' | ')) as PolicyAction;
  }

  rule(node: Node, path: string): PolicyRule {
    const fields = this.r.map(node, path, ['name', 'action', 'when'], ['name', 'action']);
    const name = this.r.string(fields.get('name')?.value, `${path}.name`, RULE_NAME, 'a name of 1-64 letters, digits, ".", "_" or "-"');
    const action = this.action(fields.get('action')?.value, `${path}.action`);
    const whenNode = fields.get('when');
    const when = whenNode ? this.conditions(whenNode.value, `${path}.when`, action) : {};
    return { name, action, when, line: this.r.lineOf(node) };
  }

  conditions(node: Node | null | undefined, path: string, action: PolicyAction): PolicyConditions {
    const f = this.r.map(node, path, CONDITION_KEYS);
    const when: { -readonly [K in keyof PolicyConditions]: PolicyConditions[K] } = {};
    const at = (key: string) => f.get(key)?.value;
    if (f.has('chain')) {
      const codes = this.registry.codes();
      when.chain = this.list(at('chain'), `${path}.chain`, (n, p) => this.oneOf(n, p, codes, 'a chain code'));
    }
    if (f.has('network')) {
      const networks = this.registry.networks();
      when.network = this.list(at('network'), `${path}.network`, (n, p) => this.oneOf(n, p, networks, 'a network'));
    }
    if (f.has('wallet')) {
      when.wallet = this.list(at('wallet'), `${path}.wallet`, (n, p) => this.r.string(n, p, UUID, 'a wallet signatureId (UUID)').toLowerCase());
    }
    if (f.has('to')) {
      const to = this.r.map(at('to'), `${path}.to`, ['allow', 'deny']);
      if (to.size === 0) this.r.fail(at('to'), `${path}.to`, 'expected "allow", "deny" or both');
      if (to.has('deny') && action === 'ALLOW') {
        this.r.fail(to.get('deny')?.key, `${path}.to.deny`, 'a deny list in an ALLOW rule would allow exactly the denied addresses; put it in a BLOCK or REQUIRE_APPROVAL rule');
      }
      const addresses = (key: 'allow' | 'deny') => new Set(this.list(to.get(key)?.value, `${path}.to.${key}`, (n, p) => this.address(n, p)));
      when.to = { ...(to.has('allow') ? { allow: addresses('allow') } : {}), ...(to.has('deny') ? { deny: addresses('deny') } : {}) };
    }
    if (f.has('amount')) when.amount = this.decimalBounds(at('amount'), `${path}.amount`, []);
    if (f.has('fee')) when.fee = this.decimalBounds(at('fee'), `${path}.fee`, []);
    if (f.has('tokenAmount')) when.tokenAmount = this.tokenAmount(at('tokenAmount'), `${path}.tokenAmount`);
    if (f.has('gas')) when.gas = this.gasBounds(at('gas'), `${path}.gas`);
    if (f.has('contractCalls')) {
      const calls = this.r.map(at('contractCalls'), `${path}.contractCalls`, ['allowSelectors'], ['allowSelectors']);
      const selectors = this.list(calls.get('allowSelectors')?.value, `${path}.contractCalls.allowSelectors`, (n, p) => this.r.string(n, p, SELECTOR, 'a 4-byte selector like "0xa9059cbb"').toLowerCase(), 0);
      when.contractCalls = { allowSelectors: new Set(selectors) };
    }
    if (f.has('velocity')) when.velocity = this.velocity(at('velocity'), `${path}.velocity`);
    if (f.has('hours')) when.hours = this.hours(at('hours'), `${path}.hours`);
    return when;
  }

  list<T>(node: Node | null | undefined, path: string, item: (node: Node, path: string) => T, minItems = 1): T[] {
    return this.r.seq(node, path, MAX_LIST, minItems).map((n, i) => item(n, `${path}[${i}]`));
  }

  oneOf(node: Node, path: string, values: readonly string[], what: string): string {
    const value = this.r.string(node, path, ANY, what);
    if (!values.includes(value)) this.r.fail(node, path, `unknown ${what.replace(/^an? /, '')} ${shown(value)}; expected one of ${values.join(', ')}`);
    return value;
  }

  address(node: Node, path: string): string {
    const text = this.r.string(node, path, ANY, 'an address');
    const canonical = canonicalAddress(text);
    if (canonical === undefined) this.r.fail(node, path, `expected an address (0x/xdc + 40 hex with a valid EIP-55 checksum if mixed case, single-case bech32, or base58), got ${shown(text)}`);
    return canonical;
  }

  decimal(node: Node | null | undefined, path: string, pattern = DECIMAL, expected = 'a quoted decimal string like "1.5"'): DecimalAmount {
    const text = this.r.string(node, path, pattern, expected);
    return parseDecimalAmount(text) as DecimalAmount;
  }

  decimalBounds(node: Node | null | undefined, path: string, extra: readonly string[], integerOnly = false): DecimalBounds {
    const f = this.r.map(node, path, ['min', 'max', ...extra]);
    if (!f.has('min') && !f.has('max')) this.r.fail(node, path, 'expected "min", "max" or both');
    const read = (key: 'min' | 'max') =>
      integerOnly ? this.decimal(f.get(key)?.value, `${path}.${key}`, INTEGER, 'a quoted integer string in token base units (or set "decimals")') : this.decimal(f.get(key)?.value, `${path}.${key}`);
    const bounds = { ...(f.has('min') ? { min: read('min') } : {}), ...(f.has('max') ? { max: read('max') } : {}) };
    if (bounds.min && bounds.max && compareDecimals(bounds.min, bounds.max) > 0) this.r.fail(node, path, `min ${bounds.min.text} exceeds max ${bounds.max.text}`);
    return bounds;
  }

  tokenAmount(node: Node | null | undefined, path: string): NonNullable<PolicyConditions['tokenAmount']> {
    const f = this.r.map(node, path, ['token', 'decimals', 'min', 'max'], ['token']);
    const tokenText = this.r.string(f.get('token')?.value, `${path}.token`, /^(0x|0X|xdc|XDC)[0-9a-fA-F]{40}$/, 'a token contract address (0x or xdc + 40 hex)');
    const token = canonicalAddress(tokenText);
    if (token === undefined) this.r.fail(f.get('token')?.value, `${path}.token`, `EIP-55 checksum of ${shown(tokenText)} is wrong`);
    const decimals = f.has('decimals') ? this.r.integer(f.get('decimals')?.value, `${path}.decimals`, 0, 36) : 0;
    return { token, decimals, ...this.decimalBounds(node, path, ['token', 'decimals'], decimals === 0) };
  }

  gasBounds(node: Node | null | undefined, path: string): IntegerBounds {
    const f = this.r.map(node, path, ['min', 'max']);
    if (!f.has('min') && !f.has('max')) this.r.fail(node, path, 'expected "min", "max" or both');
    const read = (key: 'min' | 'max') => BigInt(this.r.integer(f.get(key)?.value, `${path}.${key}`, 0, Number.MAX_SAFE_INTEGER));
    const bounds = { ...(f.has('min') ? { min: read('min') } : {}), ...(f.has('max') ? { max: read('max') } : {}) };
    if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) this.r.fail(node, path, `min ${bounds.min} exceeds max ${bounds.max}`);
    return bounds;
  }

  /** A window like "30s", "15m", "1h" or "7d", at most 366 days. */
  window(node: Node | null | undefined, path: string): { window: string; windowMs: number } {
    const window = this.r.string(node, path, WINDOW, 'a window like "30s", "15m", "1h" or "7d"');
    const match = WINDOW.exec(window) as RegExpExecArray;
    const windowMs = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    if (windowMs > MAX_WINDOW_MS) this.r.fail(node, path, `window ${window} is longer than 366 days`);
    return { window, windowMs };
  }

  velocity(node: Node | null | undefined, path: string): NonNullable<PolicyConditions['velocity']> {
    const f = this.r.map(node, path, ['window', 'maxCount', 'maxSum'], ['window']);
    if (!f.has('maxCount') && !f.has('maxSum')) this.r.fail(node, path, 'expected "maxCount", "maxSum" or both');
    return {
      ...this.window(f.get('window')?.value, `${path}.window`),
      ...(f.has('maxCount') ? { maxCount: this.r.integer(f.get('maxCount')?.value, `${path}.maxCount`, 0, 1_000_000_000) } : {}),
      ...(f.has('maxSum') ? { maxSum: this.decimal(f.get('maxSum')?.value, `${path}.maxSum`) } : {}),
    };
  }

  hours(node: Node | null | undefined, path: string): NonNullable<PolicyConditions['hours']> {
    const f = this.r.map(node, path, ['from', 'to', 'timezone'], ['from', 'to', 'timezone']);
    const clock = (key: 'from' | 'to') => {
      const text = this.r.string(f.get(key)?.value, `${path}.${key}`, CLOCK, 'a 24-hour time "HH:MM"');
      return Number(text.slice(0, 2)) * 60 + Number(text.slice(3));
    };
    const from = clock('from');
    const to = clock('to');
    if (from === to) this.r.fail(node, path, 'from equals to: an empty (or whole-day) window is ambiguous; omit "hours" for all day');
    const timezone = this.r.string(f.get('timezone')?.value, `${path}.timezone`, /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'an IANA time zone like "UTC" or "Europe/Prague"');
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      this.r.fail(f.get('timezone')?.value, `${path}.timezone`, `unknown time zone ${shown(timezone)}`);
    }
    const text = `${String(f.get('from')?.value)}–${String(f.get('to')?.value)} ${timezone}`;
    return { from, to, timezone, text };
  }
}

function compareDecimals(a: DecimalAmount, b: DecimalAmount): number {
  const scale = Math.max(a.scale, b.scale);
  const left = a.digits * 10n ** BigInt(scale - a.scale);
  const right = b.digits * 10n ** BigInt(scale - b.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}
