/**
 * Migration and disaster recovery: import-wallet-dat, backup-keygen, backup, restore, rotate.
 * Inputs (files, passwords, documents) are read and checked before the store is opened, so a bad input
 * leaves no trace — not even a new empty store.
 */
import { generateRecipientKeyPair, recipientFingerprint } from '../lib/custody/backup.js';
import { LocalKeyProvider } from '../lib/custody/local-key-provider.js';
import { AwsKmsKeyProvider } from '../lib/custody/aws-kms-key-provider.js';
import { existsSync } from 'node:fs';
import { InvalidInputError } from '../lib/errors.js';
import { wipe } from '../lib/keys/index.js';
import { decryptWalletDat, parseWalletDat } from '../lib/migration/tatum-wallet-dat.js';
import { parseBackupDocument, type ImportReport } from '../lib/wallets/index.js';
import { UsageError } from './args.js';
import type { Command, CommandContext } from './context.js';
import { pathOperand, readTextFile, writeNewFile } from './files.js';
import { describeKeyMode, KEY_MODE_SETTING, KEY_ROTATION_SETTING, keyFileOf, kmsClientOf, rotationTarget } from './local-keys.js';
import { recordedKeyMode } from './open-store.js';
import { progressBar } from './progress.js';
import { readSecret } from './secret-input.js';

function printMerge(ctx: CommandContext, report: ImportReport, what: string): number {
  ctx.print(report);
  for (const entry of report.entries) {
    if (entry.status === 'error') ctx.warn(`${what}: ${entry.problem ?? `entry ${entry.signatureId} failed`}`);
    else if (!entry.signable) ctx.warn(`${what}: ${entry.signatureId} (${entry.chain}) is stored but Sigil cannot sign ${entry.chain} yet`);
  }
  if (!report.written) {
    ctx.warn(`${what} failed: ${report.failed} entr${report.failed === 1 ? 'y has' : 'ies have'} errors; nothing was written`);
    return 1;
  }
  return 0;
}

function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

function requiredFlag(ctx: CommandContext, name: string, what: string): string {
  const value = stringFlag(ctx, name);
  if (value === undefined) throw new UsageError(`${ctx.args.command} needs --${name} ${what}`);
  return value;
}

async function rotateLocal(ctx: CommandContext, target: { newPassword?: boolean; newKeyFile?: string; newKmsKey?: string }): Promise<number> {
  const { store } = ctx.config;
  if (store.kind !== 'local') throw new TypeError('rotateLocal needs a local store');
  const config = { ...ctx.config, store };
  if (!existsSync(store.path)) throw new InvalidInputError(`there is no store at ${store.path}: nothing to rotate`);
  const { handle, service } = ctx.open('modify', { allowPendingRotation: true });
  const settings = (await handle.settings())!;
  const { mode, rotation } = recordedKeyMode(settings);
  if (!mode) throw new InvalidInputError('this store has no key yet: nothing to rotate');
  const wanted = target.newPassword ? 'password' : target.newKeyFile ? 'keyFile' : 'kms';
  if (rotation && rotation.mode !== wanted) {
    throw new InvalidInputError(`an unfinished rotation of this store moves it to ${describeKeyMode(rotation)}: finish it with the same target first`);
  }
  const next = await rotationTarget({ config, io: ctx.io }, target, rotation);
  try {
    if (rotation && JSON.stringify(rotation) !== JSON.stringify(next.mode)) {
      throw new InvalidInputError(`an unfinished rotation of this store moves it to ${describeKeyMode(rotation)}, not to ${describeKeyMode(next.mode)}: finish it with the same target first`);
    }
    // The target is recorded first: while it is there, other Sigil processes refuse to open the store's
    // key (they would seal under the old one), and an interrupted rotation can be finished.
    settings.set(KEY_ROTATION_SETTING, next.mode);
    const first = await service.rotate(next.provider, progressBar(ctx.io, 'rotating'));
    settings.set(KEY_MODE_SETTING, next.mode);
    settings.delete(KEY_ROTATION_SETTING);
    // A second pass catches a wallet that a process holding the old key wrote during the first one.
    const second = await service.rotate(next.provider);
    ctx.print({ rewrapped: first.rewrapped + second.rewrapped, skipped: first.skipped, keyMode: describeKeyMode(next.mode) });
    if (mode.mode === 'keyFile' && next.mode.mode !== 'keyFile') {
      ctx.warn(`the old key file ${keyFileOf(config.store, mode)} no longer protects this store; destroy it once you hold a verified backup`);
    }
    if (next.mode.mode === 'keyFile' && config.store.keyFileFromEnv && next.mode.path) {
      ctx.warn(`SIGIL_KEY_FILE still names the old key file: set it to ${next.mode.path} (or unset it) before the next command`);
    }
    return 0;
  } finally {
    if (next.provider instanceof LocalKeyProvider) next.provider.close();
  }
}

