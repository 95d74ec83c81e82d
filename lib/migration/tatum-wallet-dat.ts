/**
 * Reading a Tatum KMS `wallet.dat` (TATUM-COMPAT §5), for `sigil import-wallet-dat`.
 *
 * Format: Base64 of "Salted__" ‖ 8-byte salt ‖ AES-256-CBC(PKCS#7) of a JSON object keyed by signatureId;
 * key and IV from OpenSSL EVP_BytesToKey(MD5, 1 iteration, password, salt) — crypto-js's passphrase mode.
 * There is no integrity check: a wrong password shows up as a padding error, bad UTF-8 or bad JSON, and is
 * reported as "wrong password or not a wallet.dat". The decrypted JSON is parsed into JS strings, which
 * cannot be wiped (documented in docs/envelope.md); the decrypted bytes themselves are wiped.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { InvalidInputError, SigilError } from '../errors.js';
import { wipe } from '../keys/wipe.js';

const MAGIC = Buffer.from('Salted__', 'latin1');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class WalletDatError extends SigilError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('WALLET_DAT', message, context);
  }
}

/** One entry of a wallet.dat, as Tatum KMS wrote it. Secrets are strings here (JSON gives nothing else). */
export type WalletDatEntry =
  | { readonly kind: 'mnemonic'; readonly chain: string; readonly testnet: boolean; readonly mnemonic: string; readonly xpub: string }
  | { readonly kind: 'privateKey'; readonly chain: string; readonly testnet: boolean; readonly privateKey: string }
  | { readonly kind: 'secret'; readonly chain: string; readonly testnet: boolean; readonly address: string; readonly secret: string };

/** OpenSSL EVP_BytesToKey with MD5 and one iteration: D_i = MD5(D_{i-1} ‖ password ‖ salt). */
function evpBytesToKey(password: Uint8Array, salt: Uint8Array): { key: Buffer; iv: Buffer } {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  while (blocks.reduce((n, b) => n + b.length, 0) < 48) {
    previous = createHash('md5').update(previous).update(password).update(salt).digest();
    blocks.push(previous);
  }
  const material = Buffer.concat(blocks);
  const result = { key: Buffer.from(material.subarray(0, 32)), iv: Buffer.from(material.subarray(32, 48)) };
  wipe(material, ...blocks);
  return result;
}

/** Decrypt the file's text to its plaintext bytes (the caller wipes them). */
export function decryptWalletDat(fileText: string, password: Uint8Array): Uint8Array {
  const text = fileText.trim();
  if (!text || !BASE64.test(text)) throw new WalletDatError('not a Tatum wallet.dat: the file is not Base64 text');
  const raw = Buffer.from(text, 'base64');
  if (raw.length < 32 || !raw.subarray(0, 8).equals(MAGIC) || (raw.length - 16) % 16 !== 0) {
    throw new WalletDatError('not a Tatum wallet.dat: it does not start with an OpenSSL "Salted__" header or is truncated');
  }
  const { key, iv } = evpBytesToKey(password, raw.subarray(8, 16));
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]);
  } catch {
    throw new WalletDatError('wrong password, or the wallet.dat is damaged (AES-CBC padding does not check)');
  } finally {
    wipe(key, iv);
  }
}

function field(value: Record<string, unknown>, name: string, id: string): string {
  const v = value[name];
  if (typeof v !== 'string' || v.length === 0) throw new WalletDatError(`entry ${id}: "${name}" must be a non-empty string`, { signatureId: id });
  return v;
}

function parseEntry(id: string, value: unknown): WalletDatEntry {
  if (!UUID.test(id)) throw new WalletDatError(`entry key ${JSON.stringify(id.slice(0, 40))} is not a signatureId (UUID)`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WalletDatError(`entry ${id} is not an object`, { signatureId: id });
  const entry = value as Record<string, unknown>;
  const chain = field(entry, 'chain', id);
  if (!/^[A-Z][A-Z0-9_]{1,15}$/.test(chain)) throw new WalletDatError(`entry ${id}: chain ${JSON.stringify(chain.slice(0, 20))} is not a chain code`, { signatureId: id });
  const testnet = entry.testnet;
  if (typeof testnet !== 'boolean') throw new WalletDatError(`entry ${id}: "testnet" must be true or false`, { signatureId: id });
  if ('mnemonic' in entry) return { kind: 'mnemonic', chain, testnet, mnemonic: field(entry, 'mnemonic', id), xpub: field(entry, 'xpub', id) };
  if ('privateKey' in entry) return { kind: 'privateKey', chain, testnet, privateKey: field(entry, 'privateKey', id) };
  if ('secret' in entry) return { kind: 'secret', chain, testnet, address: field(entry, 'address', id), secret: field(entry, 'secret', id) };
  throw new WalletDatError(`entry ${id} has none of mnemonic, privateKey or secret`, { signatureId: id });
}

/** Parse decrypted wallet.dat bytes into entries keyed by signatureId (in file order). */
export function parseWalletDat(plaintext: Uint8Array): Map<string, WalletDatEntry> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new WalletDatError('wrong password, or the wallet.dat is damaged (the plaintext is not UTF-8 JSON)');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidInputError('the wallet.dat plaintext is not a JSON object keyed by signatureId');
  }
  return new Map(Object.entries(json).map(([id, value]) => [id, parseEntry(id, value)]));
}

/** Whether a file's first bytes look like a crypto-js passphrase ciphertext ("Salted__" in Base64). */
export function looksLikeWalletDat(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(0, 10)).toString('latin1') === 'U2FsdGVkX1';
}
