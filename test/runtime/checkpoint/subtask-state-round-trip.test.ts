/**
 * A subtask's state written to checkpoint storage and loaded back is the state that was written:
 * keyed state of every kind (with TTL access times, composite keys, window namespaces), timers,
 * operator list / union / broadcast state, committables; restored into fresh backends it reads the
 * same, and a KeyedProcessFunction restored from the loaded checkpoint continues as the
 * uninterrupted one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../../lib/core/state/state-descriptor.ts';
import { StateTtlConfig } from '../../../lib/core/state/state-ttl-config.ts';
import type { ListState, MapState, ValueState } from '../../../lib/core/state/state.ts';
import { KeyedProcessFunction, type Collector, type KeyedProcessContext, type OnTimerContext } from '../../../lib/index.ts';
import { HeapKeyedStateBackend } from '../../../lib/state/heap-keyed-state-backend.ts';
import { DefaultOperatorStateBackend } from '../../../lib/state/operator-state-backend.ts';
import { InternalTimeServiceManager, type InternalTimer } from '../../../lib/state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, type Namespace } from '../../../lib/state/namespace.ts';
import type { OperatorSnapshot } from '../../../lib/state/stream-task-state-initializer.ts';
import { TimeWindow, windowNamespaceSerializer } from '../../../lib/windowing/windows.ts';
import { ProcessFunctionTestHarnesses } from '../../../lib/testing/index.ts';
import { deserializeSubtaskState, serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import {
  FsCheckpointStorage,
  loadCompletedCheckpoint,
  writeCheckpointMetadata,
  writeSubtaskState,
  type CheckpointOperatorInfo,
} from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import type { CompletedCheckpoint, SubtaskStateSnapshot } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MAX_PARALLELISM = 128;
const scheduler = { getCurrentProcessingTime: () => 0, registerTimer: () => {} };
const ttl = StateTtlConfig.newBuilder(60_000).build();

const descriptors = () => {
  const count = new ValueStateDescriptor<number>('count');
  count.enableTimeToLive(ttl);
  return {
    count,
    profile: new ValueStateDescriptor<unknown>('profile'),
    events: new ListStateDescriptor<{ at: Date; tags: Set<string> }>('events'),
    byType: new MapStateDescriptor<string, bigint>('byType'),
    sum: new ReducingStateDescriptor<number>('sum', (a, b) => a + b),
    avg: new AggregatingStateDescriptor<number, { n: number; total: number }, number>('avg', {
      createAccumulator: () => ({ n: 0, total: 0 }),
      add: (v, acc) => ({ n: acc.n + 1, total: acc.total + v }),
      getResult: (acc) => acc.total / acc.n,
      merge: (a, b) => ({ n: a.n + b.n, total: a.total + b.total }),
    }),
    windowContents: new ListStateDescriptor<number>('window-contents'),
  };
};

const KEYS: unknown[] = ['alice', 'bob', 42, -0.5, { user: 'carol', region: 'eu' }, ''];

/** An operator with state of every kind, built through the real backends. */
function statefulOperator(operatorId: string) {
  let now = 1_000;
  const keyed = new HeapKeyedStateBackend(MAX_PARALLELISM, () => now);
  const timers = new InternalTimeServiceManager(keyed, scheduler);
  const operator = new DefaultOperatorStateBackend();
  const d = descriptors();
  const windowTimers = timers.getInternalTimerService('window-timers', { onEventTime: () => {}, onProcessingTime: () => {} }, windowNamespaceSerializer);
  const userTimers = timers.getInternalTimerService('user-timers', { onEventTime: () => {}, onProcessingTime: () => {} });
  KEYS.forEach((key, i) => {
    now += 10;
    keyed.setCurrentKey(key);
    keyed.getValueState(d.count).update(i + 1);
    keyed.getValueState(d.profile).update({ name: `n${i}`, since: new Date(86_400_000 * i), scores: new Float64Array([i, NaN, Infinity]), missing: undefined, nested: [[i], { deep: null }] });
    const events = keyed.getListState(d.events);
    for (let j = 0; j <= i; j++) events.add({ at: new Date(j), tags: new Set([`t${j}`, 'x']) });
    const byType = keyed.getMapState(d.byType);
    byType.put('click', BigInt(i) * 10n ** 20n);
    byType.put(`type-${i}`, -1n);
    keyed.getReducingState(d.sum).add(i);
    keyed.getReducingState(d.sum).add(0.25);
    keyed.getAggregatingState(d.avg).add(i * 2);
    for (const w of [new TimeWindow(0, 1_000), new TimeWindow(1_000, 2_000)]) {
      keyed.getPartitionedState<ListState<number>>(w, d.windowContents, windowNamespaceSerializer).add(i * 100 + w.start);
      windowTimers.registerEventTimeTimer(w, w.maxTimestamp());
    }
    userTimers.registerProcessingTimeTimer(VOID_NAMESPACE, 5_000 + i);
    userTimers.registerEventTimeTimer(VOID_NAMESPACE, 700);
  });
  operator.getListState(new ListStateDescriptor<{ split: string; offset: number }>('offsets')).addAll([
    { split: 'file-a', offset: 10 },
    { split: 'file-b', offset: 0 },
  ]);
  operator.getUnionListState(new ListStateDescriptor<string>('partitions')).add('p0');
  const rules = operator.getBroadcastState(new MapStateDescriptor<string, { pattern: RegExp; limit: number }>('rules'));
  rules.put('r1', { pattern: /a+b/gi, limit: 3 });
  const snapshot: OperatorSnapshot = { operatorId, keyed: keyed.snapshot(), timers: timers.snapshot(), operator: operator.snapshot() };
  return snapshot;
}

