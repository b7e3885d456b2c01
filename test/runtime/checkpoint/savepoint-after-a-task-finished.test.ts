/**
 * A STREAMING job without periodic checkpoints can still take a savepoint after one of its tasks
 * finished (FLIP-147): the finished source's position (nothing left) goes into the savepoint, and a job
 * restored from it does not read that source again.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { StreamExecutionEnvironment } from '../../../lib/index.ts';
import { BasePathBucketAssigner, FileSink, SimpleStringEncoder } from '../../../connectors/file/index.ts';
import { committedLines } from '../../connectors/committed-files.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { Gate, GatedSplitsSource, splitEvents, type Ev } from '../failover/gated-splits-source.ts';

afterAll(removeTempDirs);

function job(gate: Gate, splits: Map<string, Ev[]>, out: string, restoreFrom?: string): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.create(restoreFrom === undefined ? { 'execution.runtime-mode': 'STREAMING' } : { 'execution.runtime-mode': 'STREAMING', 'execution.savepoint.path': restoreFrom });
  const short = env.fromElements('a', 'b', 'c').uid('short');
  const long = env.fromSource(new GatedSplitsSource(splits, gate), 'long').uid('long').map((e: Ev) => `e${e.id}`);
  short.union(long).sinkTo(FileSink.forRowFormat(out, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build()).uid('files');
  return env;
}

test('no checkpointing: a savepoint taken after a source finished holds its position; restored, it does not read again', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const splits = splitEvents(3, 1, 20, 2);
    const gate = new Gate(1);
    gate.close(new Map([['split-0', 8]]));
    const out = tempDir();
    const client = await job(gate, splits, out).executeAsync('no checkpointing');
    await gate.allHeld();
    // The short source finished long ago (it emitted 3 records at once); the long one is held.
    await new Promise((r) => setTimeout(r, 50));
    const sp = await client.stopWithSavepoint(tempDir());
    await client.getJobExecutionResult();
    gate.close(undefined);
    await job(gate, splits, out, sp).execute('restored');
    const expected = ['a', 'b', 'c', ...splits.get('split-0')!.map((e) => `e${e.id}`)];
    expect(committedLines(out).sort()).toEqual(expected.sort());
  } finally {
    warn.mockRestore();
  }
});
