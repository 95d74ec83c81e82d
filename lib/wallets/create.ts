/**
 * Creating wallets: generated or given mnemonics, given private keys, batches of fresh private keys.
 * Every secret is a Uint8Array wiped in `finally` by the function that made it; a `Wallet Created` event
 * follows every stored record.
 */
import { getRandomValues } from 'node:crypto';
import type { ChainNetwork } from '../chains/registry.js';
import type { KeyProvider } from '../custody/key-provider.js';
import { InvalidInputError } from '../errors.js';
import { decodePrivateKey, generateMnemonic, normalizeMnemonic, wipe } from '../keys/index.js';
import { ecc } from '../keys/ecc.js';
import { newSignatureId, type WalletDeps } from './deps.js';
import { sealRecord, walletEventDetail, type WalletIdentity } from './sealing.js';
import { addressOfPrivateKey, xpubOfMnemonic } from './wallet-secret.js';
import { auditWallet } from './wallet-audit.js';

export interface MnemonicWalletResult {
  readonly signatureId: string;
  readonly xpub: string;
}

export interface KeyWalletResult {
  readonly signatureId: string;
  readonly address: string;
}

/** Most keys one batch generates (upstream has no cap; a typo of a few zeros should not run for days). */
export const MAX_BATCH_COUNT = 100_000;

async function storeNew(deps: WalletDeps, provider: KeyProvider, identity: WalletIdentity, secret: Uint8Array, source: string): Promise<void> {
  const record = await sealRecord(deps, provider, identity, secret);
  await deps.store.put(record);
  await auditWallet(deps, 'wallet.created', identity, { source });
  await deps.events.emit('Wallet Created', walletEventDetail(identity, { source }));
}

function identity(params: ChainNetwork, signatureId: string, kind: 'mnemonic' | 'privateKey', publicValue: string): WalletIdentity {
  return {
    signatureId,
    chain: params.chain,
    network: params.network,
    testnet: params.testnet,
    kind,
    public: kind === 'mnemonic' ? { xpub: publicValue } : { address: publicValue },
  };
}

async function storeMnemonic(deps: WalletDeps, params: ChainNetwork, mnemonic: Uint8Array, source: string): Promise<MnemonicWalletResult> {
  const xpub = xpubOfMnemonic(mnemonic, params);
  const provider = await deps.keys();
  const signatureId = newSignatureId(deps);
  await storeNew(deps, provider, identity(params, signatureId, 'mnemonic', xpub), mnemonic, source);
  return { signatureId, xpub };
}

/** `generatemanagedwallet`: a fresh 24-word mnemonic (256 bits from the OS CSPRNG), sealed and stored. */
export async function createMnemonicWallet(deps: WalletDeps, chain: string, network: string): Promise<MnemonicWalletResult> {
  const params = deps.registry.resolve(chain, network);
  const mnemonic = generateMnemonic();
  try {
    return await storeMnemonic(deps, params, mnemonic, 'generate');
  } finally {
    wipe(mnemonic);
  }
}

/**
 * `storemanagedwallet`: a given mnemonic, validated (word list, checksum) and stored in canonical form.
 * `mnemonic` stays the caller's to wipe.
 */
export async function storeMnemonicWallet(deps: WalletDeps, mnemonic: Uint8Array, chain: string, network: string): Promise<MnemonicWalletResult> {
  const params = deps.registry.resolve(chain, network);
  const canonical = normalizeMnemonic(mnemonic);
  try {
    return await storeMnemonic(deps, params, canonical, 'store');
  } finally {
    wipe(canonical);
  }
}

/**
 * `storemanagedprivatekey`: a private key given as text in the chain's format (WIF, 0x-hex, hex). The
 * record stores its address. `keyText` stays the caller's to wipe; decoding needs it as a JS string for a
 * moment (base58), which cannot be wiped (docs/cli.md §Secrets).
 */
export async function storePrivateKeyWallet(deps: WalletDeps, keyText: Uint8Array, chain: string, network: string): Promise<{ signatureId: string }> {
  const params = deps.registry.resolve(chain, network);
  const key = decodePrivateKey(new TextDecoder().decode(keyText), params);
  try {
    const address = addressOfPrivateKey(key, params);
    const provider = await deps.keys();
    const signatureId = newSignatureId(deps);
    await storeNew(deps, provider, identity(params, signatureId, 'privateKey', address), key, 'store');
    return { signatureId };
  } finally {
    wipe(key);
  }
}

/**
 * A uniformly random valid secp256k1 key from the OS CSPRNG (rejection sampling: a 32-byte value is
 * outside [1, n-1] with probability ~2^-128). Upstream instead draws a random mnemonic and keeps its
 * child 1 and throws the mnemonic away: the key has the same distribution, and the mnemonic cannot be
 * used for recovery since it is never stored, so Sigil skips the PBKDF2 and derivation work.
 */
export function randomPrivateKey(): Uint8Array {
  for (;;) {
    const key = getRandomValues(new Uint8Array(32));
    if (ecc.isPrivate(key)) return key;
    wipe(key);
  }
}

/**
 * `generatemanagedprivatekeybatch`: `count` fresh private-key wallets, each stored as soon as it is made
 * (an interrupted batch keeps what it reported). `onEach` sees each result as it is stored.
 */
export async function generatePrivateKeyBatch(
  deps: WalletDeps,
  chain: string,
  network: string,
  count: number,
  onEach?: (result: KeyWalletResult, done: number, total: number) => void,
): Promise<KeyWalletResult[]> {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_BATCH_COUNT) {
    throw new InvalidInputError(`a batch count is an integer from 1 to ${MAX_BATCH_COUNT}; got ${String(count)}`, { count });
  }
  const params = deps.registry.resolve(chain, network);
  const provider = await deps.keys();
  const results: KeyWalletResult[] = [];
  for (let i = 0; i < count; i++) {
    const key = randomPrivateKey();
    try {
      const address = addressOfPrivateKey(key, params);
      const signatureId = newSignatureId(deps);
      await storeNew(deps, provider, identity(params, signatureId, 'privateKey', address), key, 'generate-batch');
      const result = { signatureId, address };
      results.push(result);
      onEach?.(result, i + 1, count);
    } finally {
      wipe(key);
    }
  }
  return results;
}
