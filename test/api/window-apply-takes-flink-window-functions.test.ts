/**
 * Flink's `window(...).apply(WindowFunction)` and `windowAll(...).apply(AllWindowFunction)`: each
 * window's elements with its key and the window, as a function or an object with apply() (a rich one
 * gets its runtime context and open/close).
 */
import { describe, expect, test } from 'vitest';
import {
  AbstractRichFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AllWindowFunction,
  type Collector,
  type TimeWindow,
  type WindowFunction,
} from '../../lib/index.ts';

interface Txn {
  readonly card: string;
  readonly amount: number;
  readonly ts: number;
}

const TXNS: Txn[] = [
  { card: 'a', amount: 1, ts: 1_000 },
  { card: 'b', amount: 5, ts: 2_000 },
  { card: 'a', amount: 2, ts: 59_000 },
  { card: 'a', amount: 4, ts: 61_000 },
];

function txns(parallelism = 1) {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': parallelism });
  return env.fromCollection(TXNS).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts));
}

const EXPECTED = ['a [0,60000) 1+2', 'a [60000,120000) 4', 'b [0,60000) 5'];

describe('window(...).apply()', () => {
  test('a WindowFunction object and a plain function give each window with its key', async () => {
    const fn: WindowFunction<Txn, string, string, TimeWindow> = {
      apply(key, window, input, out) {
        out.collect(`${key} [${window.getStart()},${window.getEnd()}) ${input.map((t) => t.amount).join('+')}`);
      },
    };
    const viaObject = await txns().keyBy((t) => t.card).window(TumblingEventTimeWindows.of('1 min')).apply(fn).executeAndCollect();
    expect(viaObject.sort()).toEqual(EXPECTED);
    const viaFunction = await txns(2)
      .keyBy((t) => t.card)
      .window(TumblingEventTimeWindows.of('1 min'))
      .apply((key: string, window: TimeWindow, input: Txn[], out: Collector<string>) => out.collect(`${key} [${window.start},${window.end}) ${input.map((t) => t.amount).join('+')}`))
      .executeAndCollect();
    expect(viaFunction.sort()).toEqual(EXPECTED);
  });

  test('a rich WindowFunction is opened and closed, sees its runtime context and is called as itself', async () => {
    const events: string[] = [];
    class Totals extends AbstractRichFunction implements WindowFunction<Txn, string, string, TimeWindow> {
      private prefix = '';
      override open(): void {
        this.prefix = `subtask ${this.getRuntimeContext().getIndexOfThisSubtask()}`;
        events.push('open');
      }
      override close(): void {
        events.push('close');
      }
      apply(key: string, window: TimeWindow, input: Txn[], out: Collector<string>): void {
        out.collect(`${this.prefix}: ${key} ${window.getStart()} ${input.reduce((s, t) => s + t.amount, 0)}`);
      }
    }
    const out = await txns().keyBy((t) => t.card).window(TumblingEventTimeWindows.of('1 min')).apply(new Totals()).executeAndCollect();
    expect(out.sort()).toEqual(['subtask 0: a 0 3', 'subtask 0: a 60000 4', 'subtask 0: b 0 5']);
    expect(events).toEqual(['open', 'close']);
  });

  test('anything else, or an async apply, is refused when the job is built', () => {
    const windowed = () => txns().keyBy((t) => t.card).window(TumblingEventTimeWindows.of('1 min'));
    expect(() => windowed().apply({ process: () => {} } as never)).toThrow('window(...).apply() needs a function (key, window, input, out) => void or a WindowFunction');
    expect(() => windowed().apply({ apply: async () => {} } as never)).toThrow('The window apply() function');
  });
});

describe('windowAll(...).apply()', () => {
  test('an AllWindowFunction object and a plain function give each window of the whole stream', async () => {
    const sum: AllWindowFunction<Txn, string, TimeWindow> = {
      apply: (window, input, out) => out.collect(`[${window.getStart()},${window.getEnd()}) ${input.reduce((s, t) => s + t.amount, 0)}`),
    };
    expect(await txns().windowAll(TumblingEventTimeWindows.of('1 min')).apply(sum).executeAndCollect()).toEqual(['[0,60000) 8', '[60000,120000) 4']);
    const counts = await txns(2)
      .windowAll(TumblingEventTimeWindows.of('1 min'))
      .apply((window: TimeWindow, input: Txn[], out: Collector<string>) => out.collect(`${window.start}: ${input.length}`))
      .executeAndCollect();
    expect(counts.sort()).toEqual(['0: 3', '60000: 1']); // the collecting sink runs at parallelism 2: no order between its subtasks
    expect(() => txns().windowAll(TumblingEventTimeWindows.of('1 min')).apply({} as never)).toThrow('windowAll(...).apply() needs a function (window, input, out) => void or an AllWindowFunction');
  });
});
