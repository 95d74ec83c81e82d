/**
 * Generates test/vectors/keys-vectors.json: per chain of TATUM-COMPAT §3, per network, per mnemonic, the
 * account xpub and children's public keys, addresses and private keys — computed WITHOUT Sigil's lib/keys
 * or its registry, so that the unit test (test/unit/keys/chain-vectors.test.ts) is a real cross-check:
 *   seed        @scure/bip39 mnemonicToSeedSync (BIP39, empty passphrase, as Tatum)
 *   derivation  @scure/bip32 HDKey (noble-curves), version bytes from the table below
 *   UTXO        bitcoinjs-lib payments.p2wpkh / p2pkh, WIF via ecpair
 *   EVM         ethers computeAddress (then lowercased, as Tatum prints it); XDC swaps `0x` for `xdc`
 *   TRON        bs58check(0x41 ‖ the EVM account id)
 * The chain table is transcribed from TATUM-COMPAT.md §3, not imported.
 *
 * Run once, review the diff, commit the json:  npx tsx test/vectors/generate-keys-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey } from '@scure/bip32';
import { payments, type Network } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as tinySecp from 'tiny-secp256k1';
import { computeAddress, getBytes, hexlify } from 'ethers';
import bs58check from 'bs58check';

const ECPair = ECPairFactory(tinySecp);

const XPUB = { public: 0x0488b21e, private: 0x0488ade4 };
const TPUB = { public: 0x043587cf, private: 0x04358394 };

type Format = 'p2wpkh' | 'p2pkh' | 'evm' | 'xdc' | 'tron';
interface NetSpec {
  readonly path: string;
  readonly versions: { public: number; private: number };
  readonly utxo?: Network;
}
interface ChainSpec {
  readonly chain: string;
  readonly format: Format;
  readonly key: 'wif' | 'hex0x' | 'hex';
  readonly mainnet: NetSpec;
  readonly testnet: NetSpec;
}

function utxoNet(prefix: string, bech32: string, versions: { public: number; private: number }, pubKeyHash: number, scriptHash: number, wif: number): Network {
  return { messagePrefix: prefix, bech32, bip32: versions, pubKeyHash, scriptHash, wif };
}

function evm(chain: string, coin: number, format: Format = 'evm'): ChainSpec {
  return {
    chain,
    format,
    key: 'hex0x',
    mainnet: { path: `m/44'/${coin}'/0'/0`, versions: XPUB },
    testnet: { path: "m/44'/1'/0'/0", versions: XPUB },
  };
}

const LTUB = { public: 0x019da462, private: 0x019d9cfe };
const TTUB = { public: 0x0436f6e1, private: 0x0436ef7d };

const CHAINS: ChainSpec[] = [
  {
    chain: 'BTC',
    format: 'p2wpkh',
    key: 'wif',
    mainnet: { path: "m/44'/0'/0'/0", versions: XPUB, utxo: utxoNet('\x18Bitcoin Signed Message:\n', 'bc', XPUB, 0x00, 0x05, 0x80) },
    testnet: { path: "m/44'/1'/0'/0", versions: TPUB, utxo: utxoNet('\x18Bitcoin Signed Message:\n', 'tb', TPUB, 0x6f, 0xc4, 0xef) },
  },
  {
    chain: 'LTC',
    format: 'p2pkh',
    key: 'wif',
    mainnet: { path: "m/44'/2'/0'/0", versions: LTUB, utxo: utxoNet('\x19Litecoin Signed Message:\n', 'ltc', LTUB, 0x30, 0x32, 0xb0) },
    testnet: { path: "m/44'/1'/0'/0", versions: TTUB, utxo: utxoNet('\x19Litecoin Signed Message:\n', 'tltc', TTUB, 0x6f, 0x3a, 0xef) },
  },
  {
    chain: 'DOGE',
    format: 'p2pkh',
    key: 'wif',
    mainnet: { path: "m/44'/3'/0'/0", versions: XPUB, utxo: utxoNet('\x19Dogecoin Signed Message:\n', 'doge', XPUB, 0x1e, 0x16, 0x9e) },
    testnet: { path: "m/44'/1'/0'/0", versions: TPUB, utxo: utxoNet('\x19Dogecoin Signed Message:\n', 'tdge', TPUB, 0x71, 0xc4, 0xf1) },
  },
  evm('ETH', 60),
  evm('BSC', 60),
  evm('MATIC', 966),
  evm('KLAY', 8217),
  evm('ONE', 1023),
  evm('XDC', 550, 'xdc'),
  evm('CELO', 52752),
  evm('KCS', 60),
  evm('VET', 818),
  {
    chain: 'TRON',
    format: 'tron',
    key: 'hex',
    mainnet: { path: "m/44'/195'/0'/0", versions: XPUB },
    testnet: { path: "m/44'/195'/0'/0", versions: XPUB },
  },
];

const MNEMONICS = [
  {
    name: 'tatum-fixture',
    mnemonic:
      'quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten',
  },
  { name: 'abandon-art', mnemonic: `${'abandon '.repeat(23)}art` },
  { name: 'abandon-about', mnemonic: `${'abandon '.repeat(11)}about` },
];

/** Child indexes: the first three, and the largest non-hardened index (BIP32: i < 2^31). */
const INDEXES = [0, 1, 2, 0x7fffffff];

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function addressOf(privateKey: Uint8Array, publicKey: Uint8Array, spec: ChainSpec, net: NetSpec): string {
  switch (spec.format) {
    case 'p2wpkh':
      return payments.p2wpkh({ pubkey: publicKey, network: net.utxo! }).address!;
    case 'p2pkh':
      return payments.p2pkh({ pubkey: publicKey, network: net.utxo! }).address!;
    case 'evm':
      return computeAddress(hexlify(privateKey)).toLowerCase();
    case 'xdc':
      return `xdc${computeAddress(hexlify(privateKey)).slice(2).toLowerCase()}`;
    case 'tron':
      return bs58check.encode(Uint8Array.from([0x41, ...getBytes(computeAddress(hexlify(publicKey)))]));
  }
}

