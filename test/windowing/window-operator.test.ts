/** The window operator driven directly, Flink-harness style: what it keeps after firing, late merges of sessions. */
import { describe, expect, test } from 'vitest';
import { WindowOperator } from '../../lib/windowing/window-operator.ts';
import { GlobalWindows } from '../../lib/windowing/assigners/global-windows.ts';
import { EventTimeSessionWindows } from '../../lib/windowing/assigners/session-windows.ts';
import { PurgingTrigger } from '../../lib/windowing/triggers/purging-trigger.ts';
import { CountTrigger } from '../../lib/windowing/triggers/count-trigger.ts';
import { EventTimeTrigger } from '../../lib/windowing/triggers/event-time-trigger.ts';
import type { Collector } from '../../lib/index.ts';
import { harness } from '../operator-harness.ts';

describe('window operator state', () => {
  test('countWindow(n) (GlobalWindows + PurgingTrigger(CountTrigger)) holds no window for a key after it fired and purged', () => {
    const op = new WindowOperator<[string, number], never, [string, number], string, never>({
      assigner: GlobalWindows.create() as never,
      trigger: PurgingTrigger.of(CountTrigger.of(2)) as never,
      allowedLateness: 0,
      fn: { kind: 'reduce', reduce: (a: [string, number], b: [string, number]) => [a[0], a[1] + b[1]] as [string, number] },
    });
    const { out, processElement } = harness(op, { stateKeySelector: (x) => (x as [string, number])[0] });
    for (let k = 0; k < 100; k++) {
      processElement([`k${k}`, 1], 0);
      processElement([`k${k}`, 1], 0);
    }
    expect(out.length).toBe(100);
    // Flink: the purge clears the window contents and CountTrigger clears its count: nothing is left per key.
    expect(op.numWindows()).toBe(0);
  });
});

describe('session window late merge', () => {
  test('a late element within allowed lateness bridging two fired sessions re-fires the merged session', () => {
    const op = new WindowOperator<[string, number], never, string, string, never>({
      assigner: EventTimeSessionWindows.withGap(10) as never,
      trigger: EventTimeTrigger.create() as never,
      allowedLateness: 100,
      fn: { kind: 'process', process: ((_k: string, ctx: { window(): { start: number; end: number } }, els: [string, number][], out: Collector<string>) => out.collect(`${ctx.window().start}-${ctx.window().end}:${els.map((e) => e[1]).join(',')}`)) as never },
    });
    const { out, processElement } = harness(op, { stateKeySelector: (x) => (x as [string, number])[0] });
    processElement(['k', 0], 0);
    processElement(['k', 20], 20);
    op.processWatermark(50);
    processElement(['k', 10], 10);
    op.processWatermark(1000);
    expect(out.map((o) => o[0])).toEqual(['0-10:0', '20-30:20', '0-30:0,20,10']);
    expect(op.numWindows()).toBe(0);
  });
});
