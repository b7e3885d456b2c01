// Entry of the job thread of the `tidemark` command (see supervisor.mjs): makes TypeScript
// importable (tsx), then runs the command here.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runInJobThread } = await import('./main.ts');
await runInJobThread(workerData.argv, workerData.cwd);
