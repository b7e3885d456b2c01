/**
 * The current watermark per source split is in the snapshot: restored, a slow split holds the
 * source's watermark back at once (a fast split's records cannot push it past the slow split's
 * position), and the source never emits a watermark below the one it had emitted.
 */
import { expect, test } from 'vitest';
import { WatermarkStrategy } from '../../lib/index.ts';
import { SourceWatermarks } from '../../lib/runtime/source-watermarks.ts';
import type { Output } from '../../lib/runtime/operator.ts';

type Ev = { ts: number };

function sourceWatermarks(): { sw: SourceWatermarks; watermarks: number[] } {
  const watermarks: number[] = [];
  const out = { collect() {}, emitWatermark: (w: number) => void watermarks.push(w), emitWatermarkStatus() {} } as unknown as Output<unknown>;
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0).withTimestampAssigner((e) => e.ts) as WatermarkStrategy<unknown>;
  return { sw: new SourceWatermarks(strategy, out, true), watermarks };
}

test('each split keeps its own watermark across a restore; the source goes on from the lowest', () => {
  const before = sourceWatermarks();
  const fast = before.sw.splitOutput('fast');
  const slow = before.sw.splitOutput('slow');
  fast.collect({ ts: 5000 });
  slow.collect({ ts: 1000 });
  before.sw.onPeriodicEmit();
  expect(before.watermarks).toEqual([999]);
  const state = [
    { splitId: 'fast', state: before.sw.snapshotSplit('fast') },
    { splitId: 'slow', state: before.sw.snapshotSplit('slow') },
  ];
  expect(state.map((s) => s.state.channel.watermark)).toEqual([4999, 999]);

  const after = sourceWatermarks();
  after.sw.restore(state);
  const fastAgain = after.sw.splitOutput('fast');
  const slowAgain = after.sw.splitOutput('slow');
  // Only the fast split reads on: the slow split's restored watermark still holds the source back.
  fastAgain.collect({ ts: 9000 });
  after.sw.onPeriodicEmit();
  expect(after.watermarks).toEqual([]);
  slowAgain.collect({ ts: 2000 });
  after.sw.onPeriodicEmit();
  expect(after.watermarks).toEqual([1999]);
});
