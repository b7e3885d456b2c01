/**
 * Threads mode specifics: a worker per slot re-evaluates the job module, so a module that runs two
 * jobs must have each worker run the right one, and a module whose graph is not reproducible must
 * fail with a clear message instead of running a mismatched job. Also: a job built from an earlier
 * job's results, stdout of every worker reaching the CLI's stdout, executeAndCollect(limit) ending an
 * unbounded job.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupBy, lines, removeTempDirs, runCli, sortedByJson, startServer, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

type Rec = [string, number];

const threads = (p: number): string[] => ['-t', 'threads', '-p', String(p), '-D', `taskmanager.numberOfTaskSlots=${p}`];

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

  test('a job built from an earlier executeAndCollect() result gets the same data in the workers', async () => {
    const r = await runCli(['run', ...threads(2), 'test/fixtures/collect-then-job.ts']);
    expect(r.code).toBe(0);
    // print() at parallelism 2 prefixes the subtask; the data must be the client's.
    expect(lines(r.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(['A', 'B', 'C']);
  });

  test('every line printed by the workers reaches stdout before the CLI exits', async () => {
    const n = 200_000;
    const r = await runCli(['run', ...threads(4), 'test/fixtures/many-lines-job.ts', '--n', String(n)]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).length).toBe(n);
  }, 60_000);

  test('executeAndCollect(limit) cancels an unbounded job and the CLI exits', async () => {
    const server = await startServer((s) => {
      let i = 0;
      const t = setInterval(() => s.write(`l${i++}\n`), 5);
      s.on('close', () => clearInterval(t));
    });
    try {
      const r = await runCli(['run', ...threads(2), 'test/fixtures/collect-limit-job.ts', '--port', String(server.port)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((JSON.parse(lines(r.stdout)[0]!) as string[]).length).toBe(3);
    } finally {
      await server.close();
    }
  }, 30_000);
});
