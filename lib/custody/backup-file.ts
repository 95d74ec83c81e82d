/**
 * The backup file (docs/backup.md), assembled by the CLI from backup.ts: public wallet fields in the
 * clear, each secret sealed to the offline recipient with the wallet's public fields as AAD, so a
 * secret cannot be moved onto another wallet entry (or its xpub swapped) without failing to open.
 */
import { InvalidInputError } from '../errors.js';
import { canonicalJsonBytes } from './canonical-json.js';
import type { SealedToRecipient } from './backup.js';

export const BACKUP_FORMAT = 'sigil-backup';
export const BACKUP_VERSION = 1;

/** Mirrors the store's WalletKind (custody does not import the store). */
export type BackupWalletKind = 'mnemonic' | 'privateKey' | 'foreign';

export interface BackupWalletPublicFields {
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  readonly testnet: boolean;
  readonly kind: BackupWalletKind;
  readonly xpub?: string;
  readonly address?: string;
}

export interface BackupWalletEntry extends BackupWalletPublicFields {
  /** The wallet secret (the bytes openSecret returns), sealed with aad = backupWalletAad(this entry). */
  readonly secret: SealedToRecipient;
}

export interface BackupFileV1 {
  readonly format: typeof BACKUP_FORMAT;
  readonly v: typeof BACKUP_VERSION;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** recipientFingerprint of the key every secret is sealed to. */
  readonly recipient: string;
  /** In signatureId order. */
  readonly wallets: readonly BackupWalletEntry[];
}

/**
 * The AAD of a wallet's sealed secret: RFC 8785 canonical JSON (UTF-8) of exactly the public fields
 * signatureId, chain, network, testnet, kind and, when present, xpub and address. Other members of
 * `fields` (such as `secret`) are ignored, so an entry can be passed as it stands.
 */
export function backupWalletAad(fields: BackupWalletPublicFields): Uint8Array {
  for (const name of ['signatureId', 'chain', 'network'] as const) {
    if (typeof fields[name] !== 'string' || fields[name].length === 0) {
      throw new InvalidInputError(`backup wallet ${name} must be a non-empty string`);
    }
  }
  if (typeof fields.testnet !== 'boolean') throw new InvalidInputError('backup wallet testnet must be a boolean');
  if (!['mnemonic', 'privateKey', 'foreign'].includes(fields.kind)) {
    throw new InvalidInputError('backup wallet kind must be "mnemonic", "privateKey" or "foreign"');
  }
  for (const name of ['xpub', 'address'] as const) {
    const value = fields[name];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new InvalidInputError(`backup wallet ${name} must be absent or a non-empty string`);
    }
  }
  return canonicalJsonBytes({
    signatureId: fields.signatureId,
    chain: fields.chain,
    network: fields.network,
    testnet: fields.testnet,
    kind: fields.kind,
    xpub: fields.xpub,
    address: fields.address,
  });
}
