/**
 * lib/alerts/alert.ts and inbound-alert.ts: the severity table, what makes two alerts "the same" (fold keys),
 * the one-line summary with the ids to look up, no secret in any alert or message whatever the detail
 * holds (property test), and the inbound boundary (every malformed event an InvalidEventError).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALERT_DETAIL_TYPES, alertOf, reasonClass, SEVERITY, type AlertDetailType } from '../../../lib/alerts/alert.js';
import { parseAlertInput } from '../../../lib/alerts/inbound-alert.js';
import { alertMessage, foldSummaryMessage, snsSubject } from '../../../lib/alerts/message.js';
import { DETAIL_TYPES, type EventDetail } from '../../../lib/events/catalogue.js';
import { InvalidEventError } from '../../../lib/events/inbound.js';

const P1 = '5f1e0c2b9a8d7e6f5a4b3c2d';
const P2 = '6a1e0c2b9a8d7e6f5a4b3c2d';
const WALLET = '0f8fad5b-d9cb-469f-a165-70867728950e';
const at = '2026-01-01T00:00:00.000Z';
const alert = (detailType: AlertDetailType, detail: EventDetail) => alertOf({ detailType, detail, time: at });

describe('severity', () => {
  it('follows the table: critical for what must never happen, high for payments that did not go, medium to look at', () => {
    expect(Object.fromEntries(ALERT_DETAIL_TYPES.map((t) => [t, SEVERITY[t]]))).toEqual({
      'Double Spend Prevented': 'critical',
      'Integrity Check Failed': 'critical',
      'Secret Exported': 'critical',
      'Transaction Failed': 'high',
      'Transaction Rejected': 'high',
      'Unusual Activity': 'medium',
      'Wallet Removed': 'medium',
    });
    expect(ALERT_DETAIL_TYPES.every((t) => (DETAIL_TYPES as readonly string[]).includes(t))).toBe(true);
  });
});

describe('summary and ids', () => {
  it('one line with the ids to look up, as the pipeline emits them', () => {
    const a = alert('Double Spend Prevented', { pendingId: P1, chain: 'BTC', spendKey: `utxo#BTC#${'cd'.repeat(32)}:0`, otherPendingId: P2 });
    expect(a.summary).toBe(`[CRITICAL] Double Spend Prevented on BTC: pending ${P1} spends utxo#BTC#${'cd'.repeat(32)}:0 already claimed by ${P2}`);
    expect(a.ids).toEqual({ pendingId: P1, otherPendingId: P2, spendKey: `utxo#BTC#${'cd'.repeat(32)}:0` });
    const r = alert('Transaction Rejected', { pendingId: P1, chain: 'ETH', reason: 'destination 0xabc is on the deny-list', rule: 'deny-known-scams' });
    expect(r.summary).toBe(`[HIGH] Transaction Rejected on ETH: pending ${P1} by rule deny-known-scams — destination 0xabc is on the deny-list`);
    expect(r.ids).toEqual({ pendingId: P1, rule: 'deny-known-scams' });
    const s = alert('Secret Exported', { signatureId: WALLET, chain: 'ETH', network: 'testnet', kind: 'mnemonic', action: 'getprivatekey', index: 3 });
    expect(s.summary).toBe(`[CRITICAL] Secret Exported on ETH: wallet ${WALLET} (getprivatekey index 3)`);
    const u = alert('Unusual Activity', { pendingId: P1, chain: 'ETH', wallet: WALLET, kind: 'amount-above-usual', reason: 'amount 5 ETH above the p95 of 0.4 ETH' });
    expect(u.summary).toContain(`wallet ${WALLET} pending ${P1} amount-above-usual — amount 5 ETH above`);
    for (const type of ALERT_DETAIL_TYPES) expect(alert(type, { reason: 'a\nb\rc\u2028d' }).summary).not.toMatch(/[\n\r\u2028]/);
  });

  it('a long reason is cut; the SNS subject is ASCII and under 100 characters', () => {
    const a = alert('Transaction Failed', { pendingId: P1, chain: 'BTC', reason: 'é'.repeat(1000) });
    expect(a.fields.reason!.toString().length).toBeLessThanOrEqual(160);
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const subject = snsSubject(text);
        expect(subject.length).toBeLessThan(100);
        expect(subject).toMatch(/^[A-Za-z0-9[(][\x20-\x7e]*$/);
      }),
      { numRuns: 2000 },
    );
    expect(alertMessage(a).subject).toBe('Sigil HIGH: Transaction Failed on BTC');
  });
});

describe('fold keys: the same alert, not the same transaction', () => {
  it('failures fold by chain and reason class (numbers, hex and ids do not matter), never by pending id', () => {
    const f = (pendingId: string, chain: string, reason: string) => alert('Transaction Failed', { pendingId, chain, reason }).foldKey;
    expect(f(P1, 'BTC', 'fee 1200 above the cap 1000 for 0xabcdef0123')).toBe(f(P2, 'BTC', 'fee 99 above the cap 1000 for 0x1234567890'));
    expect(f(P1, 'BTC', 'fee 1200 above the cap 1000')).not.toBe(f(P1, 'ETH', 'fee 1200 above the cap 1000'));
    expect(f(P1, 'BTC', 'fee 1200 above the cap 1000')).not.toBe(f(P1, 'BTC', 'Tatum refused the broadcast'));
    expect(reasonClass(`wallet ${WALLET} is missing "x"`)).toBe('wallet # is missing #');
  });

  it('rejections fold by rule when there is one; unusual activity by wallet and kind; exports by action', () => {
    const rej = (rule: string | undefined, reason: string) => alert('Transaction Rejected', { pendingId: P1, chain: 'ETH', reason, ...(rule ? { rule } : {}) }).foldKey;
    expect(rej('r1', 'a')).toBe(rej('r1', 'b'));
    expect(rej('r1', 'a')).not.toBe(rej('r2', 'a'));
    const ua = (wallet: string, kind: string) => alert('Unusual Activity', { pendingId: P1, chain: 'ETH', wallet, kind, reason: 'x' }).foldKey;
    expect(ua(WALLET, 'burst')).toBe(ua(WALLET, 'burst'));
    expect(ua(WALLET, 'burst')).not.toBe(ua(WALLET, 'first-destination'));
    expect(ua(WALLET, 'burst')).not.toBe(ua('1f8fad5b-d9cb-469f-a165-70867728950e', 'burst'));
    const ex = (signatureId: string, action: string) => alert('Secret Exported', { signatureId, network: 'testnet', action }).foldKey;
    expect(ex(WALLET, 'backup')).toBe(ex('1f8fad5b-d9cb-469f-a165-70867728950e', 'backup'));
    expect(ex(WALLET, 'backup')).not.toBe(ex(WALLET, 'getprivatekey'));
    for (const type of ALERT_DETAIL_TYPES) expect(alert(type, { pendingId: P1 }).foldKey).not.toContain(P1);
  });
});

describe('no secret in any alert', () => {
  const MNEMONIC = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
  const XPRV = 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
  const WIF = 'KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn';
  const HEX_KEY = 'e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35';

  it('secret-named fields are never copied; secret-shaped text in a reason is redacted', () => {
    for (const type of ALERT_DETAIL_TYPES) {
      const a = alert(type, { pendingId: P1, chain: 'BTC', mnemonic: MNEMONIC, privateKey: HEX_KEY, password: 'hunter2hunter2', reason: `failed for ${MNEMONIC} and ${XPRV} and ${WIF}` });
      for (const text of [JSON.stringify(a), alertMessage(a).body, alertMessage(a).text, foldSummaryMessage(a, { count: 3, since: 0 }).body]) {
        for (const secret of [MNEMONIC, XPRV, WIF, HEX_KEY, 'hunter2hunter2', 'abandon ability able']) expect(text, type).not.toContain(secret);
      }
    }
  });

  it('property: whatever the detail, an alert shows only allow-listed fields, and never a generated mnemonic or xprv', () => {
    const word = fc.constantFrom('abandon', 'ability', 'zoo', 'wrist', 'legal', 'winner', 'thank', 'year', 'wave', 'sausage', 'worth', 'useful');
    const mnemonic = fc.array(word, { minLength: 12, maxLength: 24 }).map((w) => w.join(' '));
    const base58 = fc.string({ unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'), minLength: 100, maxLength: 100 });
    const xprv = base58.map((s) => `xprv${s}`);
    const secret = fc.oneof(mnemonic, xprv);
    fc.assert(
      fc.property(fc.constantFrom(...ALERT_DETAIL_TYPES), secret, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }), (type, s, before, after, extra) => {
        const a = alert(type, { ...extra, pendingId: P1, reason: `${before} ${s} ${after}`, seed: s, secretValue: s });
        const shown = `${JSON.stringify(a)}\n${alertMessage(a).body}`;
        expect(shown).not.toContain(s);
        for (const key of Object.keys(a.fields)) expect(['pendingId', 'otherPendingId', 'signatureId', 'wallet', 'hash', 'txId', 'spendKey', 'rule', 'chain', 'network', 'kind', 'action', 'code', 'scope', 'index', 'reason']).toContain(key);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('inbound events', () => {
  const event = (overrides: Record<string, unknown> = {}) => ({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Transaction Failed',
    source: 'sigil',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { pendingId: P1, chain: 'BTC', reason: 'x' },
    ...overrides,
  });

  it('accepts an EventBridge event of an alert type, and the schedule as a flush', () => {
    expect(parseAlertInput(event())).toEqual({ kind: 'alert', eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718', detailType: 'Transaction Failed', detail: { pendingId: P1, chain: 'BTC', reason: 'x' }, time: '2026-01-01T00:00:00.000Z' });
    expect(parseAlertInput({ source: 'aws.events', 'detail-type': 'Scheduled Event', id: 'x', detail: {} })).toEqual({ kind: 'flush' });
  });

  it.each([
    ['not an object', 'text'],
    ['another source', event({ source: 'sigil.impostor' })],
    ['a non-alert type', event({ 'detail-type': 'Transaction Signed' })],
    ['no id', event({ id: undefined })],
    ['a bad time', event({ time: 'yesterday' })],
    ['a detail that is a list', event({ detail: [] })],
    ['a nested detail value', event({ detail: { pendingId: { $gt: '' } } })],
    ['a huge detail string', event({ detail: { reason: 'x'.repeat(5000) } })],
  ])('refuses %s with an InvalidEventError', (_what, input) => {
    expect(() => parseAlertInput(input)).toThrow(InvalidEventError);
  });

  it('fuzz: any JSON is parsed or refused with an InvalidEventError, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ source: fc.constantFrom('sigil', 'x'), 'detail-type': fc.constantFrom(...DETAIL_TYPES), id: fc.string(), time: fc.string(), detail: fc.jsonValue() })), (value) => {
        try {
          const parsed = parseAlertInput(value);
          if (parsed.kind === 'alert') alertOf({ detailType: parsed.detailType, detail: parsed.detail, time: parsed.time });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
