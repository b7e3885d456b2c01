/** Processing-time windows: the wall clock assigns and fires them (ProcessingTimeTrigger). */
import { expect, test } from 'vitest';
import { Observable } from 'rxjs';
import { StreamExecutionEnvironment, TumblingProcessingTimeWindows } from '../../lib/index.ts';

test('elements arriving together share a processing-time window, which fires when the clock passes its end', async () => {
  const env = StreamExecutionEnvironment.create();
  // Windows are aligned to the epoch: emit just after a window starts, so that a busy machine (the
  // suite runs CLI processes beside this test) does not split 'abc' across a window end.
  const SIZE = 200;
  const events = new Observable<string>((s) => {
    const start = SIZE - (Date.now() % SIZE) + 5;
    setTimeout(() => ['a', 'b', 'c'].forEach((x) => s.next(x)), start); // same instant
    setTimeout(() => ['d', 'e'].forEach((x) => s.next(x)), start + 2 * SIZE); // a later window
    setTimeout(() => s.complete(), start + 4 * SIZE); // both windows have fired by then
  });
  const out = await env
    .fromObservable(events)
    .keyBy(() => 'k')
    .window(TumblingProcessingTimeWindows.of(`${SIZE} ms`))
    .process((_k: string, ctx, elements: string[], o) => {
      expect(ctx.currentProcessingTime()).toBeGreaterThanOrEqual(ctx.window().maxTimestamp());
      o.collect(elements.join(''));
    })
    .executeAndCollect();
  expect(out).toEqual(['abc', 'de']);
});
