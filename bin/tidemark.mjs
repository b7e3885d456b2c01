#!/usr/bin/env node
// The `tidemark` command. Registers tsx so job files (and tidemark itself) load as TypeScript.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
