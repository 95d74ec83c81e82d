/**
 * Rotation between local keys (a password change, a new key file): the data key is re-wrapped, the
 * sealed secret (iv, ct, tag) is untouched, the old key no longer opens the result, and a damaged
 * envelope is refused instead of being carried over.
 */
import { describe, expect, it } from 'vitest';
import { LocalKeyProvider } from '../../../lib/custody/local-key-provider.js';
import { createPasswordKeyHeader } from '../../../lib/custody/password-key.js';
import { openSecret, sealSecret } from '../../../lib/custody/envelope.js';
import { rewrapEnvelope } from '../../../lib/custody/rewrap.js';
import { contextFor, expectCustodyError, flipBase64, MNEMONIC } from '../../contract/key-provider.contract.js';

const FAST = { N: 2 ** 15, r: 8, p: 1 };
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('rewrapEnvelope local → local', () => {
  it('a password change: the new password opens, the old one no longer does, iv/ct/tag unchanged', async () => {
    const oldKey = await createPasswordKeyHeader(utf8('old password'), FAST);
    const newKey = await createPasswordKeyHeader(utf8('new password'), FAST);
    const from = await LocalKeyProvider.fromPassword(utf8('old password'), oldKey.header);
    const to = await LocalKeyProvider.fromPassword(utf8('new password'), newKey.header);
    const context = contextFor();
    const envelope = await sealSecret(from, utf8(MNEMONIC), context);

    const rewrapped = await rewrapEnvelope(envelope, context, from, to);
    expect(rewrapped).toMatchObject({ v: 1, alg: 'AES-256-GCM', provider: 'local', keyId: to.keyId, iv: envelope.iv, ct: envelope.ct, tag: envelope.tag });
    expect(rewrapped.edk).not.toBe(envelope.edk);
    expect(new TextDecoder().decode(await openSecret(to, rewrapped, context))).toBe(MNEMONIC);
    await expectCustodyError(openSecret(from, rewrapped, context), ['KEY_MISMATCH']);
    // Pretending the rewrapped edk still belongs to the old key does not help either.
    await expectCustodyError(openSecret(from, { ...rewrapped, keyId: from.keyId }, context), ['TAMPERED']);
  });

  it('refuses to carry over an envelope whose secret does not open, or under another context', async () => {
    const from = new LocalKeyProvider(new Uint8Array(32).fill(1));
    const to = new LocalKeyProvider(new Uint8Array(32).fill(2));
    const context = contextFor();
    const envelope = await sealSecret(from, utf8(MNEMONIC), context);
    await expectCustodyError(rewrapEnvelope({ ...envelope, ct: flipBase64(envelope.ct, 3) }, context, from, to), ['TAMPERED']);
    await expectCustodyError(rewrapEnvelope(envelope, contextFor(), from, to), ['TAMPERED']);
    await expectCustodyError(rewrapEnvelope(envelope, context, to, from), ['KEY_MISMATCH']);
  });

  it('rewrapping onto the same key yields a new edk that still opens', async () => {
    const key = new LocalKeyProvider(new Uint8Array(32).fill(3));
    const context = contextFor();
    const envelope = await sealSecret(key, utf8(MNEMONIC), context);
    const again = await rewrapEnvelope(envelope, context, key, key);
    expect(again.edk).not.toBe(envelope.edk);
    expect(new TextDecoder().decode(await openSecret(key, again, context))).toBe(MNEMONIC);
  });
});
