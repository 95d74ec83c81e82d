/** The Tatum KMS wallet commands (TATUM-COMPAT §1), printing what upstream prints. */
import { wipe } from '../lib/keys/index.js';
import type { Command } from './context.js';
import { chainOperand, countOperand, indexOperand, signatureIdOperand, warnOnNetworkMismatch } from './operands.js';
import { progressBar } from './progress.js';
import { readSecret } from './secret-input.js';
import { createWalletRemotely } from './remote-wallet.js';

export const walletCommands: Command[] = [
  {
    name: 'generatemanagedwallet',
    usage: 'generatemanagedwallet <chain>',
    summary: 'new 24-word mnemonic, sealed and stored; prints {signatureId, xpub}',
    positionals: [1, 1],
    flags: { remote: { type: 'boolean', description: 'with --store aws: created inside the stack by its create-wallet function (SIGIL_CREATE_WALLET_FUNCTION)' } },
    async run(ctx) {
      const chain = chainOperand(ctx, ctx.args.positionals[0]!);
      if (ctx.args.flags.remote === true) {
        ctx.print(await createWalletRemotely(ctx, chain));
        return 0;
      }
      const { service } = ctx.open('write');
      ctx.print(await service.createMnemonicWallet(chain, ctx.network()));
      return 0;
    },
  },
  {
    name: 'storemanagedwallet',
    usage: 'storemanagedwallet <chain>',
    summary: 'stores a given mnemonic (hidden prompt, or the first line of stdin); prints {signatureId, xpub}',
    positionals: [1, 1],
    async run(ctx) {
      const chain = chainOperand(ctx, ctx.args.positionals[0]!);
      const mnemonic = await readSecret(ctx.io, 'Enter mnemonic to store:', 'a mnemonic');
      try {
        const { service } = ctx.open('write');
        ctx.print(await service.storeMnemonicWallet(mnemonic, chain, ctx.network()));
      } finally {
        wipe(mnemonic);
      }
      return 0;
    },
  },
  {
    name: 'storemanagedprivatekey',
    usage: 'storemanagedprivatekey <chain>',
    summary: 'stores a given private key (hidden prompt, or the first line of stdin); prints {signatureId}',
    positionals: [1, 1],
    async run(ctx) {
      const chain = chainOperand(ctx, ctx.args.positionals[0]!);
      const key = await readSecret(ctx.io, 'Enter private key to store:', 'a private key');
      try {
        const { service } = ctx.open('write');
        ctx.print(await service.storePrivateKeyWallet(key, chain, ctx.network()));
      } finally {
        wipe(key);
      }
      return 0;
    },
  },
  {
    name: 'generatemanagedprivatekeybatch',
    usage: 'generatemanagedprivatekeybatch <chain> <count>',
    summary: 'count fresh private-key wallets; one JSON line {signatureId, address} each',
    positionals: [2, 2],
    async run(ctx) {
      const chain = chainOperand(ctx, ctx.args.positionals[0]!);
      const count = countOperand(ctx.args.positionals[1]!);
      const { service } = ctx.open('write');
      const progress = progressBar(ctx.io, 'generating');
      await service.generatePrivateKeyBatch(chain, ctx.network(), count, (result, done, total) => {
        ctx.printLine(result);
        progress?.(done, total);
      });
      return 0;
    },
  },
  {
    name: 'getmanagedwallet',
    usage: 'getmanagedwallet <signatureId>',
    summary: 'prints the stored entry with its secret (audited: emits Secret Exported)',
    positionals: [1, 1],
    async run(ctx) {
      const id = signatureIdOperand(ctx.args.positionals[0]!);
      const { handle, service } = ctx.open('read');
      await warnOnNetworkMismatch(ctx, handle.store, id);
      ctx.print(await service.revealWallet(id));
      return 0;
    },
  },
  {
    name: 'getprivatekey',
    usage: 'getprivatekey <signatureId> <index>',
    summary: 'prints {privateKey} at the index (a private-key wallet: its key); audited',
    positionals: [2, 2],
    async run(ctx) {
      const id = signatureIdOperand(ctx.args.positionals[0]!);
      const index = indexOperand(ctx.args.positionals[1]!);
      const { handle, service } = ctx.open('read');
      await warnOnNetworkMismatch(ctx, handle.store, id);
      ctx.print(await service.privateKeyAt(id, index));
      return 0;
    },
  },
  {
    name: 'getaddress',
    usage: 'getaddress <signatureId> <index>',
    summary: 'prints {address} at the index, from the stored xpub (no decryption)',
    positionals: [2, 2],
    async run(ctx) {
      const id = signatureIdOperand(ctx.args.positionals[0]!);
      const index = indexOperand(ctx.args.positionals[1]!);
      const { handle, service } = ctx.open('read');
      await warnOnNetworkMismatch(ctx, handle.store, id);
      ctx.print(await service.addressAt(id, index));
      return 0;
    },
  },
  {
    name: 'removewallet',
    usage: 'removewallet <signatureId>',
    summary: 'deletes the wallet (emits Wallet Removed); prints nothing, as upstream',
    positionals: [1, 1],
    async run(ctx) {
      const id = signatureIdOperand(ctx.args.positionals[0]!);
      const { handle, service } = ctx.open('modify');
      await warnOnNetworkMismatch(ctx, handle.store, id);
      await service.removeWallet(id);
      return 0;
    },
  },
  {
    name: 'export',
    usage: 'export',
    summary: 'prints every wallet with its secret, keyed by signatureId (audited)',
    positionals: [0, 0],
    async run(ctx) {
      const { service } = ctx.open('read');
      ctx.print(await service.exportAll());
      return 0;
    },
  },
];
