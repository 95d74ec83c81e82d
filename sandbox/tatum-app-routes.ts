/**
 * The app-side Tatum calls the sandbox mounts on the simulator (its `extraRoutes`): what an application
 * calls to create a pending KMS transaction, answered as Tatum answers them.
 *
 * - POST /v3/ethereum/transaction (TransferEthBlockchainKMS) → 200 {signatureId: <pending id>}
 * - POST /v3/bitcoin/transaction (BtcTransactionFromUTXOKMS / …FromAddressKMS) → 200 {signatureId}
 *
 * A body the endpoint refuses (AppRequestError) is 400 `validation.failed` with the endpoint's one-line
 * message (it names the field and never holds a secret: request bodies carry signatureIds, not keys). A
 * local chain that cannot be read while the BTC payment is built is 503, as Tatum answers when its node is
 * down. Anything else propagates (the simulator answers 500).
 */
import { AppRequestError, createBitcoinTransfer, createEthereumTransfer, type AddPending, type BitcoinUtxoSource } from './app/index.js';
import { ChainUnavailableError } from './chains/chain-errors.js';
import { tatumError, type Answer, type ExtraRoutes } from './tatum/simulator.js';

export interface AppRouteDeps {
  /** Where a new pending transaction goes: the simulator's `state.addPending`. */
  readonly addPending: AddPending;
  /** The regtest chain the BTC payments are built from. */
  readonly bitcoin: BitcoinUtxoSource;
}

async function answerOf(create: () => Promise<{ signatureId: string }>): Promise<Answer> {
  try {
    return { status: 200, body: await create() };
  } catch (error) {
    if (error instanceof AppRequestError) return tatumError(400, 'validation.failed', error.message);
    if (error instanceof ChainUnavailableError) return tatumError(503, 'node.unavailable', error.message);
    throw error;
  }
}

/** The extra routes for `startTatumSimulator({extraRoutes})`. */
export function tatumAppRoutes(deps: AppRouteDeps): ExtraRoutes {
  return (method, url, body) => {
    if (method !== 'POST') return undefined;
    if (url.pathname === '/v3/ethereum/transaction') return answerOf(() => createEthereumTransfer(body, { addPending: deps.addPending }));
    if (url.pathname === '/v3/bitcoin/transaction') return answerOf(() => createBitcoinTransfer(body, { bitcoin: deps.bitcoin, addPending: deps.addPending }));
    return undefined;
  };
}
