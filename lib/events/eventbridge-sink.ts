/**
 * EventSink on Amazon EventBridge: `PutEvents` on the deployment's bus, source `sigil`, the detail type and
 * the detail as JSON. A partially failed PutEvents (FailedEntryCount > 0) is an error: events drive the flow
 * (the signer's queue, the broadcaster) and the alerts, so a lost event must not pass silently.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SigilError } from '../errors.js';
import { assertNoSecretShape, EVENT_SOURCE, type DetailType, type EventDetail } from './catalogue.js';
import type { EventSink } from './event-sink.js';

export class EventDeliveryError extends SigilError {
  constructor(message: string, context: Record<string, unknown>, options?: { cause?: unknown }) {
    super('EVENT_DELIVERY', message, context, options);
  }
}

export class EventBridgeEventSink implements EventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async emit(detailType: DetailType, detail: EventDetail): Promise<void> {
    assertNoSecretShape(detail);
    let result;
    try {
      result = await this.client.send(
        new PutEventsCommand({
          Entries: [{ Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: this.busName, Time: this.clock() }],
        }),
      );
    } catch (cause) {
      throw new EventDeliveryError(`EventBridge PutEvents failed for "${detailType}"`, { busName: this.busName, detailType }, { cause });
    }
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new EventDeliveryError(`EventBridge refused "${detailType}": ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(), { busName: this.busName, detailType });
    }
  }
}
