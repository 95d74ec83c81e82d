/**
 * A tiny benchmark harness: warm up, time each call with process.hrtime.bigint, report median and p95.
 * Figures are printed, never asserted: docs/benchmarks.md quotes them with the command and the machine.
 */
import { cpus, totalmem } from 'node:os';

export interface Figure {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly target?: string;
}

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

export function measure(name: string, fn: () => unknown, options: { runs?: number; warmup?: number; target?: string } = {}): Figure {
  const runs = options.runs ?? 1000;
  const warmup = options.warmup ?? Math.min(200, runs);
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { name, runs, medianMs: quantile(samples, 0.5), p95Ms: quantile(samples, 0.95), ...(options.target ? { target: options.target } : {}) };
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

export function printTable(title: string, figures: readonly Figure[]): void {
  const rows = figures.map((f) => [f.name, f.medianMs.toFixed(3), f.p95Ms.toFixed(3), String(f.runs), f.target ?? '']);
  const header = ['benchmark', 'median ms', 'p95 ms', 'runs', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
}

export async function measureAsync(name: string, fn: () => Promise<unknown>, options: { runs?: number; warmup?: number; target?: string } = {}): Promise<Figure> {
  const runs = options.runs ?? 200;
  const warmup = options.warmup ?? Math.min(20, runs);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { name, runs, medianMs: quantile(samples, 0.5), p95Ms: quantile(samples, 0.95), ...(options.target ? { target: options.target } : {}) };
}

/** Start moto_server on a free port for a bench (null when it is not installed). */
export async function startMotoForBench(): Promise<{ endpoint: string; stop: () => void } | null> {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const port: number = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    child.once('spawn', () => resolve(false));
  });
  if (failed) return null;
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return { endpoint, stop: () => child.kill('SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  return null;
}
