#!/usr/bin/env node
// The `tidemark` command. The command runs in a worker thread (the job thread, which loads job files
// as TypeScript with tsx); this thread only handles signals and the exit code. In this repository it
// runs from the TypeScript sources in lib/; installed, from the build in dist/ (lib/ is not shipped).
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../lib/cli/main.ts', import.meta.url));
/** @type {typeof import('../lib/cli/supervisor.mjs')} */
const { superviseJobThread } = await import(fromSources ? '../lib/cli/supervisor.mjs' : '../dist/lib/cli/supervisor.mjs');

process.exitCode = await superviseJobThread({ argv: process.argv.slice(2), cwd: process.cwd(), stdin: true, exit: true });
