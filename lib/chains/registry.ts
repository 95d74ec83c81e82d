/**
 * The table of chains: code → family, and per network the derivation path, xpub version bytes, address
 * and key formats, chain id and broadcast path (TATUM-COMPAT §3, §2.6). Families read their parameters
 * from here; nothing else in Sigil switches on a chain code.
 *
 * Networks: `mainnet`, `testnet` (the chain's current public testnet; derivation stays Tatum's testnet
 * path) and named custom networks whose chain ids and address parameters a deployment sets (the sandbox's
 * local chains are one). A custom network inherits derivation and formats from its `base` network.
 */
import { InvalidInputError, UnsupportedChainError } from '../errors.js';

export type Family = 'utxo' | 'evm' | 'vet' | 'tron';
export type AddressFormat = 'p2wpkh' | 'p2pkh' | 'evm' | 'xdc' | 'tron';
export type KeyFormat = 'wif' | 'hex0x' | 'hex';

/** BIP32 extended-key version bytes. */
export interface Bip32Versions {
  readonly public: number;
  readonly private: number;
}

/** Base58/bech32 parameters of a UTXO network, in the shape bitcoinjs-lib's `Network` expects. */
export interface UtxoParams {
  readonly messagePrefix: string;
  readonly bech32: string;
  readonly bip32: Bip32Versions;
  readonly pubKeyHash: number;
  readonly scriptHash: number;
  readonly wif: number;
}

export interface ChainNetwork {
  readonly chain: string;
  readonly family: Family;
  /** 'mainnet', 'testnet' or the name of a custom network. */
  readonly network: string;
  /** Whether Tatum's testnet derivation and formats apply (Tatum's `testnet` flag of the wallet). */
  readonly testnet: boolean;
  /** BIP32 path of the account node whose xpub Tatum stores; child i is the non-hardened index i below it. */
  readonly derivationPath: string;
  readonly xpubVersion: Bip32Versions;
  readonly addressFormat: AddressFormat;
  readonly keyFormat: KeyFormat;
  /** EVM chain id, pinned here and never taken from a transaction or an RPC node. */
  readonly chainId?: bigint;
  /** UTXO address and key parameters. */
  readonly utxo?: UtxoParams;
  /** Whether Sigil can sign this chain's transactions (VET and TRON derive only, for now). */
  readonly signable: boolean;
  /** Tatum's `POST /v3/{broadcastPath}/broadcast`. */
  readonly broadcastPath: string;
}

const XPUB: Bip32Versions = { public: 0x0488b21e, private: 0x0488ade4 };
const TPUB: Bip32Versions = { public: 0x043587cf, private: 0x04358394 };

const BTC_MAIN: UtxoParams = {
  messagePrefix: '\x18Bitcoin Signed Message:\n',
  bech32: 'bc',
  bip32: XPUB,
  pubKeyHash: 0x00,
  scriptHash: 0x05,
  wif: 0x80,
};
const BTC_TEST: UtxoParams = { ...BTC_MAIN, bech32: 'tb', bip32: TPUB, pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const LTC_MAIN: UtxoParams = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'ltc',
  bip32: { public: 0x019da462, private: 0x019d9cfe },
  pubKeyHash: 0x30,
  scriptHash: 0x32,
  wif: 0xb0,
};
const LTC_TEST: UtxoParams = {
  ...LTC_MAIN,
  bech32: 'tltc',
  bip32: { public: 0x0436f6e1, private: 0x0436ef7d },
  pubKeyHash: 0x6f,
  scriptHash: 0x3a,
  wif: 0xef,
};
const DOGE_MAIN: UtxoParams = {
  messagePrefix: '\x19Dogecoin Signed Message:\n',
  bech32: 'doge',
  bip32: XPUB,
  pubKeyHash: 0x1e,
  scriptHash: 0x16,
  wif: 0x9e,
};
const DOGE_TEST: UtxoParams = { ...DOGE_MAIN, bech32: 'tdge', bip32: TPUB, pubKeyHash: 0x71, scriptHash: 0xc4, wif: 0xf1 };

