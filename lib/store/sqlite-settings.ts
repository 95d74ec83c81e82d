/**
 * The `settings` table of the Sigil database (created by the base migration in sqlite.ts): JSON values by
 * key, e.g. the CLI's local password header.
 */
import { InvalidInputError } from '../errors.js';
import { tableExists, toStoreError, type SqliteDatabase } from './sqlite.js';
import { StoreError } from './store-error.js';

const SETTING_KEY = /^[a-z][a-z0-9._-]{0,63}$/;

/**
 * JSON values by key in the `settings` table (e.g. the CLI's local password header). Values come back as
 * `unknown`: the caller validates them, as any input read from a file.
 */
export class SqliteSettings {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  #checkKey(key: string): void {
    if (!SETTING_KEY.test(key)) throw new InvalidInputError(`setting key must match ${SETTING_KEY}, got a string of ${key.length} characters`, { keyLength: key.length });
  }

  #encode(key: string, value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new InvalidInputError(`setting ${key} must be a JSON value (no bigint, no cycles)`, { key }, { cause: error });
    }
    if (text === undefined) throw new InvalidInputError(`setting ${key} must be a JSON value, got ${typeof value}`, { key });
    return text;
  }

  get(key: string): unknown {
    this.#checkKey(key);
    if (!tableExists(this.#db, 'settings')) return undefined;
    const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (row === undefined) return undefined;
    try {
      return JSON.parse(row.value) as unknown;
    } catch (error) {
      throw new StoreError('CORRUPT_RECORD', `setting ${key} in ${this.#db.name} is not valid JSON`, { key, path: this.#db.name }, { cause: error });
    }
  }

  set(key: string, value: unknown): void {
    this.#checkKey(key);
    const text = this.#encode(key, value);
    try {
      this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, text);
    } catch (error) {
      throw toStoreError(error, this.#db.name, `setting ${key}`);
    }
  }

  /**
   * Store `value` unless the key is set; return what is stored afterwards. Two processes initialising the
   * same setting at once (two first `sigil` commands creating the password header) both end up with the
   * first one's value, so nothing is ever sealed under a header that a racing write replaced.
   */
  setIfAbsent(key: string, value: unknown): unknown {
    this.#checkKey(key);
    const text = this.#encode(key, value);
    try {
      this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, text);
    } catch (error) {
      throw toStoreError(error, this.#db.name, `setting ${key}`);
    }
    return this.get(key);
  }

  /** true if the key existed. */
  delete(key: string): boolean {
    this.#checkKey(key);
    try {
      return this.#db.prepare('DELETE FROM settings WHERE key = ?').run(key).changes > 0;
    } catch (error) {
      throw toStoreError(error, this.#db.name, `deleting setting ${key}`);
    }
  }
}
