/**
 * The event catalogue (ARCHITECTURE §Events): EventBridge source `sigil`, one detail type per event.
 * Invariant: a detail carries ids, chains, amounts and hashes — never a secret. `assertNoSecretShape`
 * is a last line of defence that refuses details with fields named like secrets.
 */
export const EVENT_SOURCE = 'sigil';

export const DETAIL_TYPES = [
  'Pending Transaction Approved',
  'Transaction Signed',
  'Transaction Broadcast',
  'Transaction Failed',
  'Transaction Rejected',
  'Double Spend Prevented',
  'Unusual Activity',
  'Poller Heartbeat',
  'Wallet Created',
  'Wallet Removed',
  'Secret Exported',
  'Integrity Check Failed',
] as const;

export type DetailType = (typeof DETAIL_TYPES)[number];

export type EventDetail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface SigilEvent {
  readonly detailType: DetailType;
  readonly detail: EventDetail;
  /** ISO 8601. */
  readonly time: string;
}

const SECRET_FIELD = /mnemonic|private|secret|password|seed|datakey|plaintext/i;

/** Throws if a detail has a field whose name says it holds a secret. */
export function assertNoSecretShape(detail: EventDetail): void {
  for (const key of Object.keys(detail)) {
    if (SECRET_FIELD.test(key)) throw new TypeError(`event detail field "${key}" looks like a secret and is refused`);
  }
}