interface ChainDefinition {
  readonly code: string;
  readonly family: Family;
  readonly signable: boolean;
  readonly broadcastPath: string;
  readonly coinType: number;
  /** Tatum's testnet path keeps the mainnet coin type for some chains (TRON). */
  readonly testnetCoinType: number;
  readonly addressFormat: AddressFormat;
  readonly keyFormat: KeyFormat;
  readonly mainnet: { readonly chainId?: bigint; readonly utxo?: UtxoParams; readonly xpub: Bip32Versions };
  readonly testnet: { readonly chainId?: bigint; readonly utxo?: UtxoParams; readonly xpub: Bip32Versions };
}

function evmChain(code: string, coinType: number, broadcastPath: string, main: bigint, test: bigint, addressFormat: AddressFormat = 'evm'): ChainDefinition {
  return {
    code,
    family: 'evm',
    signable: true,
    broadcastPath,
    coinType,
    testnetCoinType: 1,
    addressFormat,
    keyFormat: 'hex0x',
    mainnet: { chainId: main, xpub: XPUB },
    testnet: { chainId: test, xpub: XPUB },
  };
}

function utxoChain(code: string, coinType: number, broadcastPath: string, addressFormat: AddressFormat, main: UtxoParams, test: UtxoParams): ChainDefinition {
  return {
    code,
    family: 'utxo',
    signable: true,
    broadcastPath,
    coinType,
    testnetCoinType: 1,
    addressFormat,
    keyFormat: 'wif',
    mainnet: { utxo: main, xpub: main.bip32 },
    testnet: { utxo: test, xpub: test.bip32 },
  };
}

/** The built-in chains. Chain ids of the testnets are the chains' current public testnets (2026). */
export const BUILTIN_CHAINS: readonly ChainDefinition[] = [
  utxoChain('BTC', 0, 'bitcoin', 'p2wpkh', BTC_MAIN, BTC_TEST),
  utxoChain('LTC', 2, 'litecoin', 'p2pkh', LTC_MAIN, LTC_TEST),
  utxoChain('DOGE', 3, 'dogecoin', 'p2pkh', DOGE_MAIN, DOGE_TEST),
  evmChain('ETH', 60, 'ethereum', 1n, 11155111n), // Sepolia
  evmChain('BSC', 60, 'bsc', 56n, 97n),
  evmChain('MATIC', 966, 'polygon', 137n, 80002n), // Amoy
  evmChain('KLAY', 8217, 'klaytn', 8217n, 1001n), // Kairos
  evmChain('ONE', 1023, 'one', 1666600000n, 1666700000n),
  evmChain('XDC', 550, 'xdc', 50n, 51n, 'xdc'), // Apothem
  evmChain('CELO', 52752, 'celo', 42220n, 11142220n), // Celo Sepolia
  evmChain('KCS', 60, 'kcs', 321n, 322n),
  {
    code: 'VET',
    family: 'vet',
    signable: false,
    broadcastPath: 'vet',
    coinType: 818,
    testnetCoinType: 1,
    addressFormat: 'evm',
    keyFormat: 'hex0x',
    mainnet: { xpub: XPUB },
    testnet: { xpub: XPUB },
  },
  {
    code: 'TRON',
    family: 'tron',
    signable: false,
    broadcastPath: 'tron',
    coinType: 195,
    testnetCoinType: 195,
    addressFormat: 'tron',
    keyFormat: 'hex',
    mainnet: { xpub: XPUB },
    testnet: { xpub: XPUB },
  },
];

/** A deployment's own network (e.g. the sandbox's local chains): chain ids and UTXO parameters per chain. */
export interface CustomNetwork {
  readonly name: string;
  /** Derivation paths, xpub versions and formats follow this network; Tatum's `testnet` flag equals base === 'testnet'. */
  readonly base: 'mainnet' | 'testnet';
  /** EVM chain ids per chain code; an EVM chain absent here is not available on this network. */
  readonly chainIds?: Readonly<Record<string, bigint>>;
  /** UTXO parameters per chain code (e.g. regtest's bech32 prefix); absent chains inherit the base's. */
  readonly utxo?: Readonly<Record<string, UtxoParams>>;
}

