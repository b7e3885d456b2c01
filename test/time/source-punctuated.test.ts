/** With periodic emission off (interval 0), watermarks a generator emits per event still leave the source at once. */
import { expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { StreamExecutionEnvironment, WatermarkStrategy, type Sink, type SinkRecordContext, type WatermarkGenerator, type WatermarkOutput } from '../../lib/index.ts';

test('per-event watermarks from a source generator with setAutoWatermarkInterval(0)', async () => {
  class EveryEvent implements WatermarkGenerator<number> {
    onEvent(_e: number, ts: number, out: WatermarkOutput): void {
      out.emitWatermark(ts);
    }
    onPeriodicEmit(): void {}
  }
  const seen: number[] = [];
  const sink: Sink<number> = {
    createWriter: () => ({ write: (_v: number, ctx: SinkRecordContext) => void seen.push(ctx.currentWatermark()), flush() {}, close() {} }),
  };
  const env = StreamExecutionEnvironment.create();
  env.getConfig().setAutoWatermarkInterval(0);
  env.fromSource(new CollectionSource([1, 2, 3]), WatermarkStrategy.forGenerator(() => new EveryEvent()).withTimestampAssigner((x) => x), 'numbers').sinkTo(sink);
  await env.execute();
  expect(seen).toEqual([Number.NEGATIVE_INFINITY, 1, 2]);
});
