/**
 * Threads target: the coordinator's first periodic trigger comes before the worker threads have
 * evaluated the job module and deployed their subtasks. It must not be lost (a lost trigger leaves
 * its checkpoint pending until it expires — max concurrent 1 — so no checkpoint completes until
 * then, and the expired one fails the job over).
 */
import { afterAll, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

test('-t threads: checkpoints complete while the job runs, also when triggered before the workers deployed', async () => {
  const dir = tempDir();
  const checkpoints = join(dir, 'checkpoints');
  const n = 60000;
  const r = await runCli(['run', '-t', 'threads', '-p', '2', join(FIXTURES, 'checkpointing-slow-sequence-job.ts'), '--checkpoints', checkpoints, '--count', String(n)]);
  expect(r.code, r.stderr).toBe(0);
  expect(lines(r.stdout)).toContain(`SUM ${(n * (n + 1)) / 2}`);
  const [jobDir] = readdirSync(checkpoints);
  const completed = readdirSync(join(checkpoints, jobDir!)).filter((f) => f.startsWith('chk-'));
  // Not only the first one (pending until every task finished) and the final one: periodic ones completed while it ran.
  expect(completed.length).toBeGreaterThanOrEqual(4);
}, 60_000);
