// Entry of the job thread of the `tidemark` command (see supervisor.mjs): makes TypeScript
// importable (tsx: the user's .ts job, and tidemark's own sources when it runs from them), then
// runs the command here. The build writes './main.js' for './main.ts' in dist/.
import { existsSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
import { registerSourceCondition } from '../runtime/source-condition.mjs';

register();
if (existsSync(new URL('./main.ts', import.meta.url))) registerSourceCondition(); // run from the sources
const { runInJobThread } = await import('./main.ts');
await runInJobThread(workerData.argv, workerData.cwd);
