/**
 * Issue 6 figures: the packaged Lambda artifacts (`osls package --stage ci`, shared with the infra tests'
 * cache): each zip's size, and how long a fresh Node process takes to import the bundle from the unzipped
 * artifact alone (no node_modules), which is the module-load part of a cold start, tiny-secp256k1's .wasm
 * compile included. Targets (issue 6): the sign zip ≤ 2 MB, its module load ≤ 200 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packagedStack } from '../test/support/osls-package.js';
import type { Figure } from './harness.js';

const BUNDLE_OF: Record<string, string> = { poll: 'poll', sign: 'sign', broadcast: 'broadcast', verify: 'verify', createWallet: 'create-wallet' };

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Milliseconds to import `file` in each of `runs` fresh processes, sorted. */
function loadTimes(file: string, runs: number): number[] {
  const probe = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } })));
  }
  return samples.sort((a, b) => a - b);
}

export async function bundleFigures(signRuns = 15, otherRuns = 5): Promise<Array<Figure & { zipBytes: number; bundleBytes: number }>> {
  const stack = await packagedStack();
  const dir = mkdtempSync(join(tmpdir(), 'sigil-bench-bundles-'));
  try {
    return Object.entries(BUNDLE_OF).map(([key, bundle]) => {
      const zip = stack.artifacts[key]!;
      execFileSync('unzip', ['-q', '-o', zip, '-d', join(dir, key)]);
      const file = join(dir, key, 'functions', `${bundle}.mjs`);
      const runs = key === 'sign' ? signRuns : otherRuns;
      const samples = loadTimes(file, runs);
      const zipBytes = statSync(zip).size;
      const bundleBytes = statSync(file).size;
      return {
        name: `load packaged ${bundle} (zip ${kib(zipBytes)}, bundle ${kib(bundleBytes)}), fresh process`,
        runs,
        medianMs: samples[Math.floor(runs / 2)]!,
        p95Ms: samples[Math.min(runs - 1, Math.ceil(0.95 * runs) - 1)]!,
        ...(key === 'sign' ? { target: '≤ 200 ms; zip ≤ 2048 KiB' } : {}),
        zipBytes,
        bundleBytes,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
