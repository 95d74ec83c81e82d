/**
 * The simulator's transaction id for a broadcast `txData`: deterministic, and the real id where the
 * format is known, so tests can predict it and the sandbox's chains agree with it.
 * - `0x`-hex (EVM raw transactions): keccak256 of the bytes — the Ethereum transaction hash.
 * - plain hex that parses as a Bitcoin-format transaction (BTC, LTC, DOGE, BCH): its txid (double sha256
 *   of the non-witness serialization, byte-reversed).
 * - anything else (TRON JSON, XLM XDR…): sha256 of the UTF-8 text, hex.
 */
import { createHash } from 'node:crypto';
import { Transaction } from 'bitcoinjs-lib';
import { keccak256 } from 'ethers';

export function simulatedTxId(txData: string): string {
  if (/^0x(?:[0-9a-fA-F]{2})+$/.test(txData)) return keccak256(txData);
  if (/^(?:[0-9a-fA-F]{2})+$/.test(txData)) {
    try {
      return Transaction.fromHex(txData).getId();
    } catch {
      // Not a Bitcoin-format transaction: fall through to the text hash.
    }
  }
  return createHash('sha256').update(txData, 'utf8').digest('hex');
}
