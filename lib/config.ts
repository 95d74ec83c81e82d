/**
 * The one place where the environment becomes configuration (ARCHITECTURE: `lib/` never reads
 * process.env). The caller passes the environment, the flags it parsed, the home and working directories
 * and the text of a `.env` file it read; nothing here touches the file system or the process.
 *
 * Secrets from the environment (TATUM_API_KEY, TATUM_KMS_PASSWORD, TATUM_KMS_WALLET_PASSWORD,
 * SIGIL_NEW_PASSWORD) are wrapped in EnvSecret: it prints as a mask in logs and JSON, and hands out a fresh
 * Uint8Array copy that the consumer wipes. Errors name the variable, and echo a value only when the
 * variable is not a secret.
 */
import { isAbsolute, resolve } from 'node:path';
import { InvalidInputError } from './errors.js';

export type StoreKind = 'local' | 'aws';

/** A secret read from the environment. The JS string it came from cannot be wiped; its copies can. */
export class EnvSecret {
  readonly #text: string;
  readonly variable: string;

  constructor(variable: string, text: string) {
    this.variable = variable;
    this.#text = text;
  }

  /** A fresh UTF-8 copy; the caller wipes it. */
  bytes(): Uint8Array {
    return new TextEncoder().encode(this.#text);
  }

  /**
   * The text itself, for the one place that must send it as text (the Tatum API key in a request header).
   * Never log, print or put it in an error.
   */
  reveal(): string {
    return this.#text;
  }

  /** The first few characters of an API key and stars (as upstream's checkconfig); passwords: stars only. */
  masked(visible = 0): string {
    const shown = Math.min(visible, Math.floor(this.#text.length / 4));
    return `${this.#text.slice(0, shown)}${'*'.repeat(Math.max(8, this.#text.length - shown))}`;
  }

  toString(): string {
    return this.masked();
  }

  toJSON(): string {
    return this.masked();
  }
}

export interface LocalStoreConfig {
  readonly kind: 'local';
  /** Absolute path of the SQLite file. */
  readonly path: string;
  /** Absolute path of the key file, used when the store's key mode is `keyFile`. */
  readonly keyFile: string;
  /** Whether the key file path came from SIGIL_KEY_FILE (else `<path>.key`). */
  readonly keyFileFromEnv: boolean;
}

export interface AwsStoreConfig {
  readonly kind: 'aws';
  readonly table: string;
  readonly kmsKeyId: string;
}

/** What AWS clients are built with (the DynamoDB store, KMS for the aws store or a local store in kms mode). */
export interface AwsClientSettings {
  /** Absent: the SDK's own region chain (AWS_DEFAULT_REGION, ~/.aws/config). */
  readonly region?: string;
  /** AWS_ENDPOINT_URL (LocalStack, moto_server); the SDK honours it by itself too. */
  readonly endpoint?: string;
}

export interface SigilConfig {
  readonly store: LocalStoreConfig | AwsStoreConfig;
  readonly aws: AwsClientSettings;
  readonly testnet: boolean;
  readonly tatumApiUrl: string;
  readonly tatumApiKey?: EnvSecret;
  /** The local store's password (key mode `password`). */
  readonly kmsPassword?: EnvSecret;
  /** The password of a Tatum wallet.dat being imported. */
  readonly walletDatPassword?: EnvSecret;
  /** The new password of `sigil rotate --new-password`. */
  readonly newPassword?: EnvSecret;
  /** JSON-lines file that receives every event, besides the console (stderr). */
  readonly eventsFile?: string;
  /** The .env file that was read, if any. */
  readonly envFile?: string;
  /** Things the user should know (an ignored flag), for stderr. */
  readonly warnings: readonly string[];
}

/** Flags that shape the configuration (already parsed by the CLI, spelling-normalised). */
export interface ConfigFlags {
  readonly store?: string;
  readonly path?: string;
  readonly apiKey?: string;
  readonly testnet?: boolean;
  readonly envFile?: string;
}

export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: ConfigFlags;
  readonly homeDir: string;
  readonly cwd: string;
  /** Variables of the .env file; the process environment wins over them (dotenv's rule). */
  readonly dotenv?: Readonly<Record<string, string>>;
  readonly envFile?: string;
}

export const DEFAULT_TATUM_API_URL = 'https://api.tatum.io';

/** Every variable Sigil reads, and whether it is a secret (checkconfig masks those). */
export const CONFIG_VARIABLES: ReadonlyArray<{ readonly name: string; readonly secret: boolean }> = [
  { name: 'SIGIL_STORE', secret: false },
  { name: 'SIGIL_KEY_FILE', secret: false },
  { name: 'SIGIL_EVENTS_FILE', secret: false },
  { name: 'SIGIL_WALLET_TABLE', secret: false },
  { name: 'SIGIL_KMS_KEY_ID', secret: false },
  { name: 'AWS_REGION', secret: false },
  { name: 'AWS_ENDPOINT_URL', secret: false },
  { name: 'TATUM_API_KEY', secret: true },
  { name: 'TATUM_API_URL', secret: false },
  { name: 'TATUM_KMS_PASSWORD', secret: true },
  { name: 'TATUM_KMS_WALLET_PASSWORD', secret: true },
  { name: 'SIGIL_NEW_PASSWORD', secret: true },
];

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** Key id, key ARN, alias name or alias ARN (KMS API reference, KeyId). */
const KMS_KEY_ID = /^(?:[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]{1,250})$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const API_KEY = /^[\x21-\x7e]{8,200}$/;
const DOTENV_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function bad(variable: string, expected: string, value: string | undefined, secret: boolean): InvalidInputError {
  const got = value === undefined ? 'nothing' : secret ? `a value of ${value.length} characters` : shown(value);
  return new InvalidInputError(`${variable} must be ${expected}; got ${got}`, { variable });
}

function filePath(variable: string, value: string, cwd: string, homeDir: string): string {
  if (value.length === 0 || value.includes('\0')) throw bad(variable, 'a file path', value, false);
  const expanded = value === '~' ? homeDir : value.startsWith('~/') ? `${homeDir}${value.slice(1)}` : value;
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

function httpUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(variable, 'an http(s) URL', value, false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(variable, 'an http(s) URL', value, false);
  return value.replace(/\/+$/, '');
}

function secretOf(variable: string, value: string | undefined): EnvSecret | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.includes('\0') || value.includes('\n')) throw bad(variable, 'a single line of text', value, true);
  return new EnvSecret(variable, value);
}

/**
 * Parse a `.env` file (KEY=value lines, `#` comments, optional `export`, single or double quotes; in
 * double quotes `\n` is a newline). A malformed line is an error naming its number, never its content.
 */
export function parseDotenv(text: string, fileName = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(?:#.*)?$/.test(line)) return;
    const match = DOTENV_LINE.exec(line);
    if (!match) throw new InvalidInputError(`${fileName} line ${i + 1} is not KEY=value`, { file: fileName, line: i + 1 });
    const [, key, raw] = match as unknown as [string, string, string];
    let value = raw;
    const quote = raw[0];
    if ((quote === '"' || quote === "'") && raw.length >= 2 && raw.endsWith(quote)) {
      value = raw.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      value = raw.replace(/\s+#.*$/, '');
    }
    out[key] = value;
  });
  return out;
}

/** The configuration of one CLI run (or one Lambda container). */
export function parseConfig(sources: ConfigSources): SigilConfig {
  const env: Record<string, string | undefined> = { ...sources.dotenv, ...definedOnly(sources.env) };
  const { flags, cwd, homeDir } = sources;
  const warnings: string[] = [];

  const storeText = flags.store ?? env.SIGIL_STORE ?? 'local';
  const storeVariable = flags.store !== undefined ? '--store' : 'SIGIL_STORE';
  if (storeText !== 'local' && storeText !== 'aws') throw bad(storeVariable, '"local" or "aws"', storeText, false);

  let store: LocalStoreConfig | AwsStoreConfig;
  if (storeText === 'local') {
    const path = filePath('--path', flags.path ?? `${homeDir}/.sigil/sigil.db`, cwd, homeDir);
    const keyFileText = env.SIGIL_KEY_FILE;
    store = {
      kind: 'local',
      path,
      keyFile: keyFileText ? filePath('SIGIL_KEY_FILE', keyFileText, cwd, homeDir) : `${path}.key`,
      keyFileFromEnv: Boolean(keyFileText),
    };
  } else {
    const table = env.SIGIL_WALLET_TABLE;
    if (!table || !TABLE_NAME.test(table)) throw bad('SIGIL_WALLET_TABLE', 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) when the store is aws', table, false);
    const kmsKeyId = env.SIGIL_KMS_KEY_ID;
    if (!kmsKeyId || !KMS_KEY_ID.test(kmsKeyId)) throw bad('SIGIL_KMS_KEY_ID', 'a KMS key id, key ARN or alias when the store is aws', kmsKeyId, false);
    if (flags.path !== undefined) warnings.push('--path names the local SQLite file and is ignored with --store aws');
    store = { kind: 'aws', table, kmsKeyId };
  }
  const region = env.AWS_REGION || undefined;
  if (region !== undefined && !REGION.test(region)) throw bad('AWS_REGION', 'an AWS region such as eu-central-1', region, false);
  const endpoint = env.AWS_ENDPOINT_URL ? httpUrl('AWS_ENDPOINT_URL', env.AWS_ENDPOINT_URL) : undefined;

  const apiKeyText = flags.apiKey ?? env.TATUM_API_KEY;
  if (apiKeyText !== undefined && apiKeyText !== '' && !API_KEY.test(apiKeyText)) {
    throw bad(flags.apiKey !== undefined ? '--apiKey' : 'TATUM_API_KEY', 'an API key of 8-200 printable characters', apiKeyText, true);
  }
  const tatumApiKey = apiKeyText ? new EnvSecret(flags.apiKey !== undefined ? '--apiKey' : 'TATUM_API_KEY', apiKeyText) : undefined;
  const eventsFile = env.SIGIL_EVENTS_FILE ? filePath('SIGIL_EVENTS_FILE', env.SIGIL_EVENTS_FILE, cwd, homeDir) : undefined;

  const kmsPassword = secretOf('TATUM_KMS_PASSWORD', env.TATUM_KMS_PASSWORD);
  const walletDatPassword = secretOf('TATUM_KMS_WALLET_PASSWORD', env.TATUM_KMS_WALLET_PASSWORD);
  const newPassword = secretOf('SIGIL_NEW_PASSWORD', env.SIGIL_NEW_PASSWORD);
  return {
    store,
    aws: { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) },
    testnet: flags.testnet ?? false,
    tatumApiUrl: env.TATUM_API_URL ? httpUrl('TATUM_API_URL', env.TATUM_API_URL) : DEFAULT_TATUM_API_URL,
    ...(tatumApiKey ? { tatumApiKey } : {}),
    ...(kmsPassword ? { kmsPassword } : {}),
    ...(walletDatPassword ? { walletDatPassword } : {}),
    ...(newPassword ? { newPassword } : {}),
    ...(eventsFile ? { eventsFile } : {}),
    ...(sources.envFile ? { envFile: sources.envFile } : {}),
    warnings,
  };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/** Each variable of CONFIG_VARIABLES with its value for checkconfig: secrets masked, absent ones "N/A". */
export function describeVariables(sources: Pick<ConfigSources, 'env' | 'dotenv'>): Record<string, string> {
  const env: Record<string, string | undefined> = { ...sources.dotenv, ...definedOnly(sources.env) };
  const out: Record<string, string> = {};
  for (const { name, secret } of CONFIG_VARIABLES) {
    const value = env[name];
    out[name] = value === undefined || value === '' ? 'N/A' : secret ? new EnvSecret(name, value).masked(name === 'TATUM_API_KEY' ? 6 : 0) : value;
  }
  return out;
}
