/**
 * The sandbox's Bitcoin chain: a bcoin 1.0.2 regtest full node in memory, with segwit active.
 *
 * Segwit on regtest is a BIP9 deployment with a 144-block window and a 108-block threshold: it locks in at
 * the end of the second window and is active from block 432 on (bcoin's miner signals it by itself). The
 * node therefore mines 432 blocks to the faucet at start; that also matures 332 coinbases (100-block
 * maturity), so the faucet can pay at once. Measured on the project's 2-core machine: the 432 blocks take
 * about 0.4 s in a fresh process (0.2 s once the JIT is warm), mined one by one; batching is not needed.
 *
 * Addresses use the sandbox network's own parameters (`network`, for the registry's custom network):
 * bech32 `rb` as bcoin's regtest, and Bitcoin Core's test base58 prefixes and tpub versions, so Sigil's
 * testnet derivation and formats apply unchanged.
 *
 * Mining happens only on request (`mine`, `fund`), or every `autoMineMs` while the mempool is not empty, so
 * tests decide exactly when a transaction confirms.
 */
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import type { UtxoParams } from '../../lib/chains/registry.js';
import { InvalidInputError } from '../../lib/errors.js';
import { bcoinAddressOfScript, createRegtestNode, isVerifyError, reverseHex, bcoin, type BcoinCoin } from './bcoin-node.js';
import { Faucet } from './bitcoin-faucet.js';
import { ChainRejectedError, ChainTimeoutError, ChainUnavailableError } from './chain-errors.js';

/** Regtest parameters as Sigil's registry takes them (UtxoParams is bitcoinjs-lib's Network shape). */
export const SANDBOX_REGTEST_PARAMS: UtxoParams = {
  messagePrefix: '\x18Bitcoin Signed Message:\n',
  bech32: 'rb',
  bip32: { public: 0x043587cf, private: 0x04358394 },
  pubKeyHash: 0x6f,
  scriptHash: 0xc4,
  wif: 0xef,
};

/** BIP9 activation height of segwit on regtest: three 144-block windows (defined → started → locked in). */
export const SEGWIT_ACTIVATION_HEIGHT = 432;
const COINBASE_MATURITY = 100;
const CONFIRMATION_POLL_MS = 20;

export interface Utxo {
  /** Display (big-endian) order, as every explorer and Tatum print it. */
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  /** The output script (scriptPubKey), lowercase hex. */
  readonly script: string;
  /** Block height, or null while in the mempool. */
  readonly height: number | null;
  readonly coinbase: boolean;
}

export interface Confirmation {
  readonly blockHash: string;
  readonly height: number;
  readonly confirmations: number;
}

export interface BitcoinRegtestOptions {
  /** Mine a block every autoMineMs while the mempool holds transactions (0 or absent: only on request). */
  readonly autoMineMs?: number;
}

export interface BitcoinRegtest {
  readonly network: UtxoParams;
  /** bcoin's HTTP API and bitcoind-style JSON-RPC (POST /), for debugging. */
  readonly rpcUrl: string;
  readonly faucetAddress: string;
  height(): number;
  /** Pay `sats` from the faucet to `address` and mine it into a block. */
  fund(address: string, sats: bigint): Promise<{ txid: string; vout: number }>;
  /** Unspent outputs paying `address`, mempool included (minus what the mempool spends), oldest first. */
  listUnspent(address: string): Promise<Utxo[]>;
  /** One unspent output, or undefined when it does not exist or is spent (mempool included). */
  getUnspent(txid: string, vout: number): Promise<Utxo | undefined>;
  /** Mempool acceptance; ChainRejectedError with bcoin's reason when refused. Returns the txid. */
  sendRaw(rawHex: string): Promise<string>;
  /** Mine n blocks (to the faucet); returns their hashes. */
  mine(n: number): Promise<string[]>;
  waitForConfirmation(txid: string, options?: { timeoutMs?: number; confirmations?: number }): Promise<Confirmation>;
  /** Sum of listUnspent. */
  balance(address: string): Promise<bigint>;
  stop(): Promise<void>;
}

const TXID = /^[0-9a-fA-F]{64}$/;

function outputScript(address: string, network: UtxoParams): Uint8Array {
  try {
    return bitcoinAddress.toOutputScript(address, network);
  } catch (cause) {
    throw new InvalidInputError(`expected an address of the sandbox regtest network (bech32 "${network.bech32}" or base58 0x${network.pubKeyHash.toString(16)}/0x${network.scriptHash.toString(16)}), got ${JSON.stringify(String(address).slice(0, 100))}`, {}, { cause });
  }
}

function toUtxo(coin: BcoinCoin): Utxo {
  return {
    txid: coin.rhash(),
    vout: coin.index,
    value: BigInt(coin.value),
    script: coin.script.toRaw().toString('hex'),
    height: coin.height === -1 ? null : coin.height,
    coinbase: coin.coinbase,
  };
}

function byAge(a: Utxo, b: Utxo): number {
  const ha = a.height ?? Number.MAX_SAFE_INTEGER;
  const hb = b.height ?? Number.MAX_SAFE_INTEGER;
  if (ha !== hb) return ha - hb;
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout - b.vout;
}

