/**
 * `npm run bench`: prints the figures docs/benchmarks.md quotes, with the machine they came from.
 * Benchmarks print numbers; they never pass or fail a build.
 */
import { machine, printTable } from './harness.js';
import { moduleLoadFigure } from './module-load.js';
import { signingFigures } from './signing.js';
import { custodyFigures } from './custody.js';

console.log(`# Sigil benchmarks\n\nmachine: ${machine()}\ndate: ${new Date().toISOString()}`);
printTable('Keys and signing (issue 2)', [...signingFigures(), await moduleLoadFigure()]);

const custody = await custodyFigures();
printTable('Custody (issue 3)', custody.figures);
for (const note of custody.notes) console.log(`\n${note}`);
