// Entry of a slot's worker thread: makes TypeScript importable (tsx: a user's .ts job module, and
// tidemark's own sources when it runs from them), then runs the worker. The build writes
// './worker.js' for './worker.ts' in dist/.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
