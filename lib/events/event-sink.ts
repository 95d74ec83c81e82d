/**
 * The EventSink port: where Sigil's events go. Embedded adapters here (console on stderr, JSON lines to a
 * file, both at once); the EventBridge adapter comes with the pipeline. Emitting never throws into the
 * caller's business logic for a sink's own I/O failure: audit-critical paths await `emit` and decide.
 */
import { appendFileSync } from 'node:fs';
import { assertNoSecretShape, type DetailType, type EventDetail, type SigilEvent } from './catalogue.js';

export interface EventSink {
  emit(detailType: DetailType, detail: EventDetail): Promise<void>;
}

type Clock = () => Date;

function makeEvent(detailType: DetailType, detail: EventDetail, clock: Clock): SigilEvent {
  assertNoSecretShape(detail);
  return { detailType, detail, time: clock().toISOString() };
}

/** One human-readable line per event on a stream (stderr by default: stdout carries only command results). */
export class ConsoleEventSink implements EventSink {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly clock: Clock = () => new Date(),
  ) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    const event = makeEvent(detailType, detail, this.clock);
    const fields = Object.entries(event.detail)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ');
    this.write(`[sigil] ${event.time} ${detailType}${fields ? ` ${fields}` : ''}\n`);
  }
}

/** Appends one JSON object per line to a file (for log shippers and tests). */
export class JsonLinesEventSink implements EventSink {
  constructor(
    private readonly path: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    const event = makeEvent(detailType, detail, this.clock);
    appendFileSync(this.path, `${JSON.stringify({ source: 'sigil', ...event })}\n`, { mode: 0o600 });
  }
}

/** Keeps events in memory (tests, and the CLI's summary). */
export class MemoryEventSink implements EventSink {
  readonly events: SigilEvent[] = [];
  constructor(private readonly clock: Clock = () => new Date()) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    this.events.push(makeEvent(detailType, detail, this.clock));
  }
}

/** Sends every event to each sink in turn. */
export class FanOutEventSink implements EventSink {
  constructor(private readonly sinks: readonly EventSink[]) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    for (const sink of this.sinks) await sink.emit(detailType, detail);
  }
}
