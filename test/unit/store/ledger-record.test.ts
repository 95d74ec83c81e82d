import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors.js';
import { EVM_SPEND_KEY, evmNonceSpendKey, UTXO_SPEND_KEY, utxoOutpointSpendKey, type LedgerRecord } from '../../../lib/store/ledger.js';
import { ledgerSummaryOf, normalizeReason } from '../../../lib/store/ledger-input.js';
import { encodeLedgerRecord, MAX_REASON_CHARS, parseLedgerRecord } from '../../../lib/store/ledger-record.js';
import { planClaim, planSigned } from '../../../lib/store/ledger-transitions.js';
import { StoreError } from '../../../lib/store/store-error.js';

const ID = '0123456789abcdef01234567';
const T0 = Date.UTC(2026, 10, 25);

function sampleRecord(): LedgerRecord {
  const claimed = planClaim({ id: ID, chain: 'ETH', network: 'mainnet', pending: JSON.stringify({ id: ID }) }, 'w', T0, 1000)(undefined).record;
  const approved = { ...claimed, state: 'APPROVED' as const, prepared: '{"nonce":1}', summary: { outputs: [{ to: '0xab', amount: '5' }], maxFee: null } };
  const signed = planSigned(ID, 1, { raw: '0x02ff', hash: '0x' + '1'.repeat(64), spends: [evmNonceSpendKey(1n, '0x' + 'ab'.repeat(20), 1)] }, T0 + 1)(approved).record;
  return { ...signed, history: [{ raw: '0x02aa', hash: '0x' + '2'.repeat(64), txId: null, replacedAt: T0, reason: 'fee bump', operator: 'alice' }] };
}

function storeCode(body: () => unknown): string {
  try {
    body();
    return 'ok';
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
}

describe('ledger record schema', () => {
  it('round-trips a record through its stored JSON', () => {
    const record = sampleRecord();
    expect(parseLedgerRecord(encodeLedgerRecord(record), 'test')).toStrictEqual(record);
    expect(parseLedgerRecord(JSON.parse(encodeLedgerRecord(record)), 'test')).toStrictEqual(record);
  });

  it('refuses a missing, unknown or mistyped field as CORRUPT_RECORD, naming the field but not the value', () => {
    const record = JSON.parse(encodeLedgerRecord(sampleRecord())) as Record<string, unknown>;
    const fields = Object.keys(record);
    for (const field of fields) {
      const { [field]: _dropped, ...missing } = record;
      expect(storeCode(() => parseLedgerRecord(missing, 'test')), field).toBe('CORRUPT_RECORD');
      if (field !== 'schema') expect(storeCode(() => parseLedgerRecord({ ...record, [field]: { nested: 'secret words here' } }, 'test')), field).toBe('CORRUPT_RECORD');
    }
    expect(storeCode(() => parseLedgerRecord({ ...record, extra: 1 }, 'test'))).toBe('CORRUPT_RECORD');
    expect(storeCode(() => parseLedgerRecord({ ...record, state: 'SENT' }, 'test'))).toBe('CORRUPT_RECORD');
    expect(storeCode(() => parseLedgerRecord({ ...record, spends: ['nonce:1'] }, 'test'))).toBe('CORRUPT_RECORD');
    expect(storeCode(() => parseLedgerRecord('{"schema":1,', 'test'))).toBe('CORRUPT_RECORD');
    try {
      parseLedgerRecord({ ...record, reason: 'abandon ability able about above absent\nabsorb' }, 'test');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('reason');
      expect((error as Error).message).not.toContain('abandon');
    }
  });

  it('refuses a newer schema with an upgrade message even when it has fields this build does not know', () => {
    const record = { ...JSON.parse(encodeLedgerRecord(sampleRecord())), schema: 2, newField: true };
    expect(() => parseLedgerRecord(record, 'test')).toThrow(/newer than this build reads.*upgrade Sigil/);
    expect(storeCode(() => parseLedgerRecord(record, 'test'))).toBe('UNSUPPORTED_SCHEMA');
  });

  it('fuzz: any JSON value parses to a record or fails with a StoreError, never another error', () => {
    const base = JSON.parse(encodeLedgerRecord(sampleRecord())) as Record<string, unknown>;
    const mutated = fc.tuple(fc.constantFrom(...Object.keys(base), 'extra'), fc.jsonValue()).map(([field, value]) => ({ ...base, [field]: value }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated, fc.string()), (value) => {
        try {
          const record = parseLedgerRecord(value, 'fuzz');
          expect(parseLedgerRecord(encodeLedgerRecord(record), 'fuzz')).toStrictEqual(record);
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
          expect(['CORRUPT_RECORD', 'UNSUPPORTED_SCHEMA']).toContain(error.code);
          expect(error.message).not.toContain('\n');
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses to encode a record too large for one DynamoDB item', () => {
    const record = { ...sampleRecord(), history: Array.from({ length: 4 }, () => ({ ...sampleRecord().history[0]!, raw: 'ab'.repeat(50_000) })) };
    expect(() => encodeLedgerRecord(record)).toThrow(InvalidInputError);
  });
});

describe('reasons and spend keys', () => {
  it('normalizeReason gives one trimmed line of at most 500 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 800 }).filter((s) => /[^\s\x00-\x1f\x7f]/.test(s)), (reason) => {
        const line = normalizeReason(reason);
        expect(line.length).toBeGreaterThan(0);
        expect(line.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
        expect(line).not.toMatch(/[\x00-\x1f\x7f]/);
        expect(line.trim()).toBe(line);
      }),
      { numRuns: 2000 },
    );
    expect(() => normalizeReason(' \n\t ')).toThrow(InvalidInputError);
  });

  it('builds canonical spend keys and refuses non-canonical ones', () => {
    expect(evmNonceSpendKey(56n, '0x' + 'AB'.repeat(20), 0)).toBe(`evm:56:0x${'ab'.repeat(20)}:nonce:0`);
    expect(utxoOutpointSpendKey('BTC', 'F'.repeat(64), 3)).toBe(`utxo:BTC:${'f'.repeat(64)}:3`);
    expect(() => evmNonceSpendKey(1n, '0x12', 0)).toThrow(TypeError);
    expect(() => utxoOutpointSpendKey('BTC', 'f'.repeat(63), 0)).toThrow(TypeError);
    for (const key of [`evm:01:0x${'ab'.repeat(20)}:nonce:1`, `evm:1:0x${'ab'.repeat(20)}:nonce:01`, `evm:1:0x${'AB'.repeat(20)}:nonce:1`]) expect(EVM_SPEND_KEY.test(key)).toBe(false);
    for (const key of [`utxo:btc:${'f'.repeat(64)}:0`, `utxo:BTC:${'f'.repeat(64)}:00`, `utxo:BTC:${'F'.repeat(64)}:0`]) expect(UTXO_SPEND_KEY.test(key)).toBe(false);
  });

  it('ledgerSummaryOf writes amounts as decimal strings', () => {
    expect(ledgerSummaryOf({ outputs: [{ to: 'bc1q', amount: 10n ** 30n }], spends: ['txid:0'] })).toStrictEqual({ outputs: [{ to: 'bc1q', amount: '1' + '0'.repeat(30) }], maxFee: null });
    expect(ledgerSummaryOf({ outputs: [], maxFee: 21000n, spends: [] }).maxFee).toBe('21000');
  });
});
