/**
 * Alert settings at the boundary (lib/ never reads process.env: callers hand the environment in).
 *
 * The alert function (serverless.yml `alert`): SIGIL_ALERT_TOPIC_ARN, SIGIL_ALERT_WEBHOOK_PARAMETER (name of an
 * SSM SecureString holding the webhook URL; '' = no webhook), SIGIL_ALERT_FOLD_SECONDS (default 300),
 * SIGIL_LEDGER_TABLE (where fold windows live).
 *
 * The daemon: `--alertWebhook <url>` (or SIGIL_ALERT_WEBHOOK), `--alertFile <path>`,
 * SIGIL_ALERT_FOLD_SECONDS. The console always gets the alerts.
 */
import { InvalidInputError } from '../errors.js';
import { parseAlertWebhookUrl } from './webhook.js';

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_FOLD_SECONDS = 300;
export const WEBHOOK_TIMEOUT_MS = 5_000;

function foldWindowMs(env: Env): number {
  const text = env.SIGIL_ALERT_FOLD_SECONDS;
  if (text === undefined || text === '') return DEFAULT_FOLD_SECONDS * 1000;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 86_400) throw new InvalidInputError(`SIGIL_ALERT_FOLD_SECONDS must be an integer from 0 to 86400; got ${JSON.stringify(text.slice(0, 20))}`);
  return Number(text) * 1000;
}

export interface AlertFunctionConfig {
  readonly topicArn: string;
  /** SSM SecureString parameter with the webhook URL; absent = no webhook. */
  readonly webhookParameter?: string;
  readonly foldWindowMs: number;
  readonly ledgerTable: string;
  readonly webhookTimeoutMs: number;
}

export function parseAlertFunctionConfig(env: Env): AlertFunctionConfig {
  const topicArn = env.SIGIL_ALERT_TOPIC_ARN;
  if (!topicArn || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topicArn)) throw new InvalidInputError('SIGIL_ALERT_TOPIC_ARN must be an SNS topic ARN', { variable: 'SIGIL_ALERT_TOPIC_ARN' });
  const table = env.SIGIL_LEDGER_TABLE;
  if (!table || !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) throw new InvalidInputError('SIGIL_LEDGER_TABLE must be a DynamoDB table name', { variable: 'SIGIL_LEDGER_TABLE' });
  const parameter = env.SIGIL_ALERT_WEBHOOK_PARAMETER ?? '';
  if (parameter !== '' && !/^[A-Za-z0-9/._-]{1,2048}$/.test(parameter)) throw new InvalidInputError('SIGIL_ALERT_WEBHOOK_PARAMETER must be an SSM parameter name or empty', { variable: 'SIGIL_ALERT_WEBHOOK_PARAMETER' });
  return { topicArn, ...(parameter ? { webhookParameter: parameter } : {}), foldWindowMs: foldWindowMs(env), ledgerTable: table, webhookTimeoutMs: WEBHOOK_TIMEOUT_MS };
}

export interface AlertSinkSettings {
  readonly webhook?: URL;
  readonly file?: string;
  readonly foldWindowMs: number;
  readonly webhookTimeoutMs: number;
}

export interface AlertSinkFlags {
  readonly alertWebhook?: string;
  readonly alertFile?: string;
}

/** `--alertWebhook` (else SIGIL_ALERT_WEBHOOK) and `--alertFile` of the daemon. */
export function parseAlertSinkSettings(flags: AlertSinkFlags, env: Env): AlertSinkSettings {
  const webhookText = flags.alertWebhook ?? (env.SIGIL_ALERT_WEBHOOK || undefined);
  const origin = flags.alertWebhook !== undefined ? '--alertWebhook' : 'SIGIL_ALERT_WEBHOOK';
  if (flags.alertFile !== undefined && flags.alertFile.trim() === '') throw new InvalidInputError('--alertFile needs a file path');
  return {
    ...(webhookText !== undefined ? { webhook: parseAlertWebhookUrl(webhookText, origin) } : {}),
    ...(flags.alertFile !== undefined ? { file: flags.alertFile } : {}),
    foldWindowMs: foldWindowMs(env),
    webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
  };
}
