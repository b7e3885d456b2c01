/** connect(): CoMap/CoFlatMap/CoProcess, keyed co-processing with shared state and timers, broadcast state. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  MapStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from '../../lib/index.ts';

describe('connected streams', () => {
  test('CoMap and CoFlatMap see each input with its own function', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const nums = env.fromElements(1, 2, 3);
    const words = env.fromElements('a', 'bb');
    const mapped = await nums.connect(words).map({ map1: (n: number) => `n${n}`, map2: (w: string) => `w${w.length}` }).executeAndCollect();
    expect(mapped.sort()).toEqual(['n1', 'n2', 'n3', 'w1', 'w2']);
    const env2 = StreamExecutionEnvironment.create();
    const flat = await env2
      .fromElements(2)
      .connect(env2.fromElements('x y'))
      .flatMap({
        flatMap1: (n: number, out: Collector<string>) => Array.from({ length: n }, () => out.collect('#')),
        flatMap2: (s: string, out: Collector<string>) => s.split(' ').forEach((w) => out.collect(w)),
      })
      .executeAndCollect();
    expect(flat.sort()).toEqual(['#', '#', 'x', 'y']);
  });

  test('a rich CoProcessFunction is opened and sees its runtime context', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const out = await env
      .fromElements(1, 2)
      .connect(env.fromElements('x'))
      .process(
        new (class extends CoProcessFunction<number, string, string> {
          private prefix = '';
          override open(): void {
            this.prefix = `${this.getRuntimeContext().getNumberOfParallelSubtasks()}:`;
          }
          processElement1(v: number, _ctx: ProcessContext, o: Collector<string>): void {
            o.collect(`${this.prefix}${v}`);
          }
          processElement2(v: string, _ctx: ProcessContext, o: Collector<string>): void {
            o.collect(`${this.prefix}${v}`);
          }
        })(),
      )
      .executeAndCollect();
    expect(out.sort()).toEqual(['2:1', '2:2', '2:x']);
  });

  test('keyed co-processing: orders meet their payments by key, whatever the interleaving and parallelism', async () => {
    type Order = { id: number; amount: number };
    type Payment = { orderId: number; paid: number };
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), fc.integer({ min: 1, max: 4 }), async (ids, p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        const orders = env.fromCollection(ids.map((id): Order => ({ id, amount: id * 10 })));
        const payments = env.fromCollection([...ids].reverse().map((id): Payment => ({ orderId: id, paid: id * 10 })));
        const matched = await orders
          .connect(payments)
          .keyBy((o) => o.id, (pm) => pm.orderId)
          .process(
            new (class extends KeyedCoProcessFunction<number, Order, Payment, string> {
              private order!: ValueState<Order>;
              private payment!: ValueState<Payment>;
              override open(): void {
                this.order = this.getRuntimeContext().getState(new ValueStateDescriptor<Order>('order'));
                this.payment = this.getRuntimeContext().getState(new ValueStateDescriptor<Payment>('payment'));
              }
              processElement1(o: Order, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
                const pm = this.payment.value();
                if (pm) out.collect(`${ctx.getCurrentKey()} ok ${o.amount === pm.paid}`);
                else this.order.update(o);
              }
              processElement2(pm: Payment, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
                const o = this.order.value();
                if (o) out.collect(`${ctx.getCurrentKey()} ok ${o.amount === pm.paid}`);
                else this.payment.update(pm);
              }
            })(),
          )
          .executeAndCollect();
        expect(matched.sort()).toEqual(ids.map((id) => `${id} ok true`).sort());
      }),
      { numRuns: 30 },
    );
  });

  test('keyed co-processing timers fire on the combined watermark of both inputs', async () => {
    type E = { k: string; ts: number };
    const env = StreamExecutionEnvironment.create();
    const ws = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner((e) => e.ts);
    const a = env.fromElements<E>({ k: 'x', ts: 10 }).assignTimestampsAndWatermarks(ws);
    const b = env.fromElements<E>({ k: 'x', ts: 500 }).assignTimestampsAndWatermarks(ws);
    const out = await a
      .connect(b)
      .keyBy((e) => e.k, (e) => e.k)
      .process(
        new (class extends KeyedCoProcessFunction<string, E, E, string> {
          processElement1(e: E, ctx: KeyedProcessContext<string>): void {
            ctx.timerService().registerEventTimeTimer(e.ts + 100);
          }
          processElement2(): void {}
          override onTimer(ts: number, ctx: OnTimerContext<string>, o: Collector<string>): void {
            o.collect(`${ctx.getCurrentKey()}@${ts}`);
          }
        })(),
      )
      .executeAndCollect();
    expect(out).toEqual(['x@110']);
  });
});

describe('broadcast state', () => {
  const rulesDesc = new MapStateDescriptor<string, number>('rules');

  test('every parallel instance applies the broadcast rules; processElement cannot change them', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 3, 'taskmanager.numberOfTaskSlots': 3 });
    // Rules first (a bounded test cannot wait for them otherwise): the events come after a pause.
    const rules = env.fromElements<[string, number]>(['limit', 10]).broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>);
    const events = env.fromObservable<number>(
      new (await import('rxjs')).Observable<number>((s) => {
        setTimeout(() => {
          [5, 15, 25, 8].forEach((v) => s.next(v));
          s.complete();
        }, 50);
      }),
    );
    const out = await events
      .rebalance()
      .connect(rules)
      .process(
        new (class extends BroadcastProcessFunction<number, [string, number], string> {
          processElement(v: number, ctx: BroadcastReadOnlyContext, o: Collector<string>): void {
            const limit = ctx.getBroadcastState(rulesDesc).get('limit');
            expect(() => (ctx.getBroadcastState(rulesDesc) as unknown as { put(k: string, v: number): void }).put('x', 1)).toThrow(/read-only/);
            if (limit !== undefined && v > limit) o.collect(`over ${v}`);
          }
          processBroadcastElement(r: [string, number], ctx: BroadcastContext): void {
            ctx.getBroadcastState(rulesDesc).put(r[0], r[1]);
          }
        })(),
      )
      .executeAndCollect();
    expect(out.sort()).toEqual(['over 15', 'over 25']);
  });

  test('keyed broadcast: rules reach all keys, and applyToKeyedState visits every key', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const seenDesc = new ValueStateDescriptor<number>('seen');
    const { Observable } = await import('rxjs');
    const events = env.fromObservable(
      new Observable<string>((s) => {
        ['a', 'b', 'a', 'c'].forEach((k) => s.next(k));
        setTimeout(() => s.complete(), 80);
      }),
    );
    const resets = env.fromObservable(
      new Observable<string>((s) => {
        setTimeout(() => {
          s.next('report');
          s.complete();
        }, 40);
      }),
    );
    const out = await events
      .keyBy((k) => k)
      .connect(resets.broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>))
      .process(
        new (class extends KeyedBroadcastProcessFunction<string, string, string, string> {
          processElement(k: string, ctx: KeyedBroadcastReadOnlyContext<string>): void {
            const s = this.getRuntimeContext().getState(seenDesc);
            s.update((s.value() ?? 0) + 1);
            expect(ctx.getCurrentKey()).toBe(k);
          }
          processBroadcastElement(_cmd: string, ctx: KeyedBroadcastContext, o: Collector<string>): void {
            ctx.applyToKeyedState<ValueState<number>>('seen', (key, state) => o.collect(`${String(key)}=${state.value()}`));
          }
        })(),
      )
      .executeAndCollect();
    expect(out.sort()).toEqual(['a=2', 'b=1', 'c=1']);
  });
});
