/**
 * Strict reading of a YAML 1.2 (or JSON) document node by node, so that every refusal names the line and
 * the field path. Refused outright: more than one document, anchors and aliases (no expansion bombs, no
 * shared nodes), tags, duplicate keys, non-string keys, and any parse error or warning of the `yaml` package.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { SigilError } from '../errors.js';

/** A policy file is small; anything larger is a mistake (or an attack on the parser). */
export const MAX_POLICY_FILE_CHARS = 256 * 1024;

/** The policy file is not valid; `line` is 1-based (0 when the whole file is at fault), `path` the field. */
export class PolicyFileError extends SigilError {
  readonly line: number;
  readonly path: string;
  /** The reason alone, without the line and the path. */
  readonly reason: string;
  constructor(line: number, path: string, reason: string) {
    const where = line > 0 ? `line ${line}` : 'file';
    super('POLICY_FILE_INVALID', `policy file ${where}: ${path === '' ? '' : `${path}: `}${reason}`, { line, path });
    this.line = line;
    this.path = path;
    this.reason = reason;
  }
}

/** A bounded, one-line rendering of a value from the file (policy files hold no secrets). */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const clean = value.replace(/[^\x20-\x7e]/g, '?');
    return clean.length > 100 ? `"${clean.slice(0, 100)}…"` : `"${clean}"`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

export class YamlReader {
  readonly #lines: LineCounter;

  private constructor(lines: LineCounter) {
    this.#lines = lines;
  }

