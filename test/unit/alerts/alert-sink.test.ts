/**
 * AlertingEventSink, the daemon's alerts: every event passes through to the wrapped sink; alert detail
 * types also reach the console (stderr) and the JSON-lines file, folded; a closed window is reported on the
 * next emit of any event (the heartbeat) or by flush().
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAlertingEventSink } from '../../../lib/alerts/alert-sink.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'sigil-alert-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rig(windowMs = 60_000) {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const file = join(dir, `alerts-${Math.random().toString(16).slice(2)}.jsonl`);
  const lines: string[] = [];
  const inner = new MemoryEventSink();
  const sink = buildAlertingEventSink(inner, { file, foldWindowMs: windowMs, webhookTimeoutMs: 1_000 }, { stderr: (l) => lines.push(l), clock: () => now });
  const fileLines = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { sink, inner, lines, fileLines, advance: (ms: number) => (now += ms) };
}

describe('AlertingEventSink', () => {
  it('passes every event on; only alert types alert', async () => {
    const { sink, inner, lines } = rig();
    await sink.emit('Transaction Signed', { pendingId: '5f1e0c2b9a8d7e6f5a4b3c2d', chain: 'BTC', network: 'testnet', hash: 'ab' });
    await sink.emit('Double Spend Prevented', { pendingId: '5f1e0c2b9a8d7e6f5a4b3c2d', chain: 'BTC', spendKey: 'utxo#BTC#ab:0', otherPendingId: '6a1e0c2b9a8d7e6f5a4b3c2d' });
    expect(inner.events.map((e) => e.detailType)).toEqual(['Transaction Signed', 'Double Spend Prevented']);
    expect(lines).toEqual(['[sigil alert] [CRITICAL] Double Spend Prevented on BTC: pending 5f1e0c2b9a8d7e6f5a4b3c2d spends utxo#BTC#ab:0 already claimed by 6a1e0c2b9a8d7e6f5a4b3c2d\n']);
  });

  it('folds a storm on the console and in the file, and reports the count when the window closes', async () => {
    const { sink, lines, fileLines, advance } = rig();
    for (let i = 0; i < 10; i++) {
      await sink.emit('Transaction Rejected', { pendingId: `5f1e0c2b9a8d7e6f5a4b3c${10 + i}`, chain: 'ETH', reason: `amount ${i} above the limit`, rule: 'max-amount' });
      advance(1_000);
    }
    expect(lines).toHaveLength(1);
    advance(60_000);
    await sink.emit('Poller Heartbeat', { network: 'testnet', chains: ['ETH'], pending: 0, resumed: 0, reported: 0, errors: 0 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('[sigil alert] [HIGH] 9 more like this since 2026-03-01T12:00:01.000Z (Transaction Rejected, folded): like [HIGH] Transaction Rejected on ETH: pending 5f1e0c2b9a8d7e6f5a4b3c10 by rule max-amount — amount 0 above the limit\n');
    const records = fileLines();
    expect(records.map((r) => r.kind)).toEqual(['alert', 'alert-fold']);
    expect(records[0]).toMatchObject({ severity: 'high', detailType: 'Transaction Rejected', ids: { pendingId: '5f1e0c2b9a8d7e6f5a4b3c10', rule: 'max-amount' } });
    expect(records[1]).toMatchObject({ folded: { count: 9, since: '2026-03-01T12:00:01.000Z' } });
    expect(await sink.flush()).toBe(0);
  });
});
