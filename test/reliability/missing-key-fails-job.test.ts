/**
 * A key selector that finds no key (returns undefined or null: a missing field, a JSON null) fails the
 * job naming the record, at every parallelism — as Flink's "Assigned key must not be null!". Before,
 * at parallelism 1 all such records silently shared one key and their aggregates were merged (exit 0).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { KeyedBroadcastProcessFunction, MapStateDescriptor, StreamExecutionEnvironment, ValueStateDescriptor, type Collector } from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

type Txn = { card?: string | null; amount: number };

describe('a key selector that returns undefined or null', () => {
  test('fails the job naming the record, inline at parallelism 1..3, wherever the keyless record is', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 20 }),
        fc.nat(20),
        fc.constantFrom(undefined, null),
        fc.integer({ min: 1, max: 3 }),
        async (cards, at, missing, parallelism) => {
          const records: Txn[] = cards.map((card, i) => ({ card, amount: i }));
          const keyless: Txn = { card: missing, amount: 1000 + at };
          records.splice(Math.min(at, records.length), 0, keyless);
          const env = StreamExecutionEnvironment.create({ 'parallelism.default': parallelism });
          const sums = env
            .fromCollection(records)
            .setParallelism(1)
            .keyBy((t) => t.card)
            .sum('amount')
            .executeAndCollect();
          const e = await rejection(sums);
          const key = causeChain(e).find((c) => c instanceof Error && c.name === 'KeyExtractionError') as Error | undefined;
          expect(key?.message).toContain(`Assigned key must not be ${missing}`);
          expect(key?.message).toContain(`amount: ${1000 + at}`);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('a keyed broadcast stream still processes broadcast records (they have no key of their own)', async () => {
    const env = StreamExecutionEnvironment.create();
    const limits = new MapStateDescriptor<string, number>('limits');
    const rules = env.fromElements(50).broadcast(limits);
    const out = await env
      .fromElements<Txn>({ card: 'a', amount: 10 }, { card: 'b', amount: 70 })
      .keyBy((t) => t.card as string)
      .connect(rules)
      .process(
        new (class extends KeyedBroadcastProcessFunction<string, Txn, number, string> {
          seen = 0;
          processElement(t: Txn, ctx: { getBroadcastState(d: MapStateDescriptor<string, number>): { get(k: string): number | undefined } }, out: { collect(v: string): void }): void {
            out.collect(`${t.card}:${t.amount}`);
          }
          processBroadcastElement(limit: number, ctx: { getBroadcastState(d: MapStateDescriptor<string, number>): { put(k: string, v: number): void } }): void {
            ctx.getBroadcastState(limits).put('limit', limit);
          }
        })(),
      )
      .executeAndCollect();
    expect(out.sort()).toEqual(['a:10', 'b:70']);
  });

  test("keyed state written by processBroadcastElement (no key there, as in Flink) fails the job; it neither joins a record key '<broadcast>' nor shows up in applyToKeyedState", async () => {
    const limits = new MapStateDescriptor<string, number>('limits');
    const seen = new ValueStateDescriptor<number>('seen');
    const run = (writeInBroadcast: boolean): Promise<unknown[]> => {
      const env = StreamExecutionEnvironment.create();
      return env
        .fromElements('<broadcast>', 'a')
        .keyBy((k) => k)
        .connect(env.fromElements(100).broadcast(limits))
        .process(
          new (class extends KeyedBroadcastProcessFunction<string, string, number, string> {
            processElement(k: string, _ctx: unknown, out: Collector<string>): void {
              const s = this.getRuntimeContext().getState(seen);
              s.update((s.value() ?? 0) + 1);
              out.collect(`${k}=${s.value()}`);
            }
            processBroadcastElement(v: number, ctx: { applyToKeyedState(n: string, f: (k: unknown, s: unknown) => void): void }, out: Collector<string>): void {
              if (writeInBroadcast) this.getRuntimeContext().getState(seen).update(v);
              ctx.applyToKeyedState('seen', (key) => out.collect(`key ${String(key)}`));
            }
          })() as never,
        )
        .executeAndCollect();
    };
    const e = await rejection(run(true));
    expect(causeChain(e).some((c) => c instanceof Error && c.message.includes('processBroadcastElement() wrote keyed state'))).toBe(true);
    const out = await run(false);
    expect((out as string[]).filter((o) => !o.startsWith('key ')).sort()).toEqual(['<broadcast>=1', 'a=1']);
  });
});
