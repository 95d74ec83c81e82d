/**
 * `generatemanagedwallet <chain> --store aws --remote`: the mnemonic is born inside the VPC, in the stack's
 * `create-wallet` function, never on the operator's machine. The CLI invokes the function (as the
 * wallet-admin role, whose credentials the operator's AWS profile supplies) with `{chain, network}` and
 * prints what it answers, after checking its shape: `{signatureId, xpub}` and nothing else.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { InvalidInputError, SigilError } from '../lib/errors.js';
import type { CommandContext } from './context.js';

const FUNCTION_NAME = /^[A-Za-z0-9:_/-]{1,170}$/;
const SIGNATURE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function createWalletRemotely(ctx: CommandContext, chain: string): Promise<{ signatureId: string; xpub: string }> {
  if (ctx.config.store.kind !== 'aws') throw new InvalidInputError('--remote needs --store aws (the wallet is created by the stack)');
  const name = ctx.io.env.SIGIL_CREATE_WALLET_FUNCTION;
  if (!name || !FUNCTION_NAME.test(name)) {
    throw new InvalidInputError('--remote needs SIGIL_CREATE_WALLET_FUNCTION: the create-wallet function name or ARN (e.g. sigil-prod-create-wallet)');
  }
  const { region, endpoint } = ctx.config.aws;
  const client = new LambdaClient({ ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) });
  try {
    const answer = await client.send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify({ chain, network: ctx.network() })) }));
    const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
    if (answer.FunctionError) {
      let message = 'unknown error';
      try {
        message = String((JSON.parse(text) as { errorMessage?: unknown }).errorMessage ?? message).split('\n')[0]!.slice(0, 300);
      } catch {
        // not JSON: keep the generic message
      }
      throw new SigilError('REMOTE_WALLET', `${name} refused: ${message}`, { function: name });
    }
    const body = JSON.parse(text) as Record<string, unknown>;
    if (Object.keys(body).sort().join(',') !== 'signatureId,xpub' || typeof body.signatureId !== 'string' || !SIGNATURE_ID.test(body.signatureId) || typeof body.xpub !== 'string') {
      throw new SigilError('REMOTE_WALLET', `${name} answered something other than {signatureId, xpub}`, { function: name });
    }
    return { signatureId: body.signatureId, xpub: body.xpub };
  } finally {
    client.destroy();
  }
}
