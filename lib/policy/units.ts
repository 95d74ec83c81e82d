/**
 * The canonical forms the policy engine compares in, so that a rule can never be bypassed by how a field
 * is written: amounts are bigints in base units (a decimal limit from the policy file is compared exactly,
 * as a rational, never rounded), EVM addresses are lowercase `0x` + 40 hex whatever came (checksummed,
 * upper-case, lower-case, XDC's `xdc` prefix), bech32 addresses are lowercase (BIP-173: case-insensitive,
 * canonical lowercase), base58 addresses are compared as given (their case is significant).
 */
import { getAddress } from 'ethers';
import { UnsupportedChainError } from '../errors.js';
import type { Family } from '../chains/registry.js';

/** Decimals of each chain's native unit (wei 18, satoshi 8, TRON's sun 6); other EVM chains use 18. */
const NATIVE_DECIMALS: Readonly<Record<string, number>> = {
  BTC: 8,
  LTC: 8,
  DOGE: 8,
  ETH: 18,
  BSC: 18,
  MATIC: 18,
  KLAY: 18,
  ONE: 18,
  XDC: 18,
  CELO: 18,
  KCS: 18,
  VET: 18,
  TRON: 6,
};

/** How many base units make one native coin of `chain`, as a power of ten. */
export function nativeDecimals(chain: string, family: Family): number {
  const known = NATIVE_DECIMALS[chain];
  if (known !== undefined) return known;
  if (family === 'evm') return 18;
  throw new UnsupportedChainError(`no native-unit decimals known for chain ${JSON.stringify(chain)} (${family})`, { chain });
}

/** A non-negative decimal number as written in a policy file: `digits / 10^scale`, exact. */
export interface DecimalAmount {
  readonly digits: bigint;
  readonly scale: number;
  /** The text as written, for reasons. */
  readonly text: string;
}

const DECIMAL_TEXT = /^(0|[1-9][0-9]{0,77})(?:\.([0-9]{1,36}))?$/;

/** Parse `"1.5"`-style text; undefined when it is not a plain non-negative decimal (no sign, exponent, spaces). */
export function parseDecimalAmount(text: string): DecimalAmount | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  return { digits: BigInt(`${match[1]}${fraction}`), scale: fraction.length, text };
}

/** Compare `base` (base units with `decimals`) to `limit`: negative, zero or positive, exactly. */
export function compareToDecimal(base: bigint, decimals: number, limit: DecimalAmount): number {
  // base / 10^decimals  vs  digits / 10^scale   ⟺   base · 10^scale  vs  digits · 10^decimals
  const left = base * 10n ** BigInt(limit.scale);
  const right = limit.digits * 10n ** BigInt(decimals);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Render base units as a decimal in native units (for reasons): 150000000n, 8 → "1.5". */
export function formatUnits(base: bigint, decimals: number): string {
  const text = base.toString().padStart(decimals + 1, '0');
  const whole = text.slice(0, text.length - decimals);
  const fraction = text.slice(text.length - decimals).replace(/0+$/, '');
  return fraction.length > 0 ? `${whole}.${fraction}` : whole;
}

const EVM_ADDRESS = /^(?:0x|0X|xdc|XDC)([0-9a-fA-F]{40})$/;
/** BIP-173: human-readable part, separator `1`, data in the bech32 charset (no 1, b, i, o). */
const BECH32_ADDRESS = /^[a-z]{1,20}1[ac-hj-np-z02-9]{6,87}$/;

/**
 * The canonical form of an address, or undefined when `text` is not one Sigil knows how to compare safely
 * (a mixed-case EVM address whose EIP-55 checksum is wrong, a bech32 address in mixed case, whitespace).
 */
export function canonicalAddress(text: string): string | undefined {
  const evm = EVM_ADDRESS.exec(text);
  if (evm) {
    const body = evm[1] as string;
    const lower = body.toLowerCase();
    if (body !== lower && body !== body.toUpperCase() && getAddress(`0x${lower}`).slice(2) !== body) return undefined;
    return `0x${lower}`;
  }
  if (text.length === 0 || text.length > 128 || !/^[\x21-\x7e]+$/.test(text)) return undefined;
  const lower = text.toLowerCase();
  if (BECH32_ADDRESS.test(lower)) return text === lower || text === text.toUpperCase() ? lower : undefined;
  return text;
}

/** Like canonicalAddress for values from a parsed transaction: anything not recognised is kept verbatim (never matches an allow-list by accident). */
export function canonicalDestination(text: string): string {
  return canonicalAddress(text) ?? text;
}
