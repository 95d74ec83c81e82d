/**
 * The daemon's own settings, parsed from its flags (TATUM-COMPAT §1) and environment at the boundary:
 * `--period` (seconds, default 5), `--chain`, `--wallets`, `--transactionIds` (CSV), `--runOnce`,
 * `--externalUrl`, `--externalUrlMethod` (GET|POST), and the variables SIGIL_EXTERNAL_URL_SECRET (HMAC key of
 * the four-eye requests), SIGIL_APPROVAL_TIMEOUT_MS, SIGIL_TATUM_RATE (requests/s shared by every process on
 * the API key; default 10), SIGIL_CONCURRENCY (default 8). As upstream, four-eye approval is required on
 * mainnet: a mainnet daemon without `--externalUrl` refuses to start.
 */
import { parseAlertSinkSettings, type AlertSinkSettings } from '../alerts/alert-config.js';
import { InvalidInputError } from '../errors.js';
import { PENDING_ID, SIGNATURE_ID } from '../tatum/pending-transaction.js';
import { parseFourEyeUrl, type FourEyeConfig } from './four-eye.js';
import type { PassFilters } from './pass.js';

export interface DaemonSettings {
  readonly periodMs: number;
  readonly runOnce: boolean;
  readonly filters: PassFilters;
  readonly fourEye?: FourEyeConfig;
  readonly tatumRatePerSecond: number;
  readonly concurrency: number;
  /** `--alertWebhook` (or SIGIL_ALERT_WEBHOOK), `--alertFile`, SIGIL_ALERT_FOLD_SECONDS: lib/alerts/alert-sink.ts. */
  readonly alerts: AlertSinkSettings;
}

export interface DaemonFlags {
  readonly period?: string;
  readonly chain?: string;
  readonly wallets?: string;
  readonly transactionIds?: string;
  readonly runOnce?: boolean;
  readonly externalUrl?: string;
  readonly externalUrlMethod?: string;
  readonly alertWebhook?: string;
  readonly alertFile?: string;
}

function csv(flag: string, text: string | undefined, pattern: RegExp, what: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidInputError(`--${flag} needs at least one ${what}`);
  for (const item of items) {
    if (!pattern.test(item)) throw new InvalidInputError(`--${flag}: ${JSON.stringify(item.slice(0, 40))} is not ${what}`);
  }
  return [...new Set(items)];
}

function positiveNumber(name: string, text: string | undefined, fallback: number, { integer = false, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value > 0) || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidInputError(`${name} must be a positive ${integer ? 'integer' : 'number'}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}; got ${JSON.stringify(text.slice(0, 20))}`);
  }
  return value;
}

export function parseDaemonSettings(flags: DaemonFlags, env: Readonly<Record<string, string | undefined>>, network: string): DaemonSettings {
  const method = (flags.externalUrlMethod ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new InvalidInputError(`--externalUrlMethod must be GET or POST; got ${JSON.stringify(flags.externalUrlMethod)}`);
  if (flags.externalUrlMethod !== undefined && flags.externalUrl === undefined) throw new InvalidInputError('--externalUrlMethod needs --externalUrl');
  if (network === 'mainnet' && flags.externalUrl === undefined) {
    throw new InvalidInputError('a mainnet daemon needs four-eye approval: pass --externalUrl (as Tatum KMS requires), or run with --testnet');
  }
  const secret = env.SIGIL_EXTERNAL_URL_SECRET;
  if (secret !== undefined && secret.length < 16) throw new InvalidInputError('SIGIL_EXTERNAL_URL_SECRET must be at least 16 characters');
  const fourEye: FourEyeConfig | undefined = flags.externalUrl
    ? {
        url: parseFourEyeUrl(flags.externalUrl),
        method,
        timeoutMs: positiveNumber('SIGIL_APPROVAL_TIMEOUT_MS', env.SIGIL_APPROVAL_TIMEOUT_MS, 10_000, { integer: true, max: 120_000 }),
        ...(secret ? { secret: new TextEncoder().encode(secret) } : {}),
      }
    : undefined;
  const chains = csv('chain', flags.chain, /^[A-Z][A-Z0-9_]{1,15}$/, 'a chain code');
  const wallets = csv('wallets', flags.wallets, SIGNATURE_ID, 'a signatureId (lower-case UUID)');
  const transactionIds = csv('transactionIds', flags.transactionIds, PENDING_ID, 'a pending transaction id (24 hex)');
  return {
    periodMs: positiveNumber('--period', flags.period, 5, { max: 86_400 }) * 1000,
    runOnce: flags.runOnce === true,
    filters: { ...(chains ? { chains } : {}), ...(wallets ? { wallets } : {}), ...(transactionIds ? { transactionIds } : {}) },
    ...(fourEye ? { fourEye } : {}),
    tatumRatePerSecond: positiveNumber('SIGIL_TATUM_RATE', env.SIGIL_TATUM_RATE, 10, { max: 100_000 }),
    concurrency: positiveNumber('SIGIL_CONCURRENCY', env.SIGIL_CONCURRENCY, 8, { integer: true, max: 256 }),
    alerts: parseAlertSinkSettings({ ...(flags.alertWebhook !== undefined ? { alertWebhook: flags.alertWebhook } : {}), ...(flags.alertFile !== undefined ? { alertFile: flags.alertFile } : {}) }, env),
  };
}
