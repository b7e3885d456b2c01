/**
 * `tidemark run --savepoint-on-stop <dir>`: a SIGTERM to a running checkpointing job stops it with a
 * savepoint — it says so, prints the savepoint's path on stdout and exits 0, having committed what
 * it read up to the savepoint and nothing after. `tidemark run -s <that path>` then finishes the job:
 * the committed FileSink output is exactly the uninterrupted job's. Inline and threads -p 2.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';
import { committedLines } from '../connectors/committed-files.ts';
import { RunningCli } from '../reliability/running-cli.ts';

afterAll(removeTempDirs);

const JOB = join(FIXTURES, 'running-sums-file-sink-job.ts');
const KEYS = 7;
const RECORDS = 30_000;

function inputAndReference(): { input: string; reference: string[] } {
  const input: string[] = [];
  const reference: string[] = [];
  const sums = new Map<string, [number, number]>();
  for (let i = 0; i < RECORDS; i++) {
    const key = `k${i % KEYS}`;
    input.push(`${key},${i}`);
    const [count, sum] = sums.get(key) ?? [0, 0];
    sums.set(key, [count + 1, sum + i]);
    reference.push(`${key},${count + 1},${sum + i}`);
  }
  return { input: `${input.join('\n')}\n`, reference: reference.sort() };
}

/** Resolves once a checkpoint under `dir` completed (the job is running and checkpointing). */
async function checkpointCompleted(dir: string, cli: RunningCli): Promise<void> {
  let ended = false;
  void cli.exited.then(() => (ended = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const done = existsSync(dir) && readdirSync(dir).some((job) => readdirSync(join(dir, job)).some((chk) => existsSync(join(dir, job, chk, '_metadata'))));
    if (done) return;
    if (ended) throw new Error(`the job ended before its first checkpoint; stderr: ${cli.stderr}`);
    if (Date.now() > deadline) throw new Error(`no checkpoint within 60 s; stderr: ${cli.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const TARGETS = [
  { name: 'inline', args: ['-t', 'inline'] },
  { name: 'threads -p 2', args: ['-t', 'threads', '-p', '2'] },
] as const;

describe('--savepoint-on-stop, then -s <savepoint>', () => {
  for (const target of TARGETS) {
    test(`${target.name}: SIGTERM takes a savepoint and exits 0; resuming from it finishes the job exactly once`, async () => {
      const dir = tempDir();
      const { input, reference } = inputAndReference();
      writeFileSync(join(dir, 'in.txt'), input);
      const checkpoints = join(dir, 'checkpoints');
      const savepoints = join(dir, 'savepoints');
      const output = join(dir, 'out');
      const options = [...target.args, '-D', 'execution.checkpointing.interval=100ms', '-D', `state.checkpoints.dir=${checkpoints}`];
      const jobArgs = [JOB, '--input', join(dir, 'in.txt'), '--output', output, '--spin-ms', '0.05'];

      const cli = new RunningCli(['run', ...options, '--savepoint-on-stop', savepoints, ...jobArgs]);
      await checkpointCompleted(checkpoints, cli);
      cli.kill('SIGTERM');
      const stopped = await cli.exitWithin(60_000);
      expect(stopped.code, stopped.stderr).toBe(0);
      const [savepoint] = readdirSync(savepoints);
      expect(lines(stopped.stdout)).toEqual([`Savepoint completed. Path: ${join(savepoints, savepoint!)}`]);
      expect(lines(stopped.stderr)).toEqual(['Received SIGTERM, stopping the job with a savepoint...', 'Job stopped with a savepoint.']);
      // Stopped mid-run: some of the output is committed, all of it from the reference, none twice.
      const before = committedLines(output).sort();
      expect(before.length).toBeGreaterThan(0);
      expect(before.length).toBeLessThan(reference.length);
      expect(new Set(before).size).toBe(before.length);
      for (const l of before) expect(reference).toContain(l);

      const resumed = await runCli(['run', ...options, '-s', join(savepoints, savepoint!), ...jobArgs]);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(committedLines(output).sort()).toEqual(reference);
    }, 120_000);
  }
});
