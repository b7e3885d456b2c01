/**
 * `forStream` takes the one-input operator at the end of a stream, as a job would create it (name,
 * uid, max parallelism, key selector), and refuses anything else with the reason: a source, a union,
 * a partitioning, a side output, a sink, a two-input operation, a keyed operator in the non-keyed
 * harness and the reverse.
 */
import { describe, expect, test } from 'vitest';
import { BroadcastProcessFunction, MapStateDescriptor, OutputTag, ProcessFunction, StreamExecutionEnvironment, TumblingEventTimeWindows, type Collector, type ProcessContext } from 'tidemark';
import { CEP, Pattern, type PatternRule } from 'tidemark/cep';
import { KeyedOneInputStreamOperatorTestHarness, OneInputStreamOperatorTestHarness, type OperatorStream } from 'tidemark/testing';

const env = () => StreamExecutionEnvironment.getExecutionEnvironment();
const LATE = new OutputTag<number>('late');

class Split extends ProcessFunction<number, number> {
  processElement(v: number, ctx: ProcessContext, out: Collector<number>): void {
    if (v < 0) ctx.output(LATE, v);
    else out.collect(v * 2);
  }
}

describe('refused, with the reason', () => {
  const keyed = (s: OperatorStream<unknown>) => () => KeyedOneInputStreamOperatorTestHarness.forStream(s);
  const plain = (s: OperatorStream<unknown>) => () => OneInputStreamOperatorTestHarness.forStream(s);

  test('a source', () => {
    expect(plain(env().fromElements(1, 2))).toThrow("The stream 'Collection Source' is a source, not an operator");
  });

  test('a union', () => {
    const e = env();
    const a = e.fromElements(1).map((x) => x);
    expect(plain(a.union(e.fromElements(2).map((x) => x)))).toThrow(/is a union of streams, not an operator/);
  });

  test('a partitioning at the end (keyBy, rebalance)', () => {
    expect(keyed(env().fromElements(1).keyBy((x) => x))).toThrow(/ends with a partitioning \(hash: keyBy/);
    expect(plain(env().fromElements(1).map((x) => x).rebalance())).toThrow(/ends with a partitioning \(rebalance/);
  });

  test('a side output: the harness of its operator has it', () => {
    const main = env().fromElements(1).process(new Split()).name('split');
    expect(plain(main.getSideOutput(LATE))).toThrow("is the side output 'late' of operator 'split', not an operator: pass the stream of that operator and read its side output from the harness (getSideOutput(tag))");
    const h = OneInputStreamOperatorTestHarness.forStream<number, number>(main);
    h.processElement(-1, 5);
    h.processElement(4, 6);
    expect(h.extractOutputValues()).toEqual([8]);
    expect(h.getSideOutput(LATE).map((r) => r.value)).toEqual([-1]);
  });

  test('a sink', () => {
    const sink = env().fromElements(1).print();
    // A DataStreamSink is no OperatorStream (no element type to output); at run time it is refused too.
    expect(plain(sink as unknown as OperatorStream<unknown>)).toThrow(/is a sink: test its SinkWriter directly/);
  });

  test('two-input operations: connect, joins, broadcast, dynamic CEP patterns', () => {
    const e = env();
    const a = e.fromElements(1);
    const b = e.fromElements('x');
    const twoInputs = /has two inputs \(connect, join or broadcast\): a one-input test harness cannot drive it/;
    expect(plain(a.connect(b).map({ map1: (x: number) => x, map2: (s: string) => s.length }))).toThrow(twoInputs);
    expect(keyed(a.keyBy((x) => x).connect(b.keyBy((s) => s.length)).map({ map1: (x: number) => x, map2: (s: string) => s.length }))).toThrow(twoInputs);
    const joined = a
      .join(b)
      .where((x) => x)
      .equalTo((s) => s.length)
      .window(TumblingEventTimeWindows.of(10))
      .apply((x, s) => `${x}${s}`);
    expect(keyed(joined)).toThrow(twoInputs);
    expect(
      keyed(
        a
          .keyBy((x) => x)
          .intervalJoin(b.keyBy((s) => s.length))
          .between(-5, 5)
          .process((x, s, _ctx, out) => out.collect(`${x}${s}`)),
      ),
    ).toThrow(twoInputs);
    const rules = new MapStateDescriptor<string, number>('rules');
    class Apply extends BroadcastProcessFunction<number, string, number> {
      processElement(v: number, _ctx: unknown, out: Collector<number>): void {
        out.collect(v);
      }
      processBroadcastElement(): void {}
    }
    expect(plain(a.connect(b.broadcast(rules)).process(new Apply()))).toThrow(twoInputs);
    const rulesStream = e.fromElements<PatternRule>({ id: 'r', action: 'upsert', spec: Pattern.begin<number>('a').where('a > 0').toSpec() });
    expect(keyed(CEP.dynamicPatterns(a.keyBy((x) => x), rulesStream).process((m, _ctx, out) => out.collect(m)))).toThrow(twoInputs);
  });

  test('a keyed operator in the non-keyed harness, and the reverse', () => {
    const perKey = env().fromElements(1).keyBy((x) => x % 2).reduce((x, y) => x + y).name('sum per parity');
    expect(plain(perKey)).toThrow("Operator 'sum per parity' is on a keyed stream (its keyed state and timers need each record's key): use KeyedOneInputStreamOperatorTestHarness.forStream");
    expect(keyed(env().fromElements(1).map((x) => x).name('double'))).toThrow("Operator 'double' is not on a keyed stream: use OneInputStreamOperatorTestHarness.forStream");
  });
});

describe('taken as a job would run it', () => {
  test('the stream’s key selector, name, uid and max parallelism', () => {
    const sums = env()
      .fromElements<[string, number]>()
      .keyBy((t) => t[0])
      .reduce((a, b) => [a[0], a[1] + b[1]])
      .name('sums')
      .uid('sums-v1')
      .setMaxParallelism(64);
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, [string, number], [string, number]>(sums);
    h.processElement(['a', 1], 1);
    h.processElement(['b', 2], 2);
    h.processElement(['a', 3], 3);
    expect(h.extractOutputValues()).toEqual([['a', 1], ['b', 2], ['a', 4]]);
    const snapshot = h.snapshot();
    expect(snapshot.operatorId).toBe('sums-v1');
    expect(snapshot.keyed?.maxParallelism).toBe(64);
  });

  test('the output type comes from the stream: a CEP pattern stream gives a harness of its matches', () => {
    const matches = CEP.pattern(env().fromElements<number>().keyBy((x) => x % 2), Pattern.begin<number>('a').where((x) => x > 0)).select((m) => m.a.length);
    const h = KeyedOneInputStreamOperatorTestHarness.forStream(matches);
    h.processElement(3, 1);
    h.processWatermark(10);
    const out: number[] = h.extractOutputValues(); // typed number[] without a cast
    expect(out).toEqual([1]);
    // An output type that is not the stream's is a type error (tsc checks the tests).
    // @ts-expect-error the stream's elements are numbers
    expect(() => KeyedOneInputStreamOperatorTestHarness.forStream<number, number, string>(matches)).not.toThrow();
  });
});
