/**
 * Known-answer vectors for envelope format v1 (docs/envelope.md §Known-answer vector):
 * test/vectors/envelope-local-v1.json was computed by an independent implementation (Python
 * `cryptography`); Sigil must produce and open it byte for byte.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import vector from '../../vectors/envelope-local-v1.json' with { type: 'json' };
import { canonicalContextBytes } from '../../../lib/custody/context.js';
import { openSecret, publicHashOf, sealWithFixedRandomness, walletContext } from '../../../lib/custody/envelope.js';
import { encodeKeyFile, openKeyFile } from '../../../lib/custody/key-file.js';
import { LocalKeyProvider, localKeyIdOf, wrapDataKeyWithIv } from '../../../lib/custody/local-key-provider.js';
import { deriveKekFromPassword, parsePasswordKeyHeader } from '../../../lib/custody/password-key.js';
import type { Envelope } from '../../../lib/custody/envelope-types.js';

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const context = walletContext({
  signatureId: vector.context.signatureId,
  chain: vector.context.chain,
  network: vector.context.network,
  publicHash: publicHashOf(vector.xpub),
});
const secret = new TextEncoder().encode(vector.secret);

describe('envelope v1 known-answer vector (local provider)', () => {
  it('encodes the context as the documented canonical AAD', () => {
    expect(context).toEqual(vector.context);
    expect(new TextDecoder().decode(canonicalContextBytes(context))).toBe(vector.aad);
  });

  it('derives the key id and the key file bytes from the KEK', () => {
    expect(localKeyIdOf(hex(vector.kek))).toBe(vector.keyId);
    expect(toHex(encodeKeyFile(hex(vector.kek)))).toBe(vector.keyFile);
  });

  it('wraps the data key to the exact edk', () => {
    expect(toHex(wrapDataKeyWithIv(hex(vector.kek), hex(vector.dataKey), context, hex(vector.wrapIv)))).toBe(vector.edk);
  });

  it('seals to the exact envelope', () => {
    const envelope = sealWithFixedRandomness(
      'local',
      { plaintext: hex(vector.dataKey), wrapped: hex(vector.edk), keyId: vector.keyId },
      secret,
      context,
      hex(vector.iv),
    );
    expect(envelope).toEqual(vector.envelope);
    expect(JSON.stringify(envelope)).toBe(JSON.stringify(vector.envelope));
  });

  it('opens the vector envelope with a provider over the KEK, and over the key file holding it', async () => {
    const provider = new LocalKeyProvider(hex(vector.kek));
    expect(toHex(await provider.decryptDataKey(hex(vector.edk), vector.keyId, context))).toBe(vector.dataKey);
    expect(new TextDecoder().decode(await openSecret(provider, vector.envelope as Envelope, context))).toBe(vector.secret);

    const directory = await mkdtemp(join(tmpdir(), 'sigil-kat-'));
    try {
      const path = join(directory, 'sigil.key');
      await writeFile(path, hex(vector.keyFile));
      await chmod(path, 0o600);
      const { kek } = await openKeyFile(path, { create: false });
      expect(toHex(kek)).toBe(vector.kek);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('derives the password KEK (scrypt N=2^15, r=8, p=1) and opens the envelope re-wrapped under it', async () => {
    const pw = vector.password;
    const header = parsePasswordKeyHeader(pw.header);
    expect(Buffer.from(header.salt, 'base64').toString('hex')).toBe(pw.salt);
    const kek = await deriveKekFromPassword(new TextEncoder().encode(pw.password), header);
    expect(toHex(kek)).toBe(pw.kek);
    expect(localKeyIdOf(kek)).toBe(pw.keyId);
    expect(toHex(wrapDataKeyWithIv(kek, hex(vector.dataKey), context, hex(vector.wrapIv)))).toBe(pw.edk);
    const provider = await LocalKeyProvider.fromPassword(new TextEncoder().encode(pw.password), header);
    const rewrapped: Envelope = { ...(vector.envelope as Envelope), keyId: pw.keyId, edk: Buffer.from(pw.edk, 'hex').toString('base64') };
    expect(new TextDecoder().decode(await openSecret(provider, rewrapped, context))).toBe(vector.secret);
  });
});
