/**
 * LTC and DOGE have no local chain: their pending transactions are built as Tatum builds them (bitcore-lib's
 * `Transaction.toObject()`, P2PKH inputs), signed by Sigil through the pipeline against the simulator, and
 * every input of the broadcast bytes is verified by an independent script interpreter — bitcore-lib's
 * `Script.Interpreter` with the standard flags. The keys: an LTC mnemonic wallet at two indexes (the
 * pending tx's `signatures`), a DOGE mnemonic wallet at one index plus a DOGE private-key wallet (`hashes`).
 * A tampered signature and a swapped prevout script fail the same interpreter, so it is really checking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../lib/events/event-sink.js';
import { runPass } from '../../lib/pipeline/pass.js';
import { bitcore as bitcoreFacade, bitcoreAddressOfScript } from '../../sandbox/app/bitcore.js';
import { pendingTransaction } from '../../sandbox/app/pending.js';
import { SANDBOX_NETWORK, startSandbox, type Sandbox } from '../../sandbox/wiring.js';

interface BitcoreScript {
  toHex(): string;
  toBuffer(): Buffer;
}
interface BitcoreTx {
  readonly inputs: ReadonlyArray<{ readonly script: BitcoreScript }>;
  readonly outputs: ReadonlyArray<{ readonly satoshis: number; readonly script: BitcoreScript }>;
  readonly id: string;
}
type Interpreter = { verify(scriptSig: BitcoreScript, scriptPubKey: BitcoreScript, tx: BitcoreTx, nin: number, flags: number): boolean; errstr: string };
/** The parts of bitcore-lib 11 this test uses (it ships no types). */
interface BitcoreLib {
  Transaction: new (hex: string) => BitcoreTx;
  Script: (new (hex: string) => BitcoreScript) & {
    fromBuffer(buffer: Buffer): BitcoreScript;
    Interpreter: (new () => Interpreter) & Readonly<Record<string, number>>;
  };
}
const bitcore = createRequire(import.meta.url)('bitcore-lib') as BitcoreLib;
const Interpreter = bitcore.Script.Interpreter;
/**
 * Bitcoin Core's standard verification flags, less CLEANSTACK: bitcore-lib 11 checks it on the stack left by
 * the scriptSig instead of the final one (interpreter.js, `stackCopy`), so it fails every P2PKH spend.
 */
const STANDARD_FLAGS = ['P2SH', 'STRICTENC', 'DERSIG', 'LOW_S', 'NULLDUMMY', 'SIGPUSHONLY', 'MINIMALDATA', 'NULLFAIL'].reduce((flags, name) => {
  const flag = Interpreter[`SCRIPT_VERIFY_${name}`];
  if (typeof flag !== 'number') throw new Error(`bitcore-lib has no SCRIPT_VERIFY_${name}`);
  return flags | flag;
}, 0);

const root = mkdtempSync(join(tmpdir(), 'sigil-e2e-utxo-'));

interface Built {
  readonly chain: 'LTC' | 'DOGE';
  readonly pendingId: string;
  /** Prevout script (hex) and value of each input, in input order. */
  readonly prevouts: ReadonlyArray<{ readonly script: string; readonly satoshis: number }>;
  readonly outputs: ReadonlyArray<{ readonly script: string; readonly satoshis: number }>;
}

