/**
 * EmfMetrics: known-answer documents byte for byte, the spec's limits (100 values per metric), auto-flush,
 * refusals, and a property test: whatever is emitted, every line is a valid EMF document naming catalogue
 * metrics only, and the documents together hold exactly the emitted points, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmfMetrics, emfDimensionNames, STAGE_DIMENSION } from '../../../lib/metrics/emf.js';
import { METRIC_CATALOGUE, type MetricName } from '../../../lib/metrics/metrics.js';
import { emfViolations, sigilViolations } from './emf-spec.js';

const T = 1_764_072_000_123;

function recorder(options: { flushAtPoints?: number } = {}) {
  const lines: string[] = [];
  const metrics = new EmfMetrics({ stage: 'ci', write: (line) => lines.push(line), clock: () => T, ...options });
  return { lines, metrics };
}

describe('EmfMetrics known answers', () => {
  it('writes one document per dimension set, values as arrays, Stage first in every set', async () => {
    const { lines, metrics } = recorder();
    metrics.emit('TransactionsSigned', 1, { Chain: 'ETH' });
    metrics.emit('StepLatency', 12.5, { Chain: 'ETH', Step: 'sign' });
    metrics.emit('TransactionsFailed', 1, { Chain: 'ETH' });
    metrics.emit('TransactionsSigned', 1, { Chain: 'BTC' });
    metrics.emit('TransactionsSigned', 2, { Chain: 'ETH' });
    metrics.emit('PollerHeartbeat', 1);
    metrics.emit('StepLatency', 7, { Step: 'sign', Chain: 'ETH' });
    expect(lines).toEqual([]);
    await metrics.flush();
    expect(lines).toEqual([
      '{"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage","Chain"]],"Metrics":[{"Name":"TransactionsSigned","Unit":"Count"},{"Name":"TransactionsFailed","Unit":"Count"}]}]},"Stage":"ci","Chain":"ETH","TransactionsSigned":[1,2],"TransactionsFailed":[1]}',
      '{"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage","Step","Chain"]],"Metrics":[{"Name":"StepLatency","Unit":"Milliseconds"}]}]},"Stage":"ci","Step":"sign","Chain":"ETH","StepLatency":[12.5,7]}',
      '{"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage","Chain"]],"Metrics":[{"Name":"TransactionsSigned","Unit":"Count"}]}]},"Stage":"ci","Chain":"BTC","TransactionsSigned":[1]}',
      '{"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage"]],"Metrics":[{"Name":"PollerHeartbeat","Unit":"Count"}]}]},"Stage":"ci","PollerHeartbeat":[1]}',
    ]);
    for (const line of lines) expect(sigilViolations(line)).toEqual([]);
    await metrics.flush();
    expect(lines).toHaveLength(4); // the buffer was emptied
  });

  it('splits a metric with more than 100 values over documents, in order', async () => {
    const { lines, metrics } = recorder();
    for (let i = 0; i < 250; i++) metrics.emit('StepLatency', i, { Step: 'prepare', Chain: 'ETH' });
    metrics.emit('OldestWorkingAgeSeconds', 30);
    await metrics.flush();
    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs.map((d) => (d.StepLatency as number[] | undefined)?.length)).toEqual([100, 100, 50, undefined]);
    expect(docs.slice(0, 3).flatMap((d) => d.StepLatency as number[])).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(docs[3]).toMatchObject({ Stage: 'ci', OldestWorkingAgeSeconds: [30] });
    for (const line of lines) expect(sigilViolations(line)).toEqual([]);
  });

  it('flushes by itself at flushAtPoints', () => {
    const { lines, metrics } = recorder({ flushAtPoints: 3 });
    metrics.emit('TatumCalls', 1, { Outcome: 'ok' });
    metrics.emit('TatumCalls', 1, { Outcome: 'ok' });
    expect(metrics.buffered).toBe(2);
    expect(lines).toHaveLength(0);
    metrics.emit('TatumThrottled', 1);
    expect(metrics.buffered).toBe(0);
    expect(lines.map((l) => JSON.parse(l) as object)).toEqual([
      expect.objectContaining({ Outcome: 'ok', TatumCalls: [1, 1] }),
      expect.objectContaining({ Stage: 'ci', TatumThrottled: [1] }),
    ]);
  });

  it('refuses what is not in the catalogue, or not as the catalogue says, and buffers nothing of it', async () => {
    const { lines, metrics } = recorder();
    expect(() => metrics.emit('TransactionsSent' as MetricName, 1)).toThrow(TypeError);
    expect(() => metrics.emit('TransactionsSigned', 1)).toThrow(/takes dimensions \[Chain\]/);
    expect(() => metrics.emit('TransactionsSigned', 1, { Chain: 'ETH', Stage: 'prod' })).toThrow(/takes dimensions/);
    expect(() => metrics.emit('TransactionsSigned', -1, { Chain: 'ETH' })).toThrow(/≥ 0/);
    expect(() => metrics.emit('TransactionsSigned', Number.NaN, { Chain: 'ETH' })).toThrow(/finite/);
    expect(() => metrics.emit('TransactionsSigned', 1, { Chain: '0xabc def' })).toThrow(/dimension Chain/);
    expect(metrics.buffered).toBe(0);
    await metrics.flush();
    expect(lines).toEqual([]);
  });

  it('validates the stage and the options', () => {
    for (const stage of ['', 'a b', 'x'.repeat(65), 'prod"', 'stage\n']) expect(() => new EmfMetrics({ stage })).toThrow(/stage/);
    expect(() => new EmfMetrics({ stage: 'ci', flushAtPoints: 0 })).toThrow(/flushAtPoints/);
    expect(new EmfMetrics({ stage: 'prod-eu.1' }).stage).toBe('prod-eu.1');
  });

  it('a failing writer loses the batch instead of writing it twice', async () => {
    const lines: string[] = [];
    let fail = true;
    const metrics = new EmfMetrics({ stage: 'ci', clock: () => T, write: (l) => (fail ? (() => { throw new Error('EPIPE'); })() : lines.push(l)) });
    metrics.emit('PassErrors', 1);
    await expect(metrics.flush()).rejects.toThrow('EPIPE');
    fail = false;
    metrics.emit('PassErrors', 2);
    await metrics.flush();
    expect(lines.map((l) => (JSON.parse(l) as { PassErrors: number[] }).PassErrors)).toEqual([[2]]);
  });

  it('an automatic flush with a failing writer does not throw from emit (the caller is mid-pipeline)', () => {
    const metrics = new EmfMetrics({ stage: 'ci', flushAtPoints: 1, write: () => { throw new Error('EPIPE'); } });
    expect(() => metrics.emit('PollerHeartbeat', 1)).not.toThrow();
    expect(metrics.buffered).toBe(0);
  });

  it('the default writer puts one line on stdout', async () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
    try {
      const metrics = new EmfMetrics({ stage: 'ci', clock: () => T });
      metrics.emit('PollerHeartbeat', 1);
      await metrics.flush();
    } finally {
      process.stdout.write = original;
    }
    expect(written).toEqual(['{"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage"]],"Metrics":[{"Name":"PollerHeartbeat","Unit":"Count"}]}]},"Stage":"ci","PollerHeartbeat":[1]}\n']);
  });
});

describe('the catalogue fits EMF', () => {
  const names = Object.keys(METRIC_CATALOGUE) as MetricName[];
  it('no metric takes Stage (the adapter adds it), and no dimension name is a metric name or _aws', () => {
    for (const name of names) {
      const dims = METRIC_CATALOGUE[name].dimensions as readonly string[];
      expect(dims).not.toContain(STAGE_DIMENSION);
      for (const dim of dims) expect(names as string[]).not.toContain(dim);
      expect(new Set(dims).size).toBe(dims.length);
      expect(emfDimensionNames(name)).toEqual([STAGE_DIMENSION, ...dims]);
    }
    expect(names as string[]).not.toContain('_aws');
    expect(names as string[]).not.toContain(STAGE_DIMENSION);
  });
});

describe('the validator itself', () => {
  const good = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Sigil","Dimensions":[["Stage"]],"Metrics":[{"Name":"PassErrors","Unit":"Count"}]}]},"Stage":"ci","PassErrors":[1]}';
  it.each([
    ['no _aws', '{"Stage":"ci"}', /_aws/],
    ['a bad unit', good.replace('"Unit":"Count"', '"Unit":"Counts"'), /not a CloudWatch unit/],
    ['101 values', good.replace('[1]}', `[${Array(101).fill(1).join(',')}]}`), /1–100 numbers/],
    ['a dimension that is not a string', good.replace('"Stage":"ci"', '"Stage":5'), /dimension Stage/],
    ['an unknown member', good.replace('"Timestamp":1', '"Timestamp":1,"Extra":1'), /unknown member Extra/],
    ['a missing metric value', good.replace(',"PassErrors":[1]', ''), /metric PassErrors/],
  ])('rejects %s', (_, line, message) => {
    expect(emfViolations(line).join('\n')).toMatch(message);
  });
  it('Sigil rules: a metric outside the catalogue, a stray root member, missing Stage', () => {
    expect(sigilViolations(good)).toEqual([]);
    expect(sigilViolations(good.replaceAll('PassErrors', 'PassErrorz')).join('\n')).toMatch(/not in the catalogue/);
    expect(sigilViolations(good.replace('"Stage":"ci"', '"Stage":"ci","walletId":"w1"')).join('\n')).toMatch(/root member walletId/);
    expect(sigilViolations(good.replace('[["Stage"]]', '[[]]')).join('\n')).toMatch(/expected/);
  });
});

/** Any valid emit: a catalogue metric with values drawn from small sets, so dimension sets repeat. */
const emitArbitrary = fc.constantFrom(...(Object.keys(METRIC_CATALOGUE) as MetricName[])).chain((name) =>
  fc.record({
    name: fc.constant(name),
    value: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true })),
    dimensions: fc.tuple(...METRIC_CATALOGUE[name].dimensions.map((d) => fc.constantFrom(`${d.toLowerCase()}-a`, 'ETH', 'x.y:z_1'))).map((values) =>
      Object.fromEntries(METRIC_CATALOGUE[name].dimensions.map((d, i) => [d, values[i]!])),
    ),
  }),
);

