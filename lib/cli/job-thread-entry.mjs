// Entry of the job thread of the `tidemark` command (see supervisor.mjs): makes TypeScript
// importable (tsx: the user's .ts job, and tidemark's own sources when it runs from them), then
// runs the command here. The build writes './main.js' for './main.ts' in dist/.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runInJobThread } = await import('./main.ts');
await runInJobThread(workerData.argv, workerData.cwd);
