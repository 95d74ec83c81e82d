/**
 * Waiting for a table a test or a local setup just created (the stack's tables are ACTIVE when the deploy ends).
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StoreError } from './store-error.js';

/** Poll DescribeTable until `name` is ACTIVE; STORE_UNAVAILABLE after `timeoutMs`. `what` names it in the error. */
export async function waitUntilTableActive(client: DynamoDBClient, name: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new StoreError('STORE_UNAVAILABLE', `${what} table ${name} did not become ACTIVE within ${timeoutMs} ms`, { table: name });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
