/**
 * The CLI's window on the process, injectable so that tests run commands in-process: arguments,
 * environment, directories, the two output streams, whether they are terminals, and secret input.
 *
 * Secret input never passes through a JS string: the hidden prompt collects raw bytes from the terminal
 * in raw mode, and stdin lines are cut from the stream's buffers, which are wiped once copied out.
 */
import { homedir } from 'node:os';
import { SigilError } from '../lib/errors.js';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  /** The result JSON only (docs/cli.md: stdout purity). */
  stdout(text: string): void;
  /** Everything else: warnings, progress, console events, errors. */
  stderr(text: string): void;
  readonly stdinIsTty: boolean;
  readonly stderrIsTty: boolean;
  /** Ask on the terminal without echo; the bytes typed (without the newline), which the caller wipes. */
  promptHidden(question: string): Promise<Uint8Array>;
  /** The next line of stdin (without `\n` or `\r\n`), which the caller wipes; undefined at end of input. */
  readLine(): Promise<Uint8Array | undefined>;
}

const MAX_SECRET_LINE = 4096;

function tooLong(): SigilError {
  return new SigilError('INVALID_INPUT', `a secret line is at most ${MAX_SECRET_LINE} bytes`);
}

/** Reads stdin line by line as bytes, leaving the rest of the input in the stream for the next call. */
function readLineFrom(stream: NodeJS.ReadStream): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const finish = (found: boolean) => {
      cleanup();
      if (!found && parts.length === 0) return resolve(undefined);
      const line = new Uint8Array(length);
      let at = 0;
      for (const part of parts) {
        line.set(part, at);
        at += part.length;
        part.fill(0);
      }
      const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      const out = line.slice(0, end);
      line.fill(0);
      resolve(out);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        const newline = chunk.indexOf(0x0a);
        const part = Buffer.from(newline >= 0 ? chunk.subarray(0, newline) : chunk);
        parts.push(part);
        length += part.length;
        if (newline >= 0) {
          const rest = Buffer.from(chunk.subarray(newline + 1));
          chunk.fill(0);
          if (rest.length > 0) stream.unshift(rest);
          return finish(true);
        }
        chunk.fill(0);
        if (length > MAX_SECRET_LINE) {
          cleanup();
          for (const p of parts) p.fill(0);
          return reject(tooLong());
        }
      }
    };
    const onEnd = () => finish(false);
    const onError = (error: unknown) => {
      cleanup();
      reject(error);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    if (stream.readableEnded) finish(false);
  });
}

/** Raw-mode terminal input without echo: Enter ends, Backspace deletes, Ctrl-C cancels, Ctrl-D on empty input ends. */
function promptHiddenOn(stdin: NodeJS.ReadStream, write: (text: string) => void, question: string): Promise<Uint8Array> {
  write(`${question} `);
  const buffer = new Uint8Array(MAX_SECRET_LINE);
  let length = 0;
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      write('\n');
      const out = buffer.slice(0, length);
      buffer.fill(0);
      if (error) {
        out.fill(0);
        reject(error);
      } else {
        resolve(out);
      }
    };
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a || (byte === 0x04 && length === 0)) {
          chunk.fill(0);
          return done();
        }
        if (byte === 0x03) {
          chunk.fill(0);
          return done(new SigilError('CANCELLED', 'cancelled at the prompt'));
        }
        if (byte === 0x7f || byte === 0x08) {
          if (length > 0) buffer[--length] = 0;
        } else if (length === buffer.length) {
          chunk.fill(0);
          return done(tooLong());
        } else {
          buffer[length++] = byte;
        }
      }
      chunk.fill(0);
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The real process. */
export function processIo(): CliIo {
  const stderr = (text: string) => process.stderr.write(text);
  return {
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    stdout: (text) => process.stdout.write(text),
    stderr,
    stdinIsTty: Boolean(process.stdin.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    promptHidden: (question) => promptHiddenOn(process.stdin, stderr, question),
    readLine: () => readLineFrom(process.stdin),
  };
}
