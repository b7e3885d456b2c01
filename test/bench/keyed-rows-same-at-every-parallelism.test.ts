/**
 * Bench rows (c) and (d) at parallelism 1 to 4 (inline) give the hand loops' checksums: the same result
 * at every parallelism, which the exchange bench compares. Row (d) needs each key's events from one
 * source subtask in order (CEP feeds equal timestamps in arrival order; from two source ranges the ties
 * arrived in another order and the matches differed at p > 1).
 */
import { describe, expect, test } from 'vitest';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { CepChecksumSink, buildCepJob, handCep } from '../../bench/cep.ts';
import { WindowCountSink, buildWindowCountJob, handWindowCount } from '../../bench/windows.ts';

function env(p: number): StreamExecutionEnvironment {
  const e = StreamExecutionEnvironment.getExecutionEnvironment({ 'execution.target': 'inline', 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': p });
  e.getConfig().setAutoWatermarkInterval(20); // many watermark steps: the result must not depend on them
  return e;
}

describe('bench rows (c) and (d) at every parallelism', () => {
  test.each([1, 2, 3, 4])('row (d), the keyed CEP pattern, at p=%i equals the hand loop', async (p) => {
    // 1 M events, as the bench: from two contiguous source ranges a tie of one key first differs here.
    const n = 1_000_000;
    const sink = new CepChecksumSink();
    const e = env(p);
    buildCepJob(e, n, sink);
    await e.execute();
    expect(sink.total()).toEqual(handCep(n));
  });

  test.each([1, 2, 3, 4])('row (c), the keyed window count, at p=%i equals the hand loop', async (p) => {
    const n = 200_000;
    const sink = new WindowCountSink();
    const e = env(p);
    buildWindowCountJob(e, n, sink);
    await e.execute();
    expect(sink.total()).toEqual(handWindowCount(n));
  });
});
