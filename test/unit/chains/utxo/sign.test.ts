/**
 * Signing rules beyond byte equality with bitcore (bitcore-oracle.test.ts): all-or-nothing key ownership,
 * extra keys, invalid keys, key order, the keys left untouched, and the shape of every signature
 * (DER, low-S, SIGHASH_ALL, RFC 6979 without low-R grinding).
 */
import { readFileSync } from 'node:fs';
import { Transaction, script as bscript } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { utxoFamily, type UtxoTransaction } from '../../../../lib/chains/utxo/index.js';
import { defaultRegistry } from '../../../../lib/chains/registry.js';
import { KeyMismatchError } from '../../../../lib/errors.js';
import { decodePrivateKey } from '../../../../lib/keys/index.js';

interface Vector { name: string; chain: string; network: string; keys: Array<{ wif: string }>; serializedTransaction: string; signed: string }
const { vectors } = JSON.parse(readFileSync(new URL('../../../vectors/utxo-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const load = (name: string) => {
  const v = vectors.find((x) => x.name === name)!;
  const chain = defaultRegistry.resolve(v.chain, v.network);
  return { v, chain, tx: utxoFamily.parse(v.serializedTransaction, chain), keys: v.keys.map((k) => ({ privateKey: decodePrivateKey(k.wif, chain) })) };
};
const HALF_ORDER = BigInt('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('key ownership', () => {
  it('refuses the whole transaction when one input has no key, naming that input', () => {
    const { tx, keys, chain } = load('btc-multi-input-mixed-mainnet');
    // keys[1] (index 2) owns inputs 0 and 2; keys[0] (index 5) owns inputs 1 and 3.
    const error = catchError(() => utxoFamily.sign(tx, [keys[1]!], chain)) as KeyMismatchError;
    expect(error).toBeInstanceOf(KeyMismatchError);
    expect(error.context).toEqual({ inputIndex: 1, outpoint: `${'f607'.repeat(16)}:3` });
    expect(error.message).toMatch(/input 1 .*nothing was signed/);
    expect(() => utxoFamily.sign(tx, [], chain)).toThrow(KeyMismatchError);
  });

  it('refuses an input whose prevout script is not a P2PKH, P2WPKH or P2SH-P2WPKH script of a given key', () => {
    const { tx, keys, chain } = load('btc-p2wpkh-mainnet');
    const scripts = ['', '51', `0020${'00'.repeat(32)}`, tx.inputs[0]!.prevout.script.replace(/^0014/, '0015')];
    for (const script of scripts) {
      const other: UtxoTransaction = { ...tx, inputs: [{ ...tx.inputs[0]!, prevout: { ...tx.inputs[0]!.prevout, script } }] };
      expect(() => utxoFamily.sign(other, keys, chain)).toThrow(KeyMismatchError);
    }
  });

  it('allows keys that own no input, in any order, with the same bytes', () => {
    const { v, tx, keys, chain } = load('btc-multi-input-mixed-mainnet');
    const stranger = { privateKey: decodePrivateKey('KzeNPFqtVGArNMzanTA46rz4Kt4eddShjt3PJcWyPaeJ5tdTZXsr', chain) };
    expect(utxoFamily.sign(tx, [stranger, ...keys], chain).raw).toBe(v.signed);
    expect(utxoFamily.sign(tx, [...keys].reverse(), chain).raw).toBe(v.signed);
  });

  it.each([
    ['31 bytes', new Uint8Array(31).fill(1)],
    ['zero', new Uint8Array(32)],
    ['the group order', Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'))],
  ])('refuses a private key that is %s with KeyMismatchError, naming only its position', (_what, privateKey) => {
    const { tx, keys, chain } = load('btc-p2wpkh-mainnet');
    const error = catchError(() => utxoFamily.sign(tx, [...keys, { privateKey }], chain)) as KeyMismatchError;
    expect(error).toBeInstanceOf(KeyMismatchError);
    expect(error.context).toEqual({ keyIndex: 1 });
  });

  it('leaves the keys and the transaction as they were', () => {
    const { tx, keys, chain } = load('btc-p2sh-p2wpkh-mainnet');
    const before = keys.map((k) => Uint8Array.from(k.privateKey));
    const snapshot = structuredClone(tx);
    utxoFamily.sign(tx, keys, chain);
    expect(keys.map((k) => k.privateKey)).toEqual(before);
    expect(tx).toStrictEqual(snapshot);
  });
});

describe('signature shape', () => {
  const signatures = vectors.flatMap((v) => {
    const signed = Transaction.fromHex(v.signed);
    return signed.ins.map((input) => (input.witness.length > 0 ? input.witness[0]! : (bscript.decompile(input.script)![0] as Uint8Array)));
  });

  it('is DER with SIGHASH_ALL and low S in every input of every vector', () => {
    expect(signatures.length).toBeGreaterThan(15);
    for (const encoded of signatures) {
      expect(bscript.isCanonicalScriptSignature(encoded)).toBe(true);
      const { signature, hashType } = bscript.signature.decode(encoded);
      expect(hashType).toBe(Transaction.SIGHASH_ALL);
      expect(BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`) <= HALF_ORDER).toBe(true);
    }
  });

  it('uses the RFC 6979 nonce with no grinding: some R values are high (33-byte DER integers)', () => {
    // Grinding for low R (as Bitcoin Core's wallet does) would make every R fit in 32 bytes; about
    // half of plain RFC 6979 signatures do not. That the nonce is bitcore's RFC 6979 one is what byte equality
    // with bitcore in bitcore-oracle.test.ts shows.
    const highR = signatures.filter((encoded) => encoded[3] === 0x21);
    expect(highR.length).toBeGreaterThan(0);
    expect(highR.length).toBeLessThan(signatures.length);
  });
});
