/**
 * The CEP operator of `CEP.pattern(keyed, pattern).select(timeoutTag, timeoutFn, fn)`, driven by the
 * harness without a job: records wait for the watermark, matches come out, a partial match whose
 * within() window closes goes to the timeout side output, its timer is visible, and a harness
 * restored from a snapshot continues as the uninterrupted one does.
 */
import { describe, expect, test } from 'vitest';
import { OutputTag, StreamExecutionEnvironment } from 'tidemark';
import { CEP, Pattern } from 'tidemark/cep';
import { KeyedOneInputStreamOperatorTestHarness, type StreamElement } from 'tidemark/testing';

interface Txn {
  card: string;
  amount: number;
}

const TIMED_OUT = new OutputTag<string>('small-not-followed');

const smallThenLarge = Pattern.begin<Txn>('small')
  .where((t) => t.amount < 1)
  .followedBy('large')
  .where((t) => t.amount > 500)
  .within('1 min');

const alerts = CEP.pattern(StreamExecutionEnvironment.getExecutionEnvironment().fromElements<Txn>().keyBy((t) => t.card), smallThenLarge)
  .select(
    TIMED_OUT,
    (m, timeoutAt) => `${m.small[0]!.card} quiet until ${timeoutAt}`,
    (m) => `${m.small[0]!.card}: ${m.small[0]!.amount} then ${m.large[0]!.amount}`,
  )
  .name('fraud alerts');

const harness = () => KeyedOneInputStreamOperatorTestHarness.forStream<string, Txn, string>(alerts);

describe('a CEP pattern with within() and a timeout side output', () => {
  test('matches once the watermark passes the records; a partial match times out to the side output', () => {
    const h = harness();
    h.processElement({ card: 'c1', amount: 0.5 }, 1_000);
    h.processElement({ card: 'c1', amount: 900 }, 30_000);
    h.processElement({ card: 'c2', amount: 0.1 }, 2_000);
    expect(h.extractOutputValues()).toEqual([]); // in event time records wait for the watermark
    expect(h.numEventTimeTimers()).toBeGreaterThan(0);

    h.processWatermark(30_000);
    expect(h.extractOutputValues()).toEqual(['c1: 0.5 then 900']);
    expect(h.getSideOutput(TIMED_OUT)).toEqual([]);

    h.processWatermark(62_000); // c2's window [2 s, 62 s) closes
    expect(h.getSideOutput(TIMED_OUT).map((r) => [r.value, r.timestamp])).toEqual([['c2 quiet until 62000', 62_000]]);
    expect(h.numEventTimeTimers()).toBe(0);
  });

  test('a harness restored from a snapshot continues as the uninterrupted one', () => {
    const input: Array<[Txn, number] | number> = [
      [{ card: 'c1', amount: 0.5 }, 1_000],
      [{ card: 'c2', amount: 0.2 }, 3_000],
      10_000,
      [{ card: 'c1', amount: 700 }, 20_000],
      [{ card: 'c3', amount: 0.9 }, 25_000],
      40_000,
      [{ card: 'c3', amount: 800 }, 50_000],
      [{ card: 'c2', amount: 600 }, 70_000], // too late for c2's window
      100_000,
    ];
    const run = (h: ReturnType<typeof harness>, steps: typeof input): void => {
      for (const s of steps) typeof s === 'number' ? h.processWatermark(s) : h.processElement(s[0], s[1]);
    };
    const main = (h: ReturnType<typeof harness>): unknown[] => h.getOutput().map((e: StreamElement<string>) => e);
    const timedOut = (h: ReturnType<typeof harness>): unknown[] => h.getSideOutput(TIMED_OUT).map((r) => [r.value, r.timestamp]);
    const whole = harness();
    run(whole, input);
    expect(whole.extractOutputValues()).toEqual(['c1: 0.5 then 700', 'c3: 0.9 then 800']);
    expect(whole.getSideOutput(TIMED_OUT).map((r) => r.value)).toEqual(['c2 quiet until 63000']);

    for (let cut = 0; cut <= input.length; cut++) {
      const before = harness();
      run(before, input.slice(0, cut));
      const after = harness();
      after.initializeState(before.snapshot());
      run(after, input.slice(cut));
      expect([...main(before), ...main(after)], `main output, cut at ${cut}`).toEqual(main(whole));
      expect([...timedOut(before), ...timedOut(after)], `timed out, cut at ${cut}`).toEqual(timedOut(whole));
    }
  });
});
