/**
 * esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins; serverless-esbuild loads this
 * file with require(), hence CommonJS).
 *
 * 1. No native module and nothing of the sandbox, the CLI or the tests may reach a Lambda bundle (issue 6):
 *    the build fails naming the module and the file that imported it, so the import to cut is obvious.
 * 2. tiny-secp256k1 reads `secp256k1.wasm` from the directory of the module that loads it
 *    (`new URL('secp256k1.wasm', import.meta.url)`); bundled, that module is the bundle, so the file is
 *    copied next to it (the zip then carries it beside `functions/<name>.mjs`).
 * 3. What went into each bundle (input → bytes in the output) is written to `.serverless/bundle-inputs/`,
 *    for bench/bundles.ts and test/infra/bundles.test.ts.
 */
'use strict';

const { copyFileSync, mkdirSync, writeFileSync } = require('node:fs');
const { basename, dirname, join, relative, resolve } = require('node:path');

/** Packages that are native, or belong to the sandbox, the CLI or the tests (see package.json). */
const FORBIDDEN_PACKAGES = [
  'better-sqlite3',
  'ganache',
  'bcoin',
  'bcrypto',
  'leveldown',
  'bindings',
  'node-gyp-build',
  'bufferutil',
  'utf-8-validate',
  'hardhat',
  'bitcore-lib',
  'fast-check',
  'vitest',
  '@scure/bip32',
  '@scure/bip39',
  'tsx',
  'esbuild',
];
const FORBIDDEN_IMPORT = new RegExp(`^(${FORBIDDEN_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})(/|$)`);
/** Project folders that never run on Lambda. */
const FORBIDDEN_FOLDER = /[\\/](sandbox|cli|test|bench)[\\/]/;
const WASM_FILE = 'secp256k1.wasm';
/**
 * Optional native accelerators that a package requires inside try/catch and does without when they are
 * absent (ws: bufferutil, utf-8-validate). They stay out of the bundle as missing externals, which is what
 * the package expects of a machine that lacks them.
 */
const OPTIONAL_ACCELERATORS = [{ importer: /[\\/]node_modules[\\/]ws[\\/]/, module: /^(bufferutil|utf-8-validate)$/ }];

function where(root, file) {
  return file ? relative(root, file) : 'the entry point';
}

const lambdaBundleGuard = {
  name: 'sigil-lambda-bundle-guard',
  setup(build) {
    const root = build.initialOptions.absWorkingDir ?? process.cwd();
    build.initialOptions.metafile = true;

    build.onResolve({ filter: FORBIDDEN_IMPORT }, (args) => {
      if (OPTIONAL_ACCELERATORS.some((o) => o.module.test(args.path) && o.importer.test(args.importer))) return { path: args.path, external: true };
      return { errors: [{ text: `"${args.path}" must not reach a Lambda bundle (native or not for Lambda); imported by ${where(root, args.importer)}` }] };
    });
    build.onLoad({ filter: /\.node$/ }, (args) => ({
      errors: [{ text: `native addon ${where(root, args.path)} must not reach a Lambda bundle` }],
    }));
    build.onLoad({ filter: FORBIDDEN_FOLDER }, (args) => {
      const file = relative(root, args.path);
      if (file.startsWith('node_modules') || file.startsWith('..')) return undefined;
      return { errors: [{ text: `${file} (sandbox, CLI, tests or bench) must not reach a Lambda bundle` }] };
    });

    build.onEnd((result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const report = join(root, '.serverless', 'bundle-inputs');
      mkdirSync(report, { recursive: true });
      for (const [output, meta] of Object.entries(result.metafile.outputs)) {
        if (!output.endsWith('.mjs') && !output.endsWith('.js')) continue;
        const inputs = Object.fromEntries(Object.entries(meta.inputs).map(([input, used]) => [input, used.bytesInOutput]));
        const usesSecp256k1 = Object.keys(inputs).some((input) => input.includes('node_modules/tiny-secp256k1/'));
        if (usesSecp256k1) {
          const wasm = join(dirname(require.resolve('tiny-secp256k1')), '..', WASM_FILE);
          copyFileSync(wasm, join(dirname(resolve(root, output)), WASM_FILE));
        }
        const name = basename(output).replace(/\.m?js$/, '');
        writeFileSync(join(report, `${name}.json`), `${JSON.stringify({ output: relative(root, resolve(root, output)), bytes: meta.bytes, wasm: usesSecp256k1, inputs }, null, 1)}\n`);
      }
    });
  },
};

module.exports = [lambdaBundleGuard];
