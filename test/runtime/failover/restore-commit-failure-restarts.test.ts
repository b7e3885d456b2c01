/**
 * Before a (re)started attempt runs, the JobMaster commits the restored checkpoint's committables
 * again. A commit can fail for a passing reason (a file system or broker hiccup): that is a failure
 * of the job like any other, handled by its restart strategy (which tries the commit again), not
 * the end of a job that had restarts left.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { RestartStrategies, StreamExecutionEnvironment, type Sink } from '../../../lib/index.ts';
import type { Committer, CommittingSinkWriter, TwoPhaseCommittingSink } from '../../../lib/core/connector/sink.ts';
import { FsCheckpointStorage } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { writeMarkedCheckpoint } from '../checkpoint/checkpoint-fixtures.ts';

afterAll(removeTempDirs);

/** Commits go here (module level: the committer is created from the job's sink). */
const committed: string[] = [];
let commitCalls = 0;

class FlakyCommitSink implements TwoPhaseCommittingSink<number, string> {
  createWriter(): CommittingSinkWriter<number, string> {
    let written: string[] = [];
    return {
      write: (x) => void written.push(String(x)),
      flush: () => {},
      prepareCommit: () => {
        const out = written;
        written = [];
        return out;
      },
      close: () => {},
    };
  }
  createCommitter(): Committer<string> {
    return {
      commit: (cs) => {
        if (commitCalls++ === 0) throw new Error('transient commit failure');
        for (const c of cs) if (!committed.includes(c)) committed.push(c);
      },
    };
  }
}

test('a failed commit of the restored checkpoint restarts the job under its restart strategy', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const base = tempDir();
    const jobId = 'feedfeedfeedfeedfeedfeedfeedfeed';
    // A checkpoint whose sink ('sink') holds the committable 'old-c0'.
    const location = new FsCheckpointStorage(base, jobId).initializeCheckpoint(3);
    await writeMarkedCheckpoint(location, { jobId, checkpointId: 3, timestamp: 1, marker: 'old', vertices: [{ vertexId: 1, parallelism: 1, operators: ['sink'] }] });
    committed.length = 0;
    commitCalls = 0;
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'execution.savepoint.path': location, 'execution.savepoint.ignore-unclaimed-state': true });
    env.setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
    env.setParallelism(1);
    env.fromSequence(1, 3).sinkTo(new FlakyCommitSink() as Sink<number>).uid('sink');
    await env.execute('flaky commit');
    expect(committed.sort()).toEqual(['1', '2', '3', 'old-c0']);
    expect(warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes('Restarting'))).toContain('transient commit failure');
  } finally {
    warn.mockRestore();
  }
});
