import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { backoffDelay, classifyNetworkError, classifyStatus, networkErrorCode, parseRetryAfter } from '../../../lib/tatum/retry-policy.js';
import { requestMayHaveReachedTatum, scrubRemoteText, TatumHttpError, TatumResponseError } from '../../../lib/tatum/tatum-errors.js';

describe('classifyStatus', () => {
  it.each([
    [400, false, false],
    [401, false, false],
    [403, false, false],
    [404, false, false],
    [409, false, false],
    [422, false, false],
    [408, true, true],
    [429, true, true],
    [500, true, true],
    [502, true, true],
    [503, true, true],
    [504, true, true],
    [501, false, true],
    [505, false, true],
    [302, false, true],
  ])('HTTP %i → retryable %s, mayHaveReached %s', (status, retryable, mayHaveReached) => {
    expect(classifyStatus(status)).toEqual({ retryable, mayHaveReached });
  });
});

describe('network failures', () => {
  it('finds the socket code nested in undici causes', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    expect(networkErrorCode(error)).toBe('ECONNREFUSED');
    expect(networkErrorCode(new TypeError('fetch failed'))).toBeNull();
  });

  it('counts only failures before any byte was sent as not reached', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(classifyNetworkError(code)).toEqual({ retryable: true, mayHaveReached: false });
    }
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', null]) {
      expect(classifyNetworkError(code)).toEqual({ retryable: true, mayHaveReached: true });
    }
    expect(classifyNetworkError('CERT_HAS_EXPIRED')).toEqual({ retryable: false, mayHaveReached: false });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('reads delta-seconds and HTTP-dates (IMF-fixdate, RFC 850, asctime)', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wednesday, 25-Nov-26 12:00:09 GMT', now)).toBe(9000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or malformed values', () => {
    for (const bad of [null, '', '-1', '1.5', 'soon', '12345678901', 'Wed, 99 Foo 2026 99:99:99 GMT']) expect(parseRetryAfter(bad, now)).toBeNull();
  });
});

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(max, base·2^(n−1))) and doubles its cap per attempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const cap = Math.min(8000, 250 * 2 ** (attempt - 1));
        const delay = backoffDelay(attempt, { baseDelayMs: 250, maxDelayMs: 8000 }, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(cap);
      }),
    );
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, { baseDelayMs: 250, maxDelayMs: 8000 }, () => 0.5))).toEqual([125, 250, 500, 1000, 2000, 4000, 4000]);
  });

  it('survives a broken random source', () => {
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000 }, () => Number.NaN)).toBe(0);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 7)).toBe(400);
  });
});

describe('errors', () => {
  it('requestMayHaveReachedTatum is false only when the request provably did not get through', () => {
    const base = { kind: 'status', method: 'POST', path: '/v3/bitcoin/broadcast', status: 400, retryable: false, attempts: 1 } as const;
    expect(requestMayHaveReachedTatum(new TatumHttpError({ ...base, mayHaveReached: false }))).toBe(false);
    expect(requestMayHaveReachedTatum(new TatumHttpError({ ...base, status: 503, mayHaveReached: true }))).toBe(true);
    expect(requestMayHaveReachedTatum(new TatumResponseError('x', { field: 'txId', path: '/v3/bitcoin/broadcast' }))).toBe(true);
    expect(requestMayHaveReachedTatum(new InvalidInputError('bad argument'))).toBe(false);
    expect(requestMayHaveReachedTatum(new Error('anything else'))).toBe(true);
    expect(requestMayHaveReachedTatum('a string')).toBe(true);
  });

  it('scrubRemoteText removes every copy of a secret, control characters, and cuts long text', () => {
    const key = 'abcd-1234-secret';
    expect(scrubRemoteText(`bad key ${key} (${key})\n`, [key])).toBe('bad key [redacted] ([redacted])?');
    expect(scrubRemoteText('x'.repeat(500), [])).toHaveLength(201);
    // A key straddling the cut is removed before cutting.
    expect(scrubRemoteText(`${'y'.repeat(195)}${key}`, [key])).not.toContain('abcd');
  });
});
