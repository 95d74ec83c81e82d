/**
 * Reading a backup document (format `sigil-backup` v1, docs/backup.md) from a file: exact fields, every
 * wallet's public fields checked for syntax, every sealed secret checked for shape, no signatureId twice.
 * Errors name the wallet's position and field, never a value.
 */
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupFileV1, type BackupWalletEntry } from '../custody/backup-file.js';
import { parseSealedToRecipient } from '../custody/backup.js';
import { SigilError } from '../errors.js';
import { isSignatureId } from './deps.js';
import { WalletError } from './wallet-error.js';

const DOCUMENT_FIELDS = ['createdAt', 'format', 'recipient', 'v', 'wallets'];
const WALLET_FIELDS = new Set(['signatureId', 'chain', 'network', 'testnet', 'kind', 'xpub', 'address', 'secret']);
const CHAIN_CODE = /^[A-Z][A-Z0-9_]{1,15}$/;
const NETWORK_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const PUBLIC_VALUE = /^[\x21-\x7e]{1,256}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, context: Record<string, unknown> = {}): WalletError {
  return new WalletError('INVALID_BACKUP_DOCUMENT', `not a Sigil backup: ${message}`, context);
}

function parseWallet(value: unknown, position: number): BackupWalletEntry {
  const where = `wallets[${position}]`;
  if (!isPlainObject(value)) throw invalid(`${where} is not an object`, { position });
  const unknown = Object.keys(value).filter((key) => !WALLET_FIELDS.has(key));
  if (unknown.length > 0) throw invalid(`${where} has ${unknown.length} unknown field(s); expected only ${[...WALLET_FIELDS].join(', ')}`, { position });
  const { signatureId, chain, network, testnet, kind, xpub, address } = value;
  if (typeof signatureId !== 'string' || !isSignatureId(signatureId)) throw invalid(`${where}.signatureId is not a lower-case UUID`, { position });
  if (typeof chain !== 'string' || !CHAIN_CODE.test(chain)) throw invalid(`${where}.chain is not a chain code`, { position });
  if (typeof network !== 'string' || !NETWORK_NAME.test(network)) throw invalid(`${where}.network is not a network name`, { position });
  if (typeof testnet !== 'boolean') throw invalid(`${where}.testnet is not a boolean`, { position });
  if (kind !== 'mnemonic' && kind !== 'privateKey' && kind !== 'foreign') throw invalid(`${where}.kind is not mnemonic, privateKey or foreign`, { position });
  const publicField = kind === 'mnemonic' ? 'xpub' : 'address';
  const given = kind === 'mnemonic' ? xpub : address;
  const other = kind === 'mnemonic' ? address : xpub;
  if (typeof given !== 'string' || !PUBLIC_VALUE.test(given) || other !== undefined) {
    throw invalid(`${where} (${kind}) must have ${publicField} and not ${publicField === 'xpub' ? 'address' : 'xpub'}`, { position, signatureId });
  }
  let secret;
  try {
    secret = parseSealedToRecipient(value.secret);
  } catch (error) {
    throw invalid(`${where}.secret: ${error instanceof SigilError ? error.message : 'malformed'}`, { position, signatureId });
  }
  return { signatureId, chain, network, testnet, kind, ...(kind === 'mnemonic' ? { xpub: given } : { address: given }), secret };
}

/** Parse the JSON text of a backup file. */
export function parseBackupDocument(text: string): BackupFileV1 {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('the file is not JSON');
  }
  if (!isPlainObject(value)) throw invalid('the document is not a JSON object');
  const keys = Object.keys(value).sort();
  if (keys.join() !== DOCUMENT_FIELDS.join()) throw invalid(`the document must have exactly the fields ${DOCUMENT_FIELDS.join(', ')}`);
  if (value.format !== BACKUP_FORMAT) throw invalid(`format must be "${BACKUP_FORMAT}"`);
  if (value.v !== BACKUP_VERSION) throw invalid(`v must be ${BACKUP_VERSION} (a newer Sigil wrote it, or it is damaged)`);
  if (typeof value.createdAt !== 'string' || !ISO_UTC.test(value.createdAt)) throw invalid('createdAt is not an ISO 8601 UTC time');
  if (typeof value.recipient !== 'string' || !/^[0-9a-f]{64}$/.test(value.recipient)) throw invalid('recipient is not a key fingerprint (64 hex)');
  if (!Array.isArray(value.wallets)) throw invalid('wallets is not an array');
  const wallets = value.wallets.map((wallet, position) => parseWallet(wallet, position));
  const seen = new Set<string>();
  for (const wallet of wallets) {
    if (seen.has(wallet.signatureId)) throw invalid(`wallet ${wallet.signatureId} appears twice`, { signatureId: wallet.signatureId });
    seen.add(wallet.signatureId);
    if (wallet.secret.recipient !== value.recipient) throw invalid(`wallet ${wallet.signatureId} is sealed to another recipient than the document names`, { signatureId: wallet.signatureId });
  }
  return { format: BACKUP_FORMAT, v: BACKUP_VERSION, createdAt: value.createdAt, recipient: value.recipient, wallets };
}
