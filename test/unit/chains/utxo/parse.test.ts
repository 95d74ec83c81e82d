/**
 * The UTXO boundary: what parse accepts and normalises, each rule it enforces (with the field it names),
 * the canonical serialization, and summaries of every standard and non-standard output script.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_UNSIGNED_TX_BYTES, buildUnsignedTxId, utxoFamily, type UtxoTransaction } from '../../../../lib/chains/utxo/index.js';
import { defaultRegistry } from '../../../../lib/chains/registry.js';
import { InvalidTransactionError, UnsupportedChainError } from '../../../../lib/errors.js';

const btc = defaultRegistry.resolve('BTC', 'mainnet');
const { vectors } = JSON.parse(readFileSync(new URL('../../../vectors/utxo-vectors.json', import.meta.url), 'utf8')) as { vectors: Array<{ name: string; serializedTransaction: string }> };
const vector = (name: string) => JSON.parse(vectors.find((v) => v.name === name)!.serializedTransaction) as Record<string, any>;
/** One P2WPKH input, payment + change, with bitcore's changeScript/changeIndex/fee. */
const base = () => vector('btc-p2wpkh-mainnet');
const parse = (value: unknown) => utxoFamily.parse(typeof value === 'string' ? value : JSON.stringify(value), btc);

function rejects(value: unknown, field: string | RegExp): InvalidTransactionError {
  let caught: unknown;
  try {
    parse(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidTransactionError);
  const error = caught as InvalidTransactionError;
  expect(error.message).not.toMatch(/\n/);
  if (typeof field === 'string') expect(error.context.field).toBe(field);
  else expect(error.message).toMatch(field);
  return error;
}

describe('parse', () => {
  it('decodes bitcore JSON into the typed transaction', () => {
    const tx = parse(base());
    expect(tx).toStrictEqual<UtxoTransaction>({
      version: 2,
      inputs: [{ prevTxId: 'a1'.repeat(32), outputIndex: 1, sequenceNumber: 0xffffffff, prevout: { satoshis: 250000n, script: '00147a432042553d14a8d545d7c1e7d133b0bbb20cd3' } }],
      outputs: [
        { satoshis: 120000n, script: '0014b96ea8059f1ed579e70ebabfdf88e851317f1fea' },
        { satoshis: 128590n, script: '00147a432042553d14a8d545d7c1e7d133b0bbb20cd3' },
      ],
      nLockTime: 0,
      change: { changeScript: 'OP_0 20 0x7a432042553d14a8d545d7c1e7d133b0bbb20cd3', changeIndex: 1, fee: 1410n },
    });
  });

  it('accepts what bitcore may also write or omit: no hash, no scriptString, amounts as decimal strings, upper-case hex, changeAsm', () => {
    const tx = parse(base());
    const variant = base();
    delete variant.hash;
    delete variant.inputs[0].scriptString;
    variant.inputs[0].output.satoshis = '250000';
    variant.outputs[0].satoshis = '120000';
    variant.inputs[0].prevTxId = variant.inputs[0].prevTxId.toUpperCase();
    variant.outputs[1].script = variant.outputs[1].script.toUpperCase();
    expect(parse(variant)).toStrictEqual(tx);
    variant.changeAsm = 'OP_0 7a432042553d14a8d545d7c1e7d133b0bbb20cd3';
    expect(parse(variant).change?.changeAsm).toBe(variant.changeAsm);
  });

  it('requires hash, when present, to be the txid of the rebuilt unsigned transaction', () => {
    const wrong = base();
    wrong.hash = 'ff'.repeat(32);
    expect(rejects(wrong, 'hash').message).toContain(buildUnsignedTxId(parse(base())));
    const tampered = base();
    tampered.outputs[0].satoshis += 1; // the hash no longer matches what the JSON describes
    rejects(tampered, 'hash');
  });

  it.each([
    ['an unknown top-level field', (o: any) => (o.txid = o.hash), 'txid'],
    ['an unknown input field', (o: any) => (o.inputs[0].publicKeys = []), 'inputs[0].publicKeys'],
    ['an unknown prevout field', (o: any) => (o.inputs[0].output.address = 'x'), 'inputs[0].output.address'],
    ['an unknown output field', (o: any) => (o.outputs[1].address = 'x'), 'outputs[1].address'],
    ['a __proto__ key', (o: any) => Object.defineProperty(o, '__proto__', { value: {}, enumerable: true }), '__proto__'],
    ['a missing prevout', (o: any) => delete o.inputs[0].output, 'inputs[0].output'],
    ['a missing nLockTime', (o: any) => delete o.nLockTime, 'nLockTime'],
    ['version 3', (o: any) => (o.version = 3), 'version'],
    ['version as a string', (o: any) => (o.version = '2'), 'version'],
    ['no inputs', (o: any) => (o.inputs = []), 'inputs'],
    ['no outputs', (o: any) => (o.outputs = []), 'outputs'],
    ['a signed input', (o: any) => (o.inputs[0].script = '00'), 'inputs[0].script'],
    ['a scriptString on an unsigned input', (o: any) => (o.inputs[0].scriptString = 'OP_0'), 'inputs[0].scriptString'],
    ['a short prevTxId', (o: any) => (o.inputs[0].prevTxId = 'a1'), 'inputs[0].prevTxId'],
    ['a non-hex prevTxId', (o: any) => (o.inputs[0].prevTxId = 'g'.repeat(64)), 'inputs[0].prevTxId'],
    ['an output index above 2^32-1', (o: any) => (o.inputs[0].outputIndex = 2 ** 32), 'inputs[0].outputIndex'],
    ['a negative sequence', (o: any) => (o.inputs[0].sequenceNumber = -1), 'inputs[0].sequenceNumber'],
    ['a fractional lock time', (o: any) => (o.nLockTime = 1.5), 'nLockTime'],
    ['a negative amount', (o: any) => (o.outputs[0].satoshis = -1), 'outputs[0].satoshis'],
    ['an amount above 2^53-1', (o: any) => (o.inputs[0].output.satoshis = 2 ** 53), 'inputs[0].output.satoshis'],
    ['an amount string above 2^53-1', (o: any) => (o.inputs[0].output.satoshis = '9007199254740992'), 'inputs[0].output.satoshis'],
    ['an amount with a fraction', (o: any) => (o.outputs[0].satoshis = '1.5'), 'outputs[0].satoshis'],
    ['an amount with a leading zero', (o: any) => (o.outputs[0].satoshis = '0120000'), 'outputs[0].satoshis'],
    ['an amount in exponent form', (o: any) => (o.outputs[0].satoshis = '1e5'), 'outputs[0].satoshis'],
    ['odd-length script hex', (o: any) => (o.outputs[0].script = '001'), 'outputs[0].script'],
    ['a script over 10,000 bytes', (o: any) => (o.outputs[0].script = '00'.repeat(10_001)), 'outputs[0].script'],
    ['a changeIndex past the outputs', (o: any) => (o.changeIndex = 2), 'changeIndex'],
    ['a changeIndex without changeScript', (o: any) => delete o.changeScript, 'changeScript'],
    ['a null hash', (o: any) => (o.hash = null), 'hash'],
  ])('refuses %s', (_what, mutate, field) => {
    const object = base();
    mutate(object);
    rejects(object, field);
  });

  it('refuses spending one outpoint twice', () => {
    const object = base();
    delete object.hash;
    object.inputs.push(structuredClone(object.inputs[0]));
    rejects(object, 'inputs[1]');
  });

  it('refuses outputs worth more than the inputs, and accepts them equal (a zero fee)', () => {
    const object = base();
    delete object.hash;
    object.outputs[1].satoshis = 250000 - 120000 + 1;
    expect(rejects(object, /outputs \(250001 sat\) exceed its inputs \(250000 sat\)/).context.totalIn).toBe('250000');
    object.outputs[1].satoshis -= 1;
    expect(utxoFamily.summarize(parse(object), btc).maxFee).toBe(0n);
  });

  it('refuses a transaction larger than a node would relay', () => {
    const object = base();
    delete object.hash;
    object.outputs = Array.from({ length: 11 }, () => ({ satoshis: 0, script: '6a'.padEnd(2 * 9_990, '00') }));
    expect(JSON.stringify(object).length).toBeGreaterThan(2 * MAX_UNSIGNED_TX_BYTES);
    rejects(object, /bytes unsigned; at most 100000/);
  });

  it.each([
    ['not JSON', '{"version":2,'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"tx"'],
    ['deeply nested JSON', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['a string over 2,000,000 characters', ' '.repeat(2_000_001)],
  ])('refuses %s', (_what, text) => {
    expect(() => parse(text)).toThrow(InvalidTransactionError);
  });
});

describe('serializeUnsigned', () => {
  it('is a fixed point of parse and writes bitcore\'s key order with hash set', () => {
    const object = base();
    delete object.hash;
    object.outputs[0].satoshis = '120000';
    const tx = parse(object);
    const text = utxoFamily.serializeUnsigned(tx, btc);
    expect(parse(text)).toStrictEqual(tx);
    expect(text).toBe(JSON.stringify(base()));
    expect(Object.keys(JSON.parse(text))).toEqual(['hash', 'version', 'inputs', 'outputs', 'nLockTime', 'changeScript', 'changeIndex', 'fee']);
  });
});

describe('summarize', () => {
  const outputsTo = (chainCode: string, network: string, scripts: string[]) => {
    const object = base();
    delete object.hash;
    delete object.changeScript;
    delete object.changeIndex;
    object.outputs = scripts.map((script) => ({ satoshis: 1000, script }));
    const chain = defaultRegistry.resolve(chainCode, network);
    return utxoFamily.summarize(utxoFamily.parse(JSON.stringify(object), chain), chain).outputs.map((o) => o.to);
  };
  const h20 = '751e76e8199196d454941c45d1b3a323f1433bd6';
  const h32 = '1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262';

  it('names standard scripts by the address of the network (BIP173/BIP350 test vectors where they exist)', () => {
    const scripts = [`76a914${h20}88ac`, `a914${h20}87`, `0014${h20}`, `0020${h32}`, `5120${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`];
    expect(outputsTo('BTC', 'mainnet', scripts)).toEqual([
      '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH',
      '3CNHUhP3uyB9EUtRLsmvFUmvGdjGdkTxJw', // checked with bitcore-lib's Address
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
    ]);
    expect(outputsTo('BTC', 'testnet', [`0014${h20}`])).toEqual(['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx']);
    expect(outputsTo('LTC', 'mainnet', [`76a914${h20}88ac`])[0]).toMatch(/^L/);
    expect(outputsTo('DOGE', 'mainnet', [`76a914${h20}88ac`])[0]).toMatch(/^D/);
  });

  it('writes script:<hex> for anything else, including near-misses of the templates', () => {
    const odd = ['', '6a0568656c6c6f', `76a914${h20}88ad`, `0015${h20}00`, `5220${h32}`, `a914${h20}8700`];
    expect(outputsTo('BTC', 'mainnet', odd)).toEqual(odd.map((s) => `script:${s}`));
  });

  it('reports the fee and the outpoints spent', () => {
    const summary = utxoFamily.summarize(parse(vector('btc-multi-input-mixed-mainnet')), btc);
    expect(summary.maxFee).toBe(24000n);
    expect(summary.spends).toEqual([`${'d4e5'.repeat(16)}:0`, `${'f607'.repeat(16)}:3`, `${'d4e5'.repeat(16)}:2`, `${'0918'.repeat(16)}:7`]);
  });

  it('refuses a chain that is not a UTXO chain', () => {
    expect(() => utxoFamily.summarize(parse(base()), defaultRegistry.resolve('ETH', 'mainnet'))).toThrow(UnsupportedChainError);
  });
});
