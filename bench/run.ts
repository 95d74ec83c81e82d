/**
 * `npm run bench`: prints the figures docs/benchmarks.md quotes, with the machine they came from.
 * Benchmarks print numbers; they never pass or fail a build.
 */
import { machine, printTable } from './harness.js';
import { moduleLoadFigure } from './module-load.js';
import { signingFigures } from './signing.js';
import { custodyFigures } from './custody.js';
import { pipelineFigures } from './pipeline.js';
import { bundleFigures } from './bundles.js';

console.log(`# Sigil benchmarks\n\nmachine: ${machine()}\ndate: ${new Date().toISOString()}`);
printTable('Keys and signing (issue 2)', [...signingFigures(), await moduleLoadFigure()]);
printTable('Lambda bundles (issue 6): osls package, zipped, loaded from the zip in fresh processes', await bundleFigures());

const custody = await custodyFigures();
printTable('Custody (issue 3)', custody.figures);
for (const note of custody.notes) console.log(`\n${note}`);

const pipeline = await pipelineFigures();
console.log('\n### Pipeline (issues 4 and 7): one pass, 1,000 pending EVM txs over 50 wallets, simulator latency 20 ms, SQLite store, with a policy, the activity history and the audit trail\n');
console.log('| run | seconds | tx/s | completed | Tatum calls | 429s | KMS Decrypts |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const run of pipeline.runs) {
  console.log(`| ${run.label} | ${run.seconds.toFixed(1)} | ${run.txPerSecond.toFixed(1)} | ${run.completed} | ${run.tatumCalls} | ${run.tooManyRequests} | ${run.decrypts ?? 'n/a'} |`);
}
for (const note of pipeline.notes) console.log(`\n${note}`);
