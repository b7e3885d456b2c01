// Entry of the job thread of `tidemark run` (see run() in main.ts): makes TypeScript importable
// (tsx), then evaluates the job module.
import { register } from 'tsx/esm/api';

register();
const { runJobThread } = await import('./main.ts');
await runJobThread();
