// Entry of a slot's worker thread: makes TypeScript importable (tsx: a user's .ts job module, and
// tidemark's own sources when it runs from them), then runs the worker. The build writes
// './worker.js' for './worker.ts' in dist/.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';
import { registerSourceCondition } from './source-condition.mjs';

register();
if (existsSync(new URL('./worker.ts', import.meta.url))) registerSourceCondition(); // run from the sources
await import('./worker.ts');
