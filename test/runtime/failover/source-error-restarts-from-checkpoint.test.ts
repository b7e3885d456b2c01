/**
 * A source that errors (its reader's pollNext throws) fails the attempt like a user function does:
 * the restart is logged with the source's error, the job restarts from the newest completed
 * checkpoint with the sources rewound, and an exactly-once sink (executeAndCollect with checkpoints)
 * gets every record once.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { hasCompletedCheckpoint, removeTempDirs, tempDir } from '../../helpers.ts';
import { RestartStrategies, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { NumberSequenceSource } from '../../../connectors/collection/index.ts';
import type { Source, SourceReader, SourceReaderContext } from '../../../lib/core/connector/source.ts';

afterAll(removeTempDirs);

/** Whether a reader threw already (module level: the job runs inline, so the restarted readers see it). */
let failed = false;

/** The sequence, pausing 10 ms after each poll; the first reader to pass `failAfter` polls once a checkpoint completed throws, once per test. */
class FlakySequence implements Source<number> {
  readonly boundedness = 'BOUNDED';
  private readonly inner: NumberSequenceSource;
  constructor(
    from: number,
    to: number,
    private readonly failAfter: number,
    private readonly checkpoints: string,
  ) {
    this.inner = new NumberSequenceSource(from, to);
  }
  createReader(context: SourceReaderContext): SourceReader<number> {
    const inner = this.inner.createReader(context);
    const { failAfter, checkpoints } = this;
    let polls = 0;
    let ready = true;
    return {
      start: () => inner.start(),
      pollNext(output) {
        if (!ready) return 'NOTHING_AVAILABLE';
        if (++polls > failAfter && !failed && hasCompletedCheckpoint(checkpoints)) {
          failed = true;
          throw new Error('the connection to the broker was reset');
        }
        const status = inner.pollNext(output);
        if (status !== 'MORE_AVAILABLE') return status;
        ready = false;
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () => new Promise<void>((r) => setTimeout(() => ((ready = true), r()), 10)),
      snapshotState: (id) => inner.snapshotState!(id),
      close: () => inner.close(),
    };
  }
}

test('a source error restarts the job from the newest completed checkpoint; every record arrives once', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const checkpoints = tempDir();
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': checkpoints });
    env.enableCheckpointing(10);
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    failed = false;
    const n = 20000;
    // 256 numbers per poll, 10 000 per subtask: the failure comes after about 6 400 numbers of one subtask (some 250 ms in).
    const out = await env.fromSource(new FlakySequence(1, n, 25, checkpoints), 'flaky sequence').uid('flaky').setParallelism(2).map((x) => x).executeAndCollect();
    expect(failed).toBe(true);
    expect(out.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const restart = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'));
    expect(restart).toHaveLength(1);
    expect(restart[0]).toMatch(/the connection to the broker was reset\. Restarting in 0 ms from checkpoint \d+/);
  } finally {
    warn.mockRestore();
  }
});
