/**
 * The window operator of a stream the API returned, driven by the harness without a job:
 * `forStream` gives the operator the job would run (key selector, name, uid), the watermark fires
 * windows, their timers are visible, and a harness restored from a snapshot continues as the
 * uninterrupted one does.
 */
import { describe, expect, test } from 'vitest';
import {
  EventTimeSessionWindows,
  EventTimeTrigger,
  ProcessWindowFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type ProcessWindowContext,
  type TimeWindow,
} from 'tidemark';
import { KeyedOneInputStreamOperatorTestHarness } from 'tidemark/testing';

interface Click {
  user: string;
  page: string;
}

const count: AggregateFunction<Click, number, number> = {
  createAccumulator: () => 0,
  add: (_c, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

const clicks = () => StreamExecutionEnvironment.getExecutionEnvironment().fromElements<Click>().keyBy((c) => c.user);

/** Each session as `user start-end: pages`. */
class Sessions extends ProcessWindowFunction<Click, string, string, TimeWindow> {
  process(user: string, ctx: ProcessWindowContext<TimeWindow>, clicks: Click[], out: Collector<string>): void {
    out.collect(`${user} ${ctx.window().start}-${ctx.window().end}: ${clicks.map((c) => c.page).join(',')}`);
  }
}


describe('a tumbling event-time window aggregate', () => {
  // Tumbling windows with the default trigger are kept in slices: fired for all keys at once, no timer per key.
  const perMinute = clicks()
    .window(TumblingEventTimeWindows.of('1 min'))
    .aggregate(count, (user: string, ctx: ProcessWindowContext<TimeWindow>, counts: number[], out: Collector<string>) => out.collect(`${user}@${ctx.window().start}: ${counts[0]}`))
    .name('clicks per minute')
    .uid('clicks-per-minute');

  test('fires each key’s window when the watermark reaches its end, with the timers to show (an explicit trigger: one timer per key and window)', () => {
    const withTrigger = clicks()
      .window(TumblingEventTimeWindows.of('1 min'))
      .trigger(EventTimeTrigger.create())
      .aggregate(count, (user: string, ctx: ProcessWindowContext<TimeWindow>, counts: number[], out: Collector<string>) => out.collect(`${user}@${ctx.window().start}: ${counts[0]}`));
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(withTrigger);
    h.processElement({ user: 'ann', page: 'a' }, 10);
    h.processElement({ user: 'bob', page: 'b' }, 20);
    h.processElement({ user: 'ann', page: 'c' }, 60_010);
    expect(h.eventTimeTimers()).toEqual([
      { key: 'ann', namespace: expect.anything(), timestamp: 59_999 },
      { key: 'bob', namespace: expect.anything(), timestamp: 59_999 },
      { key: 'ann', namespace: expect.anything(), timestamp: 119_999 },
    ]);
    h.processWatermark(59_998);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(59_999);
    expect(h.extractOutputValues()).toEqual(['ann@0: 1', 'bob@0: 1']);
    expect(h.numEventTimeTimers()).toBe(1);
  });

  test('with the default trigger fires the same without a timer per key and window', () => {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(perMinute);
    h.processElement({ user: 'ann', page: 'a' }, 10);
    h.processElement({ user: 'bob', page: 'b' }, 20);
    h.processElement({ user: 'ann', page: 'c' }, 60_010);
    expect(h.numEventTimeTimers()).toBe(0);
    h.processWatermark(59_998);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(59_999);
    expect(h.extractOutputValues()).toEqual(['ann@0: 1', 'bob@0: 1']);
    expect(h.numKeyedStateEntries()).toBe(1);
  });

  test('runs under the stream’s name: a failing function names it', () => {
    const failing = clicks()
      .window(TumblingEventTimeWindows.of(10))
      .reduce((a) => {
        if (a.page === 'boom') throw new Error('boom');
        return a;
      })
      .name('fragile reduce');
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click>(failing);
    h.processElement({ user: 'ann', page: 'boom' }, 1);
    expect(() => h.processElement({ user: 'ann', page: 'x' }, 2)).toThrow(/fragile reduce/);
  });

  test('a harness restored from a snapshot continues as the uninterrupted one', () => {
    const input: Array<[Click, number] | number> = [
      [{ user: 'ann', page: 'a' }, 5],
      [{ user: 'bob', page: 'b' }, 61_000],
      30_000,
      [{ user: 'ann', page: 'c' }, 59_000],
      [{ user: 'bob', page: 'd' }, 62_000],
      60_000,
      [{ user: 'ann', page: 'e' }, 70_000],
      130_000,
    ];
    const run = (h: KeyedOneInputStreamOperatorTestHarness<string, Click, string>, steps: typeof input): void => {
      for (const s of steps) typeof s === 'number' ? h.processWatermark(s) : h.processElement(s[0], s[1]);
    };
    const whole = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(perMinute);
    run(whole, input);

    for (let cut = 0; cut <= input.length; cut++) {
      const before = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(perMinute);
      run(before, input.slice(0, cut));
      const after = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(perMinute);
      after.initializeState(before.snapshot());
      run(after, input.slice(cut));
      expect([...before.getOutput(), ...after.getOutput()], `cut at ${cut}`).toEqual(whole.getOutput());
    }
    expect(whole.extractOutputValues()).toEqual(['ann@0: 2', 'bob@60000: 2', 'ann@60000: 1']);
  });
});

describe('a session window with a ProcessWindowFunction', () => {
  const sessions = clicks().window(EventTimeSessionWindows.withGap('10 s')).process(new Sessions()).name('sessions');

  test('merges clicks into sessions and fires each when the watermark passes its gap', () => {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(sessions);
    h.processElement({ user: 'ann', page: 'a' }, 1_000);
    h.processElement({ user: 'ann', page: 'b' }, 15_000); // a session of its own: 14 s later
    expect(h.numEventTimeTimers()).toBe(2);
    h.processElement({ user: 'ann', page: 'c' }, 8_000); // bridges both: one session 1 s–25 s
    expect(h.eventTimeTimers().map((t) => t.timestamp)).toEqual([24_999]);
    h.processWatermark(24_998);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(24_999);
    expect(h.extractOutputValues()).toEqual(['ann 1000-25000: a,b,c']);
    expect(h.numEventTimeTimers()).toBe(0);
    expect(h.numKeyedStateEntries()).toBe(0);
  });

  test('a restored harness merges and fires as the uninterrupted one', () => {
    const before = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(sessions);
    before.processElement({ user: 'ann', page: 'a' }, 1_000);
    before.processElement({ user: 'bob', page: 'x' }, 2_000);
    before.processElement({ user: 'ann', page: 'b' }, 15_000);
    const snapshot = before.snapshot();

    const after = KeyedOneInputStreamOperatorTestHarness.forStream<string, Click, string>(sessions);
    after.initializeState(snapshot);
    after.open();
    expect(after.numEventTimeTimers()).toBe(3);
    after.processElement({ user: 'ann', page: 'c' }, 8_000);
    after.processWatermark(30_000);
    expect(after.extractOutputStreamRecords().map((r) => [r.value, r.timestamp])).toEqual([
      ['bob 2000-12000: x', 11_999],
      ['ann 1000-25000: a,b,c', 24_999],
    ]);
  });
});
