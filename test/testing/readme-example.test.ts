/**
 * The example of the README's "Testing your functions", as a real test: everything from the imports
 * to the end of describe('OverheatAlert') is the README's code block, verbatim (the last test checks
 * it), so the README cannot go stale.
 */
import { describe, expect, test } from 'vitest';
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type OnTimerContext, type ValueState } from 'tidemark';
import { ProcessFunctionTestHarnesses } from 'tidemark/testing';

interface Reading {
  sensor: string;
  temp: number;
}

/** Alerts once a sensor has stayed above the threshold for 30 s of event time. */
class OverheatAlert extends KeyedProcessFunction<string, Reading, string> {
  private hotSince!: ValueState<number>;
  constructor(private readonly threshold = 90) {
    super();
  }
  override open(): void {
    this.hotSince = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('hot-since'));
  }
  processElement(r: Reading, ctx: KeyedProcessContext<string>): void {
    const since = this.hotSince.value();
    if (r.temp > this.threshold && since === undefined) {
      this.hotSince.update(ctx.timestamp()!);
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 30_000);
    } else if (r.temp <= this.threshold && since !== undefined) {
      ctx.timerService().deleteEventTimeTimer(since + 30_000); // cooled down in time
      this.hotSince.clear();
    }
  }
  override onTimer(_ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()} overheated at ${this.hotSince.value()}`);
    this.hotSince.clear();
  }
}

describe('OverheatAlert', () => {
  const harness = () => ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OverheatAlert(), (r: Reading) => r.sensor);

  test('alerts after 30 s above the threshold, not for a sensor that cooled down', () => {
    const h = harness();
    h.processElement({ sensor: 's1', temp: 91 }, 1000);
    h.processElement({ sensor: 's2', temp: 95 }, 2000);
    h.processElement({ sensor: 's2', temp: 70 }, 12_000); // deletes s2's timer
    expect(h.numEventTimeTimers()).toBe(1);
    expect(h.getKeyedState('s1', new ValueStateDescriptor<number>('hot-since')).value()).toBe(1000);

    h.processWatermark(30_999);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(31_000); // fires s1's event-time timer
    expect(h.extractOutputValues()).toEqual(['s1 overheated at 1000']);
    expect(h.numEventTimeTimers()).toBe(0);
    expect(h.numKeyedStateEntries()).toBe(0);
  });

  test('a restored function keeps its state and timers', () => {
    const before = harness();
    before.processElement({ sensor: 's1', temp: 99 }, 5000);
    const snapshot = before.snapshot(); // what a checkpoint would hold

    const after = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OverheatAlert(), (r: Reading) => r.sensor, { initialState: snapshot });
    after.processWatermark(35_000);
    expect(after.extractOutputValues()).toEqual(['s1 overheated at 5000']);
  });
});

// ---- not in the README: the README's code block is this file's code above, verbatim ----
import { readFileSync } from 'node:fs';

test("the README's 'Testing your functions' example is this file's code", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Testing your functions'));
  const block = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)))?.[1];
  expect(block, "README has a ```ts block under '## Testing your functions'").toBeDefined();
  expect(block!.length).toBeGreaterThan(500);
  expect(readFileSync(new URL(import.meta.url), 'utf8')).toContain(block);
});
