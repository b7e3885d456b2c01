/**
 * An operator's input watermark is part of its snapshot: restored as the lowest over the old
 * subtasks' snapshots into the operator and its timer services (firing nothing), exposed as
 * restoredWatermark() for the task's watermark valve; a lower watermark never moves it back.
 */
import { describe, expect, test } from 'vitest';
import { KeyedProcessFunction, type Collector, type KeyedProcessContext, type OnTimerContext } from '../../lib/index.ts';
import { KeyedProcessOperator } from '../../lib/operators/keyed-process.ts';
import { StreamMap } from '../../lib/operators/map.ts';
import { KeyedOneInputStreamOperatorTestHarness, OneInputStreamOperatorTestHarness, Watermark, type OperatorSnapshot } from '../../lib/testing/index.ts';

/** Reports each record with the watermark it sees, and its timers. */
class Report extends KeyedProcessFunction<string, number, string> {
  processElement(v: number, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    out.collect(`${v} at watermark ${ctx.timerService().currentWatermark()}`);
    ctx.timerService().registerEventTimeTimer(v);
  }
  override onTimer(ts: number, _ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ts}`);
  }
}

type Harness = KeyedOneInputStreamOperatorTestHarness<string, number, string>;

function harness(snapshot?: OperatorSnapshot | OperatorSnapshot[], subtask = { parallelism: 1, subtaskIndex: 0 }): Harness {
  const h: Harness = new KeyedOneInputStreamOperatorTestHarness(new KeyedProcessOperator<string, number, string>(new Report()), () => 'k', { ...subtask, maxParallelism: 128 });
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

const watermarks = (h: { getOutput(): unknown[] }): number[] => h.getOutput().filter((e): e is Watermark => e instanceof Watermark).map((w) => w.timestamp);

describe('operator watermark restore', () => {
  test('the snapshot holds the watermark; a restored operator is at it, timers fire only past it, a lower one is ignored', () => {
    const first = harness();
    first.processElement(50, 50);
    first.processWatermark(30);
    const snap = first.snapshot();
    expect(snap.watermark).toBe(30);

    const second = harness(snap);
    expect((second.getOperator() as KeyedProcessOperator<string, number, string>).restoredWatermark()).toBe(30);
    expect(second.getOutput()).toEqual([]); // nothing fired at restore
    second.processElement(60, 60);
    expect(second.extractOutputValues()).toEqual(['60 at watermark 30']);
    second.processWatermark(10); // an upstream restarted from scratch
    expect(watermarks(second)).toEqual([]);
    second.processWatermark(55);
    expect(second.extractOutputValues()).toEqual(['60 at watermark 30', 'timer 50']);
    expect(watermarks(second)).toEqual([55]);
  });

  test('restored from several subtasks: the lowest watermark; one without a watermark means none', () => {
    const a = harness(undefined, { parallelism: 2, subtaskIndex: 0 });
    const b = harness(undefined, { parallelism: 2, subtaskIndex: 1 });
    a.processWatermark(40);
    b.processWatermark(25);
    const one = harness([a.snapshot(), b.snapshot()]);
    expect((one.getOperator() as KeyedProcessOperator<string, number, string>).restoredWatermark()).toBe(25);
    const fresh = harness(undefined, { parallelism: 2, subtaskIndex: 1 });
    expect(fresh.snapshot().watermark).toBeUndefined();
    const none = harness([a.snapshot(), fresh.snapshot()]);
    expect((none.getOperator() as KeyedProcessOperator<string, number, string>).restoredWatermark()).toBeUndefined();
  });

  test('a stateless operator too: it forwards no watermark below the restored one', () => {
    const first = new OneInputStreamOperatorTestHarness<number, number>(new StreamMap<number, number>((x) => x));
    first.open();
    first.processWatermark(100);
    const second = new OneInputStreamOperatorTestHarness<number, number>(new StreamMap<number, number>((x) => x));
    second.initializeState(first.snapshot());
    second.open();
    second.processWatermark(90);
    second.processWatermark(100);
    second.processWatermark(120);
    expect(watermarks(second)).toEqual([100, 120]);
  });
});
