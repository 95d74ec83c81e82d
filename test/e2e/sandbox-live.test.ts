/**
 * The sandbox without --once, in a pipe: demo payments keep coming and the daemon signs them on its
 * schedule; each stage a payment reaches is one plain log line on stderr; Ctrl-C (the abort signal) stops
 * new payments, lets those in flight finish, prints the summary on stdout and ends with exit code 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runSandbox } from '../../sandbox/run.js';
import { STAGES } from '../../sandbox/tx-status.js';

const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-live-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('streams payments until Ctrl-C, then drains, reports and exits 0', async () => {
  const ctrlC = new AbortController();
  let stdout = '';
  let stderr = '';
  const stages = new Map<string, string[]>();
  const running = runSandbox({
    dataDir: join(root, 'data'),
    once: false,
    periodMs: 250,
    paymentEveryMs: 400,
    stdout: (text) => (stdout += text),
    stderr: {
      tty: false,
      write: (text) => {
        stderr += text;
        for (const m of text.matchAll(/^sandbox: .+ \(pending ([0-9a-f]{24})\): (\w+)/gm)) stages.set(m[1]!, [...(stages.get(m[1]!) ?? []), m[2]!]);
      },
    },
    signal: ctrlC.signal,
  });
  // Stop once the stream has made a payment of each kind, the 4th being one the sandbox policy blocks.
  const until = Date.now() + 20_000;
  while (!/ETH over limit [\d.]+ ETH \(pending/.test(stderr) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  ctrlC.abort();
  const { code, summary } = await running;

  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ mode: 'live', run: 1, ok: true, problems: [], unfinished: [] });
  expect(new Set(summary.payments.map((p) => p.label))).toEqual(new Set(['ETH legacy', 'ETH EIP-1559', 'BTC P2WPKH', 'ETH over limit']));
  const [blocked, ...others] = [...summary.payments].sort((a, b) => (a.blocked ? -1 : b.blocked ? 1 : 0));
  expect(blocked).toMatchObject({ label: 'ETH over limit', ledgerState: 'REJECTED', blocked: { alerted: true } });
  expect(others.every((p) => p.stage === 'confirmed')).toBe(true);
  expect(stderr).toMatch(/\[sigil alert\] .*Transaction Rejected|\[sigil alert\] .*rejected/i);
  expect(summary.balances.map((b) => b.ok)).toEqual([true, true, true, true]);
  expect(summary.passes).toBeGreaterThan(1);
  expect(stderr).toContain('stopping: no new payments');
  // Each payment's log lines name its stages in order (a fast pass may skip one between two reads).
  for (const p of others) {
    const seen = stages.get(p.pendingId)!;
    expect(seen[0]).toBe('pending');
    expect(seen.at(-1)).toBe('confirmed');
    expect(seen.map((s) => STAGES.indexOf(s as never))).toEqual([...seen.map((s) => STAGES.indexOf(s as never))].sort((a, b) => a - b));
  }
}, 60_000);
