/**
 * Wallet events on the audit trail (docs/audit.md): one entry on the wallet's stream `wallet#<signatureId>`
 * per created or removed wallet and per revealed secret. The detail holds the wallet's public facts and
 * what happened (source, action, index, backup recipient fingerprint) — never a secret, never the xpub.
 */
import type { AuditAction } from '../audit/audit-entry.js';
import type { WalletKind } from '../store/wallet-store.js';
import type { WalletDeps } from './deps.js';

export type WalletAuditAction = Extract<AuditAction, 'wallet.created' | 'wallet.removed' | 'secret.revealed'>;

export interface AuditedWallet {
  readonly signatureId: string;
  readonly chain: string;
  readonly network: string;
  readonly kind: WalletKind;
}

export async function auditWallet(
  deps: WalletDeps,
  action: WalletAuditAction,
  wallet: AuditedWallet,
  extra: Readonly<Record<string, string | number | boolean | null>> = {},
): Promise<void> {
  if (!deps.audit) return;
  await deps.audit.record({
    stream: { kind: 'wallet', id: wallet.signatureId },
    action,
    actor: deps.actor ?? 'sigil',
    detail: { chain: wallet.chain, network: wallet.network, kind: wallet.kind, ...extra },
  });
}
