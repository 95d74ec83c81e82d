/**
 * From an admitted alert to the people: fold it (lib/alerts/fold.ts), and if it is to be sent, deliver its
 * message on every channel that has not had it yet. Channels are independent: a failing webhook does not
 * keep the SNS message from going, and vice versa. Each channel that delivered is recorded under the event
 * id before the next is tried, so when a failure makes the caller retry the event (EventBridge → Lambda
 * retries; then its dead-letter queue), the retry sends only to the channels that failed.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SigilError } from '../errors.js';
import type { Alert } from './alert.js';
import type { AlertFolder, Admission } from './fold.js';
import { alertMessage, foldSummaryMessage, type AlertMessage } from './message.js';
import { postToWebhook, type AlertWebhook } from './webhook.js';

export interface AlertChannel {
  /** Stable: recorded as delivered under the event id. */
  readonly name: string;
  deliver(message: AlertMessage): Promise<void>;
}

export class AlertDeliveryError extends SigilError {
  constructor(failures: ReadonlyArray<{ channel: string; message: string }>) {
    super('ALERT_DELIVERY_FAILED', `alert not delivered on ${failures.map((f) => `${f.channel} (${f.message})`).join('; ')}`, { channels: failures.map((f) => f.channel) });
  }
}

/** SNS Publish on the alert topic (its subscribers: email, HTTPS). */
export class SnsAlertChannel implements AlertChannel {
  readonly name = 'sns';
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async deliver(message: AlertMessage): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: message.subject, Message: message.body }));
    } catch (error) {
      throw new SigilError('ALERT_SNS_FAILED', `SNS Publish to the alert topic failed (${error instanceof Error ? error.name : 'unknown'})`, { topicArn: this.topicArn }, { cause: error });
    }
  }
}

/** A Slack-compatible webhook (lib/alerts/webhook.ts; the URL is never logged). */
export class WebhookAlertChannel implements AlertChannel {
  readonly name = 'webhook';
  constructor(private readonly webhook: AlertWebhook) {}
  deliver(message: AlertMessage): Promise<void> {
    return postToWebhook(this.webhook, message.text);
  }
}

export type DispatchOutcome = { readonly decision: 'fold'; readonly duplicate: boolean } | { readonly decision: 'send'; readonly duplicate: boolean; readonly sent: readonly string[]; readonly skipped: readonly string[] };

export class AlertDispatcher {
  constructor(
    private readonly folder: AlertFolder,
    private readonly channels: readonly AlertChannel[],
  ) {}

  /** Admit and deliver the alert of event `eventId`; throws AlertDeliveryError after trying every channel if any failed. */
  async dispatch(eventId: string, alert: Alert): Promise<DispatchOutcome> {
    const admission: Admission = await this.folder.admit(eventId, alert);
    if (admission.decision === 'fold') return { decision: 'fold', duplicate: admission.duplicate };
    const message = alertMessage(admission.alert, admission.carried);
    const pending = this.channels.filter((c) => !admission.delivered.includes(c.name));
    const sent: string[] = [];
    const failures: Array<{ channel: string; message: string }> = [];
    for (const channel of pending) {
      try {
        await channel.deliver(message);
        sent.push(channel.name);
        await this.folder.markDelivered(eventId, channel.name);
      } catch (error) {
        failures.push({ channel: channel.name, message: error instanceof Error ? error.message : 'unknown error' });
      }
    }
    if (failures.length > 0) throw new AlertDeliveryError(failures);
    return { decision: 'send', duplicate: admission.duplicate, sent, skipped: this.channels.filter((c) => admission.delivered.includes(c.name)).map((c) => c.name) };
  }

  /** Report the folded alerts of closed windows that no later alert reported. Returns how many summaries went out. */
  async flush(): Promise<number> {
    const failures: Array<{ channel: string; message: string }> = [];
    let sent = 0;
    for (const summary of await this.folder.dueSummaries()) {
      const message = foldSummaryMessage(summary.alert, summary.carried);
      let ok = true;
      for (const channel of this.channels) {
        try {
          await channel.deliver(message);
        } catch (error) {
          ok = false;
          failures.push({ channel: channel.name, message: error instanceof Error ? error.message : 'unknown error' });
        }
      }
      // Settled only when every channel had it; otherwise the next flush tries again (at least once).
      if (ok) {
        await this.folder.settleSummary(summary);
        sent++;
      }
    }
    if (failures.length > 0) throw new AlertDeliveryError(failures);
    return sent;
  }
}
