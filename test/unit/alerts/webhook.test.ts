/**
 * The Slack-compatible webhook against a local HTTP server: `POST {text}` as JSON; a redirect is a failure
 * and is not followed; a slow server times out; the URL (a secret: Slack's carries its token) appears in no
 * error message, error context or console line; the URL is validated like --externalUrl.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertSinkSettings } from '../../../lib/alerts/alert-config.js';
import { buildAlertingEventSink } from '../../../lib/alerts/alert-sink.js';
import { InvalidInputError, SigilError } from '../../../lib/errors.js';
import { MemoryEventSink } from '../../../lib/events/event-sink.js';
import { parseAlertWebhookUrl, postToWebhook, WebhookDeliveryError } from '../../../lib/alerts/webhook.js';

const TOKEN = 'T0SECRET/B0SECRET/xoxbSECRETTOKEN';
const received: Array<{ path: string; body: string; type: string | undefined }> = [];
let server: Server;
let base: string;

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => resolve(text));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await body(req);
    received.push({ path: req.url ?? '', body: text, type: req.headers['content-type'] });
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: `${base}/services/${TOKEN}` }).end();
    } else if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.writeHead(200).end('ok'), 2_000);
    } else if (req.url?.startsWith('/broken')) {
      res.writeHead(500).end('no');
    } else res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failureOf(path: string, timeoutMs = 1_000): Promise<WebhookDeliveryError> {
  const error = await postToWebhook({ url: new URL(`${base}${path}/${TOKEN}`), timeoutMs }, 'hello').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookDeliveryError);
  const e = error as WebhookDeliveryError;
  expect(`${e.message} ${JSON.stringify(e.context)} ${String(e.stack)}`).not.toContain('SECRET');
  return e;
}

describe('postToWebhook', () => {
  it('POSTs {"text"} as JSON to the URL', async () => {
    received.length = 0;
    await postToWebhook({ url: new URL(`${base}/services/${TOKEN}`), timeoutMs: 1_000 }, '[HIGH] Transaction Failed on BTC');
    expect(received).toEqual([{ path: `/services/${TOKEN}`, body: '{"text":"[HIGH] Transaction Failed on BTC"}', type: 'application/json' }]);
  });

  it('a redirect fails and is not followed', async () => {
    received.length = 0;
    const e = await failureOf('/redirect');
    expect(e.message).toMatch(/answered a redirect \(302\); redirects are refused$/);
    expect(received.map((r) => r.path)).toEqual([`/redirect/${TOKEN}`]);
  });

  it('a slow server times out', async () => {
    const started = Date.now();
    const e = await failureOf('/slow', 200);
    expect(e.message).toMatch(/did not answer within 200 ms$/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('an error status and an unreachable host fail, naming only the host', async () => {
    expect((await failureOf('/broken')).message).toBe(`the alert webhook at ${new URL(base).host} answered 500`);
    const closed = await postToWebhook({ url: new URL(`http://127.0.0.1:1/services/${TOKEN}`), timeoutMs: 1_000 }, 'x').catch((e: unknown) => e as SigilError);
    expect(closed).toBeInstanceOf(WebhookDeliveryError);
    expect((closed as SigilError).message).not.toContain('SECRET');
  });
});

describe('parseAlertWebhookUrl and the daemon flags', () => {
  it('https anywhere, http only on loopback; never echoes the value', () => {
    expect(parseAlertWebhookUrl(`https://hooks.slack.com/services/${TOKEN}`).host).toBe('hooks.slack.com');
    expect(parseAlertWebhookUrl(`http://127.0.0.1:8080/hook`).port).toBe('8080');
    for (const bad of [`http://hooks.example.com/services/${TOKEN}`, `ftp://x/${TOKEN}`, `not a url ${TOKEN}`, `https://user:SECRETpw@hooks.example.com/x`, `https://hooks.example.com/x#SECRET`]) {
      const error = (() => {
        try {
          parseAlertWebhookUrl(bad);
        } catch (e) {
          return e as InvalidInputError;
        }
      })();
      expect(error, bad).toBeInstanceOf(InvalidInputError);
      expect(error!.message).not.toContain('SECRET');
    }
  });

  it('--alertWebhook wins over SIGIL_ALERT_WEBHOOK; --alertFile; SIGIL_ALERT_FOLD_SECONDS', () => {
    expect(parseAlertSinkSettings({}, {})).toEqual({ foldWindowMs: 300_000, webhookTimeoutMs: 5_000 });
    expect(parseAlertSinkSettings({}, { SIGIL_ALERT_WEBHOOK: 'https://a.example/x' }).webhook?.host).toBe('a.example');
    expect(parseAlertSinkSettings({ alertWebhook: 'https://b.example/x', alertFile: '/tmp/a.jsonl' }, { SIGIL_ALERT_WEBHOOK: 'https://a.example/x', SIGIL_ALERT_FOLD_SECONDS: '0' })).toMatchObject({ file: '/tmp/a.jsonl', foldWindowMs: 0 });
    expect(() => parseAlertSinkSettings({}, { SIGIL_ALERT_WEBHOOK: 'http://a.example/x' })).toThrow(/^SIGIL_ALERT_WEBHOOK must use https/);
    expect(() => parseAlertSinkSettings({}, { SIGIL_ALERT_FOLD_SECONDS: '-1' })).toThrow(InvalidInputError);
    expect(() => parseAlertSinkSettings({ alertFile: ' ' }, {})).toThrow('--alertFile needs a file path');
  });

  it('the alerting sink logs a failing webhook without its URL, and keeps the pipeline going', async () => {
    const lines: string[] = [];
    const inner = new MemoryEventSink();
    const sink = buildAlertingEventSink(inner, parseAlertSinkSettings({ alertWebhook: `${base}/broken/${TOKEN}` }, {}), { stderr: (l) => lines.push(l) });
    await sink.emit('Transaction Failed', { pendingId: '5f1e0c2b9a8d7e6f5a4b3c2d', chain: 'BTC', reason: 'x' });
    expect(inner.events).toHaveLength(1);
    expect(lines.join('')).toContain('[sigil alert] [HIGH] Transaction Failed on BTC');
    expect(lines.join('')).toContain('delivery failed: alert not delivered on webhook (the alert webhook at 127.0.0.1');
    expect(lines.join('')).not.toContain('SECRET');
  });
});
