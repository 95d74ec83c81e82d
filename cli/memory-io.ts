/**
 * An in-memory CliIo: runs `main` without a process (tests, or embedding the CLI). Stdin is a list of
 * lines; a "terminal" answers hidden prompts from its own list and records the questions asked.
 */
import type { CliIo } from './io.js';

export interface MemoryIoOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir?: string;
  /** Lines of stdin (without newlines). */
  readonly stdin?: readonly string[];
  /** Answers to hidden prompts; when given, stdin is a terminal. */
  readonly terminal?: readonly string[];
  readonly stderrIsTty?: boolean;
}

export interface MemoryIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
  /** The questions hidden prompts asked, in order. */
  readonly prompts: string[];
}

export function memoryIo(options: MemoryIoOptions): MemoryIo {
  let out = '';
  let err = '';
  const lines = [...(options.stdin ?? [])];
  const answers = [...(options.terminal ?? [])];
  const prompts: string[] = [];
  const encoder = new TextEncoder();
  const io: CliIo = {
    env: options.env ?? {},
    cwd: options.cwd,
    homeDir: options.homeDir ?? options.cwd,
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    stdinIsTty: options.terminal !== undefined,
    stderrIsTty: options.stderrIsTty ?? false,
    promptHidden: async (question) => {
      prompts.push(question);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('memoryIo: no terminal answer left');
      return encoder.encode(answer);
    },
    readLine: async () => {
      const line = lines.shift();
      return line === undefined ? undefined : encoder.encode(line);
    },
  };
  return { io, stdout: () => out, stderr: () => err, prompts };
}
