/**
 * `sigil policy check <policy-file>` and `sigil policy test <pending.json> --policy FILE`: what the policy
 * would decide, without signing, approving or touching the ledger. The pending transaction is Tatum's
 * (one item of GET /v3/kms/pending/{chain}), validated as the daemon validates it; its wallets are read from
 * the store (public records only: no secret is opened). An EVM transaction is decided as sent: fields the
 * pipeline would fill (nonce, gas, fee) are open here, and conditions on them do not hold.
 * Velocity comes from the store's activity history, read only (the daemon's SQLite file); where there is none
 * (`--store aws` from a laptop, a store that never signed) every wallet counts as having signed nothing, and
 * the output says so.
 */
import { InvalidInputError } from '../lib/errors.js';
import { parseFourEyeUrl } from '../lib/pipeline/four-eye.js';
import { decideInput, effectivePolicy, policyInputOfSerialized } from '../lib/pipeline/policy-gate.js';
import { loadWalletsById } from '../lib/pipeline/wallet-lookup.js';
import { loadPolicyFile } from '../lib/policy/load-policy-file.js';
import type { Policy } from '../lib/policy/policy.js';
import { walletIdsOf } from '../lib/pipeline/key-resolution.js';
import { parsePendingTransaction } from '../lib/tatum/pending-transaction.js';
import { SqliteWalletActivity } from '../lib/store/wallet-activity-sqlite.js';
import type { WalletActivity } from '../lib/store/wallet-activity.js';
import type { Command, CommandContext } from './context.js';
import { pathOperand, readTextFile } from './files.js';

function policyFlag(ctx: CommandContext): Policy | undefined {
  const file = ctx.args.flags.policy;
  if (file === undefined) return undefined;
  if (typeof file !== 'string') throw new InvalidInputError('--policy needs a file');
  return loadPolicyFile(pathOperand(ctx, file), ctx.registry);
}

function jsonOf(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(`the ${what} is not JSON`);
  }
}

/** bigints as decimal strings, for JSON. */
function printable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** The daemon's activity history in its SQLite file, read only; none for --store aws from a laptop. */
function openActivity(ctx: CommandContext): WalletActivity | undefined {
  if (ctx.config.store.kind !== 'local') return undefined;
  const opened = SqliteWalletActivity.openReadOnly(ctx.config.store.path);
  return opened === 'missing' ? undefined : opened;
}

/** No history: every wallet has signed nothing (for `policy test` only; the daemon refuses velocity without history). */
const NO_HISTORY: WalletActivity = {
  record: async () => {
    throw new InvalidInputError('policy test records nothing');
  },
  since: async () => [],
  hasSentTo: async () => false,
  close: async () => {},
};

async function testPending(ctx: CommandContext, path: string): Promise<number> {
  const policyFile = policyFlag(ctx);
  const externalUrl = ctx.args.flags.externalUrl;
  if (typeof externalUrl === 'string') parseFourEyeUrl(externalUrl);
  const policy = effectivePolicy(policyFile, typeof externalUrl === 'string');
  const pending = parsePendingTransaction(jsonOf(await readTextFile(ctx, path, 'pending transaction file'), 'pending transaction file'));
  const chain = ctx.registry.resolve(pending.chain, ctx.network());
  const { handle } = ctx.open('read');
  const wallets = await loadWalletsById(handle.store, walletIdsOf(pending));
  const input = policyInputOfSerialized(chain, pending.serializedTransaction, pending, wallets);
  const activity = openActivity(ctx);
  try {
    const decision = await decideInput(policy, input, { activity: activity ?? NO_HISTORY, now: Date.now(), pendingId: pending.id });
    const source = policyFile ? 'file' : typeof externalUrl === 'string' ? 'default: REQUIRE_APPROVAL (--externalUrl, no policy file)' : 'default: ALLOW (no policy file, no --externalUrl)';
    ctx.print({ id: pending.id, ...decision, policy: source, velocity: activity ? 'from the store' : 'no history here: counted as 0', input: printable(input) });
    return 0;
  } finally {
    await activity?.close();
  }
}

const policy: Command = {
  name: 'policy',
  usage: 'policy check <policy-file> | test <pending.json> [--policy FILE] [--externalUrl URL]',
  summary: 'validate a policy file, or show what it decides for a pending transaction (signs nothing)',
  positionals: [2, 2],
  flags: {
    policy: { type: 'string', value: 'FILE', description: 'the policy file (YAML or JSON)' },
    externalUrl: { type: 'string', value: 'URL', description: 'without --policy: as the daemon, REQUIRE_APPROVAL for every tx' },
  },
  async run(ctx) {
    const [verb, path] = ctx.args.positionals as [string, string];
    if (verb === 'check') {
      const parsed = loadPolicyFile(pathOperand(ctx, path), ctx.registry);
      ctx.print({ valid: true, rules: parsed.rules.map((r) => ({ name: r.name, action: r.action, line: r.line })), default: parsed.default });
      return 0;
    }
    if (verb === 'test') return testPending(ctx, path);
    throw new InvalidInputError('usage: sigil policy check <policy-file> | test <pending.json> [--policy FILE]');
  },
};

export const policyCommands: readonly Command[] = [policy];
