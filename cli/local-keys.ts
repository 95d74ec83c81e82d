/**
 * The key of a local (SQLite) store, remembered in its settings on first write (docs/cli.md §Keys):
 *
 * - `password`: TATUM_KMS_PASSWORD, or a hidden prompt on a terminal (asked twice on creation); the
 *   scrypt header (salt, parameters, check value) is stored, the password never is;
 * - `keyFile`: a 0600 key file, `<path>.key` next to the database or SIGIL_KEY_FILE (or the file a rotation
 *   moved to), chosen when no password is given and no terminal can ask;
 * - `kms`: an AWS KMS key (only by `sigil rotate --new-kms-key`).
 *
 * A store is opened only in the mode it recorded; a password for a key-file store (or the reverse) is an
 * error rather than silently ignored. `setIfAbsent` settles two first writers racing: both use the
 * winner's mode (a different password then fails as a wrong password, never seals under a lost header).
 * While a rotation is unfinished its target sits in `key-rotation`, and only `sigil rotate` may run.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import type { SigilConfig, LocalStoreConfig } from '../lib/config.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import { CustodyError } from '../lib/custody/custody-error.js';
import { createPasswordKeyHeader, parsePasswordKeyHeader, type PasswordKeyHeader } from '../lib/custody/password-key.js';
import type { RewrappableKeyProvider } from '../lib/custody/rewrappable-key-provider.js';
import { InvalidInputError, SigilError } from '../lib/errors.js';
import { wipe } from '../lib/keys/index.js';
import type { SqliteSettings } from '../lib/store/sqlite-settings.js';
import type { CliIo } from './io.js';
import { readNewPassword, readSecret } from './secret-input.js';

export type KeyMode =
  | { readonly mode: 'password'; readonly header: PasswordKeyHeader }
  | { readonly mode: 'keyFile'; readonly keyId: string; readonly path?: string }
  | { readonly mode: 'kms'; readonly keyId: string };

export const KEY_MODE_SETTING = 'key-mode';
export const KEY_ROTATION_SETTING = 'key-rotation';

export class KeyModeError extends SigilError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('KEY_MODE', message, context);
  }
}

export function parseKeyMode(value: unknown, setting: string): KeyMode {
  const bad = () => new KeyModeError(`setting ${setting} of this store is damaged (not a key mode Sigil wrote)`, { setting });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort().join();
  if (record.mode === 'password' && keys === 'header,mode') return { mode: 'password', header: parsePasswordKeyHeader(record.header) };
  if (record.mode === 'keyFile' && (keys === 'keyId,mode' || keys === 'keyId,mode,path') && typeof record.keyId === 'string') {
    if (record.path !== undefined && (typeof record.path !== 'string' || !record.path.startsWith('/'))) throw bad();
    return { mode: 'keyFile', keyId: record.keyId, ...(typeof record.path === 'string' ? { path: record.path } : {}) };
  }
  if (record.mode === 'kms' && keys === 'keyId,mode' && typeof record.keyId === 'string' && record.keyId.length > 0) return { mode: 'kms', keyId: record.keyId };
  throw bad();
}

export function describeKeyMode(mode: KeyMode | undefined): string {
  if (!mode) return 'not chosen yet (chosen on the first write)';
  if (mode.mode === 'password') return `password (scrypt N=${mode.header.N}, r=${mode.header.r}, p=${mode.header.p})`;
  if (mode.mode === 'keyFile') return `key file (${mode.keyId})`;
  return `AWS KMS (${mode.keyId})`;
}

export interface LocalKeyContext {
  readonly config: SigilConfig & { readonly store: LocalStoreConfig };
  readonly io: CliIo;
}

export function kmsClientOf(config: SigilConfig): KMSClient {
  return new KMSClient({ ...(config.aws.region ? { region: config.aws.region } : {}), ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) });
}

/** The store password: TATUM_KMS_PASSWORD, else a hidden prompt; without a terminal, an error (never a guess). */
async function storePassword({ config, io }: LocalKeyContext): Promise<Uint8Array> {
  if (config.kmsPassword) return config.kmsPassword.bytes();
  if (!io.stdinIsTty) {
    throw new KeyModeError('this store is protected by a password: set TATUM_KMS_PASSWORD (there is no terminal to ask on)');
  }
  return readSecret(io, 'Enter the password of the Sigil store:', 'the store password');
}

/** Where the key file of a keyFile store is: SIGIL_KEY_FILE, else the file the mode names, else `<path>.key`. */
export function keyFileOf(config: LocalStoreConfig, mode?: KeyMode): string {
  if (config.keyFileFromEnv) return config.keyFile;
  return mode?.mode === 'keyFile' && mode.path ? mode.path : config.keyFile;
}

