/**
 * Alerts off AWS (issue 7 §3): an EventSink that passes every event on to the sink it wraps, and for the
 * alert detail types also folds and delivers an alert — to the console (stderr, always), a JSON-lines file
 * and a webhook when configured. The same alertOf, folding and messages as the alert function.
 *
 * Emitting an alert never throws into the pipeline for the alert channels' own failures (the event itself
 * went to the wrapped sink, whose errors do propagate): a failure is written to the console. Closed fold
 * windows are reported on the next emit of any event (the daemon's heartbeat each pass), or by flush().
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { DetailType, EventDetail } from '../events/catalogue.js';
import type { EventSink } from '../events/event-sink.js';
import { alertOf, isAlertDetailType } from './alert.js';
import type { AlertSinkSettings } from './alert-config.js';
import { AlertDispatcher, WebhookAlertChannel, type AlertChannel } from './dispatch.js';
import { AlertFolder, MemoryFoldStore } from './fold.js';
import type { AlertMessage } from './message.js';

export class ConsoleAlertChannel implements AlertChannel {
  readonly name = 'console';
  constructor(private readonly write: (line: string) => void) {}
  async deliver(message: AlertMessage): Promise<void> {
    this.write(`[sigil alert] ${message.text}\n`);
  }
}

export class JsonLinesAlertChannel implements AlertChannel {
  readonly name = 'file';
  constructor(private readonly path: string) {}
  async deliver(message: AlertMessage): Promise<void> {
    appendFileSync(this.path, `${JSON.stringify(message.json)}\n`, { mode: 0o600 });
  }
}

export class AlertingEventSink implements EventSink {
  constructor(
    private readonly inner: EventSink,
    private readonly dispatcher: AlertDispatcher,
    private readonly warn: (line: string) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    await this.inner.emit(detailType, detail);
    if (isAlertDetailType(detailType)) {
      try {
        await this.dispatcher.dispatch(randomUUID(), alertOf({ detailType, detail, time: new Date(this.clock()).toISOString() }));
      } catch (error) {
        this.warn(`[sigil alert] delivery failed: ${error instanceof Error ? error.message : 'unknown error'}\n`);
      }
    }
    await this.flush();
  }

  /** Report closed windows' folded alerts now (the daemon calls it on stop). Never throws. */
  async flush(): Promise<number> {
    try {
      return await this.dispatcher.flush();
    } catch (error) {
      this.warn(`[sigil alert] delivery of a folded-alerts summary failed: ${error instanceof Error ? error.message : 'unknown error'}\n`);
      return 0;
    }
  }
}

export interface AlertingSinkIo {
  /** stderr of the process: the console channel, and failures. */
  readonly stderr: (line: string) => void;
  readonly clock?: () => number;
  /** More channels after the configured ones (the sandbox keeps its alerts for the report). */
  readonly channels?: readonly AlertChannel[];
}

/** The daemon's and the sandbox's alerting sink around `inner` (lib/alerts/alert-config.ts parses the daemon's settings). */
export function buildAlertingEventSink(inner: EventSink, settings: AlertSinkSettings, io: AlertingSinkIo): AlertingEventSink {
  const clock = io.clock ?? Date.now;
  const channels: AlertChannel[] = [new ConsoleAlertChannel(io.stderr)];
  if (settings.file !== undefined) channels.push(new JsonLinesAlertChannel(settings.file));
  if (settings.webhook !== undefined) channels.push(new WebhookAlertChannel({ url: settings.webhook, timeoutMs: settings.webhookTimeoutMs }));
  channels.push(...(io.channels ?? []));
  const folder = new AlertFolder(new MemoryFoldStore(clock), { windowMs: settings.foldWindowMs, clock });
  return new AlertingEventSink(inner, new AlertDispatcher(folder, channels), io.stderr, clock);
}
