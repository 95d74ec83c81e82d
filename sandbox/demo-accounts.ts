/**
 * The sandbox's demo wallets and the accounts one run uses.
 *
 * Wallets persist in the data folder (one mnemonic wallet per chain, created with the wallet service as
 * `generatemanagedwallet` creates them; their signatureIds kept in the store's settings); the chains do not.
 * Reusing an address on a fresh chain would collide with the ledger's records of the earlier run: the nonce
 * allocator remembers the next EVM nonce per (chainId, from), so it would hand out a nonce above the fresh
 * account's (the transaction would wait forever behind the gap), and the spend claims on (chainId, from,
 * nonce) never expire, so a transaction at a nonce the earlier run signed would be refused as a double spend.
 * Each run therefore takes a new run number (an atomic counter in the settings) and uses derivation indexes
 * of its own: child 2·run pays, child 2·run + 1 receives. Old ledger records name addresses no later run
 * funds, so anything left of them can never move value on a new chain.
 */
import { SigilError } from '../lib/errors.js';
import { SANDBOX_NETWORK, type Sandbox } from './wiring.js';

export type DemoChain = 'ETH' | 'BTC';

const RUNS_SETTING = 'sandbox.runs';
const walletSetting = (chain: string): string => `sandbox.wallet.${chain.toLowerCase()}`;
/** The largest BIP32 non-hardened index; run numbers stop well before 2·run + 1 reaches it. */
const MAX_CHILD_INDEX = 0x7fffffff;

/** The sandbox's own failures (a damaged setting, an app call refused, a scenario that did not settle). */
export class SandboxError extends SigilError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}, options?: { cause?: unknown }) {
    super('SANDBOX', message, context, options);
  }
}

export interface DemoAccount {
  readonly index: number;
  readonly address: string;
}

export interface ChainAccounts {
  readonly chain: DemoChain;
  /** The demo wallet's signatureId (what the app names in its Tatum calls). */
  readonly signatureId: string;
  readonly sender: DemoAccount;
  readonly recipient: DemoAccount;
}

export interface RunAccounts {
  readonly run: number;
  readonly ETH: ChainAccounts;
  readonly BTC: ChainAccounts;
}

/** The next run number (1, 2, …), taken atomically so two sandboxes on one folder never share one. */
export function nextRunNumber(sandbox: Sandbox): number {
  return sandbox.atomically(() => {
    const stored = sandbox.settings.get(RUNS_SETTING);
    if (stored !== undefined && !(typeof stored === 'number' && Number.isSafeInteger(stored) && stored >= 0)) {
      throw new SandboxError(`setting ${RUNS_SETTING} of ${sandbox.dbPath} is damaged (expected a run count); run with --reset`);
    }
    const run = (stored ?? 0) + 1;
    if (2 * run + 1 > MAX_CHILD_INDEX) throw new SandboxError(`this data folder has used every derivation index; run with --reset`);
    sandbox.settings.set(RUNS_SETTING, run);
    return run;
  });
}

/** The demo wallet of `chain`: the one the settings name if the store still holds it, else a new one. */
export async function demoWallet(sandbox: Sandbox, chain: string): Promise<string> {
  const key = walletSetting(chain);
  const named = sandbox.settings.get(key);
  if (typeof named === 'string') {
    const record = await sandbox.deps.wallets.get(named).catch(() => undefined);
    if (record && record.chain === chain && record.network === SANDBOX_NETWORK && record.kind === 'mnemonic') return named;
  }
  const created = await sandbox.wallets.createMnemonicWallet(chain, SANDBOX_NETWORK);
  // A damaged or dangling name is replaced; an absent one is set only if no other sandbox set it meanwhile.
  if (named !== undefined) {
    sandbox.settings.set(key, created.signatureId);
    return created.signatureId;
  }
  const winner = sandbox.settings.setIfAbsent(key, created.signatureId);
  return typeof winner === 'string' ? winner : created.signatureId;
}

async function accountsOf(sandbox: Sandbox, chain: DemoChain, run: number): Promise<ChainAccounts> {
  const signatureId = await demoWallet(sandbox, chain);
  const at = async (index: number): Promise<DemoAccount> => ({ index, ...(await sandbox.wallets.addressAt(signatureId, index)) });
  return { chain, signatureId, sender: await at(2 * run), recipient: await at(2 * run + 1) };
}

/** Begin a run: its number, and the demo wallets' sender and recipient accounts for it. */
export async function beginRun(sandbox: Sandbox): Promise<RunAccounts> {
  const run = nextRunNumber(sandbox);
  return { run, ETH: await accountsOf(sandbox, 'ETH', run), BTC: await accountsOf(sandbox, 'BTC', run) };
}