export const recoveryCommands: Command[] = [
  {
    name: 'import-wallet-dat',
    usage: 'import-wallet-dat <file>',
    summary: 'imports a Tatum KMS wallet.dat under its signatureIds (password: TATUM_KMS_WALLET_PASSWORD, prompt, or stdin)',
    positionals: [1, 1],
    async run(ctx) {
      const text = await readTextFile(ctx, ctx.args.positionals[0]!, 'wallet.dat');
      const password = ctx.config.walletDatPassword?.bytes() ?? (await readSecret(ctx.io, 'Enter the password of the wallet.dat:', 'the wallet.dat password'));
      let entries;
      try {
        const plaintext = decryptWalletDat(text, password);
        try {
          entries = parseWalletDat(plaintext);
        } finally {
          wipe(plaintext);
        }
      } finally {
        wipe(password);
      }
      const { service } = ctx.open('write');
      return printMerge(ctx, await service.importWalletDat(entries, progressBar(ctx.io, 'importing')), 'import-wallet-dat');
    },
  },
  {
    name: 'backup-keygen',
    usage: 'backup-keygen --out <prefix>',
    summary: 'writes an X25519 backup recipient pair: <prefix>.pub.pem and <prefix>.key.pem (0600, take it offline)',
    flags: { out: { type: 'string', value: 'PREFIX', description: 'where to write <prefix>.pub.pem and <prefix>.key.pem' } },
    positionals: [0, 0],
    async run(ctx) {
      const prefix = requiredFlag(ctx, 'out', 'PREFIX');
      const publicPath = `${prefix}.pub.pem`;
      const privatePath = `${prefix}.key.pem`;
      for (const path of [publicPath, privatePath]) {
        if (existsSync(pathOperand(ctx, path))) throw new InvalidInputError(`${pathOperand(ctx, path)} exists; Sigil never overwrites a key`);
      }
      const pair = generateRecipientKeyPair();
      const privateKey = writeNewFile(ctx, privatePath, pair.privateKeyPem, 0o600);
      const publicKey = writeNewFile(ctx, publicPath, pair.publicKeyPem, 0o644);
      ctx.print({ publicKey, privateKey, fingerprint: recipientFingerprint(pair.publicKeyPem) });
      ctx.warn(`move ${privateKey} offline now: \`sigil backup\` needs only ${publicKey}; \`restore\` and \`verify --backup\` need the private key`);
      return 0;
    },
  },
  {
    name: 'backup',
    usage: 'backup --recipient <public key file> [--out FILE]',
    summary: 'every wallet sealed to an offline X25519 recipient (docs/backup.md); to FILE (0600) or stdout',
    flags: {
      recipient: { type: 'string', value: 'FILE', description: 'the recipient\'s public key (PEM, from backup-keygen)' },
      out: { type: 'string', value: 'FILE', description: 'write the backup here (never overwritten) instead of stdout' },
    },
    positionals: [0, 0],
    async run(ctx) {
      const recipientPem = await readTextFile(ctx, requiredFlag(ctx, 'recipient', 'FILE'), 'recipient public key');
      recipientFingerprint(recipientPem);
      const out = stringFlag(ctx, 'out');
      if (out && existsSync(pathOperand(ctx, out))) throw new InvalidInputError(`${pathOperand(ctx, out)} exists; Sigil never overwrites a backup`);
      const { service } = ctx.open('read');
      const document = await service.backup(recipientPem, progressBar(ctx.io, 'backing up'));
      if (!out) {
        ctx.print(document);
        return 0;
      }
      const file = writeNewFile(ctx, out, `${JSON.stringify(document, null, 2)}\n`, 0o600);
      ctx.print({ file, recipient: document.recipient, wallets: document.wallets.length, createdAt: document.createdAt });
      return 0;
    },
  },
  {
    name: 'restore',
    usage: 'restore <file> --identity <private key file>',
    summary: 'seals every wallet of a backup back into this store, under its signatureId (all or nothing, idempotent)',
    flags: { identity: { type: 'string', value: 'FILE', description: 'the backup recipient\'s private key (PEM)' } },
    positionals: [1, 1],
    async run(ctx) {
      const document = parseBackupDocument(await readTextFile(ctx, ctx.args.positionals[0]!, 'backup file'));
      const identity = await readTextFile(ctx, requiredFlag(ctx, 'identity', 'FILE'), 'identity (private key) file');
      const { service } = ctx.open('write');
      return printMerge(ctx, await service.restore(document, identity, progressBar(ctx.io, 'restoring')), 'restore');
    },
  },
  {
    name: 'rotate',
    usage: 'rotate --new-password | --new-key-file FILE | --new-kms-key KEY',
    summary: 're-wraps every data key under a new password, key file or KMS key; the sealed secrets stay as they are',
    flags: {
      newPassword: { type: 'boolean', description: 'a new password (SIGIL_NEW_PASSWORD, or asked twice on a terminal, or stdin)' },
      newKeyFile: { type: 'string', value: 'FILE', description: 'a key file (created 0600 if absent)' },
      newKmsKey: { type: 'string', value: 'KEY', description: 'an AWS KMS key id, ARN or alias' },
    },
    positionals: [0, 0],
    async run(ctx) {
      const newPassword = ctx.args.flags.newPassword === true;
      const newKeyFile = stringFlag(ctx, 'newKeyFile');
      const newKmsKey = stringFlag(ctx, 'newKmsKey');
      if ([newPassword, newKeyFile !== undefined, newKmsKey !== undefined].filter(Boolean).length !== 1) {
        throw new UsageError('rotate needs exactly one of --new-password, --new-key-file FILE, --new-kms-key KEY');
      }
      if (ctx.config.store.kind === 'local') {
        return rotateLocal(ctx, { newPassword, ...(newKeyFile ? { newKeyFile: pathOperand(ctx, newKeyFile) } : {}), ...(newKmsKey ? { newKmsKey } : {}) });
      }
      if (!newKmsKey) throw new UsageError('an aws store rotates to another KMS key only: --new-kms-key KEY');
      const { service } = ctx.open('modify');
      const result = await service.rotate(new AwsKmsKeyProvider({ client: kmsClientOf(ctx.config), keyId: newKmsKey }), progressBar(ctx.io, 'rotating'));
      ctx.print({ ...result, keyMode: `AWS KMS (${newKmsKey})` });
      ctx.warn(`set SIGIL_KMS_KEY_ID=${newKmsKey} so that new wallets are sealed under the new key`);
      return 0;
    },
  },
];
