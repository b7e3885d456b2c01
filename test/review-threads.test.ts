/**
 * Review: threads mode — a job built from an earlier job's results, stdout of every worker reaching
 * the CLI's stdout, executeAndCollect(limit) ending an unbounded job.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { lines, removeTempDirs, runCli, startServer } from './helpers.ts';

afterAll(removeTempDirs);

const threads = (p: number): string[] => ['-t', 'threads', '-p', String(p), '-D', `taskmanager.numberOfTaskSlots=${p}`];

describe('review: threads mode', () => {
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
