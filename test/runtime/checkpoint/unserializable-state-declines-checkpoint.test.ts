/**
 * A value v8.serialize cannot write fails the checkpoint, not the job: serializeSubtaskState throws a
 * retriable CheckpointException (reason CHECKPOINT_DECLINED_SERIALIZATION) whose message names the
 * operator (id and name), the state, the key (and namespace) and what in the value cannot be written,
 * and says that class instances lose their prototype.
 * (A Symbol cannot be a key at all: keyBy refuses it before any state is written.) The exception keeps its class across threads.
 */
import { serialize } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { CheckpointException, TidemarkError } from '../../../lib/core/errors.ts';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../../lib/core/state/state-descriptor.ts';
import type { MapState } from '../../../lib/core/state/state.ts';
import { HeapKeyedStateBackend } from '../../../lib/state/heap-keyed-state-backend.ts';
import { DefaultOperatorStateBackend } from '../../../lib/state/operator-state-backend.ts';
import { InternalTimeServiceManager } from '../../../lib/state/timers/internal-timer-service.ts';
import type { OperatorSnapshot } from '../../../lib/state/stream-task-state-initializer.ts';
import { TimeWindow } from '../../../lib/windowing/windows.ts';
import { deserializeSubtaskState, serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { SubtaskStateSnapshot } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';
import { deserializeError, serializeError } from '../../../lib/runtime/worker-protocol.ts';

const names = (id: string): string => ({ counter: 'KeyedProcess -> Map', rules: 'Broadcast rules' })[id] ?? id;

/** A subtask whose second operator ('counter') holds keyed state set by `fill`; the first operator is fine. */
function subtaskWith(fill: (backend: HeapKeyedStateBackend, operator: DefaultOperatorStateBackend) => void, timers?: (m: InternalTimeServiceManager, b: HeapKeyedStateBackend) => void): SubtaskStateSnapshot {
  const keyed = new HeapKeyedStateBackend(128);
  const operator = new DefaultOperatorStateBackend();
  const manager = new InternalTimeServiceManager(keyed, { getCurrentProcessingTime: () => 0, registerTimer: () => {} });
  const good = new HeapKeyedStateBackend(128);
  good.setCurrentKey('k');
  good.getValueState(new ValueStateDescriptor<number>('fine')).update(1);
  for (const k of ['a', 'b', 'c']) {
    keyed.setCurrentKey(k);
    keyed.getValueState(new ValueStateDescriptor<number>('count')).update(k.length);
  }
  fill(keyed, operator);
  timers?.(manager, keyed);
  const ops: OperatorSnapshot[] = [
    { operatorId: 'source', keyed: good.snapshot(), operator: {} },
    { operatorId: 'counter', keyed: keyed.snapshot(), timers: manager.snapshot(), operator: operator.snapshot() },
  ];
  return { vertexId: 2, subtaskIndex: 1, finished: false, operators: ops, committables: [] };
}

function declined(snapshot: SubtaskStateSnapshot): CheckpointException {
  try {
    serializeSubtaskState(snapshot, names);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointException);
    return e as CheckpointException;
  }
  throw new Error('expected the checkpoint to be declined');
}

