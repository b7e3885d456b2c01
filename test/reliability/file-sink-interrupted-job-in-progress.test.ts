/**
 * A canceled or failed job leaves no file sink output that looks complete: writers write
 * `.<name>.inprogress` beside the target, and only a successful end of input renames it to its
 * name. What the writer had accepted before the interruption stays in the in-progress file, as
 * whole records.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { inProgressPath } from '../../connectors/file/index.ts';
import { endlessSource, lines, rejection, removeTempDirs, tempDir, until } from '../helpers.ts';

afterAll(removeTempDirs);

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

/** `<subtask>:0`, `<subtask>:1`, ... forever. */
const endless = endlessSource({ record: (n, subtask) => `${subtask}:${n}` });

const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

/** Whole records of one subtask, in order from 0. */
function expectWholeRecords(text: string, subtask: number): void {
  expect(text.endsWith('\n')).toBe(true);
  const got = lines(text);
  expect(got.length).toBeGreaterThan(0);
  expect(got).toEqual(got.map((_, i) => `${subtask}:${i}`));
}

describe('a file sink of an interrupted job', () => {
  test('canceled at parallelism 1: no file under the final name; the in-progress file holds whole records', async () => {
    const path = join(tempDir(), 'out.txt');
    const e = env();
    e.fromSource(endless, 'Endless').writeAsText(path);
    const client = await e.executeAsync('endless');
    await until(() => size(inProgressPath(path)) > 0, 'the job wrote no in-progress file');
    await client.cancel();
    await client.getJobExecutionResult().catch(() => undefined);
    expect(existsSync(path)).toBe(false);
    expectWholeRecords(readFileSync(inProgressPath(path), 'utf8'), 0);
  });

  test('canceled at parallelism 2: the output directory holds no visible file, and reading it back finds nothing', async () => {
    const path = join(tempDir(), 'out');
    const e = env(2);
    e.fromSource(endless, 'Endless').writeAsText(path);
    const client = await e.executeAsync('endless');
    await until(() => size(join(path, '.1.inprogress')) > 0 && size(join(path, '.2.inprogress')) > 0, 'the job wrote no in-progress file');
    await client.cancel();
    await client.getJobExecutionResult().catch(() => undefined);
    expect(readdirSync(path).sort()).toEqual(['.1.inprogress', '.2.inprogress']);
    expectWholeRecords(readFileSync(join(path, '.1.inprogress'), 'utf8'), 0);
    expectWholeRecords(readFileSync(join(path, '.2.inprogress'), 'utf8'), 1);
    expect(await env().readTextFile(path).executeAndCollect()).toEqual([]);
  });

  test('failed: no file under the final name; the records before the failure are in the in-progress file', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.txt');
    const e = env();
    e.fromSequence(1, 5000)
      .map((n) => {
        if (n === 3000) throw new Error('bad record 3000');
        return `0:${n - 1}`;
      })
      .writeAsText(path);
    await rejection(e.execute());
    expect(readdirSync(dir)).toEqual(['.out.txt.inprogress']);
    const text = readFileSync(inProgressPath(path), 'utf8');
    expectWholeRecords(text, 0);
    expect(lines(text)).toHaveLength(2999);
  });

  test('finished: the file is under its final name and no in-progress file is left, at parallelism 1 and 2', async () => {
    const dir = tempDir();
    const e = env();
    e.fromSequence(1, 3000).writeAsText(join(dir, 'one.txt'));
    await e.execute();
    expect(readdirSync(dir)).toEqual(['one.txt']);
    expect(lines(readFileSync(join(dir, 'one.txt'), 'utf8'))).toHaveLength(3000);
    const e2 = env(2);
    e2.fromSequence(1, 3000).writeAsText(join(dir, 'two'));
    await e2.execute();
    expect(readdirSync(join(dir, 'two')).sort()).toEqual(['1', '2']);
  });
});
