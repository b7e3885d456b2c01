/**
 * FLIP-147: a bounded job whose sources finish at different times — a folder of three files read by
 * three source subtasks, one file much shorter — keeps completing checkpoints after the short file's
 * subtask finished (its _metadata lists that subtask as finished, the others running), and the final
 * checkpoint commits the sinks' last data: when execute() resolves, every line is committed once.
 * A failure injected after the short subtask finished restores from such a checkpoint: the finished
 * subtask does not read its file again, and the output is still every line once.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, expect, test, vi } from 'vitest';
import { RestartStrategies, RichMapFunction, StreamExecutionEnvironment, type Source, type SourceReader, type SourceReaderContext } from '../../../lib/index.ts';
import { BasePathBucketAssigner, FileSink, SimpleStringEncoder } from '../../../connectors/file/index.ts';
import { TextLineSource } from '../../../connectors/file/index.ts';
import { committedLines } from '../../connectors/committed-files.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

/** What the test observes across the job's subtasks (inline: one module instance). */
const seen = {
  /** The short file's reader reached its end (in any attempt). */
  shortFinished: false,
  /** Checkpoint completions the other readers were told of after that. */
  completionsAfterShortFinished: 0,
  /** Lines of the short file mapped, per attempt. */
  shortLinesByAttempt: new Map<number, number>(),
};
beforeEach(() => {
  seen.shortFinished = false;
  seen.completionsAfterShortFinished = 0;
  seen.shortLinesByAttempt.clear();
});

/** The lines of a TextLineSource, pausing 5 ms every 20 lines, so checkpoints complete while it reads. */
class SlowLines implements Source<string> {
  readonly boundedness = 'BOUNDED';
  private readonly inner: TextLineSource;
  constructor(path: string) {
    this.inner = new TextLineSource(path);
  }
  createReader(context: SourceReaderContext): SourceReader<string> {
    const inner = this.inner.createReader(context);
    let polls = 0;
    let pause: Promise<void> | null = null;
    let readsShort = false;
    return {
      start: () => inner.start(),
      pollNext(output) {
        pause = null;
        const status = inner.pollNext({ collect: (line: string) => ((readsShort ||= line.startsWith('short ')), output.collect(line)) });
        if (status === 'END_OF_INPUT') {
          if (readsShort) seen.shortFinished = true;
          return status;
        }
        if (status === 'MORE_AVAILABLE' && ++polls % 20 === 0) {
          pause = new Promise((r) => setTimeout(r, 5));
          return 'NOTHING_AVAILABLE';
        }
        return status;
      },
      isAvailable: () => pause ?? inner.isAvailable(),
      snapshotState: (id) => inner.snapshotState!(id),
      notifyCheckpointComplete() {
        if (seen.shortFinished) seen.completionsAfterShortFinished++;
      },
      close: () => inner.close(),
    };
  }
}

/**
 * Fails once (attempt 0), in a subtask reading a long file, after the short file's subtask finished
 * and two checkpoints completed since (the second was triggered after the finish: it holds the
 * finished subtask's final state). Counts the short file's lines per attempt.
 */
class FailAfterShortFinished extends RichMapFunction<string, string> {
  constructor(private readonly fail: boolean) {
    super();
  }
  map(line: string): string {
    const attempt = this.getRuntimeContext().getTaskInfo().attemptNumber;
    if (line.startsWith('short ')) seen.shortLinesByAttempt.set(attempt, (seen.shortLinesByAttempt.get(attempt) ?? 0) + 1);
    else if (this.fail && attempt === 0 && seen.completionsAfterShortFinished >= 4) throw new Error('injected failure after the short source finished');
    return line;
  }
}

/** a-short.txt (30 lines), b-long.txt and c-long.txt (1500 lines each): subtask 0 reads the short one. */
function inputFolder(): { dir: string; lines: string[] } {
  const dir = join(tempDir(), 'in');
  mkdirSync(dir);
  const files: Array<[string, string, number]> = [
    ['a-short.txt', 'short', 30],
    ['b-long.txt', 'long-b', 1500],
    ['c-long.txt', 'long-c', 1500],
  ];
  const all: string[] = [];
  for (const [name, prefix, n] of files) {
    const lines = Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    all.push(...lines);
  }
  return { dir, lines: all.sort() };
}

interface SubtaskEntry {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly finished: boolean;
}

/** Every completed checkpoint's subtasks as its _metadata lists them, in checkpoint order. */
function checkpointSubtasks(checkpointDir: string): Array<{ id: number; subtasks: SubtaskEntry[] }> {
  const out: Array<{ id: number; subtasks: SubtaskEntry[] }> = [];
  for (const job of readdirSync(checkpointDir)) {
    for (const chk of readdirSync(join(checkpointDir, job))) {
      if (!chk.startsWith('chk-')) continue;
      let text: string;
      try {
        text = readFileSync(join(checkpointDir, job, chk, '_metadata'), 'utf8');
      } catch {
        continue; // never completed
      }
      const body = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { subtasks: SubtaskEntry[] };
      out.push({ id: Number(chk.slice(4)), subtasks: body.subtasks });
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

function job(input: string, out: string, checkpoints: string, fail: boolean): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': checkpoints, 'state.checkpoints.num-retained': 1000 });
  env.enableCheckpointing(10);
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  env
    .fromSource(new SlowLines(input), 'lines')
    .setParallelism(3)
    .uid('lines')
    .map(new FailAfterShortFinished(fail))
    .setParallelism(3)
    .sinkTo(FileSink.forRowFormat(out, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build())
    .setParallelism(3)
    .uid('files');
  return env;
}

test('checkpoints go on after a source subtask finished, and the final checkpoint commits every line', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const { dir, lines } = inputFolder();
    const out = tempDir();
    const checkpoints = tempDir();
    await job(dir, out, checkpoints, false).execute('uneven files');
    // Every line committed once when execute() resolved: the final checkpoint committed the last part files.
    expect(committedLines(out).sort()).toEqual(lines);

    const chks = checkpointSubtasks(checkpoints);
    // Completed while subtask 0 (the short file) had finished and the others were still reading.
    const afterFinish = chks.filter((c) => c.subtasks.some((s) => s.subtaskIndex === 0 && s.finished) && c.subtasks.some((s) => !s.finished));
    expect(afterFinish.length).toBeGreaterThanOrEqual(2);
    // Once finished, a subtask stays finished in every later checkpoint (its final state stands in for it).
    const first = afterFinish[0]!.id;
    for (const c of chks.filter((x) => x.id >= first)) expect(c.subtasks.find((s) => s.subtaskIndex === 0)!.finished).toBe(true);
    // The last one is the final checkpoint: every subtask finished.
    expect(chks.at(-1)!.subtasks.every((s) => s.finished)).toBe(true);
  } finally {
    warn.mockRestore();
  }
});

test('a failure after a source subtask finished: restored from a later checkpoint, the finished subtask does not read again', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const { dir, lines } = inputFolder();
    const out = tempDir();
    await job(dir, out, tempDir(), true).execute('uneven files, one failure');
    const restarts = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'));
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatch(/injected failure after the short source finished.*from checkpoint \d+/);
    expect(seen.shortLinesByAttempt.get(0)).toBe(30);
    expect(seen.shortLinesByAttempt.get(1) ?? 0).toBe(0);
    expect(committedLines(out).sort()).toEqual(lines);
  } finally {
    warn.mockRestore();
  }
});
