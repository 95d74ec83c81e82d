/**
 * The words of an alert message, the same on every channel: a subject (SNS Subject: ASCII, no line break,
 * under 100 characters), a body (summary, the ids to look up, the fold count, then the alert as JSON for
 * programs), and the one-line text of a webhook. Built only from an Alert, which holds no secret.
 */
import type { Alert } from './alert.js';
import type { Carried } from './fold.js';

export interface AlertMessage {
  readonly subject: string;
  readonly body: string;
  /** Slack-compatible `text`. */
  readonly text: string;
  /** What the JSON lines file and programs read. */
  readonly json: Readonly<Record<string, unknown>>;
}

/** SNS: "ASCII text that begins with a letter, number, or punctuation mark; no line breaks or control characters; less than 100 characters". */
export const SUBJECT_MAX = 99;

export function snsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim().replace(/^[^A-Za-z0-9[(]+/, '');
  const subject = ascii.length > SUBJECT_MAX ? `${ascii.slice(0, SUBJECT_MAX - 3)}...` : ascii;
  return subject || 'Sigil alert';
}

function foldLine(carried: Carried, alert: Alert, alone: boolean): string {
  const since = new Date(carried.since).toISOString();
  return alone
    ? `${carried.count} more like this since ${since} (${alert.detailType}, folded)`
    : `and ${carried.count} more like the previous one since ${since} (folded)`;
}

/** The message for an alert sent now, carrying the count of the window before it if any. */
export function alertMessage(alert: Alert, carried?: Carried): AlertMessage {
  const lines = [alert.summary, ''];
  for (const [name, value] of Object.entries(alert.ids)) lines.push(`${name}: ${value}`);
  if (carried) lines.push('', foldLine(carried, alert, false));
  const json = { source: 'sigil', kind: 'alert', severity: alert.severity, detailType: alert.detailType, summary: alert.summary, ids: alert.ids, fields: alert.fields, time: alert.time, foldKey: alert.foldKey, ...(carried ? { folded: { count: carried.count, since: new Date(carried.since).toISOString() } } : {}) };
  lines.push('', JSON.stringify(json));
  return {
    subject: snsSubject(`Sigil ${alert.severity.toUpperCase()}: ${alert.detailType}${alert.fields.chain !== undefined ? ` on ${alert.fields.chain}` : ''}`),
    body: lines.join('\n'),
    text: carried ? `${alert.summary} (+${carried.count} more like the previous one since ${new Date(carried.since).toISOString()})` : alert.summary,
    json,
  };
}

/** The message for a closed window's folded alerts, sent on its own by a flush. */
export function foldSummaryMessage(sample: Alert, carried: Carried): AlertMessage {
  const line = foldLine(carried, sample, true);
  const json = { source: 'sigil', kind: 'alert-fold', severity: sample.severity, detailType: sample.detailType, foldKey: sample.foldKey, folded: { count: carried.count, since: new Date(carried.since).toISOString() }, like: sample.summary };
  return {
    subject: snsSubject(`Sigil ${sample.severity.toUpperCase()}: ${carried.count} more ${sample.detailType}`),
    body: [`[${sample.severity.toUpperCase()}] ${line}`, `the first of them: ${sample.summary}`, '', JSON.stringify(json)].join('\n'),
    text: `[${sample.severity.toUpperCase()}] ${line}: like ${sample.summary}`,
    json,
  };
}
