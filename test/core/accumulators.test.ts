/** Accumulators: each subtask adds to its own; the JobExecutionResult holds the merge. */
import { describe, expect, test } from 'vitest';
import {
  DoubleCounter,
  IntCounter,
  ListAccumulator,
  LongCounter,
  RichFlatMapFunction,
  RichMapFunction,
  StreamExecutionEnvironment,
  type Collector,
} from '../../lib/index.ts';

function env(p: number): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
}

describe('accumulator classes', () => {
  test('IntCounter wraps like a Java int; LongCounter and DoubleCounter do not', () => {
    const i = new IntCounter();
    i.add(2147483647);
    i.add(1);
    expect(i.getLocalValue()).toBe(-2147483648);
    const l = new LongCounter();
    l.add(2147483647);
    l.add(1);
    expect(l.getLocalValue()).toBe(2147483648);
    const d = new DoubleCounter();
    d.add(0.5);
    d.add(0.25);
    expect(d.getLocalValue()).toBe(0.75);
  });

  test('merge adds the other local value; resetLocal clears', () => {
    const a = new IntCounter();
    const b = new IntCounter();
    a.add(3);
    b.add(4);
    a.merge(b);
    expect(a.getLocalValue()).toBe(7);
    expect(b.getLocalValue()).toBe(4);
    a.resetLocal();
    expect(a.getLocalValue()).toBe(0);
    const la = new ListAccumulator<string>();
    const lb = new ListAccumulator<string>();
    la.add('x');
    lb.add('y');
    la.merge(lb);
    expect(la.getLocalValue()).toEqual(['x', 'y']);
  });
});

describe('accumulators in a job (inline)', () => {
  test("an IntCounter field registered in open() (Flink's documented pattern) sums over parallel subtasks", async () => {
    class CountLines extends RichMapFunction<number, number> {
      private readonly numLines = new IntCounter();
      override open(): void {
        this.getRuntimeContext().addAccumulator('num-lines', this.numLines);
      }
      map(x: number): number {
        this.numLines.add(1);
        return x;
      }
    }
    const e = env(3);
    e.fromSequence(1, 300)
      .map(new CountLines())
      .sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const result = await e.execute('count lines');
    expect(result.getAccumulatorResult<number>('num-lines')).toBe(300);
  });

  test('a counter created in open() per subtask, and a ListAccumulator, merge over subtasks', async () => {
    class Collecting extends RichFlatMapFunction<number, number> {
      private evens!: IntCounter;
      private odds!: ListAccumulator<number>;
      override open(): void {
        this.evens = new IntCounter();
        this.odds = new ListAccumulator<number>();
        this.getRuntimeContext().addAccumulator('evens', this.evens);
        this.getRuntimeContext().addAccumulator('odds', this.odds);
      }
      flatMap(x: number, out: Collector<number>): void {
        if (x % 2 === 0) this.evens.add(1);
        else this.odds.add(x);
        out.collect(x);
      }
    }
    const e = env(2);
    e.fromSequence(1, 20)
      .flatMap(new Collecting())
      .sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const result = await e.execute();
    expect(result.getAccumulatorResult<number>('evens')).toBe(10);
    expect([...(result.getAccumulatorResult<number[]>('odds') ?? [])].sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(Object.keys(result.getAllAccumulatorResults()).sort()).toEqual(['evens', 'odds']);
  });

  test('an unknown accumulator name gives undefined', async () => {
    const e = env(1);
    e.fromElements(1).sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const result = await e.execute();
    expect(result.getAccumulatorResult('nope')).toBeUndefined();
  });
});
