/**
 * The CEP operator's state lives in the state layer: a snapshot taken at any point, sent through
 * v8.serialize / deserialize (as a checkpoint or a worker message would), restored into a fresh
 * operator through StreamTaskStateInitializer, continues exactly as the uninterrupted operator
 * (matches, timed-out partial matches, late records, rejected rules, in order, with timestamps).
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { CepOperator, type CepOperatorOptions, type PatternRule } from '../../lib/cep/operator/cep-operator.ts';
import { Pattern } from '../../lib/cep/pattern.ts';
import { NFA } from '../../lib/cep/nfa/nfa.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { PatternProcessFunction, type PatternContext } from '../../lib/cep/functions.ts';
import type { Collector } from '../../lib/core/functions/collector.ts';
import { OutputTag } from '../../lib/core/output-tag.ts';
import { StreamTaskStateInitializer, type OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';
import { VOID_NAMESPACE } from '../../lib/state/namespace.ts';
import type { StreamOperatorParameters } from '../../lib/runtime/operator.ts';
import { assignKeyToParallelOperator } from '../../lib/state/key-groups.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

interface Ev {
  readonly key: string;
  readonly type: string;
  readonly id: number;
}

type Op =
  | { readonly kind: 'event'; readonly ev: Ev; readonly ts: number }
  | { readonly kind: 'wm'; readonly t: number }
  | { readonly kind: 'rule'; readonly rule: PatternRule }
  /** Processing time moves to `t` (due processing-time timers fire). */
  | { readonly kind: 'tick'; readonly t: number };

/** Processing time under the test's control: task timers fire in time order (registration order on ties) as it moves. */
class FakeClock {
  private readonly timers: Array<{ time: number; callback: (time: number) => void }> = [];
  constructor(public now: number) {}
  getCurrentProcessingTime = (): number => this.now;
  registerTimer = (time: number, callback: (time: number) => void): void => void this.timers.push({ time, callback });
  scheduleWithFixedDelay = (): void => {};
  advanceTo(t: number): void {
    this.now = t;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.timers.length; i++) if (this.timers[i]!.time <= t && (next < 0 || this.timers[i]!.time < this.timers[next]!.time)) next = i;
      if (next < 0) return;
      const [timer] = this.timers.splice(next, 1);
      timer!.callback(timer!.time);
    }
  }
}

const LATE = new OutputTag<Ev>('late');
const TIMED_OUT = new OutputTag<unknown>('timed-out');
const REJECTED = new OutputTag<unknown>('rejected');

/** Matches to the main output, timed-out partial matches to a side output, both naming the pattern. */
class Fn extends PatternProcessFunction<Ev, string, unknown> {
  processMatch(match: Record<string, Ev[]>, ctx: PatternContext, out: Collector<unknown>): void {
    out.collect({ match, pattern: ctx.patternId() ?? null });
  }
  processTimedOutMatch(match: Record<string, Ev[]>, ctx: PatternContext): void {
    ctx.output(TIMED_OUT, { match, pattern: ctx.patternId() ?? null, at: ctx.timestamp() });
  }
}

const is = (type: string) => (e: Ev) => e.type === type;
const STATIC_PATTERNS: ReadonlyArray<() => Pattern<Ev, string>> = [
  () => Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).followedBy('c').where(is('c')).within(10),
  () => Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where(is('a')).oneOrMore().followedBy('c').where(is('c')).within(8),
  // Ends with notFollowedBy: matches are released by time (pending states).
  () => Pattern.begin<Ev>('a').where(is('a')).followedByAny('b').where(is('b')).notFollowedBy('c').where(is('c')).within(6),
  () => Pattern.begin<Ev>('a').where(is('a')).next('b').where(is('b')).times(2).within(5),
  // A greedy loop ended by until(), and a loop of 1 to 3 without a window (partial matches stay).
  () => Pattern.begin<Ev>('a').where(is('a')).oneOrMore().greedy().until(is('c')).followedBy('b').where(is('b')).within(9),
  () => Pattern.begin<Ev>('a').where(is('a')).times(1, 3).followedBy('b').where(is('b')),
];