/** The provider of a recorded mode, refusing configuration that points at another mode. */
export async function providerForMode(mode: KeyMode, ctx: LocalKeyContext): Promise<RewrappableKeyProvider> {
  const { config } = ctx;
  if (mode.mode === 'password') {
    if (config.store.keyFileFromEnv) {
      throw new KeyModeError('this store is protected by a password, but SIGIL_KEY_FILE is set: unset it (a store uses the key mode it was created with; see sigil rotate)');
    }
    const password = await storePassword(ctx);
    try {
      return await LocalKeyProvider.fromPassword(password, mode.header);
    } catch (error) {
      if (error instanceof CustodyError && error.code === 'WRONG_PASSWORD') {
        throw new CustodyError('WRONG_PASSWORD', `wrong password: it does not open this store's key (${config.kmsPassword ? 'TATUM_KMS_PASSWORD' : 'the password typed'})`);
      }
      throw error;
    } finally {
      wipe(password);
    }
  }
  if (config.kmsPassword) {
    throw new KeyModeError(`this store is protected by ${mode.mode === 'kms' ? 'an AWS KMS key' : 'a key file'}, but TATUM_KMS_PASSWORD is set: unset it (a store uses the key mode it was created with; see sigil rotate)`);
  }
  if (mode.mode === 'kms') return new AwsKmsKeyProvider({ client: kmsClientOf(config), keyId: mode.keyId });
  const path = keyFileOf(config.store, mode);
  const provider = await LocalKeyProvider.fromKeyFile(path, { create: false });
  if (provider.keyId !== mode.keyId) {
    provider.close();
    throw new KeyModeError(`key file ${path} holds key ${provider.keyId}, but this store is sealed under ${mode.keyId}`, { path });
  }
  return provider;
}

/**
 * The provider of a store that has no key mode yet: chosen from the configuration and recorded with
 * setIfAbsent. If another process recorded one first, that one is used.
 */
export async function establishKeyMode(settings: SqliteSettings, ctx: LocalKeyContext): Promise<RewrappableKeyProvider> {
  const { config, io } = ctx;
  let password: Uint8Array | undefined;
  if (config.kmsPassword) password = config.kmsPassword.bytes();
  else if (io.stdinIsTty && !config.store.keyFileFromEnv) {
    io.stderr('This new Sigil store needs a password (it never leaves this machine; losing it loses the wallets unless you keep a backup).\n');
    password = await readNewPassword(io, 'Choose the store password:');
  }
  try {
    let candidate: KeyMode;
    let provider: LocalKeyProvider;
    if (password) {
      const { header, kek } = await createPasswordKeyHeader(password);
      provider = new LocalKeyProvider(kek);
      wipe(kek);
      candidate = { mode: 'password', header };
    } else {
      provider = await LocalKeyProvider.fromKeyFile(config.store.keyFile, { create: true });
      candidate = { mode: 'keyFile', keyId: provider.keyId };
    }
    const recorded = parseKeyMode(settings.setIfAbsent(KEY_MODE_SETTING, candidate), KEY_MODE_SETTING);
    if (JSON.stringify(recorded) === JSON.stringify(candidate)) return provider;
    provider.close();
    return providerForMode(recorded, ctx);
  } finally {
    wipe(password);
  }
}

/** The target of `sigil rotate` on a local store, and the mode to record once it is done. */
export async function rotationTarget(
  ctx: LocalKeyContext,
  target: { readonly newPassword?: boolean; readonly newKeyFile?: string; readonly newKmsKey?: string },
  pending: KeyMode | undefined,
): Promise<{ provider: RewrappableKeyProvider; mode: KeyMode }> {
  const { config, io } = ctx;
  if (target.newPassword) {
    const password = config.newPassword ? config.newPassword.bytes() : await readNewPassword(io, 'Choose the new store password:');
    try {
      if (pending?.mode === 'password') {
        // Resuming: the new password must be the one the interrupted rotation started with.
        const provider = await LocalKeyProvider.fromPassword(password, pending.header).catch((error: unknown) => {
          if (error instanceof CustodyError && error.code === 'WRONG_PASSWORD') {
            throw new CustodyError('WRONG_PASSWORD', 'wrong password: an interrupted rotation is finished only with the new password it started with');
          }
          throw error;
        });
        return { provider, mode: pending };
      }
      const { header, kek } = await createPasswordKeyHeader(password);
      const provider = new LocalKeyProvider(kek);
      wipe(kek);
      return { provider, mode: { mode: 'password', header } };
    } finally {
      wipe(password);
    }
  }
  if (target.newKeyFile) {
    const provider = await LocalKeyProvider.fromKeyFile(target.newKeyFile, { create: true });
    const mode: KeyMode = { mode: 'keyFile', keyId: provider.keyId, ...(target.newKeyFile !== config.store.keyFile ? { path: target.newKeyFile } : {}) };
    return { provider, mode };
  }
  if (target.newKmsKey) {
    return { provider: new AwsKmsKeyProvider({ client: kmsClientOf(config), keyId: target.newKmsKey }), mode: { mode: 'kms', keyId: target.newKmsKey } };
  }
  throw new InvalidInputError('rotate needs one of --new-password, --new-key-file FILE, --new-kms-key KEY');
}
