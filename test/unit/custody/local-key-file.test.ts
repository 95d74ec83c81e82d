/**
 * The local provider over a key file: the KeyProvider contract, file mode and format, and creation racing
 * across real processes (link(2) makes exactly one key win).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FILE_BYTES, encodeKeyFile, openKeyFile } from '../../../lib/custody/key-file.js';
import { LocalKeyProvider, localKeyIdOf } from '../../../lib/custody/local-key-provider.js';
import { openSecret, sealSecret } from '../../../lib/custody/envelope.js';
import { contextFor, expectCustodyError, keyProviderContract, MNEMONIC } from '../../contract/key-provider.contract.js';

let root: string;
let counter = 0;
const freshPath = () => join(root, `dir-${++counter}`, 'sigil.key');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sigil-keyfile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

keyProviderContract('local key file', async () => LocalKeyProvider.fromKeyFile(freshPath(), { create: true }));

describe('openKeyFile', () => {
  it('creates the file 0600 in a new 0700 directory, in the documented 45-byte format', async () => {
    const path = freshPath();
    const { kek, created } = await openKeyFile(path, { create: true });
    expect(created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, '..'))).mode & 0o777).toBe(0o700);
    const bytes = await readFile(path);
    expect(bytes).toHaveLength(KEY_FILE_BYTES);
    expect(bytes.subarray(0, 9).toString('latin1')).toBe('SIGILKEK\x01');
    expect(bytes.subarray(9, 41).equals(Buffer.from(kek))).toBe(true);
    expect(Buffer.from(encodeKeyFile(kek)).equals(bytes)).toBe(true);
    expect(await readdir(join(path, '..'))).toEqual(['sigil.key']); // no temporary file left behind
  });

  it('opens the same key again and never replaces it', async () => {
    const path = freshPath();
    const first = await openKeyFile(path, { create: true });
    const again = await openKeyFile(path, { create: true });
    const readOnly = await openKeyFile(path, { create: false });
    expect(again.created).toBe(false);
    expect(Buffer.from(again.kek)).toEqual(Buffer.from(first.kek));
    expect(Buffer.from(readOnly.kek)).toEqual(Buffer.from(first.kek));
  });

  it('opens envelopes sealed by an earlier process (a new provider over the same file)', async () => {
    const path = freshPath();
    const context = contextFor();
    const sealer = await LocalKeyProvider.fromKeyFile(path, { create: true });
    const envelope = await sealSecret(sealer, new TextEncoder().encode(MNEMONIC), context);
    sealer.close();
    const opener = await LocalKeyProvider.fromKeyFile(path, { create: false });
    expect(opener.keyId).toBe(sealer.keyId);
    expect(new TextDecoder().decode(await openSecret(opener, envelope, context))).toBe(MNEMONIC);
  });

  it('refuses a missing file without create (KEY_UNAVAILABLE)', async () => {
    await expectCustodyError(openKeyFile(freshPath(), { create: false }), ['KEY_UNAVAILABLE']);
  });

  it('a key file that cannot be created (its directory is a file) → KEY_UNAVAILABLE, not a raw fs error', async () => {
    const notADirectory = join(root, `file-${++counter}`);
    await writeFile(notADirectory, 'x');
    const error = await expectCustodyError(openKeyFile(join(notADirectory, 'sigil.key'), { create: true }), ['KEY_UNAVAILABLE']);
    expect(error.message).toMatch(/cannot be (created|opened): ENOTDIR/);
  });

  it('refuses a file readable by group or others, as ssh does', async () => {
    const path = freshPath();
    await openKeyFile(path, { create: true });
    await chmod(path, 0o640);
    const error = await expectCustodyError(openKeyFile(path, { create: true }), ['INVALID_KEY_FILE']);
    expect(error.message).toContain('0640');
  });

  it('refuses a damaged, truncated, extended or foreign file instead of making a new key', async () => {
    const path = freshPath();
    await openKeyFile(path, { create: true });
    const good = await readFile(path);
    const variants: Buffer[] = [
      Buffer.concat([good.subarray(0, 20), Buffer.from([good[20]! ^ 1]), good.subarray(21)]), // checksum fails
      good.subarray(0, KEY_FILE_BYTES - 1),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.concat([Buffer.from('NOTAKEY!'), good.subarray(8)]),
      Buffer.concat([good.subarray(0, 8), Buffer.from([2]), good.subarray(9)]),
    ];
    for (const bytes of variants) {
      await writeFile(path, bytes, { mode: 0o600 });
      await expectCustodyError(openKeyFile(path, { create: true }), ['INVALID_KEY_FILE']);
    }
  });

  it('a closed provider refuses to work (its KEK is wiped)', async () => {
    const provider = await LocalKeyProvider.fromKeyFile(freshPath(), { create: true });
    provider.close();
    await expectCustodyError(provider.generateDataKey(contextFor()), ['KEY_UNAVAILABLE']);
  });
});

describe('openKeyFile racing across processes', () => {
  const PROCESSES = 5;
  const ROUNDS = 12;
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../../lib/custody/key-file.ts', import.meta.url))).href;
  const idUrl = pathToFileURL(fileURLToPath(new URL('../../../lib/custody/local-key-provider.ts', import.meta.url))).href;
  // Each child loads the module, says "ready", then for every "<path>" line races openKeyFile(create) on it.
  const childScript = `
    import { createInterface } from 'node:readline';
    const { openKeyFile } = await import(${JSON.stringify(moduleUrl)});
    const { localKeyIdOf } = await import(${JSON.stringify(idUrl)});
    const lines = createInterface({ input: process.stdin });
    process.stdout.write('ready\\n');
    for await (const path of lines) {
      const { kek, created } = await openKeyFile(path, { create: true });
      process.stdout.write(JSON.stringify({ keyId: localKeyIdOf(kek), created }) + '\\n');
    }`;

  let children: ChildProcessWithoutNullStreams[] = [];
  let readers: Array<AsyncIterator<string>> = [];

  beforeAll(async () => {
    children = Array.from({ length: PROCESSES }, () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript], { stdio: 'pipe' }),
    );
    readers = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    const ready = await Promise.all(readers.map((reader) => reader.next()));
    expect(ready.map((line) => line.value)).toEqual(Array(PROCESSES).fill('ready'));
  }, 30_000);

  afterAll(() => {
    for (const child of children) child.stdin.end();
  });

  it(`${PROCESSES} processes creating the same new key file all end with one key, created exactly once (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const path = freshPath();
      for (const child of children) child.stdin.write(`${path}\n`);
      const answers = await Promise.all(readers.map(async (reader) => JSON.parse((await reader.next()).value as string) as { keyId: string; created: boolean }));
      const onDisk = localKeyIdOf(new Uint8Array((await readFile(path)).subarray(9, 41)));
      expect(answers.map((answer) => answer.keyId)).toEqual(Array(PROCESSES).fill(onDisk));
      expect(answers.filter((answer) => answer.created)).toHaveLength(1);
      expect(await readdir(join(path, '..'))).toEqual(['sigil.key']);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
  }, 30_000);
});