const SPECS = [
  Pattern.begin<Ev>('a').where('type == "a"').followedBy('b').where('type == "b"').within(7).toSpec(),
  Pattern.begin<Ev>('b').where('type == "b"').followedByAny('c').where('type == "c"').within(4).toSpec(),
  Pattern.begin<Ev>('x').where('type == "x"').next('a').where('type == "a"').toSpec(),
];

const BROADCAST = Symbol('broadcast');

/**
 * Drives one operator directly: keyed by the event's key, processing time frozen, outputs recorded in
 * order; subtask `index` of `parallelism`, restored from the snapshots of all old subtasks.
 */
function start(options: CepOperatorOptions<Ev>, restored?: OperatorSnapshot | OperatorSnapshot[], clockAt = 0, index = 0, parallelism = 1) {
  const out: unknown[] = [];
  const op = new CepOperator<Ev, unknown>(new Fn(), options);
  const pts = new FakeClock(clockAt);
  const params = {
    operatorName: 'cep',
    operatorId: 'cep',
    taskInfo: { indexOfThisSubtask: index, numberOfParallelSubtasks: parallelism, maxNumberOfParallelSubtasks: 128, taskName: 'cep', attemptNumber: 0 },
    runtimeContext: {},
    runtimeMode: 'STREAMING',
    processingTimeService: pts,
    mailbox: { execute: (a: () => void) => a() },
    bindKeyedStateBackend: () => {},
    collect: () => {},
  } as unknown as StreamOperatorParameters;
  const dynamic = options.pattern === undefined;
  // As after keyBy: the chain sets each record's key before processElement.
  const keySelector = (v: unknown): unknown => (dynamic ? ((v as { i: number; v: Ev }).i === 1 ? (v as { v: Ev }).v.key : BROADCAST) : (v as Ev).key);
  const input = (v: unknown, ts: number): void => {
    op.setKeyContextElement(v);
    op.processElement(v, ts);
  };
  op.setup({ ...params, stateKeySelector: keySelector, maxParallelism: 128 }, {
    collect: (v, ts) => void out.push(['out', v, ts]),
    collectSide: (tag, v, ts) => void out.push([tag, v, ts]),
    emitWatermark: () => {},
    emitWatermarkStatus: () => {},
  });
  const snapshots = restored === undefined ? undefined : Array.isArray(restored) ? restored : [restored];
  op.initializeState(new StreamTaskStateInitializer(pts, snapshots === undefined ? undefined : () => ({ checkpointId: 1, snapshots })));
  op.open();
  let watermark = Number.NEGATIVE_INFINITY;
  const feed = (o: Op): void => {
    if (o.kind === 'wm') {
      watermark = o.t;
      op.processWatermark(o.t);
    } else if (o.kind === 'tick') pts.advanceTo(o.t);
    else if (o.kind === 'rule') input({ i: 2, v: o.rule }, watermark);
    else input(dynamic ? { i: 1, v: o.ev } : o.ev, o.ts);
  };
  return { op, out, feed, watermark: () => watermark, clock: pts };
}

/** `parallelism` subtasks of one operator, as a job runs them: events go to their key's subtask, watermarks, rules and time to all. */
function startSubtasks(options: CepOperatorOptions<Ev>, parallelism: number, restored?: OperatorSnapshot[], clockAt = 0) {
  const subtasks = Array.from({ length: parallelism }, (_, i) => start(options, restored, clockAt, i, parallelism));
  const feed = (o: Op): void => {
    if (o.kind === 'event') subtasks[assignKeyToParallelOperator(o.ev.key, 128, parallelism)]!.feed(o);
    else for (const s of subtasks) s.feed(o);
  };
  return { subtasks, feed };
}

