/**
 * What a user sees around recovery through `tidemark run`: a restart after a failure is one line on
 * stderr naming the cause (and the job still delivers everything exactly once); `-s` of a folder with
 * no complete checkpoint is one line saying so and a non-zero exit; `-s` with state of an operator
 * the job no longer has (its uid changed) fails naming that operator and `--allowNonRestoredState`,
 * and runs with `-n`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';
import { committedLines } from '../connectors/committed-files.ts';

afterAll(removeTempDirs);

const JOB = join(FIXTURES, 'running-sums-file-sink-job.ts');
const RECORDS = 3000;

let dir: string;
let reference: string[];
beforeAll(() => {
  dir = tempDir();
  const input: string[] = [];
  reference = [];
  const sums = new Map<string, [number, number]>();
  for (let i = 0; i < RECORDS; i++) {
    const key = `k${i % 5}`;
    input.push(`${key},${i}`);
    const [count, sum] = sums.get(key) ?? [0, 0];
    sums.set(key, [count + 1, sum + i]);
    reference.push(`${key},${count + 1},${sum + i}`);
  }
  reference.sort();
  writeFileSync(join(dir, 'in.txt'), `${input.join('\n')}\n`);
});

const checkpointing = (checkpoints: string): string[] => ['-D', 'execution.checkpointing.interval=50ms', '-D', `state.checkpoints.dir=${checkpoints}`];
const job = (output: string, ...more: string[]): string[] => [JOB, '--input', join(dir, 'in.txt'), '--output', output, ...more];

describe('a restart after a failure', () => {
  test('one line on stderr with the cause; the job then finishes with every record exactly once', async () => {
    const output = join(dir, 'restart-out');
    const r = await runCli([
      'run', ...checkpointing(join(dir, 'restart-cp')),
      '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.delay=10ms',
      ...job(output, '--fail-at', '2000'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const stderr = lines(r.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^Job 'running sums' \([0-9a-f]{32}\) failed \(attempt 1\): .*Error: injected failure at record 2000\. Restarting in 10 ms from (checkpoint \d+ \(.*\)|the beginning \(no completed checkpoint yet\)); restart strategy fixed-delay/);
    expect(committedLines(output).sort()).toEqual(reference);
  }, 60_000);
});

describe('-s <path> with nothing to restore', () => {
  test('a folder without a complete checkpoint: one line saying so, a non-zero exit, no output', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'some-job', 'chk-3'), { recursive: true }); // a checkpoint that never completed
    const output = join(dir, 'empty-out');
    const r = await runCli(['run', '-s', empty, ...job(output)]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(new RegExp(`failed: No complete checkpoint or savepoint under '${empty}': only a checkpoint folder without _metadata \\(${join(empty, 'some-job', 'chk-3')}\\): a checkpoint that did not complete is never used$`)),
    ]);
    expect(committedLines(output)).toEqual([]);
  }, 60_000);

  test('a folder that does not exist: one line saying so, a non-zero exit', async () => {
    const missing = join(dir, 'no-such-folder');
    const r = await runCli(['run', '-s', missing, ...job(join(dir, 'missing-out'))]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toEqual([expect.stringContaining(`No checkpoint or savepoint at '${missing}': the folder does not exist`)]);
  }, 60_000);
});

describe('-s with state of an operator the job does not have', () => {
  test("fails naming the operator and -n; with -n it runs", async () => {
    const checkpoints = join(dir, 'uid-cp');
    const first = await runCli(['run', ...checkpointing(checkpoints), ...job(join(dir, 'uid-out-1'))]);
    expect(first.code, first.stderr).toBe(0);

    const output = join(dir, 'uid-out-2');
    const strict = await runCli(['run', ...checkpointing(checkpoints), '-s', checkpoints, ...job(output, '--sum-uid', 'totals')]);
    expect(strict.code).not.toBe(0);
    const stderr = lines(strict.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain("it holds state of 'Keyed Reduce' (uid/id sums), which the job does not have");
    expect(stderr[0]).toContain('--allowNonRestoredState (-n)');
    expect(committedLines(output)).toEqual([]);

    const lenient = await runCli(['run', ...checkpointing(checkpoints), '-s', checkpoints, '-n', ...job(output, '--sum-uid', 'totals')]);
    expect(lenient.stderr).toBe('');
    expect(lenient.code).toBe(0);
  }, 90_000);
});
