// Entry of a slot's worker thread. With a worker bundle (the client compiled the worker, tidemark and
// the job module once: execution/worker-bundle.ts), it imports that bundle: plain JavaScript, no module
// hooks. Without one (bundling failed), it makes TypeScript importable (tsx: a user's .ts job module,
// and tidemark's own sources when it runs from them) and runs the worker on the job module as it is.
// The build writes './worker.js' for './worker.ts' in dist/.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';

if (typeof workerData.bundle === 'string') {
  process.setSourceMapsEnabled(true); // stack traces name the job's own files and lines
  await import(workerData.bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  if (existsSync(new URL('./worker.ts', import.meta.url))) (await import('./source-condition.mjs')).registerSourceCondition(); // run from the sources
  const [{ runSlotWorker }, { importJobModule }] = await Promise.all([import('./worker.ts'), import('./job-module.mjs')]);
  await runSlotWorker(() => importJobModule(pathToFileURL(workerData.jobModule).href));
}
