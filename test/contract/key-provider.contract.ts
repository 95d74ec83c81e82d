/**
 * The KeyProvider contract (lib/custody/key-provider.ts): one suite every adapter runs — the local
 * provider over a key file and over a password, and AWS KMS on moto_server/LocalStack.
 *
 * `makeProvider` returns a provider over a FRESH key each call (a new key file, a new password header, a
 * new KMS key), so "another key" is always a second call.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../lib/custody/envelope-types.js';
import type { EncryptionContext } from '../../lib/custody/key-provider.js';
import type { RewrappableKeyProvider } from '../../lib/custody/rewrappable-key-provider.js';
import { openSecret, parseEnvelope, publicHashOf, sealSecret, walletContext } from '../../lib/custody/envelope.js';
import { CustodyError, type CustodyErrorCode } from '../../lib/custody/custody-error.js';

export const MNEMONIC =
  'quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten';

export function contextFor(overrides: Partial<Parameters<typeof walletContext>[0]> = {}): EncryptionContext {
  return walletContext({
    signatureId: randomUUID(),
    chain: 'BTC',
    network: 'mainnet',
    publicHash: publicHashOf('xpub6DtevPxud8AJUCqddtVqpqxAJvjFrYYvtt4co2kZF7ifPW3d5FJ3B9i5x7xL4CZirb2eNDEVqCtBgiGZR6Kkee5RdHsDoJVbtxi946axjXJ'),
    ...overrides,
  });
}

/** Codes a failed unwrap/open may carry: the data never opened, and the caller is told why in kind. */
const REFUSAL_CODES: readonly CustodyErrorCode[] = ['TAMPERED', 'KEY_MISMATCH', 'KEY_UNAVAILABLE'];

export async function expectCustodyError(promise: Promise<unknown>, codes: readonly CustodyErrorCode[] = REFUSAL_CODES): Promise<CustodyError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError);
    expect(codes).toContain((error as CustodyError).code);
    return error as CustodyError;
  }
  throw new Error(`expected a CustodyError (${codes.join('|')}), got a result of ${result instanceof Uint8Array ? `${result.length} bytes` : typeof result}`);
}

/** Flips one bit of the byte at `index` of a base64 field. */
export function flipBase64(text: string, index: number): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64');
}

function positions(length: number): number[] {
  return [...new Set([0, 1, Math.floor(length / 2), length - 2, length - 1])].filter((i) => i >= 0 && i < length);
}