/** An EVM chain that a deployment adds by chain id (derived and formatted as ETH unless told otherwise). */
export interface ExtraEvmChain {
  readonly code: string;
  readonly broadcastPath: string;
  readonly chainIds: { readonly mainnet: bigint; readonly testnet: bigint };
  readonly coinType?: number;
}

export interface RegistryOptions {
  readonly customNetworks?: readonly CustomNetwork[];
  readonly extraEvmChains?: readonly ExtraEvmChain[];
}

const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
const NETWORK_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class ChainRegistry {
  readonly #chains = new Map<string, ChainDefinition>();
  readonly #custom = new Map<string, CustomNetwork>();

  constructor(options: RegistryOptions = {}) {
    for (const chain of BUILTIN_CHAINS) this.#chains.set(chain.code, chain);
    for (const extra of options.extraEvmChains ?? []) {
      if (!CHAIN_CODE.test(extra.code) || this.#chains.has(extra.code)) {
        throw new InvalidInputError(`extra EVM chain code ${JSON.stringify(extra.code)} is malformed or already defined`, { code: extra.code });
      }
      this.#chains.set(extra.code, evmChain(extra.code, extra.coinType ?? 60, extra.broadcastPath, extra.chainIds.mainnet, extra.chainIds.testnet));
    }
    for (const custom of options.customNetworks ?? []) {
      if (!NETWORK_NAME.test(custom.name) || custom.name === 'mainnet' || custom.name === 'testnet') {
        throw new InvalidInputError(`custom network name ${JSON.stringify(custom.name)} must match ${NETWORK_NAME} and not be mainnet or testnet`, { network: custom.name });
      }
      this.#custom.set(custom.name, custom);
    }
  }

  /** Every chain code this registry knows, signable or not. */
  codes(): string[] {
    return [...this.#chains.keys()];
  }

  /** Every network name: mainnet, testnet and the custom ones. */
  networks(): string[] {
    return ['mainnet', 'testnet', ...this.#custom.keys()];
  }

  has(code: string): boolean {
    return this.#chains.has(code);
  }

  /**
   * The parameters of `code` on `network`. Throws UnsupportedChainError for an unknown chain or network,
   * or an EVM chain that a custom network gives no chain id.
   */
  resolve(code: string, network: string): ChainNetwork {
    const def = this.#chains.get(code);
    if (!def) {
      throw new UnsupportedChainError(`unknown chain ${JSON.stringify(code)}; expected one of ${this.codes().join(', ')}`, { chain: code });
    }
    if (network === 'mainnet' || network === 'testnet') return build(def, network, network, undefined, undefined);
    const custom = this.#custom.get(network);
    if (!custom) {
      throw new UnsupportedChainError(`unknown network ${JSON.stringify(network)}; expected one of ${this.networks().join(', ')}`, { network });
    }
    const chainId = custom.chainIds?.[code];
    if (def.family === 'evm' && chainId === undefined) {
      throw new UnsupportedChainError(`chain ${code} has no chain id on network ${network}`, { chain: code, network });
    }
    return build(def, network, custom.base, chainId, custom.utxo?.[code]);
  }
}

function build(def: ChainDefinition, network: string, base: 'mainnet' | 'testnet', chainId: bigint | undefined, utxo: UtxoParams | undefined): ChainNetwork {
  const params = def[base];
  const testnet = base === 'testnet';
  const coin = testnet ? def.testnetCoinType : def.coinType;
  const resolvedUtxo = utxo ?? params.utxo;
  return {
    chain: def.code,
    family: def.family,
    network,
    testnet,
    derivationPath: `m/44'/${coin}'/0'/0`,
    xpubVersion: params.xpub,
    addressFormat: def.addressFormat,
    keyFormat: def.keyFormat,
    ...(chainId ?? params.chainId) !== undefined ? { chainId: chainId ?? params.chainId } : {},
    ...(resolvedUtxo ? { utxo: resolvedUtxo } : {}),
    signable: def.signable,
    broadcastPath: def.broadcastPath,
  };
}

/** The registry of the built-in chains and networks, with no custom networks. */
export const defaultRegistry = new ChainRegistry();
