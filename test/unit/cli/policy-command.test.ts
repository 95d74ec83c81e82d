/**
 * `sigil policy check <file>` and `sigil policy test <pending.json> [--policy FILE] [--externalUrl URL]`, in-process:
 * the decision of the file (or of the daemon's default without one) on Tatum's pending transaction, with its
 * rule and reason, on stdout as one JSON result; bad files and bad pending transactions are one-line errors with
 * a non-zero exit; nothing is signed, approved or written to the ledger.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { memoryIo } from '../../../cli/memory-io.js';
import { SqliteLedger } from '../../../lib/store/ledger-sqlite.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/tatum-vectors.json', import.meta.url), 'utf8')) as {
  derivation: Array<{ chain: string; privateKeys: string[]; addresses: string[] }>;
};
const root = mkdtempSync(join(tmpdir(), 'sigil-cli-policy-'));
const db = join(root, 'sigil.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sigil(argv: string[], stdin?: string[]) {
  const mem = memoryIo({ cwd: root, homeDir: join(root, 'home'), env: {}, ...(stdin ? { stdin } : {}) });
  const code = await main(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr(), json: () => JSON.parse(mem.stdout()) as Record<string, any> };
}

const POLICY = `rules:
  - name: deny-list
    action: BLOCK
    when: { to: { deny: ["0x000000000000000000000000000000000000dEaD"] } }
  - name: small
    action: ALLOW
    when: { chain: [ETH], amount: { max: "1" } }
default: REQUIRE_APPROVAL
`;

let wallet = '';
function pending(to: string, value: string): string {
  const file = join(root, `pending-${to.slice(-4)}-${value}.json`);
  const tx = { from: 0, to, value, nonce: 0, gas: 21000, gasPrice: '1000000000' };
  writeFileSync(file, JSON.stringify({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa', chain: 'ETH', serializedTransaction: JSON.stringify(tx), hashes: [wallet], index: null, withdrawalId: null }));
  return file;
}

beforeAll(async () => {
  const eth = vectors.derivation.find((d) => d.chain === 'ETH')!;
  const stored = await sigil(['storemanagedprivatekey', 'ETH', '--path', db], [eth.privateKeys[0]!]);
  expect(stored.code).toBe(0);
  wallet = stored.json().signatureId as string;
  writeFileSync(join(root, 'policy.yaml'), POLICY);
});

describe('sigil policy', () => {
  it('check prints the rules of a valid file', async () => {
    const run = await sigil(['policy', 'check', 'policy.yaml']);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ valid: true, rules: [{ name: 'deny-list', action: 'BLOCK', line: 2 }, { name: 'small', action: 'ALLOW', line: 5 }], default: 'REQUIRE_APPROVAL' });
  });

  it('check refuses a bad file with its line and reason, exit non-zero, nothing on stdout', async () => {
    writeFileSync(join(root, 'bad.yaml'), `${POLICY}extra: true\n`);
    const run = await sigil(['policy', 'check', 'bad.yaml']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/policy file line 9: .*extra/);
  });

  it('test shows the decision, the rule and the reason, whatever case the address is written in', async () => {
    const blocked = await sigil(['policy', 'test', pending('0x000000000000000000000000000000000000dead', '5'), '--policy', 'policy.yaml', '--path', db]);
    expect(blocked.code).toBe(0);
    expect(blocked.json()).toMatchObject({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa', action: 'BLOCK', rule: 'deny-list', policy: 'file', input: { chain: 'ETH', wallets: [wallet] } });
    expect(blocked.json().reason).toMatch(/destination 0x0{36}dead on the deny list/);

    const small = await sigil(['policy', 'test', pending(`0x${'12'.repeat(20)}`, '500000000000000000'), '--policy', 'policy.yaml', '--path', db]);
    expect(small.json()).toMatchObject({ action: 'ALLOW', rule: 'small' });
    const large = await sigil(['policy', 'test', pending(`0x${'12'.repeat(20)}`, '2000000000000000000'), '--policy', 'policy.yaml', '--path', db]);
    expect(large.json()).toMatchObject({ action: 'REQUIRE_APPROVAL', rule: null, reason: 'no rule matched; default REQUIRE_APPROVAL' });
  });

  it('without a policy file: ALLOW, or REQUIRE_APPROVAL for every tx with --externalUrl (as the daemon)', async () => {
    const file = pending(`0x${'34'.repeat(20)}`, '1');
    expect((await sigil(['policy', 'test', file, '--path', db])).json()).toMatchObject({ action: 'ALLOW', policy: expect.stringMatching(/^default: ALLOW/) });
    expect((await sigil(['policy', 'test', file, '--externalUrl', 'https://approvals.example.com/x', '--path', db])).json()).toMatchObject({ action: 'REQUIRE_APPROVAL' });
  });

  it('a malformed pending transaction or an unknown wallet is a one-line error; nothing reaches the ledger', async () => {
    writeFileSync(join(root, 'garbage.json'), '{"id":"zz"}');
    const bad = await sigil(['policy', 'test', 'garbage.json', '--policy', 'policy.yaml', '--path', db]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const stranger = pending(`0x${'56'.repeat(20)}`, '1').replace('.json', '-stranger.json');
    writeFileSync(stranger, readFileSync(pending(`0x${'56'.repeat(20)}`, '1'), 'utf8').replace(wallet, '0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10'));
    const unknown = await sigil(['policy', 'test', stranger, '--policy', 'policy.yaml', '--path', db]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/0f4a9c9e-8f0e-4f6b-9a51-7d3b9c1e2a10/);
    expect(existsSync(db)).toBe(true);
    const ledger = SqliteLedger.open(db);
    expect((await ledger.list()).records).toEqual([]);
    await ledger.close();
  });
});

describe('sigil policy, read only', () => {
  it('names the field path once, and test creates nothing in a store that never signed', async () => {
    writeFileSync(join(root, 'typo.yaml'), 'rules:\n  - { name: x, action: BLOCK, when: { amount: { max: 1.5 } } }\ndefault: ALLOW\n');
    const run = await sigil(['policy', 'check', 'typo.yaml']);
    expect(run.stderr).toMatch(/^sigil: policy file line 2: rules\[0\]\.when\.amount\.max: expected a quoted decimal string like "1\.5", got 1\.5 \(in .*typo\.yaml\)$/m);
    expect(run.stderr.match(/rules\[0\]\.when\.amount\.max/g)).toHaveLength(1);

    const Database = (await import('better-sqlite3')).default;
    const tables = () => (new Database(db, { readonly: true }).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    const before = tables();
    writeFileSync(join(root, 'velocity.yaml'), 'rules:\n  - { name: v, action: ALLOW, when: { velocity: { window: 1h, maxCount: 1 } } }\ndefault: BLOCK\n');
    const tested = await sigil(['policy', 'test', pending(`0x${'78'.repeat(20)}`, '1'), '--policy', 'velocity.yaml', '--path', db]);
    expect(tested.json()).toMatchObject({ action: 'ALLOW', rule: 'v', velocity: 'no history here: counted as 0' });
    expect(tables()).toEqual(before);
  });
});
