// Where worker bundles (worker-bundle.ts) live: folders `tidemark-worker-<pid>-…` in the temp dir, named
// by the process that built them. Plain JavaScript: the CLI's main thread (supervisor.mjs), which runs
// before TypeScript can be imported, removes its own after a job thread stopped at once.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WORKER_BUNDLE_PREFIX = 'tidemark-worker-';

/** The worker bundle folders in the temp dir with the process id in each name; none when it cannot be read. */
export function workerBundleFolders() {
  let names;
  try {
    names = readdirSync(tmpdir());
  } catch {
    return [];
  }
  const out = [];
  for (const name of names) {
    if (!name.startsWith(WORKER_BUNDLE_PREFIX)) continue;
    const pid = Number(name.slice(WORKER_BUNDLE_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0) out.push({ pid, path: join(tmpdir(), name) });
  }
  return out;
}
