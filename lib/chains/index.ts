/**
 * Chains: the registry and the families behind the one ChainFamily interface. The rest of Sigil reaches a
 * chain only through `familyOf(chain)` — never through a switch on chain codes.
 */
import { UnsupportedChainError } from '../errors.js';
import { evmFamily } from './evm/index.js';
import type { ChainFamily } from './family.js';
import type { ChainNetwork, Family } from './registry.js';
import { utxoFamily } from './utxo/index.js';

const FAMILIES: Partial<Record<Family, ChainFamily<unknown>>> = {
  utxo: utxoFamily as ChainFamily<unknown>,
  evm: evmFamily as ChainFamily<unknown>,
};

/** The family that signs `chain`; UnsupportedChainError for chains that derive but cannot sign yet (VET, TRON). */
export function familyOf(chain: ChainNetwork): ChainFamily<unknown> {
  const family = chain.signable ? FAMILIES[chain.family] : undefined;
  if (!family) {
    throw new UnsupportedChainError(`Sigil cannot sign ${chain.chain} transactions yet (it can derive its keys and addresses)`, { chain: chain.chain });
  }
  return family;
}

export type { ChainFamily, SignedTransaction, SigningKey, TransactionSummary } from './family.js';
export { ChainRegistry, defaultRegistry, type ChainNetwork, type CustomNetwork, type Family } from './registry.js';
