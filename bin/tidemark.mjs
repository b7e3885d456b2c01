#!/usr/bin/env node
// The `tidemark` command. The command runs in a worker thread (the job thread, which loads job files
// and tidemark itself as TypeScript with tsx); this thread only handles signals and the exit code.
import { superviseJobThread } from '../lib/cli/supervisor.mjs';

process.exitCode = await superviseJobThread({ argv: process.argv.slice(2), cwd: process.cwd(), stdin: true, exit: true });