export async function startBitcoinRegtest(options: BitcoinRegtestOptions = {}): Promise<BitcoinRegtest> {
  const autoMineMs = options.autoMineMs ?? 0;
  if (!Number.isSafeInteger(autoMineMs) || autoMineMs < 0) {
    throw new InvalidInputError(`autoMineMs is a non-negative integer, got ${String(autoMineMs)}`, { autoMineMs });
  }
  const network = SANDBOX_REGTEST_PARAMS;
  const node = createRegtestNode();
  await node.open();
  const faucet = new Faucet(network);
  const faucetMiner = bcoinAddressOfScript(faucet.script);
  let running = true;

  // Mining, faucet payments and mempool acceptance run one at a time: each reads the tip, the mempool or
  // the faucet's coins that another would change.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };
  const assertRunning = (what: string): void => {
    if (!running) throw new ChainUnavailableError(`the regtest node is stopped; cannot ${what}`, { what });
  };

  const mineNow = async (n: number): Promise<string[]> => {
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) {
      const block = await node.miner.mineBlock(null, faucetMiner);
      await node.chain.add(block);
      hashes.push(block.rhash());
    }
    return hashes;
  };

  const listUnspent = async (address: string): Promise<Utxo[]> => {
    const script = outputScript(address, network);
    assertRunning('list unspent outputs');
    const coins = await node.getCoinsByAddress([bcoinAddressOfScript(script)]);
    return coins.map(toUtxo).sort(byAge);
  };

  await mineNow(SEGWIT_ACTIVATION_HEIGHT);

  let autoMiner: NodeJS.Timeout | undefined;
  if (autoMineMs > 0) {
    autoMiner = setInterval(() => {
      if (running && node.mempool.map.size > 0) void serially(() => mineNow(1)).catch(() => undefined);
    }, autoMineMs);
    autoMiner.unref();
  }

  /** Mempool acceptance; called only inside `serially`, so no block is being mined meanwhile. */
  const acceptTransaction = async (rawHex: string): Promise<string> => {
    assertRunning('accept a transaction');
    let tx;
    try {
      tx = bcoin.TX.fromRaw(Buffer.from(rawHex, 'hex'));
    } catch (cause) {
      throw new ChainRejectedError('TX decode failed', 'the regtest node cannot decode the transaction (TX decode failed)', {}, { cause });
    }
    const txid = tx.txid();
    let missing: string[] | null;
    try {
      missing = await node.mempool.addTX(tx);
    } catch (error) {
      if (isVerifyError(error)) {
        throw new ChainRejectedError(error.reason, `the regtest mempool refused ${txid}: ${error.reason} (${error.code})`, { txid, code: error.code }, { cause: error });
      }
      throw error;
    }
    if (missing && missing.length > 0) {
      // bcoin parks such a transaction as an orphan; a node answering a broadcast refuses it instead.
      node.mempool.removeOrphan(tx.hash('hex'));
      const reason = 'bad-txns-inputs-missingorspent';
      throw new ChainRejectedError(reason, `the regtest mempool refused ${txid}: ${reason} (spends ${missing.map(reverseHex).join(', ')})`, { txid });
    }
    return txid;
  };

  return {
    network,
    rpcUrl: `http://127.0.0.1:${node.http.http.address().port}`,
    faucetAddress: faucet.address,
    height: () => node.chain.height,
    async fund(address, sats) {
      const script = outputScript(address, network);
      if (typeof sats !== 'bigint' || sats <= 0n) throw new InvalidInputError(`a funding amount is a positive bigint of sats, got ${String(sats)}`);
      return serially(async () => {
        assertRunning('fund');
        const spendHeight = node.chain.height + 1;
        const coins = (await listUnspent(faucet.address)).filter((c) => !c.coinbase || (c.height !== null && spendHeight - c.height >= COINBASE_MATURITY));
        const payment = faucet.pay(script, sats, coins, network);
        await acceptTransaction(payment.rawHex);
        await mineNow(1);
        return { txid: payment.txid, vout: payment.vout };
      });
    },
    listUnspent,
    async getUnspent(txid, vout) {
      if (!TXID.test(txid) || !Number.isSafeInteger(vout) || vout < 0) return undefined;
      assertRunning('look up an output');
      const coin = await node.getCoin(reverseHex(txid.toLowerCase()), vout);
      return coin ? toUtxo(coin) : undefined;
    },
    async sendRaw(rawHex) {
      if (typeof rawHex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(rawHex)) {
        throw new InvalidInputError('a raw Bitcoin transaction is hex of whole bytes, without 0x');
      }
      return serially(() => acceptTransaction(rawHex));
    },
    async mine(n) {
      if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new InvalidInputError(`mine takes 1 to 10000 blocks, got ${String(n)}`);
      return serially(async () => {
        assertRunning('mine');
        return mineNow(n);
      });
    },
    async waitForConfirmation(txid, { timeoutMs = 10_000, confirmations = 1 } = {}) {
      if (!TXID.test(txid)) throw new InvalidInputError(`a txid is 64 hex digits, got ${JSON.stringify(String(txid).slice(0, 80))}`);
      const until = Date.now() + timeoutMs;
      for (;;) {
        assertRunning('wait for a confirmation');
        const meta = await node.getMeta(reverseHex(txid.toLowerCase()));
        if (meta && meta.height !== -1 && meta.block) {
          const depth = node.chain.height - meta.height + 1;
          if (depth >= confirmations) return { blockHash: reverseHex(meta.block), height: meta.height, confirmations: depth };
        }
        if (Date.now() >= until) {
          throw new ChainTimeoutError(`${txid} has not reached ${confirmations} confirmation(s) after ${timeoutMs} ms`, { txid, timeoutMs });
        }
        await new Promise((resolve) => setTimeout(resolve, CONFIRMATION_POLL_MS));
      }
    },
    async balance(address) {
      return (await listUnspent(address)).reduce((sum, utxo) => sum + utxo.value, 0n);
    },
    async stop() {
      if (!running) return;
      running = false;
      if (autoMiner) clearInterval(autoMiner);
      await queue;
      await node.close();
      faucet.wipe();
    },
  };
}
