/**
 * Demo payments, made the way an application makes them: a Tatum API call with a signatureId, which leaves
 * a pending KMS transaction at "Tatum" (the simulator) for Sigil to sign.
 *
 * - ETH legacy: `POST /v3/ethereum/transaction` {to, amount, currency, signatureId, index} — nonce, gas and
 *   gas price left open, as most apps leave them, for Sigil's prepare step to fill.
 * - ETH EIP-1559: Tatum's API has no type-2 fields, so the pending transaction is built with the app side's
 *   builder (maxFeePerGas and maxPriorityFeePerGas set, nonce and gas open) and stored at the simulator.
 * - BTC P2WPKH: `POST /v3/bitcoin/transaction` with `fromAddress` (the fixed scenario) or `fromUTXO` naming
 *   a coin the faucet just paid (the live stream: each payment spends its own coin, so payments created
 *   before the previous one reached the mempool never pick the same outpoint), fee and change address set.
 */
import { formatUnits } from 'ethers';
import { buildEvmTransfer, storePending } from './app/index.js';
import { SandboxError, type ChainAccounts } from './demo-accounts.js';
import { SANDBOX_API_KEY, type Sandbox } from './wiring.js';

export type PaymentKind = 'legacy' | 'eip1559' | 'p2wpkh';

/** A payment the sandbox asked for, and what it must do on chain. */
export interface DemoPayment {
  readonly label: string;
  readonly chain: 'ETH' | 'BTC';
  readonly kind: PaymentKind;
  /** The pending KMS transaction's id (Tatum's answer `{signatureId}`). */
  readonly pendingId: string;
  readonly from: string;
  readonly to: string;
  /** wei or satoshis. */
  readonly amount: bigint;
  /** BTC: the fee the request set (inputs − outputs). ETH: absent, the receipt decides (gasUsed × price). */
  readonly fee?: bigint;
  /** 'blocked': the sandbox policy (sandbox/policy.yaml) must reject it; it must never reach the chain. */
  readonly expect?: 'blocked';
}

export const GWEI = 1_000_000_000n;
export const ETHER = 10n ** 18n;
export const BTC = 100_000_000n;

export const formatEth = (wei: bigint): string => `${formatUnits(wei, 18).replace(/\.0$/, '')} ETH`;
export const formatBtc = (sats: bigint): string => `${btcDecimal(sats)} BTC`;

/** Satoshis as the decimal BTC string Tatum's API takes ("0.0001", never an exponent). */
export function btcDecimal(sats: bigint): string {
  const whole = sats / BTC;
  const fraction = (sats % BTC).toString().padStart(8, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** An app's call to the simulator; the pending transaction's id, or SandboxError with Tatum's message. */
async function appCall(sandbox: Sandbox, path: string, body: unknown): Promise<string> {
  const response = await fetch(`${sandbox.sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_API_KEY },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => null)) as { signatureId?: unknown; message?: unknown } | null;
  if (response.status !== 200 || typeof answer?.signatureId !== 'string') {
    const message = typeof answer?.message === 'string' ? answer.message : `HTTP ${response.status}`;
    throw new SandboxError(`POST ${path} was refused: ${message}`, { path, status: response.status });
  }
  return answer.signatureId;
}

export async function payEthLegacy(sandbox: Sandbox, eth: ChainAccounts, amount: bigint, options: { readonly expect?: 'blocked' } = {}): Promise<DemoPayment> {
  const pendingId = await appCall(sandbox, '/v3/ethereum/transaction', {
    to: eth.recipient.address,
    amount: formatUnits(amount, 18),
    currency: 'ETH',
    signatureId: eth.signatureId,
    index: eth.sender.index,
  });
  const label = options.expect === 'blocked' ? 'ETH over limit' : 'ETH legacy';
  return { label, chain: 'ETH', kind: 'legacy', pendingId, from: eth.sender.address, to: eth.recipient.address, amount, ...(options.expect ? { expect: options.expect } : {}) };
}

export async function payEthEip1559(sandbox: Sandbox, eth: ChainAccounts, amount: bigint): Promise<DemoPayment> {
  const maxPriorityFeePerGas = 1n * GWEI;
  // Twice the current base fee plus the tip: valid for several blocks of rising base fee.
  const maxFeePerGas = 2n * (await sandbox.evm.baseFee()) + maxPriorityFeePerGas;
  const serializedTransaction = buildEvmTransfer({ to: eth.recipient.address, valueWei: amount, maxFeePerGas, maxPriorityFeePerGas });
  const { signatureId: pendingId } = await storePending(
    { chain: 'ETH', serializedTransaction, hashes: [eth.signatureId], index: eth.sender.index },
    { addPending: (tx) => void sandbox.sim.state.addPending({ ...tx }) },
  );
  return { label: 'ETH EIP-1559', chain: 'ETH', kind: 'eip1559', pendingId, from: eth.sender.address, to: eth.recipient.address, amount };
}

export interface BtcPaymentOptions {
  readonly amount: bigint;
  readonly fee: bigint;
  /** Spend this coin (fromUTXO); absent: let Tatum pick the sender's coins (fromAddress). */
  readonly coin?: { readonly txid: string; readonly vout: number };
}

export async function payBtc(sandbox: Sandbox, btc: ChainAccounts, options: BtcPaymentOptions): Promise<DemoPayment> {
  const from = options.coin
    ? { fromUTXO: [{ txHash: options.coin.txid, index: options.coin.vout, signatureId: btc.signatureId, signatureIdIndex: btc.sender.index }] }
    : { fromAddress: [{ address: btc.sender.address, signatureId: btc.signatureId, index: btc.sender.index }] };
  const pendingId = await appCall(sandbox, '/v3/bitcoin/transaction', {
    ...from,
    to: [{ address: btc.recipient.address, value: btcDecimal(options.amount) }],
    fee: btcDecimal(options.fee),
    changeAddress: btc.sender.address,
  });
  return {
    label: 'BTC P2WPKH',
    chain: 'BTC',
    kind: 'p2wpkh',
    pendingId,
    from: btc.sender.address,
    to: btc.recipient.address,
    amount: options.amount,
    fee: options.fee,
  };
}
