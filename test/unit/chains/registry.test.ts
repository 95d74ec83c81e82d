import { describe, expect, it } from 'vitest';
import { ChainRegistry, defaultRegistry } from '../../../lib/chains/registry.js';
import { InvalidInputError, UnsupportedChainError } from '../../../lib/errors.js';

describe('chain registry', () => {
  it('knows every chain of the foundation issue, signable or derive-only', () => {
    expect(defaultRegistry.codes().sort()).toEqual(['BSC', 'BTC', 'CELO', 'DOGE', 'ETH', 'KCS', 'KLAY', 'LTC', 'MATIC', 'ONE', 'TRON', 'VET', 'XDC'].sort());
    expect(defaultRegistry.resolve('VET', 'mainnet').signable).toBe(false);
    expect(defaultRegistry.resolve('TRON', 'mainnet').signable).toBe(false);
    expect(defaultRegistry.resolve('ETH', 'mainnet').signable).toBe(true);
  });

  it.each([
    ['BTC', "m/44'/0'/0'/0", "m/44'/1'/0'/0"],
    ['LTC', "m/44'/2'/0'/0", "m/44'/1'/0'/0"],
    ['DOGE', "m/44'/3'/0'/0", "m/44'/1'/0'/0"],
    ['ETH', "m/44'/60'/0'/0", "m/44'/1'/0'/0"],
    ['BSC', "m/44'/60'/0'/0", "m/44'/1'/0'/0"],
    ['KCS', "m/44'/60'/0'/0", "m/44'/1'/0'/0"],
    ['MATIC', "m/44'/966'/0'/0", "m/44'/1'/0'/0"],
    ['KLAY', "m/44'/8217'/0'/0", "m/44'/1'/0'/0"],
    ['ONE', "m/44'/1023'/0'/0", "m/44'/1'/0'/0"],
    ['XDC', "m/44'/550'/0'/0", "m/44'/1'/0'/0"],
    ['CELO', "m/44'/52752'/0'/0", "m/44'/1'/0'/0"],
    ['VET', "m/44'/818'/0'/0", "m/44'/1'/0'/0"],
    ['TRON', "m/44'/195'/0'/0", "m/44'/195'/0'/0"],
  ])('%s derives at Tatum paths (TATUM-COMPAT §3)', (code, main, test) => {
    expect(defaultRegistry.resolve(code, 'mainnet').derivationPath).toBe(main);
    expect(defaultRegistry.resolve(code, 'testnet').derivationPath).toBe(test);
  });

  it('pins EVM chain ids per network (current public testnets)', () => {
    const ids = Object.fromEntries(['ETH', 'BSC', 'MATIC', 'KLAY', 'ONE', 'XDC', 'CELO', 'KCS'].map((c) => [c, [defaultRegistry.resolve(c, 'mainnet').chainId, defaultRegistry.resolve(c, 'testnet').chainId]]));
    expect(ids).toEqual({
      ETH: [1n, 11155111n],
      BSC: [56n, 97n],
      MATIC: [137n, 80002n],
      KLAY: [8217n, 1001n],
      ONE: [1666600000n, 1666700000n],
      XDC: [50n, 51n],
      CELO: [42220n, 11142220n],
      KCS: [321n, 322n],
    });
  });

  it('uses the xpub version bytes of TATUM-COMPAT §3', () => {
    expect(defaultRegistry.resolve('LTC', 'mainnet').xpubVersion.public).toBe(0x019da462);
    expect(defaultRegistry.resolve('LTC', 'testnet').xpubVersion.public).toBe(0x0436f6e1);
    expect(defaultRegistry.resolve('BTC', 'testnet').xpubVersion.public).toBe(0x043587cf);
    expect(defaultRegistry.resolve('DOGE', 'testnet').xpubVersion.public).toBe(0x043587cf);
    for (const code of ['ETH', 'BSC', 'MATIC', 'KLAY', 'ONE', 'XDC', 'CELO', 'KCS', 'VET', 'TRON']) {
      expect(defaultRegistry.resolve(code, 'testnet').xpubVersion.public).toBe(0x0488b21e);
    }
  });

  it('maps broadcast paths as Tatum does', () => {
    const paths = Object.fromEntries(defaultRegistry.codes().map((c) => [c, defaultRegistry.resolve(c, 'mainnet').broadcastPath]));
    expect(paths).toMatchObject({ BTC: 'bitcoin', LTC: 'litecoin', DOGE: 'dogecoin', ETH: 'ethereum', BSC: 'bsc', MATIC: 'polygon', KLAY: 'klaytn', ONE: 'one', XDC: 'xdc', CELO: 'celo', TRON: 'tron', VET: 'vet', KCS: 'kcs' });
  });

  it('resolves a custom network with its own chain ids and UTXO parameters, derived as its base', () => {
    const regtest = { messagePrefix: '\x18Bitcoin Signed Message:\n', bech32: 'rb', bip32: { public: 0x043587cf, private: 0x04358394 }, pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
    const registry = new ChainRegistry({ customNetworks: [{ name: 'sandbox', base: 'testnet', chainIds: { ETH: 31337n }, utxo: { BTC: regtest } }] });
    const eth = registry.resolve('ETH', 'sandbox');
    expect(eth.chainId).toBe(31337n);
    expect(eth.testnet).toBe(true);
    expect(eth.derivationPath).toBe("m/44'/1'/0'/0");
    expect(registry.resolve('BTC', 'sandbox').utxo?.bech32).toBe('rb');
    expect(() => registry.resolve('BSC', 'sandbox')).toThrow(UnsupportedChainError);
    expect(registry.networks()).toEqual(['mainnet', 'testnet', 'sandbox']);
  });

  it('adds an EVM chain by chain id, derived and formatted as ETH', () => {
    const registry = new ChainRegistry({ extraEvmChains: [{ code: 'ARB', broadcastPath: 'arb', chainIds: { mainnet: 42161n, testnet: 421614n } }] });
    const arb = registry.resolve('ARB', 'mainnet');
    expect(arb).toMatchObject({ family: 'evm', chainId: 42161n, derivationPath: "m/44'/60'/0'/0", addressFormat: 'evm', signable: true });
  });

  it('refuses unknown chains and networks, and malformed definitions, with typed errors', () => {
    expect(() => defaultRegistry.resolve('XYZ', 'mainnet')).toThrow(UnsupportedChainError);
    expect(() => defaultRegistry.resolve('ETH', 'devnet')).toThrow(/unknown network "devnet"/);
    expect(() => new ChainRegistry({ extraEvmChains: [{ code: 'ETH', broadcastPath: 'x', chainIds: { mainnet: 1n, testnet: 2n } }] })).toThrow(InvalidInputError);
    expect(() => new ChainRegistry({ customNetworks: [{ name: 'mainnet', base: 'mainnet' }] })).toThrow(InvalidInputError);
    expect(() => new ChainRegistry({ customNetworks: [{ name: 'Bad Name', base: 'testnet' }] })).toThrow(InvalidInputError);
  });
});
