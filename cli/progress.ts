/**
 * A progress bar on stderr for long operations (batch generation, import, verify, backup, restore,
 * rotate) when stderr is a terminal; nothing at all in pipes, so logs and CI output stay clean.
 */
import type { ProgressListener } from '../lib/wallets/index.js';
import type { CliIo } from './io.js';

const WIDTH = 30;
/** Redraw at most this often (ms), and always at the end. */
const MIN_INTERVAL_MS = 80;

export function progressBar(io: CliIo, label: string): ProgressListener | undefined {
  if (!io.stderrIsTty) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < MIN_INTERVAL_MS) return;
    last = now;
    const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
    io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`);
    if (done >= total) io.stderr('\n');
  };
}
