/**
 * Vitest global setup: one moto_server per test run, shared by every AWS suite through `inject('awsEndpoint')`.
 *
 * - AWS_ENDPOINT_URL already set (e.g. LocalStack at http://localhost:4566): used as is, nothing started.
 * - Otherwise `moto_server` is started on a free loopback port and stopped after the run.
 * - moto_server missing: the AWS suites are skipped with a loud warning, unless SIGIL_REQUIRE_MOTO=1
 *   (set by .ci/run), which fails the run.
 *
 * Suites never reset the shared server (files run in parallel); each creates uniquely named resources.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string | null;
  }
}

let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto_server did not answer at ${url}: ${String(lastError)}`);
}

function warnLoudly(message: string): void {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! ${message}\n${bar}\n\n`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const preset = process.env.AWS_ENDPOINT_URL;
  if (preset) {
    project.provide('awsEndpoint', preset);
    return async () => {};
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' }); // moto logs a line per request: a pipe nobody reads would fill and freeze it
    await new Promise<void>((resolve, reject) => {
      child!.once('error', reject);
      child!.once('spawn', () => resolve());
    });
    await waitForHttp(`${endpoint}/moto-api/`, 30_000);
  } catch (error) {
    child?.kill('SIGKILL');
    child = undefined;
    if (process.env.SIGIL_REQUIRE_MOTO === '1') {
      throw new Error(`SIGIL_REQUIRE_MOTO=1 but moto_server could not be started: ${String(error)}`);
    }
    warnLoudly('moto_server not found: the AWS integration suites (KMS, DynamoDB, EventBridge) are SKIPPED. Install moto[server] or set AWS_ENDPOINT_URL.');
    project.provide('awsEndpoint', null);
    return async () => {};
  }
  project.provide('awsEndpoint', endpoint);
  return async () => {
    child?.kill('SIGTERM');
  };
}