/** What fresh backends restored from an operator snapshot read: per key, every state's value, and the timers. */
function readBack(snapshot: OperatorSnapshot) {
  const keyed = new HeapKeyedStateBackend(MAX_PARALLELISM, () => 1_100);
  const timers = new InternalTimeServiceManager(keyed, scheduler);
  const operator = new DefaultOperatorStateBackend();
  keyed.restore([snapshot.keyed!]);
  timers.restore([snapshot.timers!]);
  operator.restore([snapshot.operator]);
  const d = descriptors();
  const fired: Array<[string, unknown, unknown, number]> = [];
  const record = (service: string) => (t: InternalTimer<unknown, Namespace>) => void fired.push([service, t.key, t.namespace, t.timestamp]);
  timers.getInternalTimerService('window-timers', { onEventTime: record('window'), onProcessingTime: record('window') }, windowNamespaceSerializer);
  const userTimers = timers.getInternalTimerService('user-timers', { onEventTime: record('user'), onProcessingTime: record('user') });
  const perKey = KEYS.map((key) => {
    keyed.setCurrentKey(key);
    return {
      key,
      count: keyed.getValueState(d.count).value(),
      profile: keyed.getValueState(d.profile).value(),
      events: keyed.getListState(d.events).get(),
      byType: [...(keyed.getMapState(d.byType) as MapState<string, bigint>).entries()],
      sum: keyed.getReducingState(d.sum).get(),
      avg: keyed.getAggregatingState(d.avg).get(),
      windows: [new TimeWindow(0, 1_000), new TimeWindow(1_000, 2_000)].map((w) => keyed.getPartitionedState<ListState<number>>(w, d.windowContents, windowNamespaceSerializer).get()),
    };
  });
  timers.advanceWatermark(Number.POSITIVE_INFINITY);
  return {
    perKey,
    fired,
    processingTimeTimers: userTimers.processingTimeTimers().map((t) => [t.key, t.timestamp]),
    offsets: operator.getListState(new ListStateDescriptor('offsets')).get(),
    partitions: operator.getUnionListState(new ListStateDescriptor('partitions')).get(),
    rules: [...operator.getBroadcastState(new MapStateDescriptor('rules')).entries()],
  };
}

