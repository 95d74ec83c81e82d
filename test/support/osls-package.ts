/**
 * `osls package --stage ci`, run once per test run and shared by every test file that needs the packaged
 * stack (template tests, event routing, the deploy rehearsal, the bundle checks).
 *
 * The output is cached under node_modules/.cache/sigil-osls/<key>/, the key being a hash of everything the
 * package depends on (serverless.yml, infra/, functions/, lib/, package-lock.json, the stage). Test files
 * run in parallel processes: the first to arrive takes a lock (an atomic mkdir) and packages; the others
 * wait for its `complete` marker. Packaging is offline: dummy AWS credentials, no endpoint, telemetry off,
 * and serverless-localstack stays inactive outside stage `local`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CfnTemplate } from '../../infra/template-model.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const STAGE = 'ci';
/** The test stage ships the example policy (infra/policy.example.yaml) as an operator would ship theirs. */
export const POLICY_FILE = 'infra/policy.example.yaml';
const PARAMS = ['--param', `policyFile=${POLICY_FILE}`];
const CACHE = join(ROOT, 'node_modules', '.cache', 'sigil-osls');
const INPUTS = ['serverless.yml', 'infra', 'functions', 'lib', 'package.json', 'package-lock.json'];
/** infra/*.ts are test helpers (template model, policy simulator): they do not change the package. */
const PACKAGE_INPUT = (file: string) => !(file.startsWith('infra/') && file.endsWith('.ts'));
const LOCK_STALE_MS = 5 * 60_000;
const PACKAGE_TIMEOUT_MS = 4 * 60_000;

/** What infra/esbuild-plugins.cjs records of one bundle. */
export interface BundleReport {
  readonly output: string;
  readonly bytes: number;
  readonly wasm: boolean;
  /** Input path (relative to the repository) → bytes it contributes to the bundle. */
  readonly inputs: Readonly<Record<string, number>>;
}

export interface PackagedStack {
  readonly stage: string;
  /** The directory `osls package --package` wrote. */
  readonly dir: string;
  readonly template: CfnTemplate;
  /** Function key in serverless.yml (poll, sign, …) → its zip. */
  readonly artifacts: Readonly<Record<string, string>>;
  /** Bundle name (poll, sign, create-wallet, …) → what went into it. */
  readonly bundles: Readonly<Record<string, BundleReport>>;
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((entry) => filesUnder(join(path, entry.name)))
    .sort();
}

/** Hash of the package's inputs: any change to them re-packages. */
export function packageKey(stage = STAGE): string {
  const hash = createHash('sha256').update(`stage=${stage}\n${PARAMS.join(' ')}\n`);
  for (const file of INPUTS.flatMap((input) => filesUnder(join(ROOT, input))).filter((f) => PACKAGE_INPUT(relative(ROOT, f)))) {
    hash.update(`${relative(ROOT, file)}\n`).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 20);
}

async function runOsls(stage: string, out: string): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
  const osls = join(ROOT, 'node_modules', '.bin', 'osls');
  try {
    await promisify(execFile)(osls, ['package', '--stage', stage, ...PARAMS, '--package', out], { cwd: ROOT, env, timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package --stage ${stage} failed:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
  }
}

function load(dir: string, stage: string): PackagedStack {
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  const artifacts = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.zip'))
      .map((f) => [f.slice(0, -'.zip'.length), join(dir, f)]),
  );
  const reports = join(dir, 'bundle-inputs');
  const bundles = Object.fromEntries(
    readdirSync(reports)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(reports, f), 'utf8')) as BundleReport]),
  );
  return { stage, dir, template, artifacts, bundles };
}

/** Packages of older sources, an hour after their last use (another run may still be reading a newer one). */
function pruneOldPackages(keep: string): void {
  for (const entry of readdirSync(CACHE)) {
    const path = join(CACHE, entry);
    if (entry === keep || entry === 'packaging.lock') continue;
    if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The packaged stack of the current sources (packaged now, or by another test file of this run). */
export async function packagedStack(stage = STAGE): Promise<PackagedStack> {
  const key = packageKey(stage);
  const dir = join(CACHE, key);
  // One lock for every key: osls and serverless-esbuild work in the repository's .serverless/ and .esbuild/.
  const lock = join(CACHE, 'packaging.lock');
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + PACKAGE_TIMEOUT_MS + 60_000;
  for (;;) {
    if (existsSync(join(dir, 'complete'))) return load(dir, stage);
    try {
      mkdirSync(lock);
    } catch {
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another test file to package the stack (${lock})`);
      await sleep(500);
      continue;
    }
    try {
      if (existsSync(join(dir, 'complete'))) return load(dir, stage);
      const work = `${dir}.work-${process.pid}`;
      rmSync(work, { recursive: true, force: true });
      await runOsls(stage, work);
      writeFileSync(join(work, 'complete'), `${new Date().toISOString()}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      pruneOldPackages(key);
      return load(dir, stage);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