describe('LTC and DOGE P2PKH signatures, verified by bitcore-lib', () => {
  let sandbox: Sandbox;
  const built: Built[] = [];

  /** Tatum's order (change, fee, recipients, inputs) with bitcore itself, as sandbox/app does for BTC. */
  function tatumUtxoJson(chain: 'LTC' | 'DOGE', inputs: ReadonlyArray<{ address: string; satoshis: number }>, to: string, amount: number, change: string, fee: number) {
    const params = sandbox.registry.resolve(chain, SANDBOX_NETWORK).utxo!;
    const scriptOf = (address: string) => bitcoinAddress.toOutputScript(address, params);
    const tx = new bitcoreFacade.Transaction();
    tx.change(bitcoreAddressOfScript(scriptOf(change), params));
    tx.fee(fee);
    tx.to(bitcoreAddressOfScript(scriptOf(to), params), amount);
    const prevouts = inputs.map((input) => ({ script: Buffer.from(scriptOf(input.address)).toString('hex'), satoshis: input.satoshis }));
    prevouts.forEach((p) => tx.from({ txId: randomBytes(32).toString('hex'), outputIndex: randomBytes(1)[0]! % 4, script: p.script, satoshis: p.satoshis }));
    const object = tx.toObject();
    return { serializedTransaction: JSON.stringify(object), prevouts, outputs: object.outputs.map((o) => ({ script: o.script, satoshis: o.satoshis })) };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ dataDir: join(root, 'data'), events: new MemoryEventSink() });
    const w = sandbox.wallets;
    const ltc = await w.createMnemonicWallet('LTC', SANDBOX_NETWORK);
    const doge = await w.createMnemonicWallet('DOGE', SANDBOX_NETWORK);
    const [dogeKey] = await w.generatePrivateKeyBatch('DOGE', SANDBOX_NETWORK, 1);
    const at = async (id: string, index: number) => (await w.addressAt(id, index)).address;

    const ltcJson = tatumUtxoJson('LTC', [{ address: await at(ltc.signatureId, 0), satoshis: 150_000_000 }, { address: await at(ltc.signatureId, 5), satoshis: 70_000_000 }], await at(ltc.signatureId, 9), 200_000_000, await at(ltc.signatureId, 1), 100_000);
    const ltcTx = pendingTransaction({
      chain: 'LTC',
      serializedTransaction: ltcJson.serializedTransaction,
      hashes: [ltc.signatureId, ltc.signatureId],
      signatures: [{ id: ltc.signatureId, index: 0 }, { id: ltc.signatureId, index: 5 }],
    });
    const dogeJson = tatumUtxoJson('DOGE', [{ address: await at(doge.signatureId, 3), satoshis: 5_000_000_000 }, { address: dogeKey!.address, satoshis: 2_500_000_000 }], await at(doge.signatureId, 4), 6_000_000_000, dogeKey!.address, 100_000_000);
    const dogeTx = pendingTransaction({
      chain: 'DOGE',
      serializedTransaction: dogeJson.serializedTransaction,
      hashes: [doge.signatureId, dogeKey!.signatureId],
      signatures: [{ id: doge.signatureId, index: 3 }],
    });
    for (const [tx, json] of [[ltcTx, ltcJson], [dogeTx, dogeJson]] as const) {
      sandbox.sim.state.addPending({ ...tx });
      built.push({ chain: tx.chain as 'LTC' | 'DOGE', pendingId: tx.id, prevouts: json.prevouts, outputs: json.outputs });
    }
    const summary = await runPass(sandbox.deps, {}, 'all');
    expect(summary.errors).toEqual([]);
    expect(summary.chainsPolled).toEqual(expect.arrayContaining(['LTC', 'DOGE']));
    expect(summary.outcomes).toMatchObject({ completed: 2 });
  });

  afterAll(async () => {
    await sandbox?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function broadcastOf(item: Built): BitcoreTx {
    const broadcasts = sandbox.sim.state.broadcasts.filter((b) => b.signatureId === item.pendingId);
    expect(broadcasts.map((b) => b.path)).toEqual([item.chain === 'LTC' ? 'litecoin' : 'dogecoin']);
    return new bitcore.Transaction(broadcasts[0]!.txData);
  }

  it('signs and broadcasts both through the simulator; the ledger completes them with the txid of the bytes sent', async () => {
    for (const item of built) {
      const tx = broadcastOf(item);
      const record = (await sandbox.deps.ledger.get(item.pendingId))!;
      expect(record).toMatchObject({ state: 'COMPLETED', chain: item.chain, network: SANDBOX_NETWORK, hash: tx.id, txId: tx.id });
      expect(tx.outputs.map((o) => ({ script: o.script.toHex(), satoshis: o.satoshis }))).toEqual(item.outputs);
    }
  });

  it('every input verifies under the standard script flags', () => {
    for (const item of built) {
      const tx = broadcastOf(item);
      expect(tx.inputs).toHaveLength(item.prevouts.length);
      tx.inputs.forEach((input, i) => {
        const interpreter = new Interpreter();
        const ok = interpreter.verify(input.script, new bitcore.Script(item.prevouts[i]!.script), tx, i, STANDARD_FLAGS);
        expect({ chain: item.chain, input: i, ok, error: interpreter.errstr }).toEqual({ chain: item.chain, input: i, ok: true, error: '' });
      });
    }
  });

  it('the interpreter refuses a tampered signature and a signature checked against another input’s script', () => {
    for (const item of built) {
      const tx = broadcastOf(item);
      const sig = tx.inputs[0]!.script.toBuffer();
      const tampered = Buffer.from(sig);
      tampered[10] = tampered[10]! ^ 0x01; // inside the DER signature
      expect(new Interpreter().verify(bitcore.Script.fromBuffer(tampered), new bitcore.Script(item.prevouts[0]!.script), tx, 0, STANDARD_FLAGS)).toBe(false);
      expect(new Interpreter().verify(tx.inputs[0]!.script, new bitcore.Script(item.prevouts[1]!.script), tx, 0, STANDARD_FLAGS)).toBe(false);
    }
  });
});
