/**
 * AES-256-GCM (NIST SP 800-38D) with a 96-bit IV and a 128-bit tag, over node:crypto. One place that
 * fixes the parameters every custody format uses: envelopes, the local data-key wrap and backups.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const GCM_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export interface GcmSealed {
  readonly ct: Uint8Array;
  readonly tag: Uint8Array;
}

export function gcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): GcmSealed {
  checkSizes(key, iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ct = cipher.update(plaintext);
  cipher.final(); // GCM is a stream mode: update() has produced every ciphertext byte.
  return { ct: asUint8Array(ct), tag: asUint8Array(cipher.getAuthTag()) };
}

/**
 * The plaintext (owned by the caller, who wipes it), or undefined when authentication fails. On failure
 * the speculative plaintext that GCM produced before the tag check is wiped here and never returned.
 */
export function gcmOpen(
  key: Uint8Array,
  iv: Uint8Array,
  ct: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Uint8Array | undefined {
  checkSizes(key, iv);
  if (tag.length !== GCM_TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plaintext = asUint8Array(decipher.update(ct));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return undefined;
  }
  return plaintext;
}

function checkSizes(key: Uint8Array, iv: Uint8Array): void {
  // Programming errors, not input errors: every caller has already validated these lengths.
  if (key.length !== GCM_KEY_BYTES) throw new RangeError(`AES-256-GCM key must be 32 bytes, got ${key.length}`);
  if (iv.length !== GCM_IV_BYTES) throw new RangeError(`AES-GCM IV must be 12 bytes, got ${iv.length}`);
}

/** A view on the same memory (so wiping the view wipes the Buffer), typed as a plain Uint8Array. */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