/** Runs `ops` up to `at` on `from` subtasks, snapshots them all, restores `to` subtasks from the snapshots, runs the rest. */
function runRescaled(options: CepOperatorOptions<Ev>, ops: readonly Op[], at: number, from: number, to: number): unknown[] {
  const first = startSubtasks(options, from);
  ops.slice(0, at).forEach(first.feed);
  const snapshots = first.subtasks.map((s) => deserialize(serialize(s.op.snapshotState(1))) as OperatorSnapshot);
  const second = startSubtasks(options, to, snapshots, first.subtasks[0]!.clock.now);
  const watermark = first.subtasks[0]!.watermark();
  if (watermark !== Number.NEGATIVE_INFINITY) second.feed({ kind: 'wm', t: watermark });
  ops.slice(at).forEach(second.feed);
  for (const s of second.subtasks) s.op.endInput();
  return [...first.subtasks.flatMap((s) => s.out), ...second.subtasks.flatMap((s) => s.out)];
}

/**
 * The output per key, in order (the order between keys depends on the subtasks); rejected rules left
 * out (every subtask rejects a bad rule).
 */
function perKey(out: readonly unknown[]): Record<string, unknown[]> {
  const byKey: Record<string, unknown[]> = {};
  for (const o of out) {
    const [tag, value] = o as [string, unknown];
    if (tag === REJECTED.id) continue;
    const key = tag === LATE.id ? (value as Ev).key : Object.values((value as { match: Record<string, Ev[]> }).match).flat()[0]!.key;
    (byKey[key] ??= []).push(o);
  }
  return byKey;
}

function runUninterrupted(options: CepOperatorOptions<Ev>, ops: readonly Op[]): unknown[] {
  const run = start(options);
  ops.forEach(run.feed);
  run.op.endInput();
  return run.out;
}

/** Runs `ops` up to `at`, snapshots, restores a fresh operator from the serialized snapshot, runs the rest. */
function runRestored(options: CepOperatorOptions<Ev>, ops: readonly Op[], at: number): unknown[] {
  const first = start(options);
  ops.slice(0, at).forEach(first.feed);
  first.op.prepareSnapshotPreBarrier(1);
  const snapshot = deserialize(serialize(first.op.snapshotState(1))) as OperatorSnapshot;
  expectNoIdleState(snapshot);
  const second = start(options, snapshot, first.clock.now);
  // The watermark is not state (as in Flink): after a restore the sources emit it again.
  if (first.watermark() !== Number.NEGATIVE_INFINITY) second.feed({ kind: 'wm', t: first.watermark() });
  ops.slice(at).forEach(second.feed);
  second.op.endInput();
  return [...first.out, ...second.out];
}

/**
 * A key holds state only while it has buffered records or partial matches: a queue with nothing
 * buffered is there only for a key with NFA state (it holds the key's timer), and NFA state never
 * exists without the key's queue.
 */
function expectNoIdleState(snapshot: OperatorSnapshot): void {
  const groups = Object.values(snapshot.keyed!.keyGroups);
  const queues = new Map(groups.flatMap((g) => g['eventQueuesStateName'] ?? []).map(([key, , q]) => [key, q as { numBuffered: number }]));
  const withNFAState = new Set(groups.flatMap((g) => g['nfaStateName'] ?? []).map(([key]) => key));
  for (const [key, q] of queues) if (q.numBuffered === 0) expect(withNFAState.has(key)).toBe(true);
  for (const key of withNFAState) expect(queues.has(key)).toBe(true);
}

