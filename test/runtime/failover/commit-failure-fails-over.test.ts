/**
 * A committer that fails fails the job over, as Flink's committer operator does, also when it is the
 * final checkpoint's commit (every task already finished) or the commit again of the restored
 * checkpoint's committables: the restore commits again, and the output holds every record once.
 * Before, both failed the whole job although restarts were left.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { join } from 'node:path';
import { RestartStrategies, StreamExecutionEnvironment, type Committer, type CommittingSinkWriterContext, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { BasePathBucketAssigner, FileSink, SimpleStringEncoder, type FileSinkCommittable } from '../../../connectors/file/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { committedLines } from '../../connectors/committed-files.ts';

afterAll(removeTempDirs);

/** A FileSink whose committer throws at its first `failures` commit calls. */
function failingCommits(dir: string, failures: number): TwoPhaseCommittingSink<string, FileSinkCommittable> {
  const inner = FileSink.forRowFormat(dir, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build();
  let calls = 0;
  return {
    createWriter: (context: CommittingSinkWriterContext) => inner.createWriter(context),
    createCommitter(): Committer<FileSinkCommittable> {
      const committer = inner.createCommitter();
      return {
        commit(committables) {
          if (++calls <= failures) throw new Error(`commit ${calls} failed`);
          return committer.commit(committables);
        },
      };
    },
  };
}

async function run(failures: number): Promise<{ lines: string[]; log: string[] }> {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const dir = tempDir();
    const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(dir, 'checkpoints') });
    env.enableCheckpointing(60_000); // no periodic checkpoint in time: the first commit is the final checkpoint's
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    const input = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    env.fromCollection(input).uid('lines').sinkTo(failingCommits(join(dir, 'out'), failures)).uid('sink');
    await env.execute('commit failures');
    expect(committedLines(join(dir, 'out')).sort()).toEqual(input.slice().sort());
    return { lines: committedLines(join(dir, 'out')), log: warn.mock.calls.map((c) => String(c[0])) };
  } finally {
    warn.mockRestore();
  }
}

test('the final checkpoint commit fails: the job restarts from that checkpoint and commits it again', async () => {
  const { log } = await run(1);
  const restarts = log.filter((l) => l.includes('Restarting'));
  expect(restarts).toHaveLength(1);
  expect(restarts[0]).toMatch(/commit 1 failed.*from checkpoint 1 /);
});

test('the commit again at the restore fails too: one more restart, then every line once', async () => {
  const { log } = await run(2);
  expect(log.filter((l) => l.includes('Restarting'))).toHaveLength(2);
});
