/** Processing-time windows: the wall clock assigns and fires them (ProcessingTimeTrigger). */
import { expect, test } from 'vitest';
import { Observable } from 'rxjs';
import { StreamExecutionEnvironment, TumblingProcessingTimeWindows } from '../lib/index.ts';

test('elements arriving together share a processing-time window, which fires when the clock passes its end', async () => {
  const env = StreamExecutionEnvironment.create();
  const events = new Observable<string>((s) => {
    ['a', 'b', 'c'].forEach((x) => s.next(x)); // same instant
    setTimeout(() => ['d', 'e'].forEach((x) => s.next(x)), 120); // a later window
    setTimeout(() => s.complete(), 300); // both windows have fired by then
  });
  const out = await env
    .fromObservable(events)
    .keyBy(() => 'k')
    .window(TumblingProcessingTimeWindows.of('40 ms'))
    .process((_k: string, ctx, elements: string[], o) => {
      expect(ctx.currentProcessingTime()).toBeGreaterThanOrEqual(ctx.window().maxTimestamp());
      o.collect(elements.join(''));
    })
    .executeAndCollect();
  expect(out).toEqual(['abc', 'de']);
});