/** Events over three keys, out of order by up to 4 ms, watermarks 3 ms behind (some records late), a final watermark far ahead. */
function opsArb(withRules: boolean): fc.Arbitrary<Op[]> {
  const ruleArb = fc.oneof(
    fc.record({ id: fc.constantFrom('r1', 'r2'), action: fc.constant('upsert' as const), spec: fc.constantFrom(...SPECS) }),
    fc.record({ id: fc.constantFrom('r1', 'r2'), action: fc.constant('delete' as const) }),
  );
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constant('event' as const), fc.constantFrom('k0', 'k1', 'k2'), fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: -4, max: 4 }), fc.integer({ min: 0, max: 2 })) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('wm' as const), fc.integer({ min: 0, max: 3 })) },
    ...(withRules ? [{ weight: 1, arbitrary: fc.tuple(fc.constant('rule' as const), ruleArb) }] : []),
  );
  return fc.array(step, { maxLength: 60 }).map((steps) => {
    const ops: Op[] = [];
    let now = 100;
    let wm = Number.NEGATIVE_INFINITY;
    steps.forEach((s, id) => {
      if (s[0] === 'event') {
        now += s[4];
        ops.push({ kind: 'event', ev: { key: s[1], type: s[2], id }, ts: now + s[3] });
      } else if (s[0] === 'wm') {
        now += s[1];
        if (now - 3 > wm) ops.push({ kind: 'wm', t: (wm = now - 3) });
      } else {
        ops.push({ kind: 'rule', rule: s[1] as PatternRule });
      }
    });
    ops.push({ kind: 'wm', t: now + 100 });
    return ops;
  });
}

