/**
 * Without taskmanager.numberOfTaskSlots the embedded runtime is sized to the job (Flink's MiniCluster:
 * slots = the job's parallelism), so a parallelism above the number of cores runs; an explicit setting
 * keeps the up-front NoResourceAvailableException naming both numbers.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { NoResourceAvailableException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { lines, rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const ABOVE_CORES = availableParallelism() + 2;

describe('slots sized to the job', () => {
  test(`a program with parallelism ${ABOVE_CORES} (more than the cores) runs`, async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': ABOVE_CORES });
    const out = await env.fromSequence(1, 100).map((x) => x * 2).executeAndCollect();
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * (i + 1)));
  });

  test('an operator parallelism above the default counts too', async () => {
    const env = StreamExecutionEnvironment.create();
    const out = await env.fromSequence(1, 10).map((x) => x).setParallelism(ABOVE_CORES).executeAndCollect();
    expect(out).toHaveLength(10);
  });

  test(`tidemark run -p ${ABOVE_CORES} runs without -D taskmanager.numberOfTaskSlots, inline and in threads`, async () => {
    const dir = tempDir();
    const input = join(dir, 'words.txt');
    writeFileSync(input, 'a b a\n');
    for (const target of ['inline', 'threads']) {
      const r = await runCli(['run', '-t', target, '-p', String(ABOVE_CORES), 'examples/wordcount-batch.ts', '--input', input]);
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(['(a,2)', '(b,1)']);
    }
  });

  test('an explicit slot setting is honoured: the job fails up front naming both numbers', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': ABOVE_CORES, 'taskmanager.numberOfTaskSlots': 2 });
    const err = await rejection(env.fromSequence(1, 10).executeAndCollect());
    expect(err).toBeInstanceOf(NoResourceAvailableException);
    expect((err as NoResourceAvailableException).requiredSlots).toBe(ABOVE_CORES);
    expect((err as NoResourceAvailableException).availableSlots).toBe(2);
  });
});
