/**
 * Writes infra/dashboard/dashboard.json from the typed definition: `npx tsx infra/dashboard/generate.ts`.
 * The file is committed (osls includes it with ${file()}, and cannot load TypeScript); the dashboard test
 * renders the definition in memory and fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_DASHBOARD } from './definition.js';
import { dashboardFileText } from './render.js';

export const DASHBOARD_FILE = join(import.meta.dirname, 'dashboard.json');

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  writeFileSync(DASHBOARD_FILE, dashboardFileText(PIPELINE_DASHBOARD));
  process.stdout.write(`wrote ${DASHBOARD_FILE}\n`);
}
