/**
 * A checkpoint writes state with structured clone, which drops a class instance's prototype; a state
 * descriptor that carries a serializer (withSerializer) gets its values back as they were — for
 * value, list, map, reducing and aggregating state, through a real checkpoint file and a restore.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { AggregatingStateDescriptor, KeyedProcessFunction, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor, type TypeSerializer } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses } from '../../lib/testing/index.ts';
import { deserializeSubtaskState, serializeSubtaskState } from '../../lib/runtime/checkpoint/state-serializer.ts';
import type { OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}

const points: TypeSerializer<Point> = {
  serialize: (p) => [p.x, p.y],
  deserialize: (d) => {
    const [x, y] = d as [number, number];
    return new Point(x, y);
  },
};

type In = { key: string; x: number; y: number };

/** Keeps the last point, all points, points by x, their sum and their count; emits what it reads back (methods included). */
class Track extends KeyedProcessFunction<string, In, string> {
  private readonly last = new ValueStateDescriptor<Point>('last').withSerializer(points);
  private readonly all = new ListStateDescriptor<Point>('all').withSerializer(points);
  private readonly byX = new MapStateDescriptor<number, Point>('byX').withSerializer(points);
  private readonly sum = new ReducingStateDescriptor<Point>('sum', (a, b) => new Point(a.x + b.x, a.y + b.y)).withSerializer(points);
  private readonly count = new AggregatingStateDescriptor<Point, Point, number>('count', {
    createAccumulator: () => new Point(0, 0),
    add: (p, acc) => new Point(acc.x + 1, acc.y + p.norm()),
    getResult: (acc) => acc.x * 1000 + acc.y,
    merge: (a, b) => new Point(a.x + b.x, a.y + b.y),
  }).withSerializer(points);

  processElement(e: In, _ctx: unknown, out: { collect(v: string): void }): void {
    const ctx = this.getRuntimeContext();
    const last = ctx.getState(this.last);
    const before = last.value();
    const p = new Point(e.x, e.y);
    last.update(p);
    ctx.getListState(this.all).add(p);
    ctx.getMapState(this.byX).put(e.x, p);
    ctx.getReducingState(this.sum).add(p);
    ctx.getAggregatingState(this.count).add(p);
    const all = ctx.getListState(this.all).get();
    const byX = [...ctx.getMapState(this.byX).values()];
    out.collect(
      [
        e.key,
        before?.norm() ?? '-',
        all.map((q) => q.norm()).join(','),
        byX.map((q) => q.norm()).join(','),
        ctx.getReducingState(this.sum).get()!.norm(),
        ctx.getAggregatingState(this.count).get(),
      ].join('|'),
    );
  }
}

function harness(initialState?: OperatorSnapshot) {
  return ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Track(), (e: In) => e.key, { initialState });
}

test('state with a serializer comes back as class instances through a checkpoint, equal to the uninterrupted run', async () => {
  const input = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), x: fc.integer({ min: -5, max: 5 }), y: fc.integer({ min: -5, max: 5 }) }), { minLength: 1, maxLength: 30 });
  await fc.assert(
    fc.asyncProperty(input, fc.nat(), async (events, cutAt) => {
      const cut = cutAt % (events.length + 1);
      const whole = harness();
      events.forEach((e, i) => whole.processElement(e, i));
      const expected = whole.extractOutputValues();

      const first = harness();
      events.slice(0, cut).forEach((e, i) => first.processElement(e, i));
      // Through the checkpoint's byte format, as a restore after a crash reads it.
      const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [first.snapshot()], committables: [] });
      const second = harness(deserializeSubtaskState(bytes).operators[0]);
      events.slice(cut).forEach((e, i) => second.processElement(e, cut + i));
      expect([...first.extractOutputValues(), ...second.extractOutputValues()]).toEqual(expected);
    }),
    { numRuns: 60 },
  );
});