describe('EmfMetrics property', () => {
  it('every document is valid EMF of catalogue metrics, and the documents hold exactly the points emitted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(emitArbitrary, { maxLength: 400 }), fc.integer({ min: 1, max: 500 }), async (emits, flushAt) => {
        const { lines, metrics } = recorder({ flushAtPoints: flushAt });
        for (const { name, value, dimensions } of emits) metrics.emit(name, value, dimensions);
        await metrics.flush();
        const seen: string[] = [];
        for (const line of lines) {
          expect(sigilViolations(line)).toEqual([]);
          const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
          const [directive] = doc._aws.CloudWatchMetrics;
          const dims = directive!.Dimensions[0]!.filter((d) => d !== STAGE_DIMENSION);
          expect(doc.Stage).toBe('ci');
          for (const { Name } of directive!.Metrics) {
            for (const v of doc[Name] as number[]) seen.push(JSON.stringify([Name, dims.map((d) => doc[d]), v]));
          }
        }
        const wanted = emits.map(({ name, value, dimensions }) => JSON.stringify([name, METRIC_CATALOGUE[name].dimensions.map((d) => dimensions[d]), value]));
        expect([...seen].sort()).toEqual([...wanted].sort());
        // Order within one metric and dimension set is kept (across documents too).
        const byKey = (list: string[]) => list.reduce<Record<string, string[]>>((acc, item) => {
          const [n, d] = JSON.parse(item) as [string, string[]];
          (acc[JSON.stringify([n, d])] ??= []).push(item);
          return acc;
        }, {});
        expect(byKey(seen)).toEqual(byKey(wanted));
      }),
      { numRuns: 1000 },
    );
  });
});
