/**
 * Reading wallets: the Tatum-shaped entry with its secret (`getmanagedwallet`, `export`), a private key
 * at an index (`getprivatekey`), an address at an index (`getaddress`, from the xpub: no decryption).
 *
 * Every path that reveals a secret records `secret.revealed` on the audit trail and emits `Secret Exported`
 * (without the secret) after the secret opened and before it is returned: if either cannot be written,
 * nothing is revealed. Revealed values are JS strings, by necessity (they are printed); the bytes they
 * came from are wiped here.
 */
import bs58check from 'bs58check';
import { InvalidInputError } from '../errors.js';
import { accountFromMnemonic, addressFromXpub, assertChildIndex, encodePrivateKey, wipe } from '../keys/index.js';
import type { WalletRecord } from '../store/wallet-store.js';
import { isSignatureId, type WalletDeps } from './deps.js';
import { openRecord, walletEventDetail } from './sealing.js';
import { NO_PUBLIC_VALUE, parseForeignEntry, type TatumEntry } from './wallet-secret.js';
import { unknownWallet, WalletError } from './wallet-error.js';
import { auditWallet } from './wallet-audit.js';

/** A signatureId from outside (argv, a file): a UUID, or an error that does not echo it (it could be a pasted secret). */
export function checkSignatureId(value: string): string {
  const id = value.toLowerCase();
  if (!isSignatureId(id)) {
    throw new InvalidInputError(`expected a signatureId (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6); got a value of ${value.length} characters`);
  }
  return id;
}

export async function getWalletRecord(deps: WalletDeps, signatureId: string): Promise<WalletRecord> {
  const record = await deps.store.get(checkSignatureId(signatureId));
  if (!record) throw unknownWallet(signatureId.toLowerCase());
  return record;
}

/** The entry of an opened secret, in the shape Tatum KMS stores and prints. */
function entryOf(deps: WalletDeps, record: WalletRecord, secret: Uint8Array): TatumEntry {
  switch (record.kind) {
    case 'mnemonic':
      return { mnemonic: new TextDecoder().decode(secret), xpub: record.xpub!, chain: record.chain, testnet: record.testnet };
    case 'privateKey':
      return { privateKey: encodePrivateKey(secret, deps.registry.resolve(record.chain, record.network)), chain: record.chain, testnet: record.testnet };
    case 'foreign':
      return parseForeignEntry(secret, record.signatureId);
  }
}

async function openEntry(deps: WalletDeps, record: WalletRecord): Promise<TatumEntry> {
  const secret = await openRecord(await deps.keys(), record);
  try {
    return entryOf(deps, record, secret);
  } finally {
    wipe(secret);
  }
}

/** `getmanagedwallet`: {mnemonic, xpub, chain, testnet} | {privateKey, chain, testnet} | a foreign entry as imported. */
export async function revealWallet(deps: WalletDeps, signatureId: string): Promise<TatumEntry> {
  const record = await getWalletRecord(deps, signatureId);
  const entry = await openEntry(deps, record);
  await auditWallet(deps, 'secret.revealed', record, { action: 'getmanagedwallet' });
  await deps.events.emit('Secret Exported', walletEventDetail(record, { action: 'getmanagedwallet' }));
  return entry;
}

/** `getprivatekey`: the key at child `index` of a mnemonic wallet; a private-key wallet's own key (index ignored). */
export async function privateKeyAt(deps: WalletDeps, signatureId: string, index: number): Promise<{ privateKey: string }> {
  assertChildIndex(index);
  const record = await getWalletRecord(deps, signatureId);
  if (record.kind === 'foreign') {
    const entry = await openEntry(deps, record);
    const key = typeof entry.secret === 'string' ? entry.secret : typeof entry.privateKey === 'string' ? entry.privateKey : undefined;
    if (key === undefined) {
      throw new WalletError('WRONG_WALLET_KIND', `wallet ${record.signatureId} is a ${record.chain} mnemonic imported as non-signable: Sigil cannot derive its keys (getmanagedwallet shows the entry)`, {
        signatureId: record.signatureId,
        chain: record.chain,
      });
    }
    await auditWallet(deps, 'secret.revealed', record, { action: 'getprivatekey', index });
    await deps.events.emit('Secret Exported', walletEventDetail(record, { action: 'getprivatekey', index }));
    return { privateKey: key };
  }
  const params = deps.registry.resolve(record.chain, record.network);
  const secret = await openRecord(await deps.keys(), record);
  let key: Uint8Array | undefined;
  try {
    if (record.kind === 'mnemonic') {
      const account = accountFromMnemonic(secret, params);
      try {
        key = account.childPrivateKey(index);
      } finally {
        account.wipe();
      }
    }
    const privateKey = encodePrivateKey(key ?? secret, params);
    await auditWallet(deps, 'secret.revealed', record, { action: 'getprivatekey', index });
    await deps.events.emit('Secret Exported', walletEventDetail(record, { action: 'getprivatekey', index }));
    return { privateKey };
  } finally {
    wipe(secret, key);
  }
}

function looksLikeXpub(value: string): boolean {
  return bs58check.decodeUnsafe(value)?.length === 78;
}

/**
 * `getaddress`: child `index` of the stored xpub (no decryption, no password, no event). It trusts the
 * stored xpub: a replaced xpub is caught when the secret is opened (`getmanagedwallet`, `verify`, signing),
 * which is why `sigil verify` belongs in every operator's routine (docs/cli.md).
 */
export async function addressAt(deps: WalletDeps, signatureId: string, index: number): Promise<{ address: string }> {
  assertChildIndex(index);
  const record = await getWalletRecord(deps, signatureId);
  if (record.kind === 'mnemonic') {
    return { address: addressFromXpub(record.xpub!, index, deps.registry.resolve(record.chain, record.network)) };
  }
  const address = record.address!;
  if (record.kind === 'foreign' && (address === NO_PUBLIC_VALUE || looksLikeXpub(address))) {
    throw new WalletError('WRONG_WALLET_KIND', `wallet ${record.signatureId} is a non-signable ${record.chain} import without an address Sigil can derive`, {
      signatureId: record.signatureId,
      chain: record.chain,
    });
  }
  return { address };
}

/** `export`: every wallet's entry keyed by signatureId, as upstream prints it. Fails whole if one wallet does not open. */
export async function exportAll(deps: WalletDeps): Promise<Record<string, TatumEntry>> {
  const out: Record<string, TatumEntry> = {};
  const records: WalletRecord[] = [];
  for (const signatureId of await deps.store.listIds()) {
    const record = await getWalletRecord(deps, signatureId);
    out[signatureId] = await openEntry(deps, record);
    records.push(record);
  }
  for (const record of records) await auditWallet(deps, 'secret.revealed', record, { action: 'export' });
  for (const record of records) await deps.events.emit('Secret Exported', walletEventDetail(record, { action: 'export' }));
  return out;
}
