/**
 * Issue 3 figures: envelope seal/open with the local provider (KEK in memory, i.e. excluding scrypt), the
 * scrypt cost of a password KEK at the default parameters, and KMS calls per seal and per open (moto_server).
 * Target: local open ≤ 1 ms median; one KMS call per seal and per open.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { walletContext, publicHashOf } from '../lib/custody/context.js';
import { openSecret, sealSecret } from '../lib/custody/envelope.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import { createPasswordKeyHeader, DEFAULT_SCRYPT_PARAMS } from '../lib/custody/password-key.js';
import { measureAsync, startMotoForBench, type Figure } from './harness.js';

const context = walletContext({ signatureId: '11111111-1111-4111-8111-111111111111', chain: 'BTC', network: 'mainnet', publicHash: publicHashOf('xpub-of-the-bench') });
const secret = new TextEncoder().encode('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about');

export async function custodyFigures(): Promise<{ figures: Figure[]; notes: string[] }> {
  const local = new LocalKeyProvider(randomBytes(32));
  const envelope = await sealSecret(local, secret, context);
  const figures = [
    await measureAsync('custody: local seal (fresh data key, AES-256-GCM)', () => sealSecret(local, secret, context), { runs: 1000 }),
    await measureAsync('custody: local open (unwrap + AES-256-GCM), excluding scrypt', async () => (await openSecret(local, envelope, context)).fill(0), { runs: 1000, target: '≤ 1 ms median' }),
    await measureAsync(`custody: scrypt password KEK (N=${DEFAULT_SCRYPT_PARAMS.N}, r=${DEFAULT_SCRYPT_PARAMS.r}, p=${DEFAULT_SCRYPT_PARAMS.p})`, () => createPasswordKeyHeader(new TextEncoder().encode('correct horse battery staple')), { runs: 5, warmup: 1 }),
  ];
  const notes: string[] = [];
  const moto = await startMotoForBench();
  if (!moto) {
    notes.push('KMS calls per seal/open: not measured (moto_server is not installed)');
    return { figures, notes };
  }
  try {
    const client = new KMSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const kms = new AwsKmsKeyProvider({ client, keyId });
    const n = 50;
    const sealed = [];
    for (let i = 0; i < n; i++) sealed.push(await sealSecret(kms, secret, context));
    const afterSeal = kms.calls;
    for (const e of sealed) (await openSecret(kms, e, context)).fill(0);
    const afterOpen = kms.calls;
    const sealCalls = Object.values(afterSeal).reduce((a, b) => a + b, 0) / n;
    const openCalls = (Object.values(afterOpen).reduce((a, b) => a + b, 0) - sealCalls * n) / n;
    notes.push(`KMS calls per seal: ${sealCalls} (GenerateDataKey ${afterSeal.GenerateDataKey / n}); per open: ${openCalls} (Decrypt ${(afterOpen.Decrypt - afterSeal.Decrypt) / n}) — ${n} of each against moto_server`);
    figures.push(await measureAsync('custody: KMS seal against moto_server (loopback HTTP)', () => sealSecret(kms, secret, context), { runs: 50, warmup: 5 }));
    client.destroy();
  } finally {
    moto.stop();
  }
  return { figures, notes };
}
