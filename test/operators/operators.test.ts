/**
 * DataStream operators and partitioners, run inline in-process against simple reference models:
 * chaining, partitioners (rebalance, rescale, broadcast, global, shuffle, forward, keyBy), union,
 * fromSequence, keyed aggregations (sum/min/max/minBy/maxBy), flatMap, process, rich functions.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  assignKeyToParallelOperator,
  ProcessFunction,
  RichFilterFunction,
  RichMapFunction,
  StreamExecutionEnvironment,
  type Collector,
  type ProcessContext,
} from '../../lib/index.ts';
import { groupBy, rejection, TaggingSink } from '../helpers.ts';

function env(p = 1, extra: Record<string, unknown> = {}): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 8, ...extra });
}
const numeric = (a: number, b: number): number => a - b;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('operator chaining', () => {
  test('map -> filter -> map gives the same records chained and with disableOperatorChaining(), equal to the reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 300 }), fc.integer({ min: 1, max: 4 }), async (xs, p) => {
        const build = (e: StreamExecutionEnvironment): Promise<string[]> =>
          e
            .fromCollection(xs)
            .rebalance()
            .map((x) => x * 3)
            .filter((x) => x % 2 === 0)
            .map((x) => `v${x}`)
            .executeAndCollect();
        const chained = await build(env(p));
        const unchained = await build(env(p).disableOperatorChaining());
        const reference = xs.map((x) => x * 3).filter((x) => x % 2 === 0).map((x) => `v${x}`);
        expect([...chained].sort()).toEqual([...reference].sort());
        expect([...unchained].sort()).toEqual([...reference].sort());
        if (p === 1) {
          // One subtask end to end: order is kept too.
          expect(chained).toEqual(reference);
          expect(unchained).toEqual(reference);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('disableChaining()/startNewChain() on one operator do not change results', async () => {
    const xs = range(1, 2000);
    const out = await env(2)
      .fromSequence(1, 2000)
      .map((x) => x + 1)
      .disableChaining()
      .filter((x) => x % 3 !== 0)
      .startNewChain()
      .map((x) => x * 2)
      .executeAndCollect();
    expect([...out].sort(numeric)).toEqual(xs.map((x) => x + 1).filter((x) => x % 3 !== 0).map((x) => x * 2).sort(numeric));
  });
});

describe('partitioners', () => {
  test('rebalance spreads records evenly over the downstream subtasks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 2, max: 6 }), async (n, p) => {
        const e = env(p);
        const sink = new TaggingSink<number>();
        e.fromCollection(range(1, n)).rebalance().sinkTo(sink);
        await e.execute();
        expect(sink.received.map((r) => r.value).sort(numeric)).toEqual(range(1, n));
        const counts = Array.from({ length: p }, (_, i) => sink.received.filter((r) => r.subtask === i).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 25 },
    );
  });

  test('broadcast delivers every record to every subtask, in order', async () => {
    const xs = range(1, 2500);
    const e = env(3);
    const sink = new TaggingSink<number>();
    e.fromCollection(xs).broadcast().sinkTo(sink);
    await e.execute();
    const by = sink.bySubtask();
    expect([...by.keys()].sort(numeric)).toEqual([0, 1, 2]);
    for (const values of by.values()) expect(values).toEqual(xs);
  });

  test('global sends everything to subtask 0, in order', async () => {
    const e = env(3);
    const sink = new TaggingSink<number>();
    e.fromSequence(1, 3000).global().sinkTo(sink);
    await e.execute();
    expect(new Set(sink.received.map((r) => r.subtask))).toEqual(new Set([0]));
    expect(sink.received.map((r) => r.value).sort(numeric)).toEqual(range(1, 3000));
  });

  test('shuffle delivers every record exactly once', async () => {
    const e = env(4);
    const sink = new TaggingSink<number>();
    e.fromCollection(range(1, 3000)).shuffle().sinkTo(sink);
    await e.execute();
    expect(sink.received.map((r) => r.value).sort(numeric)).toEqual(range(1, 3000));
    expect(sink.received.every((r) => r.subtask >= 0 && r.subtask < 4)).toBe(true);
  });

  test('rescale is pointwise: producer i feeds only its own share of consumers', async () => {
    // fromSequence(0, 99) at parallelism 2: subtask 0 emits 0..49, subtask 1 emits 50..99.
    const e = env(2);
    const sink = new TaggingSink<number>();
    e.fromSequence(0, 99).rescale().sinkTo(sink).setParallelism(4);
    await e.execute();
    expect(sink.received.map((r) => r.value).sort(numeric)).toEqual(range(0, 99));
    for (const r of sink.received) expect(r.subtask < 2).toBe(r.value < 50);
    const counts = [0, 1, 2, 3].map((i) => sink.received.filter((r) => r.subtask === i).length);
    expect(counts).toEqual([25, 25, 25, 25]);
  });

  test('forward with equal parallelism keeps subtask i -> subtask i', async () => {
    const e = env(3);
    const sink = new TaggingSink<number>();
    e.fromSequence(0, 299).forward().sinkTo(sink);
    await e.execute();
    const by = sink.bySubtask();
    // fromSequence gives subtask i the i-th contiguous third; forward keeps it there, in order.
    expect(by.get(0)).toEqual(range(0, 99));
    expect(by.get(1)).toEqual(range(100, 199));
    expect(by.get(2)).toEqual(range(200, 299));
  });

  test("forward with unequal parallelism throws Flink's message", async () => {
    const e = env(1);
    e.fromSequence(1, 10).forward().map((x) => x).setParallelism(2).print();
    const err = await rejection(e.execute());
    expect((err as Error).message).toContain('Forward partitioning does not allow change of parallelism');
  });

  test('keyBy: each key on the subtask its key group names, per-key order kept', async () => {
    const words = ['hello', 'flink', 'stream', 'batch', 'tide', 'mark', 'key', 'group'];
    const xs = range(0, 1999).map((i) => [words[i % words.length]!, i] as [string, number]);
    const e = env(4);
    const sink = new TaggingSink<[string, number]>();
    e.fromCollection(xs).keyBy((r) => r[0]).sinkTo(sink);
    await e.execute();
    expect(sink.received).toHaveLength(xs.length);
    for (const r of sink.received) expect(r.subtask).toBe(assignKeyToParallelOperator(r.value[0], 128, 4));
    const perKey = groupBy(sink.received.map((r) => r.value), (v) => v[0]);
    for (const [k, recs] of perKey) expect(recs).toEqual(xs.filter((x) => JSON.stringify(x[0]) === k));
  });

  test('keyBy by tuple index and by field name', async () => {
    const byIndex = await env(2)
      .fromElements<[string, number]>(['a', 1], ['b', 2], ['a', 3])
      .keyBy(0)
      .sum(1)
      .executeAndCollect();
    expect(groupBy(byIndex, (r) => r[0])).toEqual(groupBy([['a', 1], ['b', 2], ['a', 4]], (r: [string, number]) => r[0]));
    const byField = await env(2)
      .fromElements({ user: 'u1', amount: 5, note: 'first' }, { user: 'u2', amount: 1, note: 'x' }, { user: 'u1', amount: 7, note: 'second' })
      .keyBy('user')
      .sum('amount')
      .executeAndCollect();
    expect(groupBy(byField, (r) => r.user).get('"u1"')).toEqual([
      { user: 'u1', amount: 5, note: 'first' },
      { user: 'u1', amount: 12, note: 'first' },
    ]);
  });
});

describe('sources and union', () => {
  test('fromSequence at any parallelism emits every number exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 1, max: 4 }), async (from, len, p) => {
        const out = await env(p).fromSequence(from, from + len).executeAndCollect();
        expect([...out].sort(numeric)).toEqual(range(from, from + len));
      }),
      { numRuns: 30 },
    );
  });

  test('fromSequence rejects from > to', () => {
    expect(() => env().fromSequence(5, 4)).toThrow(/greater than/);
  });

  test('union merges streams of different sources and parallelism', async () => {
    const e = env(2);
    const a = e.fromElements(1, 2, 3);
    const b = e.fromSequence(100, 104);
    const c = e.fromCollection([7, 8]).map((x) => x * 10);
    const out = await a.union(b, c).map((x) => x + 0.5).executeAndCollect();
    expect([...out].sort(numeric)).toEqual([1, 2, 3, 70, 80, 100, 101, 102, 103, 104].map((x) => x + 0.5));
  });

  test('fromElements keeps order at parallelism 1', async () => {
    expect(await env(1).fromElements('x', 'y', 'z').executeAndCollect()).toEqual(['x', 'y', 'z']);
  });
});

describe('keyed aggregations', () => {
  type T3 = [string, number, number];
  const recArb: fc.Arbitrary<T3> = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1000 }));

  /** Per key, the running aggregate in input order, following Flink's semantics. */
  function reference(input: readonly T3[], agg: 'sum' | 'min' | 'max' | 'minBy' | 'maxBy'): T3[] {
    const state = new Map<string, T3>();
    const out: T3[] = [];
    for (const r of input) {
      const cur = state.get(r[0]);
      let next: T3;
      if (cur === undefined) next = r;
      else if (agg === 'sum') next = [cur[0], cur[1] + r[1], cur[2]]; // other fields: the key's first record
      else if (agg === 'min') next = [cur[0], Math.min(cur[1], r[1]), cur[2]];
      else if (agg === 'max') next = [cur[0], Math.max(cur[1], r[1]), cur[2]];
      else if (agg === 'minBy') next = r[1] < cur[1] ? r : cur; // whole record; the first one on ties
      else next = r[1] > cur[1] ? r : cur;
      state.set(r[0], next);
      out.push(next);
    }
    return out;
  }

  for (const agg of ['sum', 'min', 'max', 'minBy', 'maxBy'] as const) {
    test(`${agg}(1) emits, per key and in order, the reference running ${agg}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(recArb, { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), async (input, p) => {
          const keyed = env(p).fromCollection(input).keyBy((r) => r[0]);
          const out = await keyed[agg](1).executeAndCollect();
          const expected = reference(input, agg);
          expect(new Map([...groupBy(out, (r) => r[0])].sort())).toEqual(new Map([...groupBy(expected, (r) => r[0])].sort()));
        }),
        { numRuns: 40 },
      );
    });
  }

  test('reduce in BATCH mode emits one final value per key', async () => {
    const out = await env(2, { 'execution.runtime-mode': 'BATCH' })
      .fromElements<[string, number]>(['a', 1], ['b', 10], ['a', 2], ['c', 5], ['b', 20])
      .keyBy((r) => r[0])
      .reduce((x, y) => [x[0], x[1] * 100 + y[1]])
      .executeAndCollect();
    expect([...out].sort()).toEqual([
      ['a', 102],
      ['b', 1020],
      ['c', 5],
    ]);
  });

  test('BATCH mode with an unbounded source is rejected', async () => {
    const e = env(1, { 'execution.runtime-mode': 'BATCH' });
    e.socketTextStream('127.0.0.1', 9).print();
    const err = await rejection(e.execute());
    expect((err as Error).message).toContain('UNBOUNDED');
  });
});

describe('flatMap and process', () => {
  test('flatMap emitting through out.collect', async () => {
    const out = await env(1)
      .fromElements('to be', 'or not to be')
      .flatMap((line: string, out: Collector<string>) => {
        for (const w of line.split(' ')) out.collect(w);
      })
      .executeAndCollect();
    expect(out).toEqual(['to', 'be', 'or', 'not', 'to', 'be']);
  });

  test('flatMap returning an array, a generator, or nothing', async () => {
    const arrays = await env(1).fromElements(1, 2, 3).flatMap((x: number) => Array.from({ length: x }, () => x)).executeAndCollect();
    expect(arrays).toEqual([1, 2, 2, 3, 3, 3]);
    const generated = await env(1)
      .fromElements(2, 3)
      .flatMap(function* (x: number) {
        yield x;
        yield -x;
      })
      .executeAndCollect();
    expect(generated).toEqual([2, -2, 3, -3]);
    const none = await env(1).fromElements(1, 2).flatMap(() => undefined).executeAndCollect();
    expect(none).toEqual([]);
  });

  test('flatMap may both collect and return: collected first, then returned', async () => {
    const out = await env(1)
      .fromElements(1, 2)
      .flatMap((x: number, out: Collector<string>) => {
        out.collect(`c${x}`);
        return [`r${x}`];
      })
      .executeAndCollect();
    expect(out).toEqual(['c1', 'r1', 'c2', 'r2']);
  });

  test('flatMap with an object implementing flatMap()', async () => {
    const splitter = { sep: ',', flatMap(v: string) { return v.split(this.sep); } };
    expect(await env(1).fromElements('a,b', 'c').flatMap(splitter).executeAndCollect()).toEqual(['a', 'b', 'c']);
  });

  test('a ProcessFunction sees the record and collects', async () => {
    class Lengths extends ProcessFunction<string, number> {
      processElement(v: string, ctx: ProcessContext, out: Collector<number>): void {
        expect(ctx.timestamp()).toBeNull(); // fromElements assigns no timestamps
        out.collect(v.length);
      }
    }
    expect(await env(1).fromElements('a', 'bbb', '').process(new Lengths()).executeAndCollect()).toEqual([1, 3, 0]);
  });

  test('non-function arguments are rejected when the pipeline is built', () => {
    expect(() => env().fromElements(1).map({} as unknown as (x: number) => number)).toThrow(/map\(\)/);
  });
});

describe('rich functions', () => {
  test('open() before the first record and close() after the last, once per subtask', async () => {
    const log: string[] = [];
    class Lifecycle extends RichMapFunction<number, number> {
      override open(): void {
        log.push(`open ${this.getRuntimeContext().getIndexOfThisSubtask()}/${this.getRuntimeContext().getNumberOfParallelSubtasks()}`);
      }
      map(x: number): number {
        log.push('map');
        return x;
      }
      override close(): void {
        log.push('close');
      }
    }
    const out = await env(2).fromSequence(1, 10).map(new Lifecycle()).executeAndCollect();
    expect(out).toHaveLength(10);
    expect(log.filter((l) => l.startsWith('open')).sort()).toEqual(['open 0/2', 'open 1/2']);
    expect(log.filter((l) => l === 'close')).toHaveLength(2);
    expect(log.filter((l) => l === 'map')).toHaveLength(10);
    // Every subtask opens before any record flows; the job ends with a close (a subtask closes
    // when its own input ended, so one subtask may close while the other still maps).
    expect(log.slice(0, 2).every((l) => l.startsWith('open'))).toBe(true);
    expect(log[log.length - 1]).toBe('close');
  });

  test('getRuntimeContext() while mapping reports the subtask that processes the record', async () => {
    class Tag extends RichMapFunction<number, [number, number, number]> {
      map(x: number): [number, number, number] {
        const ctx = this.getRuntimeContext();
        return [x, ctx.getIndexOfThisSubtask(), ctx.getNumberOfParallelSubtasks()];
      }
    }
    // fromSequence(1, 100) at parallelism 2: subtask 0 emits 1..50, subtask 1 emits 51..100; the map is chained.
    const out = await env(2).fromSequence(1, 100).map(new Tag()).executeAndCollect();
    expect(out).toHaveLength(100);
    for (const [x, subtask, parallelism] of out) {
      expect(parallelism).toBe(2);
      expect({ x, subtask }).toEqual({ x, subtask: x <= 50 ? 0 : 1 });
    }
  });

  test('a rich function keeps its own fields per subtask (no state shared between parallel instances)', async () => {
    class CountPerInstance extends RichMapFunction<number, [number, number]> {
      private seen = 0;
      map(x: number): [number, number] {
        this.seen++;
        return [x, this.seen];
      }
    }
    // Each subtask's instance counts only its own records, as in Flink (and in threads mode).
    const out = await env(2).fromSequence(1, 100).map(new CountPerInstance()).executeAndCollect();
    const counts = out.map(([, c]) => c);
    expect(Math.max(...counts)).toBe(50);
  });

  test('getRuntimeContext() outside open/map explains itself', () => {
    class Early extends RichFilterFunction<number> {
      filter(): boolean {
        return true;
      }
    }
    expect(() => new Early().getRuntimeContext()).toThrow(/runtime context/);
  });
});
