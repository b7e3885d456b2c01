/**
 * Threads mode specifics: a worker per slot re-evaluates the job module, so a module that runs two
 * jobs must have each worker run the right one, and a module whose graph is not reproducible must
 * fail with a clear message instead of running a mismatched job.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupBy, lines, removeTempDirs, runCli, sortedByJson, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

type Rec = [string, number];

describe('threads mode', () => {
  test('a module with two execute() calls runs both jobs, each once', async () => {
    const dir = tempDir();
    const input: Rec[] = [['a', 1], ['b', 2], ['a', 3], ['c', 4], ['b', 5], ['a', 6]];
    const inputFile = join(dir, 'in.json');
    writeFileSync(inputFile, JSON.stringify(input));
    const out1 = join(dir, 'out1.txt');
    const out2 = join(dir, 'out2.txt');
    const r = await runCli([
      'run',
      '-t',
      'threads',
      '-p',
      '3',
      '-D',
      'taskmanager.numberOfTaskSlots=3',
      'test/fixtures/two-jobs.ts',
      '--input',
      inputFile,
      '--out1',
      out1,
      '--out2',
      out2,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sums = lines(readFileSync(out1, 'utf8')).map((l) => JSON.parse(l) as Rec);
    expect(groupBy(sums, (s) => s[0])).toEqual(
      groupBy(
        [
          ['a', 1],
          ['a', 4],
          ['a', 10],
          ['b', 2],
          ['b', 7],
          ['c', 4],
        ] as Rec[],
        (s) => s[0],
      ),
    );
    const doubled = lines(readFileSync(out2, 'utf8')).map((l) => JSON.parse(l) as Rec);
    expect(sortedByJson(doubled)).toEqual(sortedByJson(input.map(([k, v]): Rec => [k, v * 2])));
  });

  test('a job graph that differs between evaluations is refused with a clear message', async () => {
    const r = await runCli(['run', '-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', 'test/fixtures/nondeterministic-graph-job.ts']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('rebuilt a different job graph');
  });
});
