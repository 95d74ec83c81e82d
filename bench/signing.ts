/**
 * Issue 2 figures: seed, child derivation from a cached account node, and signing per family.
 * Targets (docs/benchmarks.md): EVM derive→sign→serialize ≤ 0.25 ms median; 1-in P2WPKH ≤ 1 ms; seed ≤ 2 ms.
 */
import { defaultRegistry, familyOf } from '../lib/chains/index.js';
import { accountFromMnemonic, mnemonicToSeed, normalizeMnemonic, publicKeyOf, addressOf, wipe } from '../lib/keys/index.js';
import { measure, type Figure } from './harness.js';
import { payments } from 'bitcoinjs-lib';

const MNEMONIC = normalizeMnemonic(
  new TextEncoder().encode('quantum tobacco key they maid mean crime youth chief jungle mind design broken tilt bus shoulder leaf good forward erupt split divert bread kitten'),
);

function btcTx(inputs: number, script: string): string {
  return JSON.stringify({
    version: 2,
    inputs: Array.from({ length: inputs }, (_, i) => ({
      prevTxId: (i + 1).toString(16).padStart(64, '1'),
      outputIndex: i,
      sequenceNumber: 4294967295,
      script: '',
      scriptString: '',
      output: { satoshis: 100000, script },
    })),
    outputs: [{ satoshis: inputs * 100000 - 1000, script: '0014b96ea8059f1ed579e70ebabfdf88e851317f1fea' }],
    nLockTime: 0,
  });
}

export function signingFigures(): Figure[] {
  const eth = defaultRegistry.resolve('ETH', 'mainnet');
  const btc = defaultRegistry.resolve('BTC', 'mainnet');
  const evm = familyOf(eth);
  const utxo = familyOf(btc);
  const ethAccount = accountFromMnemonic(MNEMONIC, eth);
  const btcAccount = accountFromMnemonic(MNEMONIC, btc);

  const legacy = evm.parse('{"from":0,"to":"0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb","value":"1000000000000000","nonce":5,"gasPrice":"20000000000","gas":21000}', eth);
  const eip1559 = evm.parse('{"from":0,"to":"0xaac8c73348f1f92b2f9647e1e4f3cf14e2a8b3cb","value":"1000000000000000","nonce":5,"maxFeePerGas":"30000000000","maxPriorityFeePerGas":"1000000000","gas":21000}', eth);

  const btcKey = btcAccount.childPrivateKey(0);
  const p2wpkh = Buffer.from(payments.p2wpkh({ pubkey: publicKeyOf(btcKey), network: btc.utxo! }).output!).toString('hex');
  const oneIn = utxo.parse(btcTx(1, p2wpkh), btc);
  const tenIn = utxo.parse(btcTx(10, p2wpkh), btc);
  const signWithChild = (account: typeof ethAccount, tx: unknown, family: typeof evm, chain: typeof eth, index = 0) => {
    const key = account.childPrivateKey(index);
    try {
      return family.sign(tx, [{ privateKey: key }], chain);
    } finally {
      wipe(key);
    }
  };

  const figures = [
    measure('keys: seed from mnemonic (PBKDF2-SHA512, node:crypto)', () => wipe(mnemonicToSeed(MNEMONIC)), { runs: 300, target: '≤ 2 ms median' }),
    measure('keys: derive child key from cached account node', () => wipe(ethAccount.childPrivateKey(7)), { runs: 2000 }),
    measure('keys: address of child from cached account node', () => addressOf(ethAccount.childPublicKey(7), eth), { runs: 2000 }),
    measure('evm: derive child → sign → serialize, legacy EIP-155', () => signWithChild(ethAccount, legacy, evm, eth), { runs: 2000, target: '≤ 0.25 ms median' }),
    measure('evm: derive child → sign → serialize, EIP-1559', () => signWithChild(ethAccount, eip1559, evm, eth), { runs: 2000, target: '≤ 0.25 ms median' }),
    measure('utxo: sign BTC 1-in P2WPKH', () => utxo.sign(oneIn, [{ privateKey: btcKey }], btc), { runs: 1000, target: '≤ 1 ms median' }),
    measure('utxo: sign BTC 10-in P2WPKH', () => utxo.sign(tenIn, [{ privateKey: btcKey }], btc), { runs: 300 }),
    measure('utxo: parse + sign BTC 1-in P2WPKH (from JSON)', () => utxo.sign(utxo.parse(btcTx(1, p2wpkh), btc), [{ privateKey: btcKey }], btc), { runs: 1000 }),
  ];
  wipe(btcKey);
  ethAccount.wipe();
  btcAccount.wipe();
  return figures;
}
