/** The flag parser (TATUM-COMPAT §1 spellings, unknown flags refused) and env → config (lib/config.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseArgs, UsageError, type FlagSpec } from '../../../cli/args.js';
import { describeVariables, EnvSecret, parseConfig, parseDotenv } from '../../../lib/config.js';
import { InvalidInputError } from '../../../lib/errors.js';

const COMMAND_FLAGS: Record<string, Record<string, FlagSpec>> = {
  backup: { recipient: { type: 'string', description: '' }, out: { type: 'string', description: '' } },
  rotate: { newPassword: { type: 'boolean', description: '' }, newKeyFile: { type: 'string', description: '' } },
};
const ALL = Object.assign({}, ...Object.values(COMMAND_FLAGS)) as Record<string, FlagSpec>;
const parse = (argv: string[]) => parseArgs(argv, ALL, (command) => (command ? (COMMAND_FLAGS[command] ?? {}) : {}));

describe('parseArgs', () => {
  it('accepts camelCase and kebab-case, --flag value and --flag=value, flags before the command', () => {
    const a = parse(['--api-key', 'k1234567', 'getaddress', 'id', '1', '--testnet', '--path=/x/y.db', '--envFile', 'e']);
    expect(a).toMatchObject({ command: 'getaddress', positionals: ['id', '1'], flags: { apiKey: 'k1234567', testnet: true, path: '/x/y.db', envFile: 'e' } });
    expect([...a.given].sort()).toEqual(['apiKey', 'envFile', 'path', 'testnet']);
    expect(parse(['rotate', '--new-key-file', 'k']).flags).toEqual({ newKeyFile: 'k' });
    expect(parse(['rotate', '--newPassword']).flags).toEqual({ newPassword: true });
    expect(parse(['export', '--testnet=false']).flags).toEqual({ testnet: false });
  });

  it('rejects unknown flags, flags of another command, repeats and missing values', () => {
    expect(() => parse(['export', '--period', '5'])).toThrow(/unknown flag --period for export/);
    expect(() => parse(['export', '--recipient', 'x'])).toThrow(UsageError);
    expect(() => parse(['backup', '--out', 'a', '--out', 'b'])).toThrow(/given twice/);
    expect(() => parse(['backup', '--out'])).toThrow(/needs a value/);
    expect(() => parse(['backup', '--out', '--testnet'])).toThrow(/needs a value/);
    expect(() => parse(['export', '--testnet=yes'])).toThrow(/takes no value/);
    expect(() => parse(['export', '--Path', 'x'])).toThrow(/unknown flag/);
  });

  it('treats everything after -- as positionals', () => {
    expect(parse(['report', '--', '--not-a-flag'])).toMatchObject({ command: 'report', positionals: ['--not-a-flag'], flags: {} });
  });

  it('never throws anything but a UsageError, whatever the argv (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('--path', '--testnet', '--out', '--api-key', 'backup', '--', '--x=1')), { maxLength: 8 }), (argv) => {
        try {
          const parsed = parse(argv);
          expect(parsed.positionals.length).toBeLessThanOrEqual(argv.length);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

const base = { env: {}, flags: {}, homeDir: '/home/u', cwd: '/work' };

describe('parseConfig', () => {
  it('defaults to a local store at ~/.sigil/sigil.db with its key file next to it', () => {
    const config = parseConfig(base);
    expect(config.store).toEqual({ kind: 'local', path: '/home/u/.sigil/sigil.db', keyFile: '/home/u/.sigil/sigil.db.key', keyFileFromEnv: false });
    expect(config.tatumApiUrl).toBe('https://api.tatum.io');
    expect(config.testnet).toBe(false);
  });

  it('resolves --path and SIGIL_KEY_FILE against the working directory and ~', () => {
    const config = parseConfig({ ...base, flags: { path: 'data/s.db' }, env: { SIGIL_KEY_FILE: '~/k' } });
    expect(config.store).toMatchObject({ path: '/work/data/s.db', keyFile: '/home/u/k', keyFileFromEnv: true });
  });

  it('takes the aws store from flags or env and requires its table and key', () => {
    const env = { SIGIL_STORE: 'aws', SIGIL_WALLET_TABLE: 'wallets', SIGIL_KMS_KEY_ID: 'alias/sigil', AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000/' };
    const config = parseConfig({ ...base, env });
    expect(config.store).toEqual({ kind: 'aws', table: 'wallets', kmsKeyId: 'alias/sigil' });
    expect(config.aws).toEqual({ region: 'eu-central-1', endpoint: 'http://127.0.0.1:5000' });
    expect(() => parseConfig({ ...base, env: { ...env, SIGIL_WALLET_TABLE: undefined } })).toThrow(/SIGIL_WALLET_TABLE/);
    expect(() => parseConfig({ ...base, env: { ...env, SIGIL_KMS_KEY_ID: 'no spaces allowed' } })).toThrow(/SIGIL_KMS_KEY_ID/);
    expect(() => parseConfig({ ...base, env: { ...env, AWS_REGION: 'Mars' } })).toThrow(/AWS_REGION/);
    expect(() => parseConfig({ ...base, flags: { store: 'cloud' } })).toThrow(/--store must be "local" or "aws"/);
    expect(parseConfig({ ...base, env, flags: { path: '/x' } }).warnings).toEqual([expect.stringContaining('--path')]);
  });

  it('names a bad variable and never echoes a secret value', () => {
    const error = (() => {
      try {
        parseConfig({ ...base, env: { TATUM_API_KEY: 'short' } });
      } catch (e) {
        return e as InvalidInputError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error!.message).toContain('TATUM_API_KEY');
    expect(error!.message).not.toContain('short');
    expect(() => parseConfig({ ...base, env: { TATUM_KMS_PASSWORD: 'pass\nword' } })).toThrow(/TATUM_KMS_PASSWORD/);
    expect(() => parseConfig({ ...base, env: { TATUM_API_URL: 'ftp://x' } })).toThrow(/TATUM_API_URL.*"ftp:\/\/x"/);
  });

  it('keeps passwords as EnvSecret: bytes on demand, a mask in strings and JSON', () => {
    const config = parseConfig({ ...base, env: { TATUM_KMS_PASSWORD: 'hunter2-hunter2' }, dotenv: { TATUM_KMS_PASSWORD: 'from-file', TATUM_API_KEY: 'abcdefgh12345678' } });
    expect(new TextDecoder().decode(config.kmsPassword!.bytes())).toBe('hunter2-hunter2');
    expect(`${config.kmsPassword}`).not.toContain('hunter');
    expect(JSON.stringify(config)).not.toContain('hunter');
    expect(JSON.stringify(config)).not.toContain('12345678');
    expect(config.tatumApiKey!.masked(6)).toMatch(/^abcd\*+$/);
  });

  it('describes every variable for checkconfig with secrets masked', () => {
    const vars = describeVariables({ env: { TATUM_KMS_PASSWORD: 'hunter2-hunter2', SIGIL_STORE: 'local' } });
    expect(vars.SIGIL_STORE).toBe('local');
    expect(vars.TATUM_KMS_PASSWORD).toMatch(/^\*+$/);
    expect(vars.TATUM_API_KEY).toBe('N/A');
    expect(new EnvSecret('X', 'ab').masked()).toBe('********');
  });
});

describe('parseDotenv', () => {
  it('reads KEY=value lines, quotes, export and comments', () => {
    expect(parseDotenv('# c\nA=1\nexport B = "two words"\nC=\'x y\' \nD=v # note\n\n')).toEqual({ A: '1', B: 'two words', C: 'x y', D: 'v' });
  });

  it('names a malformed line by number, not content', () => {
    expect(() => parseDotenv('A=1\nsecret words here\n')).toThrow(/line 2 is not KEY=value/);
    expect(() => parseDotenv('A=1\nsecret words here\n')).not.toThrow(/secret/);
  });
});
