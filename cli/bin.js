#!/usr/bin/env node
// The installed `sigil` command: registers tsx's ESM loader so the TypeScript sources run as they are
// (no build step), then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
await runCli();
