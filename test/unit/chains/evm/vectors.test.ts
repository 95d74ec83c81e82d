/**
 * Known-answer vectors, byte for byte: Tatum's ETH vector (produced by upstream's libraries), the EIP-155
 * example from the EIP itself, and Sigil's own vectors for every EVM chain of the registry (mainnet and
 * testnet, legacy and type 2), re-checked here against ethers' Wallet as an independent signer.
 */
import { readFileSync } from 'node:fs';
import { Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { evmFamily } from '../../../../lib/chains/evm/index.js';
import { defaultRegistry } from '../../../../lib/chains/registry.js';

interface TatumSigningVector {
  name: string;
  chain: string;
  testnet: boolean;
  key: { privateKey: string };
  serializedTransaction: string;
  signed: string;
}
interface EvmVector {
  name: string;
  chain: string;
  network: string;
  privateKey: string;
  address: string;
  serializedTransaction: string;
  signed: string;
  txId: string;
}

const tatum = JSON.parse(readFileSync(new URL('../../../vectors/evm-tatum.json', import.meta.url), 'utf8')) as { signing: TatumSigningVector[] };
const own = JSON.parse(readFileSync(new URL('../../../vectors/evm-vectors.json', import.meta.url), 'utf8')) as { vectors: EvmVector[] };

const keyBytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));

describe('Tatum vector evm-eth', () => {
  const vector = tatum.signing.find((v) => v.name === 'evm-eth')!;

  it('signs to the exact bytes upstream produced', () => {
    const chain = defaultRegistry.resolve(vector.chain, vector.testnet ? 'testnet' : 'mainnet');
    const tx = evmFamily.parse(vector.serializedTransaction, chain);
    const signed = evmFamily.sign(tx, [{ privateKey: keyBytes(vector.key.privateKey) }], chain);
    expect(signed.raw).toBe(vector.signed);
    expect(signed.txId).toBe(Transaction.from(vector.signed).hash);
  });
});

describe('EIP-155 example', () => {
  // https://eips.ethereum.org/EIPS/eip-155 "Example": key 0x4646…46, nonce 9, gasPrice 20 gwei, gas 21000,
  // to 0x3535…35, value 1 ether, chainId 1.
  const expected =
    '0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83';

  it('signs to the EIP text byte for byte, with chainId 1 from the registry', () => {
    const eth = defaultRegistry.resolve('ETH', 'mainnet');
    const serialized = JSON.stringify({
      from: 0,
      to: '0x3535353535353535353535353535353535353535',
      value: '1000000000000000000',
      nonce: 9,
      gasPrice: '20000000000',
      gas: 21000,
    });
    const signed = evmFamily.sign(evmFamily.parse(serialized, eth), [{ privateKey: new Uint8Array(32).fill(0x46) }], eth);
    expect(signed.raw).toBe(expected);
    expect(signed.txId).toBe('0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788');
  });
});

describe('Sigil EVM vectors (test/vectors/evm-vectors.json)', () => {
  it('cover every EVM chain of the registry on mainnet and testnet, legacy and EIP-1559', () => {
    const evmChains = defaultRegistry.codes().filter((code) => defaultRegistry.resolve(code, 'mainnet').family === 'evm');
    const expected = evmChains.flatMap((code) =>
      ['mainnet', 'testnet'].flatMap((network) => ['legacy', 'eip1559'].map((kind) => `${code.toLowerCase()}-${network}-${kind}`)),
    );
    expect(own.vectors.map((v) => v.name).sort()).toEqual(expected.sort());
  });

  it.each(own.vectors.map((v) => [v.name, v] as const))('%s: Sigil signs byte for byte', (_name, vector) => {
    const chain = defaultRegistry.resolve(vector.chain, vector.network);
    const tx = evmFamily.parse(vector.serializedTransaction, chain);
    const signed = evmFamily.sign(tx, [{ privateKey: keyBytes(vector.privateKey) }], chain);
    expect(signed.raw).toBe(vector.signed);
    expect(signed.txId).toBe(vector.txId);

    // What the signed bytes say equals what parse understood, with the registry's chain id.
    const decoded = Transaction.from(vector.signed);
    expect(decoded.chainId).toBe(chain.chainId);
    expect(decoded.type).toBe(tx.gasPrice !== undefined ? 0 : 2);
    expect(decoded.to?.toLowerCase() ?? undefined).toBe(tx.to);
    expect(decoded.from?.toLowerCase()).toBe(vector.address);
    expect(BigInt(decoded.nonce)).toBe(tx.nonce);
    expect(decoded.gasLimit).toBe(tx.gas);
    expect(decoded.value).toBe(tx.value);
    expect(decoded.data).toBe(tx.data);
    expect(decoded.gasPrice ?? undefined).toBe(tx.gasPrice);
    expect(decoded.maxFeePerGas ?? undefined).toBe(tx.maxFeePerGas);
    expect(decoded.maxPriorityFeePerGas ?? undefined).toBe(tx.maxPriorityFeePerGas);
  });

  it.each(own.vectors.map((v) => [v.name, v] as const))('%s: ethers Wallet (the oracle) agrees', async (_name, vector) => {
    const unsigned = Transaction.from(vector.signed);
    unsigned.signature = null;
    const oracle = await new Wallet(vector.privateKey).signTransaction(unsigned);
    expect(oracle).toBe(vector.signed);
  });
});
