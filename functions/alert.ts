/**
 * `alert` (target of the AlertRule of infra/events.yml, and of its own schedule; no VPC: it reaches SNS and
 * the webhook): one Sigil alert event → folded (lib/alerts/fold.ts, windows in the ledger table) → SNS
 * Publish on the alert topic and, if configured, the Slack-compatible webhook whose URL is an SSM
 * SecureString (read on first use, kept in memory only, never logged). The schedule's events flush closed
 * windows ("N more like this since …").
 *
 * Failure: a malformed event is logged and dropped (a retry could never parse it). A channel that failed
 * makes the invocation fail, so Lambda retries it (then its dead-letter destination); the retry sends only to
 * the channels that failed (delivery is recorded by EventBridge event id).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SigilError } from '../lib/errors.js';
import { InvalidEventError } from '../lib/events/inbound.js';
import { alertOf } from '../lib/alerts/alert.js';
import { parseAlertFunctionConfig, type AlertFunctionConfig } from '../lib/alerts/alert-config.js';
import { AlertDispatcher, SnsAlertChannel, type AlertChannel, type DispatchOutcome } from '../lib/alerts/dispatch.js';
import { AlertFolder } from '../lib/alerts/fold.js';
import { DynamoDbFoldStore } from '../lib/alerts/fold-dynamodb.js';
import { parseAlertInput } from '../lib/alerts/inbound-alert.js';
import type { AlertMessage } from '../lib/alerts/message.js';
import { parseAlertWebhookUrl, postToWebhook } from '../lib/alerts/webhook.js';

/** The webhook whose URL lives in SSM: read once per container; a failed read is retried on the next alert. */
class SsmWebhookChannel implements AlertChannel {
  readonly name = 'webhook';
  #url: Promise<URL> | undefined;

  constructor(
    private readonly ssm: SSMClient,
    private readonly parameter: string,
    private readonly timeoutMs: number,
  ) {}

  async #read(): Promise<URL> {
    let value: string | undefined;
    try {
      value = (await this.ssm.send(new GetParameterCommand({ Name: this.parameter, WithDecryption: true }))).Parameter?.Value;
    } catch (error) {
      throw new SigilError('CONFIG', `SSM parameter ${this.parameter} (the alert webhook) could not be read (${error instanceof Error ? error.name : 'unknown'})`, { parameter: this.parameter });
    }
    if (!value) throw new SigilError('CONFIG', `SSM parameter ${this.parameter} (the alert webhook) is empty`, { parameter: this.parameter });
    return parseAlertWebhookUrl(value, `SSM parameter ${this.parameter}`);
  }

  async deliver(message: AlertMessage): Promise<void> {
    this.#url ??= this.#read();
    let url: URL;
    try {
      url = await this.#url;
    } catch (error) {
      this.#url = undefined; // a transient SSM failure must not poison the container
      throw error;
    }
    await postToWebhook({ url, timeoutMs: this.timeoutMs }, message.text);
  }
}

export interface AlertContainer {
  readonly config: AlertFunctionConfig;
  readonly dispatcher: AlertDispatcher;
}

/** The adapters, from the environment; `clock` for tests. */
export function buildAlertContainer(env: Readonly<Record<string, string | undefined>>, clock: () => number = Date.now): AlertContainer {
  const config = parseAlertFunctionConfig(env);
  const channels: AlertChannel[] = [new SnsAlertChannel(new SNSClient({}), config.topicArn)];
  if (config.webhookParameter) channels.push(new SsmWebhookChannel(new SSMClient({}), config.webhookParameter, config.webhookTimeoutMs));
  const folder = new AlertFolder(new DynamoDbFoldStore(new DynamoDBClient({}), config.ledgerTable, clock), { windowMs: config.foldWindowMs, clock });
  return { config, dispatcher: new AlertDispatcher(folder, channels) };
}

export type AlertResult = (DispatchOutcome & { readonly eventId: string }) | { readonly flushed: number } | { readonly dropped: string };

/** One invocation over `container`: the handler below, and tests with their own container. */
export async function handleAlertEvent(container: AlertContainer, event: unknown, log: (line: string) => void = console.log): Promise<AlertResult> {
  let input;
  try {
    input = parseAlertInput(event);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    // The message says what was wrong, never the event's content.
    log(`alert: dropped a malformed event: ${error.message}`);
    return { dropped: error.message };
  }
  if (input.kind === 'flush') {
    const flushed = await container.dispatcher.flush();
    log(`alert: ${JSON.stringify({ flushed })}`);
    return { flushed };
  }
  const alert = alertOf({ detailType: input.detailType, detail: input.detail, time: input.time });
  const outcome = await container.dispatcher.dispatch(input.eventId, alert);
  log(`alert: ${JSON.stringify({ eventId: input.eventId, detailType: alert.detailType, severity: alert.severity, ...outcome })}`);
  return { eventId: input.eventId, ...outcome };
}

let container: AlertContainer | undefined;

export async function handler(event: unknown): Promise<AlertResult> {
  container ??= buildAlertContainer(process.env);
  return handleAlertEvent(container, event);
}