function privateKeyText(privateKey: Uint8Array, spec: ChainSpec, net: NetSpec): string {
  switch (spec.key) {
    case 'wif':
      return ECPair.fromPrivateKey(privateKey, { network: net.utxo!, compressed: true }).toWIF();
    case 'hex0x':
      return `0x${hex(privateKey)}`;
    case 'hex':
      return hex(privateKey);
  }
}

const entries = [];
for (const { name, mnemonic } of MNEMONICS) {
  if (!validateMnemonic(mnemonic, wordlist)) throw new Error(`invalid mnemonic ${name}`);
  const seed = mnemonicToSeedSync(mnemonic);
  for (const spec of CHAINS) {
    for (const network of ['mainnet', 'testnet'] as const) {
      const net = spec[network];
      const account = HDKey.fromMasterSeed(seed, net.versions).derive(net.path);
      const children = INDEXES.map((index) => {
        const child = account.deriveChild(index);
        return {
          index,
          publicKey: hex(child.publicKey!),
          address: addressOf(child.privateKey!, child.publicKey!, spec, net),
          privateKey: privateKeyText(child.privateKey!, spec, net),
        };
      });
      entries.push({ mnemonic: name, chain: spec.chain, network, path: net.path, xpub: account.publicExtendedKey, children });
    }
  }
}

const out = {
  about:
    'Generated by test/vectors/generate-keys-vectors.ts with @scure/bip39, @scure/bip32, bitcoinjs-lib, ecpair, ethers and bs58check (no Sigil code); chain parameters transcribed from TATUM-COMPAT.md §3.',
  mnemonics: Object.fromEntries(MNEMONICS.map(({ name, mnemonic }) => [name, mnemonic])),
  entries,
};
const target = fileURLToPath(new URL('./keys-vectors.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${entries.length} entries to ${target}`);
