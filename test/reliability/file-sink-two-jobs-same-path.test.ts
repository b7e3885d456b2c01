/**
 * Two jobs writing the same output path at the same time (a cron run that overlaps the previous
 * one, say): one of them may fail, but a job that succeeds has exactly its own records under the
 * final name. Before, both wrote the same in-progress file (`.out.txt.inprogress`, opened with 'w'
 * by each): the second truncated the first's file, and the first kept writing into the file the
 * second had already published — a job that exited 0 had another job's bytes in its output.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment, type Source } from '../../lib/index.ts';
import { inProgressPath } from '../../connectors/file/index.ts';
import { lines, removeTempDirs, tempDir, until } from '../helpers.ts';

afterAll(removeTempDirs);

const env = (): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });

/** `<tag>:0..count-1` in batches of 100; before each batch after the first, waits for `gate()`. */
function tagged(tag: string, count: number, gate: () => boolean): Source<string> {
  return {
    boundedness: 'BOUNDED',
    createReader: () => {
      let n = 0;
      return {
        start() {},
        pollNext(out) {
          if (n >= count) return 'END_OF_INPUT';
          if (n > 0 && !gate()) return 'NOTHING_AVAILABLE';
          for (const end = n + 100; n < end && n < count; n++) out.collect(`${tag}:${n}`);
          return 'NOTHING_AVAILABLE';
        },
        isAvailable: () => new Promise((r) => setTimeout(r, 2)),
        close() {},
      };
    },
  };
}

describe('two jobs writing the same file sink path at once', () => {
  test('OVERWRITE: a job that succeeds holds exactly its own records; the other fails', async () => {
    const path = join(tempDir(), 'out.txt');
    let bDone = false;
    // A writes its first batch, waits until B has finished, then writes 400 records more.
    const a = env();
    a.fromSource(tagged('A', 500, () => bDone), 'A').writeAsText(path, 'OVERWRITE');
    const clientA = await a.executeAsync('A');
    const resultA = clientA.getJobExecutionResult().then(
      () => 'ok',
      (e: unknown) => String(e),
    );
    await until(() => existsSync(inProgressPath(path)) && readFileSync(inProgressPath(path), 'utf8').includes('A:99\n'));
    const b = env();
    b.fromSource(tagged('B', 200, () => true), 'B').writeAsText(path, 'OVERWRITE');
    const resultB = await b.execute('B').then(
      () => 'ok',
      (e: unknown) => String(e),
    );
    bDone = true;
    const outcomeA = await resultA;
    // At most one of them may claim success, and the file under the final name is that job's output.
    expect([outcomeA, resultB].filter((r) => r === 'ok').length).toBeLessThanOrEqual(1);
    const published = existsSync(path) ? lines(readFileSync(path, 'utf8')) : null;
    if (resultB === 'ok') expect(published).toEqual(Array.from({ length: 200 }, (_, i) => `B:${i}`));
    else if (outcomeA === 'ok') expect(published).toEqual(Array.from({ length: 500 }, (_, i) => `A:${i}`));
    else expect(published).toBeNull();
  });
});
