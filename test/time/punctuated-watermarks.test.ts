/** With periodic emission off (interval 0), watermarks a generator emits per event still flow: from a source at once, and from assignTimestampsAndWatermarks to the next operator. */
import { describe, expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import {
  ProcessFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type ProcessContext,
  type Sink,
  type SinkRecordContext,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../lib/index.ts';

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

type E = { side: 'L' | 'R'; key: string; ts: number; wm?: number };

/** Punctuated: emits the watermark an element carries, right after it. */
class CarriedWatermark implements WatermarkGenerator<E> {
  onEvent(e: E, _ts: number, out: WatermarkOutput): void {
    if (e.wm !== undefined) out.emitWatermark(e.wm);
  }
  onPeriodicEmit(): void {}
}

describe('punctuated watermarks without periodic emission', () => {
  test('setAutoWatermarkInterval(0) disables periodic emission only: watermarks emitted in onEvent still flow (as in Flink)', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    env.getConfig().setAutoWatermarkInterval(0);
    const seen = await env
      .fromCollection<E>([
        { side: 'L', key: 'a', ts: 1, wm: 1 },
        { side: 'L', key: 'a', ts: 2, wm: 2 },
        { side: 'L', key: 'a', ts: 3, wm: 3 },
      ])
      .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new CarriedWatermark()).withTimestampAssigner((e) => e.ts))
      .process(
        new (class extends ProcessFunction<E, number> {
          processElement(_e: E, ctx: ProcessContext, out: Collector<number>): void {
            out.collect(ctx.timerService().currentWatermark());
          }
        })(),
      )
      .executeAndCollect();
    expect(seen).toEqual([Number.NEGATIVE_INFINITY, 1, 2]);
  });
});