describe('CEP operator state: snapshot, v8 serialization and restore', () => {
  test('property: a keyed pattern with within() and out-of-order input, restored at any point, gives the uninterrupted output', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: STATIC_PATTERNS.length - 1 }),
        fc.boolean(),
        opsArb(false),
        fc.nat(),
        (p, withComparator, ops, cut) => {
          const options: CepOperatorOptions<Ev> = {
            pattern: STATIC_PATTERNS[p]!(),
            isProcessingTime: false,
            lateDataTag: LATE,
            // Ties (equal timestamps) ordered by type, descending: differs from arrival order.
            comparator: withComparator ? (x, y) => (x.type < y.type ? 1 : x.type > y.type ? -1 : 0) : undefined,
          };
          const expected = runUninterrupted(options, ops);
          expect(runRestored(options, ops, cut % (ops.length + 1))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: dynamic patterns (rules added, replaced, removed) restored at any point give the uninterrupted output', () => {
    fc.assert(
      fc.property(fc.boolean(), opsArb(true), fc.nat(), (withInitial, ops, cut) => {
        const options: CepOperatorOptions<Ev> = {
          isProcessingTime: false,
          lateDataTag: LATE,
          rejectedRulesTag: REJECTED as OutputTag<never>,
          initialRules: withInitial ? [{ id: 'r1', action: 'upsert', spec: SPECS[0] }] : undefined,
        };
        const expected = runUninterrupted(options, ops);
        expect(runRestored(options, ops, cut % (ops.length + 1))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('property: processing time with a comparator (records wait for the clock), restored at any point, gives the uninterrupted output', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: STATIC_PATTERNS.length - 1 }), opsArb(false), fc.nat(), (p, ops, cut) => {
        const options: CepOperatorOptions<Ev> = {
          pattern: STATIC_PATTERNS[p]!(),
          isProcessingTime: true,
          // Records of one clock reading in type order (a before b before c): they can match.
          comparator: (x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0),
        };
        // The clock moves where the event-time input has watermarks.
        const inProcessingTime = ops.map((o): Op => (o.kind === 'wm' ? { kind: 'tick', t: o.t } : o));
        const expected = runUninterrupted(options, inProcessingTime);
        expect(runRestored(options, inProcessingTime, cut % (ops.length + 1))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  test('a restored operator holds the same partial matches and buffered records (the gauges are recomputed)', () => {
    const options: CepOperatorOptions<Ev> = { pattern: STATIC_PATTERNS[0]!(), isProcessingTime: false };
    const ops: Op[] = [
      { kind: 'event', ev: { key: 'k0', type: 'a', id: 0 }, ts: 1 },
      { kind: 'event', ev: { key: 'k1', type: 'a', id: 1 }, ts: 2 },
      { kind: 'wm', t: 2 },
      { kind: 'event', ev: { key: 'k0', type: 'b', id: 2 }, ts: 5 },
    ];
    const first = start(options);
    ops.forEach(first.feed);
    const snapshot = deserialize(serialize(first.op.snapshotState(1))) as OperatorSnapshot;
    const second = start(options, snapshot);
    expect(second.op.metrics).toMatchObject({ partialMatches: 2, bufferedEvents: 1, peakPartialMatches: 2, peakBufferedEvents: 1, patterns: 1 });
    // The snapshot is plain data: its NFA states are no NFAState instances.
    const nfa = Object.values(snapshot.keyed!.keyGroups).flatMap((g) => g['nfaStateName'] ?? []);
    expect(nfa).toHaveLength(2);
    for (const [, , value] of nfa) expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('CEP operator state: restore at another parallelism', () => {
  const rescales = fc.constantFrom([2, 1], [1, 2], [3, 2], [2, 3]);

  test('property: a keyed pattern, snapshotted on some subtasks and restored on more or fewer, gives each key the uninterrupted output', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: STATIC_PATTERNS.length - 1 }), fc.boolean(), rescales, opsArb(false), fc.nat(), (p, processingTime, [from, to], ops, cut) => {
        const options: CepOperatorOptions<Ev> = processingTime
          ? { pattern: STATIC_PATTERNS[p]!(), isProcessingTime: true, maxPartialMatches: { max: 2, overflow: 'drop-oldest' } }
          : { pattern: STATIC_PATTERNS[p]!(), isProcessingTime: false, lateDataTag: LATE };
        const input = processingTime ? ops.map((o): Op => (o.kind === 'wm' ? { kind: 'tick', t: o.t } : o)) : ops;
        expect(perKey(runRescaled(options, input, cut % (input.length + 1), from, to))).toEqual(perKey(runUninterrupted(options, input)));
      }),
      { numRuns: 150 },
    );
  });

  test('property: dynamic patterns (union list state of rules from every subtask) restored on more or fewer subtasks give each key the uninterrupted output', () => {
    fc.assert(
      fc.property(fc.boolean(), rescales, opsArb(true), fc.nat(), (withInitial, [from, to], ops, cut) => {
        const options: CepOperatorOptions<Ev> = {
          isProcessingTime: false,
          lateDataTag: LATE,
          rejectedRulesTag: REJECTED as OutputTag<never>,
          initialRules: withInitial ? [{ id: 'r1', action: 'upsert', spec: SPECS[0] }] : undefined,
        };
        expect(perKey(runRescaled(options, ops, cut % (ops.length + 1), from, to))).toEqual(perKey(runUninterrupted(options, ops)));
      }),
      { numRuns: 150 },
    );
  });

  test('tidemark/testing: two subtasks with buffered records and open partial matches, restored as one (and back as two)', () => {
    const harness = (index: number, parallelism: number) =>
      new KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown>(new CepOperator<Ev, unknown>(new Fn(), { pattern: STATIC_PATTERNS[0]!(), isProcessingTime: false }), (e) => e.key, {
        subtaskIndex: index,
        parallelism,
      });
    // k1 on subtask 0, k0 on subtask 1 (of 2).
    const two = [harness(0, 2), harness(1, 2)];
    for (const [h, key] of [[two[0]!, 'k1'], [two[1]!, 'k0']] as const) {
      h.open();
      h.processElement({ key, type: 'a', id: 0 }, 1);
      h.processWatermark(1);
      h.processElement({ key, type: 'c', id: 2 }, 5); // out of order: waits for the watermark
      h.processElement({ key, type: 'b', id: 1 }, 3);
    }
    const one = harness(0, 1);
    one.initializeState(two.map((h) => h.snapshot()));
    one.open();
    expect(one.numKeyedStateEntries()).toBe(4); // per key: queue and partial match
    const again = [harness(0, 2), harness(1, 2)];
    for (const h of again) {
      h.initializeState(one.snapshot());
      h.processWatermark(5);
    }
    one.processWatermark(5);
    const matches = (key: string) => [{ match: { a: [{ key, type: 'a', id: 0 }], b: [{ key, type: 'b', id: 1 }], c: [{ key, type: 'c', id: 2 }] }, pattern: null }];
    expect(one.extractOutputValues()).toHaveLength(2);
    expect(one.extractOutputValues()).toEqual(expect.arrayContaining([...matches('k0'), ...matches('k1')]));
    expect(again[0]!.extractOutputValues()).toEqual(matches('k1'));
    expect(again[1]!.extractOutputValues()).toEqual(matches('k0'));
    expect(one.numKeyedStateEntries() + again[0]!.numKeyedStateEntries() + again[1]!.numKeyedStateEntries()).toBe(0);
  });

  test('a rule removed on one subtask (it failed on an event there) stays removed there after a restore at the same parallelism', () => {
    // Fails on an 'x' event (lower() of a number): removed on the subtask that saw one, running on the other.
    const fragile = Pattern.begin<Ev>('a').where('type == "a"').followedBy('b').where('type == "b" || (type == "x" && lower(id) == "z")').toSpec();
    const options: CepOperatorOptions<Ev> = { isProcessingTime: false, rejectedRulesTag: REJECTED as OutputTag<never>, initialRules: [{ id: 'r1', action: 'upsert', spec: fragile }] };
    // k1 on subtask 0, k0 on subtask 1 (of 2).
    const a: Ev = { key: 'k0', type: 'a', id: 4 };
    const b: Ev = { key: 'k0', type: 'b', id: 5 };
    const ops: Op[] = [
      { kind: 'event', ev: { key: 'k1', type: 'a', id: 0 }, ts: 5 },
      { kind: 'event', ev: { key: 'k1', type: 'x', id: 1 }, ts: 10 },
      { kind: 'wm', t: 20 },
      { kind: 'event', ev: { key: 'k1', type: 'a', id: 2 }, ts: 30 },
      { kind: 'event', ev: { key: 'k1', type: 'b', id: 3 }, ts: 31 },
      { kind: 'event', ev: a, ts: 30 },
      { kind: 'event', ev: b, ts: 31 },
      { kind: 'wm', t: 40 },
    ];
    const uninterrupted = startSubtasks(options, 2);
    ops.forEach(uninterrupted.feed);
    const expected = uninterrupted.subtasks.flatMap((s) => s.out);
    expect(perKey(expected)).toEqual({ k0: [['out', { match: { a: [a], b: [b] }, pattern: 'r1' }, 31]] });
    for (let at = 0; at <= ops.length; at++) expect(runRescaled(options, ops, at, 2, 2)).toEqual(expected);
  });

  test('operators restored from one snapshot (not serialized in between) continue alike: a restored operator does not change the snapshot', () => {
    const options: CepOperatorOptions<Ev> = { pattern: STATIC_PATTERNS[0]!(), isProcessingTime: false };
    const first = start(options);
    first.feed({ kind: 'event', ev: { key: 'k0', type: 'a', id: 0 }, ts: 1 });
    first.feed({ kind: 'event', ev: { key: 'k0', type: 'b', id: 1 }, ts: 3 });
    first.feed({ kind: 'event', ev: { key: 'k0', type: 'c', id: 2 }, ts: 2 });
    const snapshot = first.op.snapshotState(1);
    const bytes = serialize(snapshot);
    const rest: Op[] = [
      { kind: 'event', ev: { key: 'k0', type: 'c', id: 3 }, ts: 4 },
      { kind: 'wm', t: 10 },
    ];
    const runFromSnapshot = (): unknown[] => {
      const restored = start(options, snapshot);
      rest.forEach(restored.feed);
      return restored.out;
    };
    const once = runFromSnapshot();
    expect(once).toEqual([['out', { match: { a: [{ key: 'k0', type: 'a', id: 0 }], b: [{ key: 'k0', type: 'b', id: 1 }], c: [{ key: 'k0', type: 'c', id: 3 }] }, pattern: null }, 4]]);
    expect(serialize(snapshot).equals(bytes)).toBe(true);
    expect(runFromSnapshot()).toEqual(once);
  });
});

describe('CEP operator state: what a key holds', () => {
  test('a key whose partial matches completed or timed out holds nothing, before and after a restore (tidemark/testing harness)', () => {
    const harness = () => new KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown>(new CepOperator<Ev, unknown>(new Fn(), { pattern: STATIC_PATTERNS[0]!(), isProcessingTime: false }), (e) => e.key);
    const first = harness();
    first.open();
    first.processElement({ key: 'k0', type: 'a', id: 0 }, 1);
    first.processElement({ key: 'k0', type: 'b', id: 1 }, 2);
    first.processElement({ key: 'k0', type: 'c', id: 2 }, 3);
    first.processElement({ key: 'k1', type: 'a', id: 3 }, 4);
    first.processWatermark(3);
    expect(first.extractOutputValues()).toHaveLength(1);
    expect(first.numKeyedStateEntries()).toBe(1); // k1's queue (its record waits for the watermark)
    const second = harness();
    second.initializeState(first.snapshot());
    second.open();
    second.processWatermark(4);
    expect(second.numKeyedStateEntries()).toBe(2); // k1: queue (its timer) and partial match
    second.processWatermark(20);
    expect(second.getSideOutput(TIMED_OUT)).toHaveLength(1);
    expect(second.numKeyedStateEntries()).toBe(0);
  });

  test('a restored rule that cannot run any more is rejected, and a key that only it had partial matches for holds nothing', () => {
    const options: CepOperatorOptions<Ev> = { isProcessingTime: false, rejectedRulesTag: REJECTED as OutputTag<never>, initialRules: [{ id: 'r1', action: 'upsert', spec: SPECS[2] }] };
    const first = start(options);
    first.feed({ kind: 'event', ev: { key: 'k0', type: 'x', id: 0 }, ts: 10 });
    first.feed({ kind: 'wm', t: 10 });
    const snapshot = deserialize(serialize(first.op.snapshotState(1))) as OperatorSnapshot;
    expect(Object.keys(snapshot.keyed!.keyGroups)).toHaveLength(1);
    // As if a later version no longer accepted the rule's spec.
    const stored = snapshot.operator['cep-patterns']!.entries as Array<{ rule: { spec: { stages: Array<{ condition: string }> } } }>;
    stored[0]!.rule.spec.stages[0]!.condition = 'noSuchFunction(type)';
    const second = start(options, snapshot);
    expect(second.out.map((o) => (o as unknown[])[0])).toEqual([REJECTED.id]);
    expect(second.op.metrics).toMatchObject({ patterns: 0, partialMatches: 0, bufferedEvents: 0 });
    expect(Object.keys(second.op.snapshotState(2).keyed!.keyGroups)).toEqual([]);
  });

  test('a rule deleted after a restore leaves no namespace; re-added with the same id, it starts afresh', () => {
    const options: CepOperatorOptions<Ev> = { isProcessingTime: false, initialRules: [{ id: 'r1', action: 'upsert', spec: SPECS[0] }, { id: 'r2', action: 'upsert', spec: SPECS[1] }] };
    const first = start(options);
    first.feed({ kind: 'event', ev: { key: 'k0', type: 'a', id: 0 }, ts: 10 });
    first.feed({ kind: 'event', ev: { key: 'k1', type: 'b', id: 1 }, ts: 10 });
    first.feed({ kind: 'wm', t: 10 });
    const second = start(options, deserialize(serialize(first.op.snapshotState(1))) as OperatorSnapshot);
    second.feed({ kind: 'rule', rule: { id: 'r1', action: 'delete' } });
    const entries = (snap: OperatorSnapshot): Array<[unknown, unknown, string]> =>
      Object.values(snap.keyed!.keyGroups).flatMap((g) => Object.entries(g).flatMap(([name, es]) => es.map(([key, ns]) => [key, ns, name] as [unknown, unknown, string])));
    // k0 had only r1's partial match: nothing left; k1 keeps r2's.
    expect(entries(second.op.snapshotState(2)).sort()).toEqual([['k1', VOID_NAMESPACE, 'eventQueuesStateName'], ['k1', 'r2', 'nfaStateName']].sort());
    second.feed({ kind: 'rule', rule: { id: 'r1', action: 'upsert', spec: SPECS[0] } });
    second.feed({ kind: 'event', ev: { key: 'k0', type: 'b', id: 2 }, ts: 12 });
    second.feed({ kind: 'wm', t: 30 });
    // r1's partial match (a at 10) went with the delete: the b matches nothing of r1.
    expect(second.out.filter((o) => (o as [string, { pattern: string }])[0] === 'out' || (o as [string, { pattern: string }])[1].pattern === 'r1')).toEqual([]);
    expect(second.op.metrics).toMatchObject({ partialMatches: 0, patterns: 2 });
    expect(entries(second.op.snapshotState(3))).toEqual([]);
  });

  test('processing time: a rule that fails on an event and is removed leaves the key its queue when the next rule starts a partial match on that event (its timeout fires)', () => {
    const fragile = Pattern.begin<Ev>('a').where('type == "a"').followedBy('b').where('type == "b" || (type == "x" && lower(id) == "z")').toSpec();
    const xThenA = Pattern.begin<Ev>('x').where('type == "x"').followedBy('a').where('type == "a"').within(5).toSpec();
    const options: CepOperatorOptions<Ev> = {
      isProcessingTime: true,
      rejectedRulesTag: REJECTED as OutputTag<never>,
      initialRules: [
        { id: 'fragile', action: 'upsert', spec: fragile },
        { id: 'x-then-a', action: 'upsert', spec: xThenA },
      ],
    };
    const run = start(options);
    run.feed({ kind: 'event', ev: { key: 'k0', type: 'a', id: 0 }, ts: 0 }); // a partial match of 'fragile'
    run.feed({ kind: 'tick', t: 1 });
    const x: Ev = { key: 'k0', type: 'x', id: 1 };
    run.feed({ kind: 'event', ev: x, ts: 1 }); // 'fragile' fails and is removed; 'x-then-a' starts
    run.feed({ kind: 'tick', t: 20 });
    expect(run.out.map((o) => (o as unknown[])[0])).toEqual([REJECTED.id, TIMED_OUT.id]);
    expect(run.out[1]).toEqual([TIMED_OUT.id, { match: { x: [x], a: [] }, pattern: 'x-then-a', at: 6 }, 6]);
    run.op.prepareSnapshotPreBarrier(1);
    expect(Object.keys(run.op.snapshotState(1).keyed!.keyGroups)).toEqual([]);
  });
});

describe('CEP operator state: a restored linear pattern runs on compact states', () => {
  test('every restored NFA state of a linear pattern is compact from the restore on, and the job goes on as the uninterrupted one', () => {
    const options: CepOperatorOptions<Ev> = { pattern: STATIC_PATTERNS[0]!(), isProcessingTime: false, lateDataTag: LATE };
    const ops: Op[] = [];
    let id = 0;
    // Each key starts a partial match every few ms: its state never empties (a restored general state would stay general).
    for (let t = 100; t < 130; t++) for (const [k, key] of ['k0', 'k1', 'k2'].entries()) ops.push({ kind: 'event', ev: { key, type: 'abxaxbxac'[(t + k) % 9]!, id: id++ }, ts: t });
    ops.splice(60, 0, { kind: 'wm', t: 115 });
    ops.push({ kind: 'wm', t: 200 });
    const expected = runUninterrupted(options, ops);
    // Whether each state the NFA is given is compact, when it is given (a restored general one would stay so until its key empties).
    const compactAtCall: boolean[] = [];
    const real = NFA.prototype.process;
    const process = vi.spyOn(NFA.prototype, 'process').mockImplementation(function (this: NFA<unknown>, st, ...rest) {
      compactAtCall.push(st.compact !== null);
      return real.call(this, st, ...rest);
    });
    try {
      // (The calls before the restore: the first part's, as runRestored feeds it.)
      const first = start(options);
      ops.slice(0, 61).forEach(first.feed);
      const before = compactAtCall.length;
      compactAtCall.length = 0;
      expect(runRestored(options, ops, 61)).toEqual(expected);
      const restoredCalls = compactAtCall.slice(before);
      expect(restoredCalls.length).toBeGreaterThan(0);
      expect(restoredCalls.every((compact) => compact)).toBe(true);
    } finally {
      process.mockRestore();
    }
  });
});
