/** Inspection: checkconfig, report, and the recovery drill verify (optionally against a backup). */
import { describeVariables } from '../lib/config.js';
import type { VerifyResult, WalletHealth } from '../lib/wallets/index.js';
import { parseBackupDocument } from '../lib/wallets/index.js';
import { UsageError } from './args.js';
import type { Command, CommandContext } from './context.js';
import { describeKeyMode, keyFileOf } from './local-keys.js';
import { recordedKeyMode } from './open-store.js';
import { signatureIdList } from './operands.js';
import { progressBar } from './progress.js';
import { readTextFile } from './files.js';

/** Upstream's report types (tatum-kms WalletType), plus FOREIGN for non-signable imports. */
const REPORT_TYPES = { mnemonic: 'MNEMONIC', privateKey: 'PRIVATE_KEY', foreign: 'FOREIGN' } as const;

async function storeSummary(ctx: CommandContext): Promise<Record<string, unknown>> {
  const { config } = ctx;
  if (config.store.kind === 'aws') {
    const { handle } = ctx.open('read');
    let exists = true;
    let problem: string | undefined;
    try {
      await handle.ready();
    } catch (error) {
      exists = false;
      problem = error instanceof Error ? error.message : String(error);
    }
    return { type: 'AWS', table: config.store.table, kmsKeyId: config.store.kmsKeyId, exists, ...(problem ? { problem } : {}), keyMode: 'AWS KMS' };
  }
  const { handle } = ctx.open('read');
  const settings = await handle.settings();
  const { mode, rotation } = recordedKeyMode(settings);
  return {
    type: 'LOCAL',
    path: config.store.path,
    exists: settings !== undefined,
    keyMode: describeKeyMode(mode),
    ...(mode?.mode === 'keyFile' || (!mode && !config.kmsPassword) ? { keyFile: keyFileOf(config.store, mode) } : {}),
    ...(rotation ? { unfinishedRotationTo: describeKeyMode(rotation) } : {}),
  };
}

function reportOf(ctx: CommandContext, health: readonly WalletHealth[], storeExists: boolean): Record<string, unknown> {
  const wallets: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const wallet of health) {
    if (!wallet.exists) {
      warnings.push(`No wallet found for signatureId: ${wallet.signatureId}`);
      continue;
    }
    wallets[wallet.signatureId] = {
      ...(wallet.kind ? { type: REPORT_TYPES[wallet.kind] } : {}),
      ...(wallet.chain ? { chain: wallet.chain } : {}),
      ...(wallet.testnet !== undefined ? { testnet: wallet.testnet } : {}),
      ...(wallet.network ? { network: wallet.network } : {}),
      ...(wallet.signable !== undefined ? { signable: wallet.signable } : {}),
      ...(wallet.sealedWith ? { sealedWith: wallet.sealedWith } : {}),
      ...(wallet.warnings.length > 0 ? { warnings: wallet.warnings } : {}),
    };
  }
  if (!storeExists) warnings.push('The wallet store does not exist yet');
  return {
    system: {
      kmsVersion: ctx.version,
      nodeVersion: process.version,
      store: { type: ctx.config.store.kind === 'aws' ? 'AWS' : 'LOCAL', exists: storeExists },
    },
    wallets,
    apiKey: ctx.config.tatumApiKey?.masked(6) ?? 'N/A',
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function printVerify(ctx: CommandContext, result: VerifyResult, what: string): number {
  ctx.print(result);
  for (const failure of result.failures) ctx.warn(`${what}: ${failure.problem}`);
  if (result.failures.length > 0) ctx.warn(`${what} failed for ${result.failures.length} of ${result.checked} wallet(s)`);
  return result.failures.length === 0 ? 0 : 1;
}

export const adminCommands: Command[] = [
  {
    name: 'checkconfig',
    usage: 'checkconfig',
    summary: 'version, store location and type, key mode, every variable (secrets masked), as JSON',
    positionals: [0, 0],
    async run(ctx) {
      ctx.print({
        version: ctx.version,
        nodeVersion: process.version,
        store: await storeSummary(ctx),
        envFile: ctx.config.envFile ?? 'N/A',
        tatumApiUrl: ctx.config.tatumApiUrl,
        variables: describeVariables({ env: ctx.io.env, dotenv: ctx.dotenv }),
      });
      return 0;
    },
  },
  {
    name: 'report',
    usage: 'report <signatureId,signatureId,…>',
    summary: 'health of the given wallets from their public records (no decryption), upstream\'s report shape',
    positionals: [1, 64],
    async run(ctx) {
      const ids = signatureIdList(ctx.args.positionals);
      const { handle, service } = ctx.open('read');
      const health = await service.report(ids);
      const storeExists = ctx.config.store.kind === 'aws' || (await handle.settings()) !== undefined;
      ctx.print(reportOf(ctx, health, storeExists));
      return 0;
    },
  },
  {
    name: 'verify',
    usage: 'verify [--backup FILE --identity FILE]',
    summary: 'recovery drill: open every wallet and re-derive its xpub/address; with --backup, prove the backup opens and matches the store',
    flags: {
      backup: { type: 'string', value: 'FILE', description: 'a backup file to verify against the store' },
      identity: { type: 'string', value: 'FILE', description: 'the backup recipient\'s private key (PEM) that opens it' },
    },
    positionals: [0, 0],
    async run(ctx) {
      const backupFile = ctx.args.flags.backup as string | undefined;
      const identityFile = ctx.args.flags.identity as string | undefined;
      if (Boolean(backupFile) !== Boolean(identityFile)) {
        throw new UsageError('verify --backup FILE needs --identity FILE (the private key that opens the backup), and the reverse');
      }
      if (backupFile && identityFile) {
        const document = parseBackupDocument(await readTextFile(ctx, backupFile, 'backup file'));
        const identity = await readTextFile(ctx, identityFile, 'identity (private key) file');
        const { service } = ctx.open('read');
        return printVerify(ctx, await service.verifyBackup(document, identity, progressBar(ctx.io, 'verifying backup')), 'verify --backup');
      }
      const { service } = ctx.open('read');
      return printVerify(ctx, await service.verifyAll(progressBar(ctx.io, 'verifying')), 'verify');
    },
  },
];
