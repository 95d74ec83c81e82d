/**
 * Key resolution (TATUM-COMPAT §2.5) from public data only: which wallet keys sign a pending tx, and every
 * way a pending tx can name its wallets wrongly. A property test over random shapes checks that a
 * resolution never names a key the tx did not ask for, of a wallet that is not ours, used the wrong way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import utxoVectors from '../../vectors/utxo-vectors.json' with { type: 'json' };
import { defaultRegistry } from '../../../lib/chains/registry.js';
import { utxoFamily } from '../../../lib/chains/utxo/index.js';
import { KeyResolutionError, resolveKeyRefs, walletIdsOf } from '../../../lib/pipeline/key-resolution.js';
import type { WalletKind, WalletRecord } from '../../../lib/store/wallet-store.js';
import type { PendingTransaction } from '../../../lib/tatum/pending-transaction.js';

const ETH = defaultRegistry.resolve('ETH', 'mainnet');
const BTC = defaultRegistry.resolve('BTC', 'mainnet');

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function wallet(n: number, kind: WalletKind, chain = 'ETH', network = 'mainnet'): WalletRecord {
  return { signatureId: id(n), kind, chain, network } as WalletRecord;
}

function pending(fields: Partial<PendingTransaction>): PendingTransaction {
  return { id: 'a'.repeat(24), chain: 'ETH', serializedTransaction: '{}', hashes: [], index: null, signatures: null, withdrawalId: null, withdrawalResponses: null, txId: null, ...fields };
}

function walletsOf(...records: WalletRecord[]): Map<string, WalletRecord> {
  return new Map(records.map((r) => [r.signatureId, r]));
}

const refused = (fn: () => unknown, message: RegExp) => expect(fn).toThrow(expect.objectContaining({ name: 'KeyResolutionError', message: expect.stringMatching(message) }));

describe('account chains: exactly one wallet', () => {
  const mnemonic = wallet(1, 'mnemonic');
  const key = wallet(2, 'privateKey');
  const wallets = walletsOf(mnemonic, key, wallet(3, 'foreign'), wallet(4, 'privateKey', 'BSC'), wallet(5, 'privateKey', 'ETH', 'testnet'));

  it('a mnemonic wallet signs with the key at the tx index; a private-key wallet with its key', () => {
    expect(resolveKeyRefs(pending({ hashes: [id(1)], index: 0 }), ETH, wallets)).toEqual([{ signatureId: id(1), index: 0 }]);
    expect(resolveKeyRefs(pending({ hashes: [id(1)], index: 2_147_483_647 }), ETH, wallets)).toEqual([{ signatureId: id(1), index: 2_147_483_647 }]);
    expect(resolveKeyRefs(pending({ hashes: [id(2)] }), ETH, wallets)).toEqual([{ signatureId: id(2), index: null }]);
  });

  it('refuses every wrong use', () => {
    refused(() => resolveKeyRefs(pending({ hashes: [id(1)] }), ETH, wallets), /mnemonic wallet but pending tx .* gives no derivation index/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(2)], index: 0 }), ETH, wallets), /private-key wallet but pending tx .* gives derivation index 0/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(3)] }), ETH, wallets), /cannot sign with/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(9)] }), ETH, wallets), /names wallet .*, which is not in this store/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(4)] }), ETH, wallets), /is a BSC mainnet wallet, but pending tx .* is ETH mainnet/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(5)] }), ETH, wallets), /is a ETH testnet wallet/);
    refused(() => resolveKeyRefs(pending({ hashes: [id(2), id(1)], index: 0 }), ETH, wallets), /signed by one wallet; pending tx .* names 2/);
    refused(() => resolveKeyRefs(pending({ hashes: [] }), ETH, wallets), /names no wallet/);
  });
});

describe('UTXO chains', () => {
  const mnemonic = wallet(1, 'mnemonic', 'BTC');
  const key = wallet(2, 'privateKey', 'BTC');
  const other = wallet(3, 'mnemonic', 'BTC');
  const wallets = walletsOf(mnemonic, key, other);

  it('each {id, index} of signatures, each private-key wallet of hashes; a mnemonic in hashes covered by signatures adds nothing', () => {
    const tx = pending({ chain: 'BTC', hashes: [id(1), id(2)], signatures: [{ id: id(1), index: 5 }, { id: id(1), index: 2 }, { id: id(3), index: 0 }, { id: id(1), index: 5 }] });
    expect(resolveKeyRefs(tx, BTC, wallets)).toEqual([
      { signatureId: id(1), index: 5 },
      { signatureId: id(1), index: 2 },
      { signatureId: id(3), index: 0 },
      { signatureId: id(2), index: null },
    ]);
    expect(walletIdsOf(tx)).toEqual([id(1), id(2), id(3)]);
  });

  it('a mnemonic wallet in hashes without signatures uses the tx index, and without one is refused', () => {
    expect(resolveKeyRefs(pending({ chain: 'BTC', hashes: [id(3)], index: 4 }), BTC, wallets)).toEqual([{ signatureId: id(3), index: 4 }]);
    refused(() => resolveKeyRefs(pending({ chain: 'BTC', hashes: [id(3)] }), BTC, wallets), /gives no derivation index/);
    refused(() => resolveKeyRefs(pending({ chain: 'BTC', signatures: [{ id: id(2), index: 1 }] }), BTC, wallets), /private-key wallet but .* gives derivation index 1/);
    refused(() => resolveKeyRefs(pending({ chain: 'BTC', hashes: [id(2), id(8)] }), BTC, wallets), /not in this store/);
  });

  it('a ledger withdrawal is signed by the hashes[0] mnemonic at each derivationKey, the change entry skipped', () => {
    const vector = utxoVectors.vectors.find((v) => v.name === 'btc-withdrawal-mainnet')!;
    const tx = utxoFamily.parse(vector.serializedTransaction, BTC);
    const withdrawal = pending({ chain: 'BTC', hashes: [id(1)], withdrawalId: 'w-1', withdrawalResponses: (vector as { withdrawalResponses: unknown[] }).withdrawalResponses });
    expect(resolveKeyRefs(withdrawal, BTC, wallets, tx)).toEqual([
      { signatureId: id(1), index: 3 },
      { signatureId: id(1), index: 7 },
    ]);
    refused(() => resolveKeyRefs({ ...withdrawal, hashes: [id(2)] }, BTC, wallets, tx), /must be signed by a mnemonic wallet/);
  });
});

describe('property: a resolution only ever names what the tx asked for, of our wallets, used the right way', () => {
  const pool: WalletRecord[] = [
    wallet(1, 'mnemonic', 'BTC'),
    wallet(2, 'privateKey', 'BTC'),
    wallet(3, 'foreign', 'BTC'),
    wallet(4, 'mnemonic', 'LTC'),
    wallet(5, 'privateKey', 'BTC', 'testnet'),
    wallet(6, 'mnemonic', 'ETH'),
    wallet(7, 'privateKey', 'ETH'),
  ];
  const ours = walletsOf(...pool);
  const anyId = fc.integer({ min: 1, max: 9 }).map(id); // 8 and 9 are not ours
  const index = fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: null });

  it('holds for random pending shapes on a UTXO and an account chain', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BTC, ETH),
        fc.array(anyId, { maxLength: 4 }),
        index,
        fc.option(fc.array(fc.record({ id: anyId, index: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 4 }), { nil: null }),
        (chain, hashes, txIndex, signatures) => {
          const tx = pending({ chain: chain.chain, hashes, index: txIndex, signatures });
          let refs;
          try {
            refs = resolveKeyRefs(tx, chain, ours);
          } catch (error) {
            expect(error).toBeInstanceOf(KeyResolutionError);
            return;
          }
          expect(refs.length).toBeGreaterThan(0);
          const named = new Set(walletIdsOf(tx));
          const seen = new Set<string>();
          for (const ref of refs) {
            const record = ours.get(ref.signatureId)!;
            expect(named.has(ref.signatureId)).toBe(true);
            expect([record.chain, record.network]).toEqual([chain.chain, chain.network]);
            expect(record.kind).not.toBe('foreign');
            expect(ref.index === null).toBe(record.kind === 'privateKey');
            const key = `${ref.signatureId}/${ref.index}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
          // Every wallet that takes part is ours and of this chain, or nothing would have been resolved. (An
          // account chain signs with hashes[0] alone and does not consult `signatures`.)
          const takingPart = chain.family === 'utxo' ? walletIdsOf(tx) : tx.hashes;
          for (const named of takingPart) expect(ours.get(named)?.chain).toBe(chain.chain);
          if (chain.family !== 'utxo') expect(refs).toEqual([{ signatureId: tx.hashes[0], index: txIndex }]);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