const OPERATORS: CheckpointOperatorInfo[] = [
  { operatorId: 'window', operatorName: 'Window(TumblingEventTimeWindows(1000))', parallelism: 2, maxParallelism: MAX_PARALLELISM },
  { operatorId: 'sink', operatorName: 'Sink: files', parallelism: 2, maxParallelism: MAX_PARALLELISM },
];

async function writeAndLoad(snapshots: SubtaskStateSnapshot[], operators: CheckpointOperatorInfo[] = OPERATORS): Promise<CompletedCheckpoint> {
  const storage = new FsCheckpointStorage(temp(), 'a1b2c3d4e5f6');
  const location = storage.initializeCheckpoint(7);
  const acks = await Promise.all(
    snapshots.map(async (s) => ({ vertexId: s.vertexId, subtaskIndex: s.subtaskIndex, finished: s.finished, handle: await writeSubtaskState(location, s.vertexId, s.subtaskIndex, serializeSubtaskState(s)) })),
  );
  await writeCheckpointMetadata(location, { jobId: storage.jobId, jobName: 'round trip', checkpointId: 7, timestamp: 1_234, isSavepoint: false, operators }, acks);
  return loadCompletedCheckpoint(location);
}

describe('a subtask state snapshot through checkpoint storage', () => {
  test('is loaded back equal, every operator in subtask order, with committables and finished operators', async () => {
    const subtasks: SubtaskStateSnapshot[] = [0, 1].map((s) => ({
      vertexId: 3,
      subtaskIndex: s,
      finished: s === 0,
      operators: [statefulOperator('window'), { operatorId: 'sink', operator: { pending: { mode: 'SPLIT_DISTRIBUTE', entries: [`part-${s}`] } } }],
      committables: [{ operatorId: 'sink', subtaskIndex: s, checkpointId: 7, committables: [{ file: `.part-${s}.inprogress`, size: 10n }] }],
    }));
    const loaded = await writeAndLoad(subtasks);
    expect(loaded).toMatchObject({ jobId: 'a1b2c3d4e5f6', jobName: 'round trip', checkpointId: 7, timestamp: 1_234, isSavepoint: false });
    expect(loaded.operators.map((o) => [o.operatorId, o.operatorName, o.parallelism, o.maxParallelism])).toEqual(OPERATORS.map((o) => [o.operatorId, o.operatorName, o.parallelism, o.maxParallelism]));
    // Exactly what structured cloning keeps (strict: undefined fields and typed arrays included).
    expect(loaded.operators[0]!.subtasks).toStrictEqual(subtasks.map((s) => structuredClone(s.operators[0])));
    expect(loaded.operators[1]!.subtasks).toStrictEqual(subtasks.map((s) => structuredClone(s.operators[1])));
    expect(loaded.committables).toStrictEqual(structuredClone(subtasks.flatMap((s) => s.committables)));
    // Subtask 1 had not finished: no operator of the vertex counts as finished.
    expect(loaded.finishedOperators).toEqual([]);
  });

  test('restored into fresh backends, every state, timer and operator state reads as before', async () => {
    const original = statefulOperator('window');
    const loaded = await writeAndLoad([{ vertexId: 3, subtaskIndex: 0, finished: true, operators: [original], committables: [] }], [{ ...OPERATORS[0]!, parallelism: 1 }]);
    const before = readBack(structuredClone(original));
    const after = readBack(loaded.operators[0]!.subtasks[0]!);
    expect(after).toStrictEqual(before);
    // Not vacuous: the state is there, and windows came back as TimeWindows.
    expect(after.perKey[4]).toMatchObject({ key: { user: 'carol', region: 'eu' }, count: 5, sum: 4.25, avg: 8, windows: [[400], [1_400]] });
    expect(after.fired.length).toBe(KEYS.length * 3); // two window timers and a user timer per key
    expect(after.processingTimeTimers.length).toBe(KEYS.length);
    expect(after.fired.some(([, , ns]) => ns instanceof TimeWindow)).toBe(true);
    expect((after.rules[0]![1] as { pattern: unknown }).pattern).toBeInstanceOf(RegExp);
    expect(loaded.finishedOperators).toEqual(['window']);
  });

  test('a KeyedProcessFunction restored from the loaded checkpoint continues as the uninterrupted one', async () => {
    class CountWithTimer extends KeyedProcessFunction<string, string, string> {
      private count!: ValueState<number>;
      override open(): void {
        this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count'));
      }
      processElement(v: string, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
        const n = (this.count.value() ?? 0) + 1;
        this.count.update(n);
        out.collect(`${v}#${n}`);
        ctx.timerService().registerEventTimeTimer((ctx.timestamp() ?? 0) + 10);
      }
      override onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}@${t}#${this.count.value()}`);
      }
    }
    const input: Array<[string, number]> = [['a', 1], ['b', 2], ['a', 3], ['c', 5], ['b', 8], ['a', 13], ['c', 21]];
    const harness = (initialState?: OperatorSnapshot[]) =>
      ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimer(), (v: string) => v, { operatorId: 'process', ...(initialState ? { initialState } : {}) });
    const whole = harness();
    for (const [v, ts] of input) whole.processElement(v, ts);
    whole.processWatermark(100);

    const first = harness();
    for (const [v, ts] of input.slice(0, 4)) first.processElement(v, ts);
    first.processWatermark(4);
    const loaded = await writeAndLoad([{ vertexId: 1, subtaskIndex: 0, finished: false, operators: [first.snapshot()], committables: [] }], [
      { operatorId: 'process', operatorName: 'KeyedProcess', parallelism: 1, maxParallelism: MAX_PARALLELISM },
    ]);
    const second = harness([...loaded.operators[0]!.subtasks]);
    for (const [v, ts] of input.slice(4)) second.processElement(v, ts);
    second.processWatermark(100);
    expect([...first.extractOutputValues(), ...second.extractOutputValues()]).toEqual(whole.extractOutputValues());
  });
});