  /** Parse `text` into its root node; throws PolicyFileError for anything but one clean document. */
  static open(text: string): { reader: YamlReader; root: Node | null } {
    if (typeof text !== 'string') throw new PolicyFileError(0, '', `expected the file's text, got ${typeof text}`);
    if (text.length > MAX_POLICY_FILE_CHARS) throw new PolicyFileError(0, '', `file has ${text.length} characters; at most ${MAX_POLICY_FILE_CHARS} allowed`);
    const lines = new LineCounter();
    const reader = new YamlReader(lines);
    // The yaml package's block parser exhausts memory on tens of thousands of nested `- ` indicators on one
    // line; a policy is nested a few levels deep, so a long run of indentation and indicators is refused first.
    const deep = /^[ \t\-?:]{256}/m.exec(text);
    if (deep) throw new PolicyFileError(text.slice(0, deep.index).split('\n').length, '', 'indentation or nesting deeper than 256 columns');
    const nested = deepFlowOffset(text);
    if (nested >= 0) throw new PolicyFileError(text.slice(0, nested).split('\n').length, '', `brackets nested deeper than ${MAX_FLOW_DEPTH} levels`);
    // A file that opens with `{` is JSON and held to JSON's grammar (YAML's flow syntax would accept more).
    if (/^\s*\{/.test(text)) reader.#checkJson(text);
    let doc: ReturnType<typeof parseDocument>;
    try {
      doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, version: '1.2', schema: 'core', merge: false });
    } catch {
      // The parser recurses per nesting level; a pathological nesting overflows the stack.
      throw new PolicyFileError(0, '', 'not valid YAML/JSON (nested too deeply)');
    }
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new PolicyFileError(reader.lineAt(problem.pos[0]), '', `not valid YAML/JSON (${problem.code})`);
    const root = doc.contents as Node | null;
    return { reader, root };
  }

  #checkJson(text: string): void {
    try {
      JSON.parse(text);
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message);
      const line = position ? text.slice(0, Number(position[1])).split('\n').length : 0;
      throw new PolicyFileError(line, '', 'not valid JSON');
    }
  }

  lineAt(offset: number): number {
    return this.#lines.linePos(Math.max(0, offset)).line;
  }

  lineOf(node: Node | null | undefined): number {
    return node?.range ? this.lineAt(node.range[0]) : 0;
  }

  fail(node: Node | null | undefined, path: string, reason: string): never {
    throw new PolicyFileError(this.lineOf(node), path, reason);
  }

  /** Refuse what this dialect never allows on any node: anchors, aliases and explicit tags. */
  #plain(node: Node | null | undefined, path: string): void {
    if (node === null || node === undefined) return;
    if (isAlias(node)) this.fail(node, path, 'aliases (*name) are not allowed');
    if (node.anchor) this.fail(node, path, 'anchors (&name) are not allowed');
    // The parser sets `tag` only for an explicit tag in the source (`!!str`, `!x`); implicit types leave it unset.
    if (node.tag !== undefined) this.fail(node, path, 'tags (!name) are not allowed');
  }

  /**
   * A mapping with only `allowed` keys, each a plain string; returns key → value node (and the key node for
   * lines). `required` keys must be present.
   */
  map(node: Node | null | undefined, path: string, allowed: readonly string[], required: readonly string[] = []): Map<string, { key: Node; value: Node | null }> {
    this.#plain(node, path);
    if (!isMap(node)) this.fail(node, path, `expected a mapping with keys ${allowed.join(', ')}, got ${kindOf(node)}`);
    const out = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of (node as YAMLMap).items) {
      const key = pair.key as Node | null;
      this.#plain(key, path);
      if (!isScalar(key) || typeof key.value !== 'string') this.fail(key ?? node, path, `keys must be strings, got ${kindOf(key)}`);
      const name = (key as Scalar<string>).value;
      if (!allowed.includes(name)) this.fail(key, path, `unknown key ${shown(name)}; expected one of ${allowed.join(', ')}`);
      out.set(name, { key: key as Node, value: pair.value as Node | null });
    }
    for (const name of required) {
      if (!out.has(name)) this.fail(node, path, `missing key "${name}"`);
    }
    return out;
  }

  seq(node: Node | null | undefined, path: string, maxItems: number, minItems = 1): Node[] {
    this.#plain(node, path);
    if (!isSeq(node)) this.fail(node, path, `expected a list, got ${kindOf(node)}`);
    const items = (node as YAMLSeq).items as Node[];
    if (items.length < minItems) this.fail(node, path, `expected at least ${minItems} item(s), got ${items.length}`);
    if (items.length > maxItems) this.fail(node, path, `expected at most ${maxItems} items, got ${items.length}`);
    return items;
  }

  /** A string scalar matching `pattern`. */
  string(node: Node | null | undefined, path: string, pattern: RegExp, expected: string): string {
    this.#plain(node, path);
    if (!isScalar(node) || typeof node.value !== 'string' || !pattern.test(node.value)) {
      this.fail(node, path, `expected ${expected}, got ${isScalar(node) ? shown(node.value) : kindOf(node)}`);
    }
    return (node as Scalar<string>).value;
  }

  /** A YAML 1.2 core-schema boolean (`true` / `false`), nothing else (not "yes", not 1). */
  boolean(node: Node | null | undefined, path: string): boolean {
    this.#plain(node, path);
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, path, `expected true or false, got ${isScalar(node) ? shown(node.value) : kindOf(node)}`);
    return (node as Scalar<boolean>).value;
  }

  /** A safe integer in [min, max], written as a number or a decimal string. */
  integer(node: Node | null | undefined, path: string, min: number, max: number): number {
    this.#plain(node, path);
    const value = isScalar(node) ? node.value : undefined;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.fail(node, path, `expected an integer from ${min} to ${max}, got ${isScalar(node) ? shown(value) : kindOf(node)}`);
    }
    return parsed;
  }
}

const MAX_FLOW_DEPTH = 32;

/**
 * The offset where `[`/`{` nesting first exceeds MAX_FLOW_DEPTH, or -1. Brackets inside quotes are skipped
 * roughly (an escaped quote may end a string early); the scan only has to be sure for real policies, which
 * nest three or four levels, and bound the parser's work on anything else.
 */
function deepFlowOffset(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote || c === '\n') quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

function kindOf(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return 'null';
    return typeof value === 'string' ? `the string ${shown(value)}` : `the ${typeof value} ${shown(value)}`;
  }
  return 'an alias';
}
