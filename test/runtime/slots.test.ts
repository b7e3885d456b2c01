/** Asking for more parallelism than an explicit taskmanager.numberOfTaskSlots fails up front with a message naming both numbers (unset, slots are sized to the job: test/reliability/slots-sized-to-job.test.ts). */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoResourceAvailableException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('parallelism above taskmanager.numberOfTaskSlots', () => {
  test('executeAndCollect rejects with NoResourceAvailableException naming 3 and 2', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 3, 'taskmanager.numberOfTaskSlots': 2 });
    const err = await rejection(env.fromSequence(1, 10).map((x) => x + 1).executeAndCollect());
    expect(err).toBeInstanceOf(NoResourceAvailableException);
    const e = err as NoResourceAvailableException;
    expect(e.requiredSlots).toBe(3);
    expect(e.availableSlots).toBe(2);
    expect(e.message).toMatch(/\b3\b/);
    expect(e.message).toMatch(/\b2\b/);
    expect(e.message).toContain('taskmanager.numberOfTaskSlots');
  });

  test('an operator parallelism above the slots counts too, not only the default', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });
    const err = await rejection(env.fromSequence(1, 10).map((x) => x).setParallelism(5).executeAndCollect());
    expect(err).toBeInstanceOf(NoResourceAvailableException);
    expect((err as NoResourceAvailableException).requiredSlots).toBe(5);
  });

  test('parallelism equal to the slots runs', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const out = await env.fromSequence(1, 10).map((x) => x * 2).executeAndCollect();
    expect([...out].sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });

  test('the CLI prints the message without a stack trace and exits non-zero', async () => {
    const dir = tempDir();
    const input = join(dir, 'words.txt');
    writeFileSync(input, 'a b\n');
    const r = await runCli(['run', '-p', '3', '-D', 'taskmanager.numberOfTaskSlots=2', 'examples/wordcount-batch.ts', '--input', input]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('NoResourceAvailableException');
    expect(r.stderr).toMatch(/\b3\b/);
    expect(r.stderr).toMatch(/\b2\b/);
    expect(r.stderr).toContain('taskmanager.numberOfTaskSlots');
    expect(r.stderr).not.toContain('    at ');
    expect(r.stdout).toBe('');
  });
});
