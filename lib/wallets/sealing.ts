/**
 * Records and their sealed secrets: building a record around a new secret, and opening a stored one.
 * The encryption context is always rebuilt from the record's public fields (ARCHITECTURE §Custody), so a
 * record whose xpub or address was replaced no longer opens.
 */
import type { EncryptionContext, KeyProvider } from '../custody/key-provider.js';
import { openSecret, publicHashOf, sealSecret, walletContext } from '../custody/envelope.js';
import { WALLET_SCHEMA_VERSION, type WalletKind, type WalletRecord } from '../store/wallet-store.js';
import type { EventDetail } from '../events/catalogue.js';
import { nowIso, type WalletDeps } from './deps.js';
import { publicValueOf, type PublicPart } from './wallet-secret.js';

/** Everything a record holds besides its envelope and bookkeeping. */
export interface WalletIdentity {
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  readonly testnet: boolean;
  readonly kind: WalletKind;
  readonly public: PublicPart;
}

export function contextOf(identity: Pick<WalletIdentity, 'signatureId' | 'chain' | 'network' | 'public'>): EncryptionContext {
  return walletContext({
    signatureId: identity.signatureId,
    chain: identity.chain,
    network: identity.network,
    publicHash: publicHashOf(publicValueOf(identity.public)),
  });
}

export function identityOf(record: WalletRecord): WalletIdentity {
  return {
    signatureId: record.signatureId,
    chain: record.chain,
    network: record.network,
    testnet: record.testnet,
    kind: record.kind,
    public: record.xpub !== undefined ? { xpub: record.xpub } : { address: record.address! },
  };
}

export function recordContext(record: WalletRecord): EncryptionContext {
  return contextOf(identityOf(record));
}

/** A new record (version 1) sealing `secret`; the secret stays the caller's to wipe. */
export async function sealRecord(deps: WalletDeps, provider: KeyProvider, identity: WalletIdentity, secret: Uint8Array): Promise<WalletRecord> {
  const context = contextOf(identity);
  const sealed = await sealSecret(provider, secret, context);
  return {
    schema: WALLET_SCHEMA_VERSION,
    signatureId: identity.signatureId,
    chain: identity.chain,
    network: identity.network,
    testnet: identity.testnet,
    kind: identity.kind,
    ...(identity.public.xpub !== undefined ? { xpub: identity.public.xpub } : { address: identity.public.address }),
    publicHash: context.publicHash,
    sealed,
    createdAt: nowIso(deps),
    version: 1,
  };
}

/** The plaintext secret of a stored record; the caller wipes it. */
export async function openRecord(provider: KeyProvider, record: WalletRecord): Promise<Uint8Array> {
  return openSecret(provider, record.sealed, recordContext(record));
}

/** The public facts of a wallet for an event detail (never its secret, never its xpub). */
export function walletEventDetail(identity: Pick<WalletIdentity, 'signatureId' | 'chain' | 'network' | 'kind'>, extra: EventDetail = {}): EventDetail {
  return { signatureId: identity.signatureId, chain: identity.chain, network: identity.network, kind: identity.kind, ...extra };
}
