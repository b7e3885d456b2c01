/**
 * KeyedProcessFunction, keyed state and timers: timers fire exactly once per (key, time), in time
 * order, only when the watermark has reached them; state is per key; processing-time timers fire.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  AggregatingStateDescriptor,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ProcessFunction,
  ReducingStateDescriptor,
  RichMapFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ValueState,
} from '../../lib/index.ts';
import { Observable } from 'rxjs';
import { rejection } from '../helpers.ts';

type Ev = { key: string; ts: number };
type Fired = { key: string; timer: number; watermark: number; outTs: number | null };

class TimerPerEvent extends KeyedProcessFunction<string, Ev, Fired> {
  constructor(private readonly delay: number) {
    super();
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>): void {
    ctx.timerService().registerEventTimeTimer(e.ts + this.delay);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<Fired>): void {
    expect(ctx.timeDomain()).toBe('EVENT_TIME');
    out.collect({ key: ctx.getCurrentKey(), timer: ts, watermark: ctx.timerService().currentWatermark(), outTs: ctx.timestamp() });
  }
}

const events = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.integer({ min: 0, max: 200 }) }), { maxLength: 60 });

describe('event-time timers', () => {
  test('each (key, time) fires exactly once, per key in time order, never before the watermark reaches it', async () => {
    await fc.assert(
      fc.asyncProperty(events, fc.integer({ min: 1, max: 4 }), fc.nat({ max: 30 }), async (evs, p, delay) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        env.getConfig().setAutoWatermarkInterval(1);
        const fired = await env
          .fromCollection(evs)
          .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.ts))
          .keyBy((e) => e.key)
          .process(new TimerPerEvent(delay))
          .executeAndCollect();
        const expected = new Set(evs.map((e) => `${e.key}@${e.ts + delay}`));
        expect(fired.map((f) => `${f.key}@${f.timer}`).sort()).toEqual([...expected].sort());
        for (const f of fired) {
          expect(f.watermark).toBeGreaterThanOrEqual(f.timer);
          expect(f.outTs).toBe(f.timer);
        }
        for (const key of ['a', 'b', 'c', 'd']) {
          const times = fired.filter((f) => f.key === key).map((f) => f.timer);
          expect(times).toEqual([...times].sort((x, y) => x - y));
        }
      }),
      { numRuns: 60 },
    );
  });

  test('a deleted timer does not fire; one registered twice fires once', async () => {
    const env = StreamExecutionEnvironment.create();
    const out = await env
      .fromElements<Ev>({ key: 'a', ts: 10 }, { key: 'a', ts: 10 }, { key: 'b', ts: 20 }, { key: 'a', ts: 30 })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
      .keyBy((e) => e.key)
      .process(
        new (class extends KeyedProcessFunction<string, Ev, string> {
          processElement(e: Ev, ctx: KeyedProcessContext<string>): void {
            ctx.timerService().registerEventTimeTimer(100);
            if (e.ts === 30) ctx.timerService().deleteEventTimeTimer(100); // a's timer is gone
          }
          override onTimer(ts: number, ctx: OnTimerContext<string>, o: Collector<string>): void {
            o.collect(`${ctx.getCurrentKey()}@${ts}`);
          }
        })(),
      )
      .executeAndCollect();
    expect(out).toEqual(['b@100']);
  });
});

describe('keyed state', () => {
  test('ValueState counts per key equal a Map reference, at any parallelism', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('x', 'y', 'z', 'w'), { maxLength: 80 }), fc.integer({ min: 1, max: 4 }), async (keys, p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        const out = await env
          .fromCollection(keys)
          .keyBy((k) => k)
          .process(
            new (class extends KeyedProcessFunction<string, string, [string, number]> {
              private count!: ValueState<number>;
              override open(): void {
                this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
              }
              processElement(k: string, _ctx: KeyedProcessContext<string>, o: Collector<[string, number]>): void {
                const c = (this.count.value() ?? 0) + 1;
                this.count.update(c);
                o.collect([k, c]);
              }
            })(),
          )
          .executeAndCollect();
        const ref = new Map<string, number>();
        const expected = keys.map((k): [string, number] => {
          ref.set(k, (ref.get(k) ?? 0) + 1);
          return [k, ref.get(k)!];
        });
        expect([...out].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 50 },
    );
  });

  test('List, Map, Reducing and Aggregating state keep per-key values', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const input: Array<[string, number]> = [['a', 1], ['b', 10], ['a', 2], ['b', 20], ['a', 3]];
    const out = await env
      .fromCollection(input)
      .keyBy((r) => r[0])
      .process(
        new (class extends KeyedProcessFunction<string, [string, number], string> {
          processElement(r: [string, number], _ctx: KeyedProcessContext<string>, o: Collector<string>): void {
            const rc = this.getRuntimeContext();
            const list = rc.getListState(new ListStateDescriptor<number>('list'));
            const map = rc.getMapState(new MapStateDescriptor<number, number>('squares'));
            const sum = rc.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b));
            const avg = rc.getAggregatingState(
              new AggregatingStateDescriptor<number, [number, number], number>('avg', {
                createAccumulator: () => [0, 0],
                add: (v, [s, n]) => [s + v, n + 1],
                getResult: ([s, n]) => s / n,
                merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
              }),
            );
            list.add(r[1]);
            map.put(r[1], r[1] * r[1]);
            sum.add(r[1]);
            avg.add(r[1]);
            o.collect(`${r[0]} list=${list.get().join('+')} keys=${[...map.keys()].join(',')} sum=${sum.get()} avg=${avg.get()}`);
          }
        })(),
      )
      .executeAndCollect();
    expect(out.filter((l) => l.startsWith('a')).pop()).toBe('a list=1+2+3 keys=1,2,3 sum=6 avg=2');
    expect(out.filter((l) => l.startsWith('b')).pop()).toBe('b list=10+20 keys=10,20 sum=30 avg=15');
  });

  test('a rich map after keyBy has keyed state; before keyBy it gets Flink\'s message', async () => {
    class Counter extends RichMapFunction<string, string> {
      map(k: string): string {
        const s = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('n'));
        s.update((s.value() ?? 0) + 1);
        return `${k}${s.value()}`;
      }
    }
    const env = StreamExecutionEnvironment.create();
    expect(await env.fromElements('a', 'b', 'a').keyBy((k) => k).map(new Counter()).executeAndCollect()).toEqual(['a1', 'b1', 'a2']);
    const err = await rejection(StreamExecutionEnvironment.create().fromElements('a').map(new Counter()).executeAndCollect());
    expect(String((err as Error).message)).toContain("Keyed state can only be used on a 'keyed stream'");
  });

  test('timers on a non-keyed stream are refused with Flink\'s message', async () => {
    const env = StreamExecutionEnvironment.create();
    const err = await rejection(
      env
        .fromElements(1)
        .process(
          new (class extends ProcessFunction<number, number> {
            processElement(_v: number, ctx: Parameters<ProcessFunction<number, number>['processElement']>[1]): void {
              ctx.timerService().registerEventTimeTimer(5);
            }
          })(),
        )
        .executeAndCollect(),
    );
    expect(String((err as Error).message)).toContain('Setting timers is only supported on a keyed streams.');
  });
});

describe('processing-time timers', () => {
  test('fire from the mailbox once the wall clock reaches them, with the key set', async () => {
    const env = StreamExecutionEnvironment.create();
    // An Observable that never completes keeps the job alive until both timers fired.
    const out = await env
      .fromObservable(new Observable<string>((s) => ['a', 'b'].forEach((k) => s.next(k))))
      .keyBy((k) => k)
      .process(
        new (class extends KeyedProcessFunction<string, string, string> {
          processElement(_k: string, ctx: KeyedProcessContext<string>): void {
            const now = ctx.timerService().currentProcessingTime();
            ctx.timerService().registerProcessingTimeTimer(now + 5);
            ctx.timerService().registerProcessingTimeTimer(now + 5); // deduplicated
          }
          override onTimer(ts: number, ctx: OnTimerContext<string>, o: Collector<string>): void {
            // Flink: ctx.timestamp() is the timer's time in both domains (only the output record has none).
            o.collect(`${ctx.getCurrentKey()}:${ctx.timeDomain()}:${ctx.timestamp() === ts}`);
          }
        })(),
      )
      .executeAndCollect(2);
    expect(out.sort()).toEqual(['a:PROCESSING_TIME:true', 'b:PROCESSING_TIME:true']);
  });
});
