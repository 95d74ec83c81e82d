/**
 * A Slack-compatible incoming webhook: `POST <url>` with `{"text": "…"}`.
 *
 * The URL is a secret (Slack's carries its token in the path): it is never logged and never put in an
 * error message or context — errors name only the host. HTTPS only (plain http on loopback alone, for
 * tests and a local relay, as parseFourEyeUrl allows); no redirect is followed (a 3xx is a failure: a
 * redirect could carry the alert somewhere unreviewed); a timeout bounds every call.
 */
import { InvalidInputError, SigilError } from '../errors.js';

export class WebhookDeliveryError extends SigilError {
  constructor(message: string, context: Record<string, unknown>) {
    super('ALERT_WEBHOOK_FAILED', message, context);
  }
}

export interface AlertWebhook {
  readonly url: URL;
  readonly timeoutMs: number;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Validate a webhook URL (`--alertWebhook`, SIGIL_ALERT_WEBHOOK, the SSM parameter): absolute, https unless
 * loopback, no credentials, no fragment. `origin` names where it came from in the error; the value is never echoed.
 */
export function parseAlertWebhookUrl(text: string, origin = '--alertWebhook'): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InvalidInputError(`${origin} must be an absolute https URL; got a value of ${text.length} characters that is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new InvalidInputError(`${origin} must use https (plain http is allowed only on loopback); got ${url.protocol}//${url.hostname}`);
  }
  if (url.username || url.password) throw new InvalidInputError(`${origin} must not carry credentials`);
  if (url.hash) throw new InvalidInputError(`${origin} must not have a fragment`);
  return url;
}

/** POST `{text}`; resolves on a 2xx, throws WebhookDeliveryError (naming the host only) otherwise. */
export async function postToWebhook(webhook: AlertWebhook, text: string): Promise<void> {
  const host = webhook.url.host;
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      redirect: 'manual',
      signal: AbortSignal.timeout(webhook.timeoutMs),
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new WebhookDeliveryError(`the alert webhook at ${host} did not answer within ${webhook.timeoutMs} ms`, { host });
    // The fetch error's message may quote the URL: only its class is kept.
    throw new WebhookDeliveryError(`the alert webhook at ${host} could not be reached (${name})`, { host });
  }
  await response.arrayBuffer().catch(() => undefined);
  if (response.status >= 300 && response.status < 400) throw new WebhookDeliveryError(`the alert webhook at ${host} answered a redirect (${response.status}); redirects are refused`, { host, status: response.status });
  if (response.status < 200 || response.status >= 300) throw new WebhookDeliveryError(`the alert webhook at ${host} answered ${response.status}`, { host, status: response.status });
}
