import { describe, expect, it } from 'vitest';
import { defaultRegistry, familyOf } from '../../../lib/chains/index.js';
import { UnsupportedChainError } from '../../../lib/errors.js';

describe('familyOf', () => {
  it('gives every signable chain its family and refuses derive-only chains', () => {
    for (const code of defaultRegistry.codes()) {
      const chain = defaultRegistry.resolve(code, 'mainnet');
      if (chain.signable) expect(familyOf(chain).family).toBe(chain.family);
      else expect(() => familyOf(chain)).toThrow(UnsupportedChainError);
    }
    expect(() => familyOf(defaultRegistry.resolve('TRON', 'mainnet'))).toThrow(/cannot sign TRON/);
  });
});