export function keyProviderContract(name: string, makeProvider: () => Promise<RewrappableKeyProvider>): void {
  describe(`KeyProvider contract: ${name}`, () => {
    const secret = () => new TextEncoder().encode(MNEMONIC);

    it('generates fresh 32-byte data keys: two calls never return the same key or blob', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const a = await provider.generateDataKey(context);
      const b = await provider.generateDataKey(context);
      expect(a.plaintext).toHaveLength(32);
      expect(b.plaintext).toHaveLength(32);
      expect(Buffer.from(a.plaintext).equals(Buffer.from(b.plaintext))).toBe(false);
      expect(Buffer.from(a.wrapped).equals(Buffer.from(b.wrapped))).toBe(false);
      expect(Buffer.from(a.wrapped).includes(Buffer.from(a.plaintext))).toBe(false);
      expect(a.keyId).toBe(b.keyId);
    });

    it('unwraps what it wrapped, under the same key id and context', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const dataKey = await provider.generateDataKey(context);
      const unwrapped = await provider.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      expect(Buffer.from(unwrapped).equals(Buffer.from(dataKey.plaintext))).toBe(true);
    });

    it('wraps a given data key (encryptDataKey) so that it unwraps to the same bytes', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const plaintext = new Uint8Array(32).map((_, i) => i * 7 + 1);
      const { wrapped, keyId } = await provider.encryptDataKey(plaintext, context);
      expect(Buffer.from(await provider.decryptDataKey(wrapped, keyId, context))).toEqual(Buffer.from(plaintext));
      await expectCustodyError(provider.decryptDataKey(wrapped, keyId, contextFor()));
    });

    it('refuses to unwrap under any other context value', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const dataKey = await provider.generateDataKey(context);
      const others: EncryptionContext[] = [
        { ...context, signatureId: randomUUID() },
        { ...context, chain: 'LTC' },
        { ...context, network: 'testnet' },
        { ...context, publicHash: publicHashOf('xpub-of-an-attacker') },
      ];
      for (const other of others) {
        await expectCustodyError(provider.decryptDataKey(dataKey.wrapped, dataKey.keyId, other));
      }
    });

    it('refuses to unwrap under another key id, and another key cannot unwrap it', async () => {
      const provider = await makeProvider();
      const other = await makeProvider();
      expect(other.keyId).not.toBe(provider.keyId);
      const context = contextFor();
      const dataKey = await provider.generateDataKey(context);
      const otherKey = await other.generateDataKey(context);
      // (A KMS provider may open blobs of other keys its credentials allow: the key id it is told decides.)
      await expectCustodyError(provider.decryptDataKey(dataKey.wrapped, otherKey.keyId, context));
      await expectCustodyError(other.decryptDataKey(dataKey.wrapped, otherKey.keyId, context));
    });

    it('refuses a wrapped data key with any flipped byte, or truncated', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const dataKey = await provider.generateDataKey(context);
      for (const index of positions(dataKey.wrapped.length)) {
        const damaged = Uint8Array.from(dataKey.wrapped);
        damaged[index] = damaged[index]! ^ 0x80;
        await expectCustodyError(provider.decryptDataKey(damaged, dataKey.keyId, context));
      }
      await expectCustodyError(provider.decryptDataKey(dataKey.wrapped.subarray(0, dataKey.wrapped.length - 1), dataKey.keyId, context));
    });

    it('rejects a malformed context before calling anything', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const bad = [
        { ...context, purpose: 'something-else' },
        { ...context, extra: 'x' },
        { ...context, publicHash: 'ABC' },
      ] as unknown as EncryptionContext[];
      for (const each of bad) await expectCustodyError(provider.generateDataKey(each), ['CONTEXT_MISMATCH']);
    });

    it('seals and opens a secret through envelope.ts; the envelope is v1, JSON-safe and parses strictly', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const envelope = await sealSecret(provider, secret(), context);
      expect(envelope).toMatchObject({ v: 1, alg: 'AES-256-GCM', provider: provider.kind });
      expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
      expect(Buffer.from(envelope.tag, 'base64')).toHaveLength(16);
      expect(Buffer.from(envelope.ct, 'base64')).toHaveLength(secret().length);
      const stored = JSON.parse(JSON.stringify(envelope)) as unknown;
      expect(parseEnvelope(stored)).toEqual(envelope);
      const opened = await openSecret(provider, parseEnvelope(stored), context);
      expect(new TextDecoder().decode(opened)).toBe(MNEMONIC);
    });

    it('seals the same secret twice to unrelated envelopes (fresh data key and IV each time)', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const a = await sealSecret(provider, secret(), context);
      const b = await sealSecret(provider, secret(), context);
      expect(a.edk).not.toBe(b.edk);
      expect(a.iv).not.toBe(b.iv);
      expect(a.ct).not.toBe(b.ct);
    });

    it('never opens an envelope with a flipped byte in ct, iv, tag or edk', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const envelope = await sealSecret(provider, secret(), context);
      for (const field of ['ct', 'iv', 'tag', 'edk'] as const) {
        const length = Buffer.from(envelope[field], 'base64').length;
        for (const index of positions(length)) {
          const damaged: Envelope = { ...envelope, [field]: flipBase64(envelope[field], index) };
          const error = await expectCustodyError(openSecret(provider, damaged, context));
          if (field !== 'edk') expect(error.code).toBe('TAMPERED');
        }
      }
    });

    it('does not open an envelope copied onto another wallet (signatureId) or under a swapped public record', async () => {
      const provider = await makeProvider();
      const context = contextFor();
      const envelope = await sealSecret(provider, secret(), context);
      const moved = await expectCustodyError(openSecret(provider, envelope, { ...context, signatureId: randomUUID() }), ['TAMPERED']);
      expect(moved.message).toMatch(/tampered, or bound to another wallet/);
      await expectCustodyError(openSecret(provider, envelope, { ...context, publicHash: publicHashOf('xpub-of-an-attacker') }), ['TAMPERED']);
    });

    it('does not open an envelope sealed under another key of the same kind', async () => {
      const provider = await makeProvider();
      const other = await makeProvider();
      const context = contextFor();
      const envelope = await sealSecret(provider, secret(), context);
      const otherKeyId = (await other.generateDataKey(context)).keyId;
      await expectCustodyError(openSecret(other, { ...envelope, keyId: otherKeyId }, context));
      await expectCustodyError(openSecret(provider, { ...envelope, keyId: otherKeyId }, context));
    });
  });
}
