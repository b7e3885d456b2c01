/**
 * The output of a file sink deleted while the job runs (its in-progress file, or the output
 * directory at parallelism > 1) fails the job, naming the output path, instead of ending as a
 * success with all output gone.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JobExecutionException, StreamExecutionEnvironment, type Source } from '../../lib/index.ts';
import { FileSinkError, inProgressPath } from '../../connectors/file/index.ts';
import { causeChain, rejection, removeTempDirs, tempDir, until } from '../helpers.ts';

afterAll(removeTempDirs);

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

/** Each subtask emits 100 records, waits for `gate`, emits 100 more and ends. */
function gated(gate: Promise<void>): Source<string> {
  return {
    boundedness: 'BOUNDED',
    createReader: (context) => {
      const subtask = context.getIndexOfSubtask();
      let phase = 0;
      let open = false;
      void gate.then(() => (open = true));
      return {
        start() {},
        pollNext(out) {
          if (phase === 0 || (phase === 1 && open)) {
            for (let i = 0; i < 100; i++) out.collect(`${subtask}:${phase * 100 + i}`);
            phase++;
          }
          return phase === 2 ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
        },
        isAvailable: () => gate,
        close() {},
      };
    },
  };
}

const written = (path: string): boolean => existsSync(path) && statSync(path).size > 0;

async function runDeleting(p: number, output: string, watch: string[], remove: string): Promise<unknown> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const e = env(p);
  e.fromSource(gated(gate), 'Gated').writeAsText(output);
  const client = await e.executeAsync('deleted output');
  await until(() => watch.every(written), 'the job wrote no in-progress file');
  rmSync(remove, { recursive: true, force: true });
  release();
  return rejection(client.getJobExecutionResult());
}

function expectDeleted(err: unknown, path: string): void {
  expect(err).toBeInstanceOf(JobExecutionException);
  expect((err as Error).message).toContain(path);
  expect((err as Error).message).toContain('deleted');
  expect(causeChain(err).some((c) => c instanceof FileSinkError)).toBe(true);
}

describe('a file sink whose output is deleted while the job runs', () => {
  test('parallelism 1: the in-progress file deleted: the job fails naming the path', async () => {
    const path = join(tempDir(), 'out.txt');
    const err = await runDeleting(1, path, [inProgressPath(path)], inProgressPath(path));
    expectDeleted(err, path);
    expect(existsSync(path)).toBe(false);
  });

  test('parallelism 1: the directory holding the output deleted: the job fails naming the path', async () => {
    const dir = join(tempDir(), 'results');
    const path = join(dir, 'out.txt');
    // The directory exists before the job (the sink does not create a parent at parallelism 1).
    mkdirSync(dir);
    expectDeleted(await runDeleting(1, path, [inProgressPath(path)], dir), path);
  });

  test('parallelism 2: the output directory deleted: the job fails naming the path', async () => {
    const path = join(tempDir(), 'out');
    const err = await runDeleting(2, path, [join(path, '.1.inprogress'), join(path, '.2.inprogress')], path);
    expectDeleted(err, path);
    expect(existsSync(path)).toBe(false);
  });
});
