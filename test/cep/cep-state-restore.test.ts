/**
 * The CEP operator's state lives in the state layer: a snapshot taken at any point, sent through
 * v8.serialize / deserialize (as a checkpoint or a worker message would), restored into a fresh
 * operator through StreamTaskStateInitializer, continues exactly as the uninterrupted operator
 * (matches, timed-out partial matches, late records, rejected rules, in order, with timestamps).
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CepOperator, type CepOperatorOptions, type PatternRule } from '../../lib/cep/operator/cep-operator.ts';
import { Pattern } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { PatternProcessFunction, type PatternContext } from '../../lib/cep/functions.ts';
import type { Collector } from '../../lib/core/functions/collector.ts';
import { OutputTag } from '../../lib/core/output-tag.ts';
import { StreamTaskStateInitializer, type OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';
import type { StreamOperatorParameters } from '../../lib/runtime/operator.ts';

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
];

const SPECS = [
  Pattern.begin<Ev>('a').where('type == "a"').followedBy('b').where('type == "b"').within(7).toSpec(),
  Pattern.begin<Ev>('b').where('type == "b"').followedByAny('c').where('type == "c"').within(4).toSpec(),
  Pattern.begin<Ev>('x').where('type == "x"').next('a').where('type == "a"').toSpec(),
];

const BROADCAST = Symbol('broadcast');

/** Drives one operator directly: keyed by the event's key, processing time frozen, outputs recorded in order. */
function start(options: CepOperatorOptions<Ev>, restored?: OperatorSnapshot, clockAt = 0) {
  const out: unknown[] = [];
  const op = new CepOperator<Ev, unknown>(new Fn(), options);
  const pts = new FakeClock(clockAt);
  const params = {
    operatorName: 'cep',
    operatorId: 'cep',
    taskInfo: { indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128, taskName: 'cep', attemptNumber: 0 },
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
  op.initializeState(new StreamTaskStateInitializer(pts, restored === undefined ? undefined : () => ({ checkpointId: 1, snapshots: [restored] })));
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
