/**
 * Wallet records as DynamoDB items (docs/store.md), and the reads of DynamoDbWalletStore: strongly
 * consistent ones for its conditional writes, paginated ones for its lists. An item is the record's fields plus `chainNetwork`, the index key;
 * reading one checks that key against the record and parses the rest with parseWalletRecord.
 */
import { BatchGetItemCommand, GetItemCommand, QueryCommand, ScanCommand, type DynamoDBClient, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { ChainRegistry } from '../chains/registry.js';
import type { WalletFilter, WalletRecord } from './wallet-store.js';
import { fromItem, toItem, type Item } from './dynamodb-codec.js';
import { WALLET_INDEX_NAME, toDynamoStoreError } from './dynamodb-wallet-table.js';
import { corruptRecordError, parseWalletRecord } from './record-codec.js';
import { StoreError } from './store-error.js';

/** Attempts of a retried conditional write or of unprocessed batch keys before STORE_UNAVAILABLE. */
export const MAX_ATTEMPTS = 8;
const BATCH_GET_LIMIT = 100;
const ORIGIN = 'dynamodb wallet item';

export interface WalletTableAccess {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly registry: Pick<ChainRegistry, 'has'> | undefined;
}

/** The index key: chain codes and network names cannot hold '#' (record-codec.ts). */
export const chainNetworkOf = (chain: string, network: string): string => `${chain}#${network}`;

/** Full-jitter exponential backoff, capped at 1 s. */
export const pause = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, Math.min(25 * 2 ** attempt, 1000) * Math.random()));

export async function sendToTable<T>(table: string, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toDynamoStoreError(error, table, action);
  }
}

export function walletToItem(record: WalletRecord): Item {
  return toItem({ ...record, chainNetwork: chainNetworkOf(record.chain, record.network) });
}

export function walletFromItem(item: Item, registry?: Pick<ChainRegistry, 'has'>): WalletRecord {
  const { chainNetwork, ...fields } = fromItem(item);
  if (typeof fields.chain !== 'string' || typeof fields.network !== 'string' || chainNetwork !== chainNetworkOf(fields.chain, fields.network)) {
    throw corruptRecordError(ORIGIN, fields.signatureId, 'chainNetwork does not match chain and network (the index would misfile it)', 'chainNetwork');
  }
  return parseWalletRecord(fields, { origin: ORIGIN, ...(registry ? { registry } : {}) });
}

export async function readWallet(access: WalletTableAccess, signatureId: string): Promise<WalletRecord | undefined> {
  const out = await sendToTable(access.table, 'get', () =>
    access.client.send(new GetItemCommand({ TableName: access.table, Key: { signatureId: { S: signatureId } }, ConsistentRead: true })),
  );
  return out.Item ? walletFromItem(out.Item, access.registry) : undefined;
}

/** Strongly consistent reads of many ids; unprocessed keys are retried with backoff. */
export async function readWallets(access: WalletTableAccess, ids: readonly string[]): Promise<Map<string, WalletRecord>> {
  const { client, table } = access;
  const found = new Map<string, WalletRecord>();
  for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
    let keys: Item[] = ids.slice(start, start + BATCH_GET_LIMIT).map((id) => ({ signatureId: { S: id } }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new StoreError('STORE_UNAVAILABLE', `reading wallets from table ${table}: keys stayed unprocessed (throttled)`, { table });
      if (attempt > 0) await pause(attempt);
      const out = await sendToTable(table, 'batch get', () => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } })));
      for (const item of out.Responses?.[table] ?? []) {
        const record = walletFromItem(item, access.registry);
        found.set(record.signatureId, record);
      }
      keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}

/** Every page of a Query or Scan. */
async function allPages(access: WalletTableAccess, action: string, input: (QueryCommandInput & { kind: 'query' }) | (ScanCommandInput & { kind: 'scan' })): Promise<Item[]> {
  const { kind, ...request } = input;
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = { ...request, ExclusiveStartKey: startKey };
    const out = await sendToTable(access.table, action, () => access.client.send(kind === 'query' ? new QueryCommand(page) : new ScanCommand(page)));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Ids only, never a sealed secret: with chain and network, a Query of the KEYS_ONLY index; with one of
 * them, a Scan of that index filtered here (an index key is the whole "chain#network"); with none, a
 * strongly consistent Scan of the table projecting signatureId. The index is eventually consistent: a
 * wallet created a moment ago may be missing from a filtered list for a moment.
 */
export async function listWalletIds(access: WalletTableAccess, filter: WalletFilter): Promise<string[]> {
  const { chain, network } = filter;
  let items: Item[];
  if (chain !== undefined && network !== undefined) {
    items = await allPages(access, 'listIds', {
      kind: 'query',
      TableName: access.table,
      IndexName: WALLET_INDEX_NAME,
      KeyConditionExpression: '#cn = :cn',
      ExpressionAttributeNames: { '#cn': 'chainNetwork' },
      ExpressionAttributeValues: { ':cn': { S: chainNetworkOf(chain, network) } },
    });
  } else if (chain !== undefined || network !== undefined) {
    const keys = await allPages(access, 'listIds', { kind: 'scan', TableName: access.table, IndexName: WALLET_INDEX_NAME });
    items = keys.filter((item) => {
      const [itemChain, itemNetwork] = (item.chainNetwork?.S ?? '').split('#');
      return (chain === undefined || itemChain === chain) && (network === undefined || itemNetwork === network);
    });
  } else {
    items = await allPages(access, 'listIds', {
      kind: 'scan',
      TableName: access.table,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#id': 'signatureId' },
      ConsistentRead: true,
    });
  }
  return items.flatMap((item) => (item.signatureId?.S !== undefined ? [item.signatureId.S] : [])).sort();
}

/** Every record, strongly consistent, in signatureId order (code-unit order, as SQLite's BINARY collation). */
export async function scanWallets(access: WalletTableAccess): Promise<WalletRecord[]> {
  const items = await allPages(access, 'list', { kind: 'scan', TableName: access.table, ConsistentRead: true });
  return items.map((item) => walletFromItem(item, access.registry)).sort((a, b) => (a.signatureId < b.signatureId ? -1 : a.signatureId > b.signatureId ? 1 : 0));
}