describe('a value that cannot be serialized declines the checkpoint', () => {
  test('a function in ValueState: operator id and name, state, key, and the advice', () => {
    const e = declined(
      subtaskWith((b) => {
        b.setCurrentKey('user-7');
        b.getValueState(new ValueStateDescriptor<unknown>('callback')).update(function onDone() {});
      }),
    );
    expect(e.reason).toBe('CHECKPOINT_DECLINED_SERIALIZATION');
    expect(e.retriable).toBe(true);
    expect(e).toBeInstanceOf(TidemarkError);
    expect(e.message).toContain(`operator 'KeyedProcess -> Map' (id 'counter')`);
    expect(e.message).toContain('subtask index 1');
    expect(e.message).toContain(`keyed state 'callback' for key "user-7"`);
    expect(e.message).toContain('value is a function (onDone)');
    expect(e.message).toContain('class instances lose their prototype');
    expect(e.context).toMatchObject({ operator: 'KeyedProcess -> Map', subtask: 1, key: 'user-7' });
  });

  test('a Symbol inside a value: its path in the value', () => {
    const e = declined(
      subtaskWith((b) => {
        b.setCurrentKey(42);
        b.getValueState(new ValueStateDescriptor<unknown>('session')).update({ user: 'x', tags: ['a', Symbol('marker')] });
      }),
    );
    expect(e.message).toContain(`keyed state 'session' for key 42`);
    expect(e.message).toContain('value.tags[1] is a Symbol(marker)');
  });

  test('a class instance holding a function: the field, and the class named', () => {
    class Session {
      readonly started = 5;
      readonly onClose = (): void => {};
    }
    const e = declined(
      subtaskWith((b) => {
        b.setCurrentKey({ user: 'u', region: 'eu' });
        b.getListState(new ListStateDescriptor<unknown>('sessions')).add(new Session());
      }),
    );
    expect(e.message).toContain(`keyed state 'sessions' for key { user: 'u', region: 'eu' }`);
    expect(e.message).toContain('value[0].onClose is a function (onClose)');
  });

  test('a WeakMap in MapState of a window namespace: the namespace is named', () => {
    const e = declined(
      subtaskWith((b) => {
        b.setCurrentKey('k1');
        b.getPartitionedState<MapState<string, unknown>>(new TimeWindow(0, 1000), new MapStateDescriptor<string, unknown>('window-contents')).put('cache', new WeakMap());
      }),
    );
    expect(e.message).toContain(`keyed state 'window-contents' for key "k1" in namespace`);
    expect(e.message).toMatch(/start: 0, end: 1000/);
    expect(e.message).toContain('value.get("cache") is a WeakMap');
  });

  test('a timer whose namespace holds a function: the timer service, the key and the namespace', () => {
    class SlidingWindow {
      readonly id = 'w-0-100';
      readonly maxTimestamp = (): number => 99;
    }
    const e = declined(
      subtaskWith(
        () => {},
        (m, b) => {
          b.setCurrentKey('k9');
          m.getInternalTimerService('window-timers', { onEventTime: () => {}, onProcessingTime: () => {} }).registerEventTimeTimer(new SlidingWindow(), 99);
        },
      ),
    );
    expect(e.message).toContain(`event-time timer at 99 of timer service 'window-timers' for key "k9" in namespace SlidingWindow`);
    expect(e.message).toContain('namespace.maxTimestamp is a function (maxTimestamp) (namespace is an instance of class SlidingWindow)');
  });

  test('broadcast and list operator state: the state and the entry', () => {
    const broadcast = declined(subtaskWith((_b, o) => o.getBroadcastState(new MapStateDescriptor<string, unknown>('rules')).put('r1', { check: () => true })));
    expect(broadcast.message).toContain(`broadcast state 'rules' for key "r1" cannot be serialized: value.check is a function (check)`);
    const list = declined(subtaskWith((_b, o) => o.getListState(new ListStateDescriptor<unknown>('offsets')).addAll([1, 2, Promise.resolve(3)])));
    expect(list.message).toContain(`operator state 'offsets' (entry 2) cannot be serialized: value is a Promise`);
  });

  test('without operator names, the operator id stands for the name', () => {
    const snapshot = subtaskWith((b) => {
      b.setCurrentKey('a');
      b.getValueState(new ValueStateDescriptor<unknown>('f')).update(() => 1);
    });
    expect(() => serializeSubtaskState(snapshot)).toThrow(/operator 'counter' \(id 'counter'\)/);
  });

  test('crossing a worker thread boundary, it stays a CheckpointException with its reason', () => {
    const e = declined(
      subtaskWith((b) => {
        b.setCurrentKey('a');
        b.getValueState(new ValueStateDescriptor<unknown>('f')).update(Symbol('s'));
      }),
    );
    const back = deserializeError(structuredClone(serializeError(e)));
    expect(back).toBeInstanceOf(CheckpointException);
    expect((back as CheckpointException).reason).toBe('CHECKPOINT_DECLINED_SERIALIZATION');
    expect((back as CheckpointException).retriable).toBe(true);
    expect(back.message).toBe(e.message);
  });
});

test('an unserializable part outside any state still declines the checkpoint, naming the subtask', () => {
  const snapshot = { ...subtaskWith(() => {}), debugHook: () => {} } as SubtaskStateSnapshot;
  const e = declined(snapshot);
  expect(e.message).toMatch(/^Checkpoint declined: the state of vertex 2, subtask index 1 could not be serialized \(.*could not be cloned\.\)/);
  expect(e.reason).toBe('CHECKPOINT_DECLINED_SERIALIZATION');
});

test('a class instance of plain data is written, and comes back as a plain object (its prototype is lost)', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const snapshot = subtaskWith((b) => {
    b.setCurrentKey('p');
    b.getValueState(new ValueStateDescriptor<Point>('point')).update(new Point(1, 2));
  });
  const back = deserializeSubtaskState(serializeSubtaskState(snapshot));
  const restored = new HeapKeyedStateBackend(128);
  restored.restore([back.operators[1]!.keyed!]);
  restored.setCurrentKey('p');
  const v = restored.getValueState(new ValueStateDescriptor<Point>('point')).value();
  expect(v).toStrictEqual({ x: 1, y: 2 });
  expect(v).not.toBeInstanceOf(Point);
});

test('bytes that are not a subtask snapshot are refused', () => {
  expect(() => deserializeSubtaskState(serialize({ vertexId: 1 }))).toThrow(/not hold a subtask state snapshot/);
  // A plain v8-serialized snapshot is not the layout the serializer writes.
  expect(() => deserializeSubtaskState(serialize({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [], committables: [] }))).toThrow(/format undefined; this version of tidemark reads format 1/);
});
