/**
 * A second Ctrl-C stops the job thread at once: it cannot remove the worker bundles of its threads
 * jobs (execution/worker-bundle.ts) itself, so the command removes them (its own, by its process id)
 * before it exits; they are not left in the temp dir until the next threads job is built.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BIN, REPO_ROOT, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

test('a command stopped by a second SIGINT leaves no worker bundle folder behind', async () => {
  const tmp = join(tempDir(), 'tmp');
  mkdirSync(tmp);
  const child = spawn(process.execPath, [BIN, 'run', '-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', 'test/fixtures/worker-bundle/endless-job.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TMPDIR: tmp, TIDEMARK_DEBUG: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const ready = new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if ((stderr.match(/worker ready .*\(bundle\)/g) ?? []).length === 2) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await ready;
  expect(readdirSync(tmp).filter((f) => f.startsWith('tidemark-worker-'))).toHaveLength(1);
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toContain('stopping the job at once');
  expect(readdirSync(tmp).filter((f) => f.startsWith('tidemark-worker-'))).toEqual([]);
}, 60_000);
