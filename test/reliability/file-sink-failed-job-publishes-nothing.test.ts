/**
 * A file sink publishes its files only when the whole job succeeded, never a part of them: when one
 * subtask's input ends (its file complete) but another subtask, or another operator of the job,
 * then fails or is canceled, no file appears under its final name. Otherwise the output directory
 * of a failed job would hold `1` but not `2`, and reading it back would look like a complete result
 * (Flink's FileSink in streaming mode commits its pending files only when a checkpoint of the whole
 * job completed; its OutputFormats finalize on the master after the job: FinalizeOnMaster).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobExecutionException, StreamExecutionEnvironment, type Source } from '../../lib/index.ts';
import { inProgressPath } from '../../connectors/file/index.ts';
import { lines, rejection, removeTempDirs, runCli, tempDir, until } from '../helpers.ts';

afterAll(removeTempDirs);

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

/**
 * Subtask 0 (or every subtask of a source with `failing: false`) emits 100 records and ends.
 * The failing subtask emits 100 records, then waits until `published()` is true (bounded: a fixed
 * build never publishes early), then throws.
 */
function source(failingSubtask: number | null, published: () => boolean): Source<string> {
  return {
    boundedness: 'BOUNDED',
    createReader: (context) => {
      const subtask = context.getIndexOfSubtask();
      const failing = subtask === failingSubtask;
      let emitted = false;
      let waitUntil = 0;
      return {
        start() {},
        pollNext(out) {
          if (!emitted) {
            for (let i = 0; i < 100; i++) out.collect(`${subtask}:${i}`);
            emitted = true;
            waitUntil = Date.now() + 500;
          }
          if (!failing) return 'END_OF_INPUT';
          if (published() || Date.now() > waitUntil) throw new Error(`subtask ${subtask} failed after the others ended`);
          return 'NOTHING_AVAILABLE';
        },
        isAvailable: () => new Promise((r) => setTimeout(r, 5)),
        close() {},
      };
    },
  };
}

describe('a file sink of a job that fails after some subtasks ended', () => {
  test('parallelism 2: the subtask that ended publishes nothing; the output directory holds no visible file', async () => {
    const path = join(tempDir(), 'out');
    const e = env(2);
    e.fromSource(source(1, () => existsSync(join(path, '1'))), 'Half-failing').writeAsText(path);
    const err = await rejection(e.execute());
    expect(err).toBeInstanceOf(JobExecutionException);
    expect(readdirSync(path).filter((f) => !f.startsWith('.'))).toEqual([]);
    // Reading the directory back finds nothing, not subtask 1's file alone.
    expect(await env().readTextFile(path).executeAndCollect()).toEqual([]);
    // What subtask 1 wrote is kept, in progress.
    expect(lines(readFileSync(inProgressPath(join(path, '1')), 'utf8'))).toHaveLength(100);
  });

  test('parallelism 1: a sink whose input ended publishes nothing when another branch of the job fails', async () => {
    const dir = tempDir();
    const done = join(dir, 'done.txt');
    const e = env(1);
    e.fromSource(source(null, () => true), 'Ends').writeAsText(done);
    e.fromSource(source(0, () => existsSync(done)), 'Fails').writeAsText(join(dir, 'failed.txt'));
    await rejection(e.execute());
    expect(existsSync(done)).toBe(false);
    expect(lines(readFileSync(inProgressPath(done), 'utf8'))).toHaveLength(100);
  });

  test('the job succeeds: every file is published, at parallelism 1 and 2', async () => {
    const dir = tempDir();
    const e = env(2);
    e.fromSource(source(null, () => true), 'Ends').writeAsText(join(dir, 'two'));
    e.fromSource(source(null, () => true), 'Ends').setParallelism(1).writeAsText(join(dir, 'one.txt')).setParallelism(1);
    await e.execute();
    expect(readdirSync(dir).sort()).toEqual(['one.txt', 'two']);
    expect(readdirSync(join(dir, 'two')).sort()).toEqual(['1', '2']);
    expect(lines(readFileSync(join(dir, 'two', '2'), 'utf8'))).toEqual(Array.from({ length: 100 }, (_, i) => `1:${i}`));
  });
});

describe('NO_OVERWRITE and a file that appears at the target while the job runs', () => {
  test('the file is not replaced; the job fails naming it; the output stays in progress', async () => {
    const path = join(tempDir(), 'out.txt');
    const e = env(1);
    // The failing subtask's wait ends as soon as the file is there; it then ends instead of failing.
    const appeared = (): boolean => existsSync(path);
    e.fromSource(
      {
        boundedness: 'BOUNDED',
        createReader: () => {
          let emitted = false;
          return {
            start() {},
            pollNext(out) {
              if (!emitted) for (let i = 0; i < 100; i++) out.collect(`0:${i}`);
              emitted = true;
              return appeared() ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
            },
            isAvailable: () => new Promise((r) => setTimeout(r, 5)),
            close() {},
          };
        },
      },
      'Waits',
    ).writeAsText(path, 'NO_OVERWRITE');
    const result = rejection(e.execute());
    await until(() => existsSync(inProgressPath(path)), 'the job wrote no in-progress file');
    writeFileSync(path, 'someone else\n');
    const err = await result;
    expect(String(err)).toContain(`Output file ${path} appeared while the job ran`);
    expect(readFileSync(path, 'utf8')).toBe('someone else\n');
    expect(lines(readFileSync(inProgressPath(path), 'utf8'))).toHaveLength(100);
  });
});

describe('through the CLI: one subtask reads a file with a line over the limit', () => {
  for (const target of ['inline', 'threads']) {
    test(`${target}, parallelism 2: exit 1 naming the line; the output directory holds no visible file`, async () => {
      const dir = tempDir();
      const input = join(dir, 'in');
      mkdirSync(input);
      writeFileSync(join(input, 'a.txt'), 'one\ntwo\n'); // subtask 1: ends at once
      writeFileSync(join(input, 'b.txt'), `${'ok\n'.repeat(50_000)}${'x'.repeat(200)}\n`); // subtask 2: fails at its end
      const output = join(dir, 'out');
      const r = await runCli(['run', '-t', target, '-p', '2', 'test/fixtures/copy-lines-job.ts', '--input', input, '--output', output, '--limit', '100']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Line 50001 of ${join(input, 'b.txt')} (starting at byte offset 150000)`);
      expect(readdirSync(output).sort()).toEqual(['.1.inprogress', '.2.inprogress']);
    });
  }
});
