/**
 * How long a cold process takes to load the signing core (lib/chains + lib/keys), bundled with esbuild as a
 * Lambda bundle would be, measured in fresh node processes. Target: ≤ 150 ms (Tatum's SDK: 1.66 s).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Figure } from './harness.js';

export async function moduleLoadFigure(runs = 15): Promise<Figure & { bundleBytes: number }> {
  const root = resolve(import.meta.dirname, '..');
  const dir = mkdtempSync(join(root, 'node_modules', '.sigil-bench-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `export * from '${join(root, 'lib/chains/index.ts')}';\nexport * from '${join(root, 'lib/keys/index.ts')}';\n`);
    const outfile = join(dir, 'signing-core.mjs');
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['tiny-secp256k1'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      metafile: true,
      logLevel: 'silent',
    });
    const bundleBytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    const probe = `const t=performance.now(); await import(${JSON.stringify(outfile)}); process.stdout.write(String(performance.now()-t));`;
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8' })));
    samples.sort((a, b) => a - b);
    return {
      name: `load signing core (esbuild bundle, ${(bundleBytes / 1024).toFixed(0)} KiB, fresh process)`,
      runs,
      medianMs: samples[Math.floor(runs / 2)]!,
      p95Ms: samples[Math.min(runs - 1, Math.ceil(0.95 * runs) - 1)]!,
      target: '≤ 150 ms',
      bundleBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
