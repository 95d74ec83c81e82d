/**
 * Field decoders for the web3 1.x transaction-config JSON (TATUM-COMPAT §4). Each takes an `unknown` from
 * JSON.parse and either returns a canonical value or throws InvalidTransactionError naming the field, what
 * was expected and what came. Canonical forms: quantities are bigint, addresses lowercase `0x` + 40 hex,
 * data lowercase `0x` + an even number of hex digits.
 */
import { getAddress } from 'ethers';
import { InvalidTransactionError } from '../../errors.js';

/** Quantities of the Ethereum yellow paper: value and fees are 256-bit words, nonce and gas 64-bit. */
export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT64 = (1n << 64n) - 1n;

const DECIMAL = /^[0-9]+$/;
const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;
const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS_BODY = /^[0-9a-fA-F]{40}$/;
/** Longer digit strings cannot hold a value below 2^256 (78 decimal digits, 64 hex digits) once leading zeros go. */
const MAX_DIGITS = 80;

/** A short, bounded rendering of a value for an error message (the input is public transaction data). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 48 ? `the string "${value.slice(0, 40)}…" (${value.length} chars)` : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  return `a ${typeof value}`;
}

function invalid(field: string, expected: string, value: unknown): InvalidTransactionError {
  return new InvalidTransactionError(`EVM transaction field "${field}": expected ${expected}, got ${describe(value)}`, { field });
}

/**
 * A non-negative integer ≤ max given as a JSON number (a safe integer), a decimal string, or a `0x`-hex
 * string. Fractions, exponents, signs, whitespace and an empty `0x` are refused, as web3 would coerce them
 * in ways a signer must not guess.
 */
export function parseQuantity(field: string, value: unknown, max: bigint): bigint {
  const expected = `a non-negative integer ≤ ${max === MAX_UINT64 ? '2^64-1' : '2^256-1'} (safe-integer JSON number, decimal string or 0x-hex string)`;
  let parsed: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(field, expected, value);
    parsed = BigInt(value);
  } else if (typeof value === 'string') {
    const digits = value.startsWith('0x') ? value.slice(2).replace(/^0+/, '') : value.replace(/^0+/, '');
    if (digits.length > MAX_DIGITS) throw invalid(field, expected, value);
    if (HEX_QUANTITY.test(value)) parsed = BigInt(value);
    else if (DECIMAL.test(value)) parsed = BigInt(value);
    else throw invalid(field, expected, value);
  } else {
    throw invalid(field, expected, value);
  }
  if (parsed > max) throw invalid(field, expected, value);
  return parsed;
}

/**
 * An account address: `0x` + 40 hex digits, all lowercase, all uppercase, or mixed case with a valid EIP-55
 * checksum (a mixed-case address with a bad checksum is a typo or a tampered address, never guessed at).
 * `xdc` + 40 hex digits is accepted where `allowXdc` (XDC Network's display prefix for the same 20 bytes).
 */
export function parseAddress(field: string, value: unknown, allowXdc: boolean): string {
  const expected = allowXdc ? 'a 0x… or xdc… address (lowercase, uppercase or EIP-55 checksummed)' : 'a 0x address (lowercase, uppercase or EIP-55 checksummed)';
  if (typeof value !== 'string') throw invalid(field, expected, value);
  let body: string;
  if (value.startsWith('0x')) body = value.slice(2);
  else if (allowXdc && value.startsWith('xdc')) body = value.slice(3);
  else throw invalid(field, expected, value);
  if (!ADDRESS_BODY.test(body)) throw invalid(field, expected, value);
  const lower = body.toLowerCase();
  if (body !== lower && body !== body.toUpperCase()) {
    let checksummed: string;
    try {
      checksummed = getAddress(`0x${lower}`);
    } catch {
      throw invalid(field, expected, value);
    }
    if (checksummed.slice(2) !== body) {
      throw new InvalidTransactionError(`EVM transaction field "${field}": mixed-case address ${value} fails its EIP-55 checksum (expected ${checksummed})`, { field });
    }
  }
  return `0x${lower}`;
}

/** Call data or init code: `0x` followed by whole bytes; returned lowercase. */
export function parseData(field: string, value: unknown): string {
  if (typeof value !== 'string' || !HEX_DATA.test(value)) {
    throw invalid(field, 'a 0x-prefixed hex string of whole bytes', value);
  }
  return value.toLowerCase();
}

/** `from`: the placeholder 0 (web3 config as Tatum writes it), null/absent, or the sender's address. */
export function parseFrom(value: unknown, allowXdc: boolean): string | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value !== 'string') throw invalid('from', 'the placeholder 0, null, or an address', value);
  return parseAddress('from', value, allowXdc);
}
