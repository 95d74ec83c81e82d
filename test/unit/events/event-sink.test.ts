import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleEventSink, FanOutEventSink, JsonLinesEventSink, MemoryEventSink } from '../../../lib/events/event-sink.js';

const clock = () => new Date('2026-11-25T12:00:00.000Z');

describe('event sinks', () => {
  it('console sink writes one line per event with its fields', async () => {
    const lines: string[] = [];
    await new ConsoleEventSink((l) => lines.push(l), clock).emit('Wallet Created', { signatureId: 'abc', chain: 'BTC' });
    expect(lines).toEqual(['[sigil] 2026-11-25T12:00:00.000Z Wallet Created signatureId=abc chain=BTC\n']);
  });

  it('JSON-lines sink appends parseable events to a 0600 file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sigil-events-')), 'events.jsonl');
    const sink = new JsonLinesEventSink(path, clock);
    await sink.emit('Wallet Removed', { signatureId: 'a' });
    await sink.emit('Secret Exported', { signatureId: 'b', command: 'export' });
    const events = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toEqual([
      { source: 'sigil', detailType: 'Wallet Removed', detail: { signatureId: 'a' }, time: '2026-11-25T12:00:00.000Z' },
      { source: 'sigil', detailType: 'Secret Exported', detail: { signatureId: 'b', command: 'export' }, time: '2026-11-25T12:00:00.000Z' },
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a detail with a field named like a secret, in every sink', async () => {
    const memory = new MemoryEventSink(clock);
    const fan = new FanOutEventSink([memory]);
    for (const field of ['mnemonic', 'privateKey', 'secret', 'password', 'seed', 'dataKey']) {
      await expect(fan.emit('Wallet Created', { [field]: 'x' })).rejects.toThrow(/looks like a secret/);
    }
    expect(memory.events).toEqual([]);
  });
});
