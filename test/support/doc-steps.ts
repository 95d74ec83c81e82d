/**
 * The runnable steps of a runbook (docs/operations.md): the lines of the ```sh block that follows an HTML
 * comment `<!-- steps: NAME -->`. The grammar is deliberately tiny, so a test can run each line exactly as an
 * operator would type it, and a line it cannot read fails the test instead of being skipped:
 *
 *     line    = *(assign SP) program *(SP word)
 *     assign  = NAME "=" word          (environment for this line only, as in sh)
 *     word    = a run of non-blank characters, or '…' / "…" quoted (no escapes, no expansion)
 *
 * Blank lines and lines starting with `#` are ignored. `<placeholder>`s are left in the words for the test
 * to substitute (placeholders() lists them).
 */
export interface DocStep {
  /** 1-based line in the markdown file, for failure messages. */
  readonly line: number;
  /** The line as written. */
  readonly text: string;
  /** NAME=value prefixes. */
  readonly env: Readonly<Record<string, string>>;
  /** `sigil`, `aws`, `export`, … */
  readonly program: string;
  readonly args: readonly string[];
}

const MARKER = /^<!--\s*steps:\s*([A-Za-z0-9/_.-]+)\s*-->\s*$/;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** Shell-like words of `text` (quotes group, nothing expands). Throws on an unterminated quote. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') {
      const quote = text[i];
      if (quote === "'" || quote === '"') {
        const end = text.indexOf(quote, i + 1);
        if (end < 0) throw new Error(`unterminated ${quote} in: ${text}`);
        word += text.slice(i + 1, end);
        i = end + 1;
      } else {
        word += quote;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** Every step block name in `markdown`, in order. */
export function stepBlockNames(markdown: string): string[] {
  return markdown.split('\n').flatMap((line) => {
    const match = MARKER.exec(line.trim());
    return match ? [match[1]!] : [];
  });
}

/** The steps of block `name`. Throws when the marker is missing, repeated, or not followed by a ```sh block. */
export function docSteps(markdown: string, name: string): DocStep[] {
  const lines = markdown.split('\n');
  const markers = lines.flatMap((line, i) => (MARKER.exec(line.trim())?.[1] === name ? [i] : []));
  if (markers.length !== 1) throw new Error(`expected one <!-- steps: ${name} --> marker, found ${markers.length}`);
  let i = markers[0]! + 1;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  if (lines[i]?.trim() !== '```sh') throw new Error(`<!-- steps: ${name} --> (line ${markers[0]! + 1}) is not followed by a \`\`\`sh block`);
  const steps: DocStep[] = [];
  for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) {
    const text = lines[i]!.trim();
    if (text === '' || text.startsWith('#')) continue;
    const words = splitWords(text);
    const env: Record<string, string> = {};
    while (words.length > 0 && ASSIGN.test(words[0]!) && words[0] !== 'export') {
      const [, key, value] = ASSIGN.exec(words.shift()!)!;
      env[key!] = value!;
    }
    const program = words.shift();
    if (program === undefined) throw new Error(`line ${i + 1}: assignments without a command: ${text}`);
    steps.push({ line: i + 1, text, env, program, args: words });
  }
  if (i >= lines.length) throw new Error(`the \`\`\`sh block of <!-- steps: ${name} --> is not closed`);
  return steps;
}

/** The distinct `<placeholder>`s of `steps`. */
export function placeholders(steps: readonly DocStep[]): string[] {
  return [...new Set(steps.flatMap((step) => step.text.match(/<[A-Za-z][A-Za-z0-9-]*>/g) ?? []))];
}

/** `value` with every `<name>` replaced from `values`; throws on a placeholder without a value. */
export function substitute(value: string, values: Readonly<Record<string, string>>): string {
  return value.replace(/<([A-Za-z][A-Za-z0-9-]*)>/g, (whole, name: string) => {
    const replacement = values[name];
    if (replacement === undefined) throw new Error(`no value for ${whole} in: ${value}`);
    return replacement;
  });
}
