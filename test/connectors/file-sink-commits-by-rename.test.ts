/**
 * FileSink's writer and committer, driven directly as the engine drives them: what a reader of the
 * output folder sees is exactly what was committed, a re-commit changes nothing, and what a writer
 * wrote without a commit (an aborted attempt) is never seen.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  BasePathBucketAssigner,
  DateTimeBucketAssigner,
  DefaultRollingPolicy,
  FileSink,
  FileSinkError,
  OnCheckpointRollingPolicy,
  OutputFileConfig,
  SimpleStringEncoder,
  type FileSinkCommittable,
} from 'tidemark/connectors/file';
import { isTwoPhaseCommittingSink, type SinkRecordContext } from 'tidemark';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { allFiles, committedLines } from './committed-files.ts';

afterAll(removeTempDirs);

const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };
const context = (subtask = 0) => ({ operatorName: 'FileSink', getIndexOfSubtask: () => subtask, currentParallelism: () => 2 });

function sink(dir: string) {
  return FileSink.forRowFormat(dir, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner()).withRollingPolicy(OnCheckpointRollingPolicy.build()).build();
}

describe('FileSink', () => {
  test('is a two-phase-commit sink', () => {
    expect(isTwoPhaseCommittingSink(sink(tempDir()))).toBe(true);
  });

  test('records are visible only after their committables were committed, each once', () => {
    const dir = tempDir();
    const s = sink(dir);
    const w = s.createWriter(context(1));
    w.write('a', record);
    w.write('b', record);
    w.flush(false);
    expect(committedLines(dir)).toEqual([]); // written, hidden
    const first = w.prepareCommit() as FileSinkCommittable[];
    expect(first).toHaveLength(1);
    w.write('c', record); // after the barrier: the next checkpoint's
    w.flush(false);
    expect(committedLines(dir)).toEqual([]);

    const committer = s.createCommitter();
    committer.commit(first);
    expect(committedLines(dir)).toEqual(['a', 'b']);
    committer.commit(first); // again, as after a restore
    expect(committedLines(dir)).toEqual(['a', 'b']);

    const second = w.prepareCommit() as FileSinkCommittable[];
    committer.commit(second);
    expect(committedLines(dir).sort()).toEqual(['a', 'b', 'c']);
    expect(w.prepareCommit()).toEqual([]); // nothing written since
    w.close();

    // Final names: part-<uid>-<subtask>-<counter>, counters of one writer in order.
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^part-[0-9a-f-]{36}-1-[01]$/);
    expect(first[0]!.pendingFile).toMatch(/\/\.part-[0-9a-f-]{36}-1-0\.inprogress\.[0-9a-f-]{36}$/);
  });

  test('an aborted writer (closed without a commit) leaves only hidden files; a restored one never reuses a name', () => {
    const dir = tempDir();
    const s = sink(dir);
    const committer = s.createCommitter();
    const w1 = s.createWriter(context());
    w1.write('committed', record);
    committer.commit(w1.prepareCommit() as FileSinkCommittable[]);
    w1.write('lost-1', record);
    w1.flush(false);
    const uncommitted = w1.prepareCommit() as FileSinkCommittable[]; // its checkpoint never completes
    w1.write('lost-2', record);
    w1.flush(false);
    w1.close(); // the crash
    expect(committedLines(dir)).toEqual(['committed']);
    expect(uncommitted).toHaveLength(1);

    const w2 = s.createWriter(context()); // the restored attempt replays from the committed checkpoint
    w2.write('lost-1', record);
    w2.write('lost-2', record);
    committer.commit(w2.prepareCommit() as FileSinkCommittable[]);
    w2.close();
    expect(committedLines(dir).sort()).toEqual(['committed', 'lost-1', 'lost-2']);
    const visible = allFiles(dir).filter((f) => !f.startsWith('.'));
    expect(new Set(visible).size).toBe(visible.length);
    expect(allFiles(dir).filter((f) => f.startsWith('.')).length).toBe(2); // the aborted attempt's files, hidden
  });

  test('a committable whose pending file and final file are both gone fails the commit (its records are lost)', () => {
    const dir = tempDir();
    const s = sink(dir);
    const w = s.createWriter(context());
    w.write('x', record);
    const c = w.prepareCommit() as FileSinkCommittable[];
    rmSync(c[0]!.pendingFile);
    expect(() => s.createCommitter().commit(c)).toThrow(FileSinkError);
    w.close();
  });

  test('DefaultRollingPolicy rolls at the maximum part size; all parts of a checkpoint commit together', () => {
    const dir = tempDir();
    const s = FileSink.forRowFormat(dir, new SimpleStringEncoder<string>())
      .withBucketAssigner(new BasePathBucketAssigner())
      .withRollingPolicy(DefaultRollingPolicy.builder().withMaxPartSize(4).build())
      .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix('out').withPartSuffix('.txt').build())
      .build();
    const w = s.createWriter(context());
    for (const r of ['aa', 'bb', 'cc']) w.write(r, record); // 3 bytes each: a part reaching 4 bytes is rolled before the next record
    w.flush(false);
    expect(committedLines(dir)).toEqual([]); // rolled parts are pending, not committed
    const c = w.prepareCommit() as FileSinkCommittable[];
    expect(c.length).toBe(2);
    s.createCommitter().commit(c);
    w.close();
    expect(committedLines(dir).sort()).toEqual(['aa', 'bb', 'cc']);
    for (const n of readdirSync(dir)) expect(n).toMatch(/^out-.*-0-\d\.txt$/);
  });

  test('DefaultRollingPolicy rolls on rollover and inactivity intervals, checked every bucket check interval', () => {
    const dir = tempDir();
    const s = FileSink.forRowFormat(dir, new SimpleStringEncoder<string>())
      .withBucketAssigner(new BasePathBucketAssigner())
      .withRollingPolicy(DefaultRollingPolicy.builder().withRolloverInterval(10_000).withInactivityInterval(3_000).build())
      .withBucketCheckInterval(1_000)
      .build();
    let now = 0;
    const timers: Array<{ time: number; cb: (t: number) => void }> = [];
    const time = { getCurrentProcessingTime: () => now, registerTimer: (t: number, cb: (t: number) => void) => void timers.push({ time: t, cb }) };
    const advance = (to: number) => {
      now = to;
      for (;;) {
        const due = timers.findIndex((t) => t.time <= now);
        if (due < 0) return;
        timers.splice(due, 1)[0]!.cb(now);
      }
    };
    const w = s.createWriter({ ...context(), processingTimeService: time });
    w.write('a', record);
    advance(2_000);
    w.write('b', record);
    advance(4_000); // inactive for 2 s: stays open
    w.flush(false);
    expect(w.prepareCommit()).toHaveLength(1); // the checkpoint rolls it
    w.write('c', record); // opened at 4 s
    advance(6_000);
    w.write('d', record);
    advance(9_000); // inactive 3 s: rolled by the timer
    w.write('e', record); // a new part, opened at 9 s
    for (let t = 10_000; t <= 19_000; t += 1_000) {
      advance(t);
      w.write(`f${t}`, record); // never inactive, but older than 10 s at 19 s
    }
    const c = w.prepareCommit() as FileSinkCommittable[];
    s.createCommitter().commit(c);
    w.close();
    // c,d (inactive at 9 s) | e..f18000 (10 s old at 19 s) | f19000 (rolled by the checkpoint)
    const f = (from: number, to: number) => Array.from({ length: (to - from) / 1000 + 1 }, (_, i) => `f${from + i * 1000}\n`).join('');
    expect(c.map((x) => readFileSync(x.targetFile, 'utf8'))).toEqual(['c\nd\n', 'e\n' + f(10_000, 18_000), 'f19000\n']);
  });

  test('DateTimeBucketAssigner puts records in hourly folders of processing time', () => {
    const dir = tempDir();
    const s = FileSink.forRowFormat(dir, new SimpleStringEncoder<string>()).withBucketAssigner(new DateTimeBucketAssigner('yyyy-MM-dd--HH', 'UTC')).build();
    let now = Date.UTC(2024, 0, 2, 3, 59);
    const w = s.createWriter({ ...context(), processingTimeService: { getCurrentProcessingTime: () => now, registerTimer: () => {} } });
    w.write('one', record);
    now += 60_000;
    w.write('two', record);
    s.createCommitter().commit(w.prepareCommit() as FileSinkCommittable[]);
    w.close();
    expect(readdirSync(dir).sort()).toEqual(['2024-01-02--03', '2024-01-02--04']);
    expect(committedLines(join(dir, '2024-01-02--03'))).toEqual(['one']);
    expect(committedLines(join(dir, '2024-01-02--04'))).toEqual(['two']);
    expect(existsSync(join(dir, '2024-01-02--05'))).toBe(false);
  });
});
