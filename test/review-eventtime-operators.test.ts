/**
 * Review (event time): defects reproduced on operators driven directly, Flink-harness style.
 */
import { describe, expect, test } from 'vitest';
import { WindowOperator } from '../lib/windowing/window-operator.ts';
import { GlobalWindows } from '../lib/windowing/assigners/global-windows.ts';
import { PurgingTrigger } from '../lib/windowing/triggers/purging-trigger.ts';
import { CountTrigger } from '../lib/windowing/triggers/count-trigger.ts';
import { HeapKeyedStateBackend } from '../lib/state/heap-keyed-state-backend.ts';
import { ValueStateDescriptor } from '../lib/core/state/state-descriptor.ts';
import type { StreamOperator, StreamOperatorParameters } from '../lib/runtime/operator.ts';
import { StreamExecutionEnvironment, type Collector } from '../lib/index.ts';
import type { Tagged } from '../lib/api/connected-streams.ts';

type J = { key: string; ts: number };
/** The interval join's operator, taken from the stream the public API builds, fed with tagged records (1 = left, 2 = right). */
function intervalJoinOperator(lower: number, upper: number): StreamOperator<unknown> & { collect(v: unknown, ts: number): void } {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const a = env.fromCollection<J>([]).keyBy((x) => x.key);
  const b = env.fromCollection<J>([]).keyBy((x) => x.key);
  const joined = a
    .intervalJoin(b)
    .between(lower, upper)
    .process((l: J, r: J, _c: unknown, out: Collector<string>) => out.collect(`L${l.ts}-R${r.ts}`));
  const t = (joined as unknown as { transformation: { factory: (c: object) => StreamOperator<unknown> } }).transformation;
  return t.factory({ parallelism: 1, maxParallelism: 128 }) as StreamOperator<unknown> & { collect(v: unknown, ts: number): void };
}

function harness<OUT>(op: StreamOperator<OUT>): { out: Array<[OUT, number]>; wms: number[] } {
  const out: Array<[OUT, number]> = [];
  const wms: number[] = [];
  let backend: HeapKeyedStateBackend | undefined;
  const params = {
    operatorName: 'op',
    operatorId: 'op',
    taskInfo: { indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128, taskName: 'op', attemptNumber: 0 },
    runtimeContext: {
      getState: (d: never) => backend!.getValueState(d),
      getListState: (d: never) => backend!.getListState(d),
      getMapState: (d: never) => backend!.getMapState(d),
      // A late record dropped is logged with the operator's name and subtask.
      getOperatorName: () => 'op',
      getIndexOfThisSubtask: () => 0,
      getNumberOfParallelSubtasks: () => 1,
    },
    runtimeMode: 'STREAMING',
    processingTimeService: { getCurrentProcessingTime: () => 0, registerTimer: () => {} },
    mailbox: { execute: (a: () => void) => a() },
    bindKeyedStateBackend: (b: HeapKeyedStateBackend) => {
      backend = b;
    },
    collect: () => {},
  } as unknown as StreamOperatorParameters;
  op.setup(params, {
    collect: (v: OUT, ts: number) => void out.push([v, ts]),
    emitWatermark: (w: number) => void wms.push(w),
    emitWatermarkStatus: () => {},
  });
  op.open();
  return { out, wms };
}

describe('review: window operator state', () => {
  test('countWindow(n) (GlobalWindows + PurgingTrigger(CountTrigger)) holds no window for a key after it fired and purged', () => {
    const op = new WindowOperator<[string, number], never, [string, number], string, never>({
      assigner: GlobalWindows.create() as never,
      trigger: PurgingTrigger.of(CountTrigger.of(2)) as never,
      allowedLateness: 0,
      fn: { kind: 'reduce', reduce: (a: [string, number], b: [string, number]) => [a[0], a[1] + b[1]] as [string, number] },
    });
    op.setKeyContext((x) => (x as [string, number])[0], 128);
    const { out } = harness(op);
    for (let k = 0; k < 100; k++) {
      op.collect([`k${k}`, 1], 0);
      op.collect([`k${k}`, 1], 0);
    }
    expect(out.length).toBe(100);
    // Flink: the purge clears the window contents and CountTrigger clears its count: nothing is left per key.
    expect(op.numWindows()).toBe(0);
  });
});

describe('review: heap keyed state backend', () => {
  test('a composite (object) key whose state was cleared is not retained by the backend', () => {
    const backend = new HeapKeyedStateBackend(128);
    const s = backend.getValueState(new ValueStateDescriptor<number>('v'));
    for (let i = 0; i < 1000; i++) {
      backend.setCurrentKey({ user: i, region: 'eu' });
      s.update(i);
      s.clear();
    }
    expect(backend.numKeys()).toBe(0);
    // The module doc: "A key whose state is cleared holds nothing." Yet every key object seen is kept forever.
    expect((backend as unknown as { compositeKeys: Map<unknown, unknown> }).compositeKeys.size).toBe(0);
  });
});

describe('review: interval join', () => {
  const L = (ts: number): Tagged => ({ i: 1, v: { key: 'k', ts } });
  const R = (ts: number): Tagged => ({ i: 2, v: { key: 'k', ts } });
  test('control: a left element strictly behind the watermark is late (Flink too: ts < watermark)', () => {
    const op = intervalJoinOperator(-5, 5);
    const { out } = harness(op);
    op.processWatermark(10);
    op.collect(L(9), 9);
    op.collect(R(12), 12);
    expect(out.map((o) => o[0])).toEqual([]);
  });
  test('an element whose timestamp equals the watermark is not late (Flink IntervalJoinOperator.isLate: ts < watermark) and joins', () => {
    const op = intervalJoinOperator(-5, 5);
    const { out } = harness(op);
    op.processWatermark(10);
    op.collect(L(10), 10);
    op.collect(R(12), 12);
    expect(out).toEqual([['L10-R12', 12]]);
  });
});

import { EventTimeSessionWindows } from '../lib/windowing/assigners/session-windows.ts';
import { EventTimeTrigger } from '../lib/windowing/triggers/event-time-trigger.ts';
describe('review: probe (expected to pass) session late merge', () => {
  test('a late element within allowed lateness bridging two fired sessions re-fires the merged session', () => {
    const op = new WindowOperator<[string, number], never, string, string, never>({
      assigner: EventTimeSessionWindows.withGap(10) as never,
      trigger: EventTimeTrigger.create() as never,
      allowedLateness: 100,
      fn: { kind: 'process', process: ((_k: string, ctx: { window(): { start: number; end: number } }, els: [string, number][], out: Collector<string>) => out.collect(`${ctx.window().start}-${ctx.window().end}:${els.map((e) => e[1]).join(',')}`)) as never },
    });
    op.setKeyContext((x) => (x as [string, number])[0], 128);
    const { out } = harness(op);
    op.collect(['k', 0], 0);
    op.collect(['k', 20], 20);
    op.processWatermark(50);
    op.collect(['k', 10], 10);
    op.processWatermark(1000);
    expect(out.map((o) => o[0])).toEqual(['0-10:0', '20-30:20', '0-30:0,20,10']);
    expect(op.numWindows()).toBe(0);
  });
});