/** Plain data structured cloning carries (no functions, symbols, class instances). */
const stateValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.date({ noInvalidDate: true })),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4 }),
    fc.array(fc.tuple(fc.string({ maxLength: 3 }), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  ),
})).value;

describe('round trip property', () => {
  test('random keyed and operator state comes back as written (serializer alone)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), stateValue), { maxLength: 20 }), fc.array(stateValue, { maxLength: 5 }), (entries, list) => {
        const keyed = new HeapKeyedStateBackend(MAX_PARALLELISM);
        const operator = new DefaultOperatorStateBackend();
        const d = new ValueStateDescriptor<unknown>('v');
        for (const [k, v] of entries) {
          keyed.setCurrentKey(k);
          keyed.getValueState(d).update(v);
        }
        operator.getListState(new ListStateDescriptor<unknown>('l')).addAll(list);
        const snapshot: SubtaskStateSnapshot = {
          vertexId: 0,
          subtaskIndex: 0,
          finished: false,
          operators: [{ operatorId: 'op', keyed: keyed.snapshot(), operator: operator.snapshot() }],
          committables: [],
        };
        const back = deserializeSubtaskState(serializeSubtaskState(snapshot));
        expect(back).toStrictEqual(structuredClone(snapshot));
        const restored = new HeapKeyedStateBackend(MAX_PARALLELISM);
        restored.restore([back.operators[0]!.keyed!]);
        const model = new Map<unknown, unknown>();
        for (const [k, v] of entries) model.set(k, v);
        for (const [k, v] of model) {
          restored.setCurrentKey(k);
          expect(restored.getValueState(d).value()).toStrictEqual(v === undefined ? undefined : structuredClone(v));
        }
      }),
      { numRuns: 100 },
    );
  });

  test('random keyed state in random namespaces, with and without TTL, and timers come back as written', () => {
    const namespaceArb = fc.oneof(fc.constant<Namespace>(VOID_NAMESPACE), fc.integer({ min: 0, max: 3 }).map((i) => new TimeWindow(i * 10, i * 10 + 10) as Namespace), fc.constantFrom<Namespace>('pattern-a', 7));
    const opArb = fc.record({
      key: fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -5, max: 5 }), fc.record({ u: fc.constantFrom('x', 'y') })),
      ns: namespaceArb,
      state: fc.constantFrom('plain', 'ttl', 'list', 'timer-event', 'timer-processing'),
      value: stateValue,
      time: fc.integer({ min: 0, max: 1_000 }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let now = 0;
        const keyed = new HeapKeyedStateBackend(MAX_PARALLELISM, () => now);
        const timers = new InternalTimeServiceManager(keyed, scheduler);
        const plain = new ValueStateDescriptor<unknown>('plain');
        const withTtl = new ValueStateDescriptor<unknown>('ttl');
        withTtl.enableTimeToLive(ttl);
        const list = new ListStateDescriptor<unknown>('list');
        const service = timers.getInternalTimerService('t', { onEventTime: () => {}, onProcessingTime: () => {} });
        for (const o of ops) {
          now = o.time;
          keyed.setCurrentKey(o.key);
          if (o.state === 'timer-event') service.registerEventTimeTimer(o.ns, o.time);
          else if (o.state === 'timer-processing') service.registerProcessingTimeTimer(o.ns, o.time);
          else if (o.state === 'list') keyed.getPartitionedState<ListState<unknown>>(o.ns, list).add(o.value);
          else if (o.value !== undefined) keyed.getPartitionedState<ValueState<unknown>>(o.ns, o.state === 'ttl' ? withTtl : plain).update(o.value);
        }
        const snapshot: SubtaskStateSnapshot = {
          vertexId: 1,
          subtaskIndex: 0,
          finished: false,
          operators: [{ operatorId: 'op', keyed: keyed.snapshot(), timers: timers.snapshot(), operator: {} }],
          committables: [],
        };
        expect(deserializeSubtaskState(serializeSubtaskState(snapshot))).toStrictEqual(structuredClone(snapshot));
      }),
      { numRuns: 100 },
    );
  });

  test('entries of uneven shape (hand-built snapshots) come back as written too', () => {
    const snapshot: SubtaskStateSnapshot = {
      vertexId: 1,
      subtaskIndex: 0,
      finished: false,
      operators: [
        {
          operatorId: 'op',
          keyed: { maxParallelism: 8, kinds: { s: 'value' }, keyGroups: { 3: { s: [['a', VOID_NAMESPACE, 1], ['b', 'ns', 2, 17]] }, 5: { s: [] } } },
          timers: { t: { eventTime: { 1: [['a', VOID_NAMESPACE, 5], ['b', VOID_NAMESPACE, 6, 0]] }, processingTime: {} } },
          operator: {},
          extra: { kept: true },
        } as OperatorSnapshot,
      ],
      committables: [],
    };
    expect(deserializeSubtaskState(serializeSubtaskState(snapshot))).toStrictEqual(structuredClone(snapshot));
  });

  test('random state through the storage folder comes back as written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), stateValue), { minLength: 1, maxLength: 8 }), async (parts) => {
        const subtasks: SubtaskStateSnapshot[] = [0, 1, 2, 3].map((s) => ({
          vertexId: 9,
          subtaskIndex: s,
          finished: false,
          operators: [{ operatorId: 'op', operator: { l: { mode: 'UNION', entries: parts.filter(([at]) => at === s).map(([, v]) => v) } } }],
          committables: [],
        }));
        const loaded = await writeAndLoad(subtasks, [{ operatorId: 'op', operatorName: 'Op', parallelism: 4, maxParallelism: MAX_PARALLELISM }]);
        expect(loaded.operators[0]!.subtasks).toStrictEqual(subtasks.map((s) => structuredClone(s.operators[0])));
      }),
      { numRuns: 25 },
    );
  });
});
