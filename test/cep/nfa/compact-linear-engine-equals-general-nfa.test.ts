/**
 * Linear patterns (every state TAKE(c) to the next and IGNORE(not c) to itself, or only TAKE(c):
 * begin + followedBy and next stages, times(n) of them) run on compact per-key states when the skip
 * strategy is noSkip. The compact engine must be exactly the general NFA: run in lockstep with an NFA compiled with the
 * compact engine off, over several keys' states interleaved through one NFA, every call gives the
 * same matches, timed-out partial matches (in order), partial-match counts, next timeouts, and the
 * state snapshots are deep-equal (partial matches in heap order, versions, shared-buffer events,
 * nodes, edges, lock counts, counters). Restoring either snapshot, a skip strategy passed mid-stream,
 * dropping the oldest partial matches, an accessor that exposes the internals and recycling keep
 * them equal. Patterns that are not linear take the general path.
 */
import { describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { AfterMatchSkipStrategy, Pattern } from '../../../lib/api/cep/index.ts';
import type { ConditionContext } from '../../../lib/cep/conditions.ts';
import { NFA, type NFAState, type PatternMatch } from '../../../lib/cep/nfa/nfa.ts';
import { restoreNFAState, restoreNFAStateFor, snapshotNFAState } from '../../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly id: number;
  readonly letter: string;
  readonly v: number;
}

/** A stage's condition: its letters (exclusive or overlapping with other stages'), maybe iterative. */
interface StageSpec {
  readonly letters: readonly string[];
  /** none; the event's v not below the previous stage's last v; the stage (with times) holds fewer than 2; the event time is odd. */
  readonly iterative: 'none' | 'prevV' | 'ownCount' | 'oddTime';
  readonly times: number;
  /** How the stage follows the previous one (ignored for the first). */
  readonly link: 'followedBy' | 'next';
}

interface PatternSpec {
  readonly stages: readonly StageSpec[];
  readonly within: number | undefined;
  readonly handleTimeout: boolean;
}

function buildPattern(spec: PatternSpec): Pattern<Ev, string> {
  const cond =
    (i: number, s: StageSpec) =>
    (e: Ev, ctx: ConditionContext<Ev>): boolean => {
      if (!s.letters.includes(e.letter)) return false;
      switch (s.iterative) {
        case 'none':
          return true;
        case 'prevV': {
          const prev = i === 0 ? [] : ctx.getEventsForPattern(`s${i - 1}`);
          return prev.length === 0 || e.v >= prev[prev.length - 1]!.v;
        }
        case 'ownCount':
          return ctx.getEventsForPattern(`s${i}`).length < 2 && ctx.getEventsForPattern('s0').every((x) => x.id !== e.id);
        case 'oddTime':
          return (ctx.timestamp() ?? 0) % 2 !== 0;
      }
    };
  const s0 = spec.stages[0]!;
  let p = Pattern.begin<Ev>('s0').where(cond(0, s0));
  if (s0.times > 1) p = p.times(s0.times);
  for (let i = 1; i < spec.stages.length; i++) {
    const s = spec.stages[i]!;
    p = p[s.link](`s${i}`).where(cond(i, s));
    if (s.times > 1) p = p.times(s.times);
  }
  return spec.within === undefined ? p : p.within(spec.within);
}

const LETTERS = ['a', 'b', 'c', 'd'];

const stageSpec: fc.Arbitrary<StageSpec> = fc.record({
  letters: fc.subarray(LETTERS, { minLength: 1, maxLength: 2 }),
  iterative: fc.constantFrom<StageSpec['iterative']>('none', 'none', 'prevV', 'ownCount', 'oddTime'),
  times: fc.constantFrom(1, 1, 1, 2),
  link: fc.constantFrom<StageSpec['link']>('followedBy', 'followedBy', 'next'),
});

const patternSpec: fc.Arbitrary<PatternSpec> = fc.record({
  stages: fc.array(stageSpec, { minLength: 1, maxLength: 5 }),
  within: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
  handleTimeout: fc.boolean(),
});

type Op =
  | { readonly op: 'event'; readonly key: number; readonly letter: string; readonly v: number; readonly dt: number; readonly recycle: boolean }
  | { readonly op: 'advance'; readonly key: number; readonly dt: number }
  | { readonly op: 'skip'; readonly key: number; readonly letter: string; readonly v: number; readonly dt: number; readonly strategy: number }
  | { readonly op: 'drop'; readonly key: number; readonly keep: number }
  | { readonly op: 'restore'; readonly key: number; readonly deflate: boolean }
  | { readonly op: 'peek'; readonly key: number };

const key = fc.integer({ min: 0, max: 2 });
// Mostly ascending times with ties; sometimes a step back (the NFA is fed in arrival order).
const dt = fc.constantFrom(0, 0, 1, 1, 1, 2, 3, 5, -1);
const eventOp = fc.record({
  op: fc.constant('event' as const),
  key,
  letter: fc.constantFrom(...LETTERS, 'x'),
  v: fc.integer({ min: 0, max: 5 }),
  dt,
  recycle: fc.boolean(),
});

/** Ops of a run: mostly events and time; `rare` adds the ones that make a compact state general. */
function ops(rare: boolean): fc.Arbitrary<Op[]> {
  const common: Array<fc.WeightedArbitrary<Op>> = [
    { weight: 12, arbitrary: eventOp },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), key, dt: fc.integer({ min: 0, max: 12 }) }) },
  ];
  if (rare) {
    common.push(
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('skip' as const),
          key,
          letter: fc.constantFrom(...LETTERS),
          v: fc.integer({ min: 0, max: 5 }),
          dt,
          strategy: fc.integer({ min: 0, max: 2 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), key, keep: fc.integer({ min: 0, max: 3 }) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('restore' as const), key, deflate: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('peek' as const), key }) },
    );
  }
  return fc.array(fc.oneof(...common), { minLength: 1, maxLength: 80, size: 'medium' });
}

const SKIPS = [AfterMatchSkipStrategy.skipPastLastEvent(), AfterMatchSkipStrategy.skipToNext(), AfterMatchSkipStrategy.skipToFirst('s1')];

const show = (m: PatternMatch<Ev>): string => [...m].map(([k, es]) => `${k}=${es.map((e) => e.id).join(',')}`).join(' ');

/** One side of the lockstep run: an NFA and its keys' states. */
class Side {
  readonly states: Array<NFAState<Ev>>;
  constructor(readonly nfa: NFA<Ev>) {
    this.states = [0, 1, 2].map(() => nfa.createInitialNFAState());
  }
  advance(k: number, t: number): string[] {
    const st = this.states[k]!;
    const r = this.nfa.advanceTime(st, t);
    return [...r.matches.map((m) => `m ${show(m)}`), ...r.timedOut.map((x) => `t@${x.timestamp} ${show(x.match)}`)];
  }
  process(k: number, e: Ev, t: number, skip?: AfterMatchSkipStrategy): string[] {
    return this.nfa.process(this.states[k]!, e, t, skip).map((m) => `m ${show(m)}`);
  }
  /** Everything observable of key k's state at time t. */
  observe(k: number, t: number): unknown {
    const st = this.states[k]!;
    return {
      numPartialMatches: st.numPartialMatches(),
      nextTimeout: this.nfa.nextTimeout(st),
      needsAdvance: [this.nfa.needsAdvance(st, t), this.nfa.needsAdvance(st, t + 5), this.nfa.needsAdvance(st, t + 20)],
      isEmpty: st.isEmpty(),
      snapshot: snapshotNFAState(st),
      // (toEqual ignores the order of keys: the same data written in the same order, byte for byte.)
      json: JSON.stringify(snapshotNFAState(st)),
    };
  }
}

/** What a lockstep run did: calls on compact states, restored states deflated and left general. */
interface Counts {
  compactCalls: number;
  deflated: number;
  keptGeneral: number;
}

/** Runs `ops` on both sides, comparing after every call. */
function lockstep(spec: PatternSpec, run: readonly Op[], counts: Counts = { compactCalls: 0, deflated: 0, keptGeneral: 0 }): Counts {
  const pattern = buildPattern(spec);
  const compact = new Side(NFA.compile(pattern, spec.handleTimeout));
  const general = new Side(NFA.compile(pattern, spec.handleTimeout, undefined, { compact: false }));
  expect(compact.nfa.isCompact()).toBe(true);
  expect(general.nfa.isCompact()).toBe(false);
  const time = [0, 0, 0];
  let id = 0;
  const check = (k: number, a: string[], b: string[]): void => {
    expect(a).toEqual(b);
    expect(compact.observe(k, time[k]!)).toEqual(general.observe(k, time[k]!));
  };
  for (const op of run) {
    const k = op.key;
    if (compact.states[k]!.compact !== null) counts.compactCalls++;
    switch (op.op) {
      case 'event': {
        const t = (time[k] = Math.max(0, time[k]! + op.dt));
        const e: Ev = { id: id++, letter: op.letter, v: op.v };
        // As the operator: time first, then the event.
        check(k, compact.advance(k, t), general.advance(k, t));
        check(k, compact.process(k, e, t), general.process(k, e, t));
        if (op.recycle && compact.states[k]!.isEmpty()) {
          for (const side of [compact, general]) {
            side.nfa.recycle(side.states[k]!);
            side.states[k] = side.nfa.createInitialNFAState();
          }
          expect(compact.states[k]!.compact).not.toBeNull(); // recycled states start compact
          time[k] = 0;
          check(k, [], []);
        }
        break;
      }
      case 'advance': {
        const t = (time[k] = time[k]! + op.dt);
        check(k, compact.advance(k, t), general.advance(k, t));
        break;
      }
      case 'skip': {
        const t = (time[k] = Math.max(0, time[k]! + op.dt));
        const e: Ev = { id: id++, letter: op.letter, v: op.v };
        const skip = SKIPS[op.strategy]!;
        check(k, compact.process(k, e, t, skip), general.process(k, e, t, skip));
        expect(compact.states[k]!.compact).toBeNull(); // skip strategies run on the general state
        break;
      }
      case 'drop': {
        expect(compact.nfa.dropOldestPartialMatches(compact.states[k]!, op.keep)).toBe(general.nfa.dropOldestPartialMatches(general.states[k]!, op.keep));
        check(k, [], []);
        break;
      }
      case 'restore': {
        // Each side goes on from the other's snapshot (through JSON, as a checkpoint may be stored).
        const a = JSON.parse(JSON.stringify(snapshotNFAState(compact.states[k]!))) as ReturnType<typeof snapshotNFAState<Ev>>;
        const b = JSON.parse(JSON.stringify(snapshotNFAState(general.states[k]!))) as ReturnType<typeof snapshotNFAState<Ev>>;
        general.states[k] = restoreNFAState(a, general.nfa.getStates());
        if (op.deflate) {
          // Restored compact, unless matches wait for a skip strategy (the compact engine holds none).
          compact.states[k] = restoreNFAStateFor(b, compact.nfa);
          const waiting = b.completedMatches.length > 0;
          expect(compact.states[k]!.compact === null).toBe(waiting);
          if (waiting) counts.keptGeneral++;
          else counts.deflated++;
        } else {
          compact.states[k] = restoreNFAState(b, compact.nfa.getStates());
          expect(compact.states[k]!.compact).toBeNull(); // restored general
        }
        check(k, [], []);
        break;
      }
      case 'peek': {
        const st = compact.states[k]!;
        const before = snapshotNFAState(st);
        const ids = [...st.getPartialMatches()].map((cs) => `${cs.getCurrentStateName()} ${cs.version.toString()}`);
        expect(st.compact).toBeNull(); // an accessor of the internals inflates
        expect(ids).toEqual([...general.states[k]!.getPartialMatches()].map((cs) => `${cs.getCurrentStateName()} ${cs.version.toString()}`));
        expect(snapshotNFAState(st)).toEqual(before);
        check(k, [], []);
        break;
      }
    }
  }
  return counts;
}

describe('the compact engine for linear patterns is the general NFA', () => {
  test('events, time and recycling only: every call equal, the states stay compact', () => {
    let compactCalls = 0;
    fc.assert(
      fc.property(patternSpec, ops(false), (spec, run) => {
        compactCalls += lockstep(spec, run).compactCalls;
      }),
      { numRuns: 400 },
    );
    expect(compactCalls).toBeGreaterThan(10_000); // (the compact path did run)
  });

  test('with restores (general, or deflated to compact), skip strategies, dropOldestPartialMatches and accessors mid-stream', () => {
    const counts: Counts = { compactCalls: 0, deflated: 0, keptGeneral: 0 };
    fc.assert(
      fc.property(patternSpec, ops(true), (spec, run) => {
        lockstep(spec, run, counts);
      }),
      { numRuns: 400 },
    );
    // (Deflate ran; states with matches waiting, kept general, are rare here: see the test of deflate below.)
    expect(counts.deflated).toBeGreaterThan(300);
  });

  test('a snapshot of a compact state is its general form, and the state stays compact', () => {
    const p = Pattern.begin<Ev>('a').where((e) => e.letter === 'a').followedBy('b').where((e) => e.letter === 'b').within(10);
    const nfa = NFA.compile(p, true);
    const st = nfa.createInitialNFAState();
    nfa.process(st, { id: 0, letter: 'a', v: 0 }, 1);
    nfa.process(st, { id: 1, letter: 'a', v: 0 }, 2);
    const snap = snapshotNFAState(st);
    expect(st.compact).not.toBeNull();
    expect(snap.partialMatches.map((c) => [c.state, c.version, c.startEventId])).toEqual([
      ['b', '1.0', 0],
      ['b', '2.0', 1],
      ['a', '3', -1],
    ]);
    expect(snap.nextEventId).toBe(2);
    expect(snap.events.map((e) => [e.id, e.refs])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  test('restoreNFAStateFor: a state is restored compact only when its compact form is exactly the snapshot (checked to the last lock count)', () => {
    const is = (l: string) => (e: Ev) => e.letter === l;
    const p = Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).followedBy('c').where(is('c')).within(20);
    const nfa = NFA.compile(p, true);
    const general = NFA.compile(p, true, undefined, { compact: false });
    const st = general.createInitialNFAState();
    for (const [i, l] of ['a', 'a', 'b', 'x'].entries()) general.process(st, { id: i, letter: l, v: 0 }, i + 1);
    type Snap = ReturnType<typeof snapshotNFAState<Ev>>;
    const snap = JSON.parse(JSON.stringify(snapshotNFAState(st))) as Snap;
    // Both partial matches in 'c' took b (event 2) after their own a: one node, two edges.
    const shared = snap.nodes.findIndex((n) => n.edges.length === 2);
    expect(shared).toBeGreaterThanOrEqual(0);
    /** Written as snapshotNFAState writes it (restored general and snapshotted again). */
    const sharedStart = (): Snap => {
      const ev = (id: number, letter: string) => ({ id, timestamp: id + 1, value: { id, letter, v: 0 }, refs: 1 });
      const raw: Snap = {
        nextEventId: 5,
        events: [ev(0, 'a'), ...[1, 2, 3, 4].map((i) => ev(i, 'b'))],
        nodes: [
          { event: 0, stage: 'a', refs: 4, edges: [1, 2, 3, 4].map((r) => ({ target: -1, version: `${r}`, refs: 1 })) },
          ...[1, 2, 3, 4].map((i) => ({ event: i, stage: 'b', refs: 1, edges: [{ target: 0, version: `${i}.0`, refs: 1 }] })),
        ],
        partialMatches: [
          ...[1, 2, 3, 4].map((i) => ({ state: 'c', entry: i, version: `${i}.0.0`, startTimestamp: 1, previousTimestamp: i + 1, startEventTimestamp: 1, startEventId: 0 })),
          { state: 'a', entry: -1, version: '5', startTimestamp: -1, previousTimestamp: -1, startEventTimestamp: -1, startEventId: -1 },
        ],
        completedMatches: [],
      };
      return JSON.parse(JSON.stringify(snapshotNFAState(restoreNFAState(raw, general.getStates())))) as Snap;
    };
    // Two partial matches in 'b', each at the node of its own a.
    const st2 = general.createInitialNFAState();
    for (const [i, l] of ['a', 'a'].entries()) general.process(st2, { id: i, letter: l, v: 0 }, i + 1);
    const twoA = JSON.parse(JSON.stringify(snapshotNFAState(st2))) as Snap;
    const variant = (change: (s: { -readonly [K in keyof Snap]: any }) => void, base: Snap = snap): Snap => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const v = JSON.parse(JSON.stringify(base));
      change(v);
      return v as Snap;
    };
    const cases: Array<[string, Snap, boolean]> = [
      ['as written', snap, true],
      // Not as snapshotNFAState writes it (its nodes listed in another order than the edges lead): restored general.
      ['edges of a node in the other order', variant((v) => v.nodes[shared].edges.reverse()), false],
      ['an edge locked twice', variant((v) => (v.nodes[shared].edges[0].refs = 2)), false],
      ['an event held once more', variant((v) => (v.events[0].refs += 1)), false],
      ['a node held once more', variant((v) => (v.nodes[shared].refs += 1)), false],
      ['a branched version', variant((v) => (v.partialMatches[0].version = '1.1')), false],
      // An event counter not past the buffered events' ids (a corrupt checkpoint): the next event would share an id
      // with a buffered one, which the compact form keys its events by (its next snapshot had merged the two).
      ['an event counter not past its events\' ids', variant((v) => (v.nextEventId = 0)), false],
      // The partial match that started at the second a said to have started at the first (times as that event's:
      // the general restore takes it, with that start event). The compact form starts at its first taken event.
      [
        'a partial match that started at another event',
        variant((v) => {
          const pm = v.partialMatches.find((x: { startEventId: number }) => x.startEventId === 1);
          pm.startEventId = 0;
          pm.startTimestamp = pm.startEventTimestamp = 1;
        }),
        false,
      ],
    ];
    // Runs (Dewey versions) the general NFA never gives two partial matches, nor a partial match and the start state:
    // the general NFA's nodes hold one edge per version (the takes of both lock one edge twice, and extracting a
    // match finds two paths), the compact engine keeps them apart. Not its state: restored general (as written).
    const runClashes: Array<[string, Snap]> = [
      [
        'two partial matches of one run',
        variant((v) => {
          const pm = v.partialMatches.find((x: { version: string }) => x.version === '2.0');
          pm.version = '1.0';
          v.nodes[pm.entry].edges[0].version = '1';
        }, twoA),
      ],
      ['a start state at the run of a partial match', variant((v) => (v.partialMatches.find((x: { entry: number }) => x.entry < 0).version = '2'), twoA)],
      // Four partial matches that started at one a (each then took its own b): the general NFA emits the matches
      // this tie completes in its completed-matches heap's order (b 1, 4, 3, 2), the compact engine in queue order.
      ['partial matches that started at one event', sharedStart()],
    ];
    for (const [name, s] of runClashes) {
      const a = restoreNFAStateFor(s, nfa);
      expect([name, a.compact]).toEqual([name, null]);
      expect(snapshotNFAState(a)).toEqual(s);
    }
    {
      // a{3} then b, and a partial match that took its first a twice (its node's second edge leads back to itself):
      // the compact engine would match a=0,0,5 where the general NFA matches a=0,5.
      const t3 = Pattern.begin<Ev>('a').where(is('a')).times(3).followedBy('b').where(is('b'));
      const g3 = NFA.compile(t3, true, undefined, { compact: false });
      const [inA, startName] = [g3.getStates().find((s) => s.name === 'a')!.name, g3.getStates().find((s) => s.isStart())!.name];
      const raw: Snap = {
        nextEventId: 2,
        events: [{ id: 0, timestamp: 1, value: { id: 0, letter: 'a', v: 0 }, refs: 1 }],
        nodes: [{ event: 0, stage: 'a', refs: 2, edges: [{ target: -1, version: '1', refs: 1 }, { target: 0, version: '1.0', refs: 1 }] }],
        partialMatches: [
          { state: inA, entry: 0, version: '1.0.0', startTimestamp: 1, previousTimestamp: 1, startEventTimestamp: 1, startEventId: 0 },
          { state: startName, entry: -1, version: '2', startTimestamp: -1, previousTimestamp: -1, startEventTimestamp: -1, startEventId: -1 },
        ],
        completedMatches: [],
      };
      const s = JSON.parse(JSON.stringify(snapshotNFAState(restoreNFAState(raw, g3.getStates())))) as Snap;
      expect(restoreNFAStateFor(s, NFA.compile(t3, true)).compact).toBeNull();
    }
    for (const [name, s, deflates] of cases) {
      const a = restoreNFAStateFor(s, nfa);
      const b = restoreNFAState(s, general.getStates());
      expect([name, a.compact !== null]).toEqual([name, deflates]);
      // Either way, it goes on as the general state.
      let t = 5;
      for (const l of ['c', 'a', 'b', 'c', 'x']) {
        const e: Ev = { id: t, letter: l, v: 0 };
        expect(nfa.advanceTime(a, t).timedOut.map((x) => show(x.match))).toEqual(general.advanceTime(b, t).timedOut.map((x) => show(x.match)));
        expect(nfa.process(a, e, t).map(show)).toEqual(general.process(b, e, t).map(show));
        expect(snapshotNFAState(a)).toEqual(snapshotNFAState(b));
        t += 7;
      }
    }
    // A match that waits for an earlier-started partial match (a skip strategy): the compact engine holds none.
    const skip = AfterMatchSkipStrategy.skipPastLastEvent();
    const q = Pattern.begin<Ev>('a', skip)
      .where(is('a'))
      .followedBy('b')
      .where((e, ctx) => e.letter === 'b' && e.v >= ctx.getEventsForPattern('a')[0]!.v)
      .followedBy('c')
      .where(is('c'));
    const withSkip = NFA.compile(q, true, undefined, { compact: true });
    const w = withSkip.createInitialNFAState();
    for (const [i, [l, v]] of ([['a', 5], ['a', 0], ['b', 1], ['c', 0]] as const).entries()) withSkip.process(w, { id: i, letter: l, v }, i + 1, skip);
    const waiting = snapshotNFAState(w);
    expect(waiting.completedMatches.length).toBe(1);
    const restored = restoreNFAStateFor(waiting, withSkip);
    expect(restored.compact).toBeNull();
    expect(snapshotNFAState(restored)).toEqual(waiting);
  });

  test('a condition that throws leaves a compact state as it was (but for the event id it took)', () => {
    const p = Pattern.begin<Ev>('a')
      .where((e) => e.letter === 'a')
      .followedBy('b')
      .where((e) => {
        if (e.v < 0) throw new Error('boom');
        return e.letter === 'b';
      })
      .followedBy('c')
      .where((e) => e.letter === 'c');
    const nfa = NFA.compile(p, true);
    const st = nfa.createInitialNFAState();
    nfa.process(st, { id: 0, letter: 'a', v: 0 }, 1);
    nfa.process(st, { id: 1, letter: 'a', v: 0 }, 2);
    nfa.process(st, { id: 2, letter: 'b', v: 0 }, 3);
    const before = snapshotNFAState(st);
    // The start state would take it (an 'a'), the partial matches in 'c' ignore it, one in 'b' throws.
    nfa.process(st, { id: 3, letter: 'a', v: 0 }, 4);
    const before2 = snapshotNFAState(st);
    expect(before2.partialMatches.length).toBe(before.partialMatches.length + 1);
    expect(st.compact).not.toBeNull();
    expect(() => nfa.process(st, { id: 4, letter: 'a', v: -1 }, 5)).toThrow('boom');
    expect(snapshotNFAState(st)).toEqual({ ...before2, nextEventId: before2.nextEventId + 1 });
    expect(nfa.process(st, { id: 5, letter: 'c', v: 0 }, 6).map(show)).toEqual(['a=0 b=2 c=5', 'a=1 b=2 c=5']);
  });

  test('patterns that are not linear run on general states', () => {
    const is = (l: string) => (e: Ev) => e.letter === l;
    const general: Array<Pattern<Ev, string>> = [
      Pattern.begin<Ev>('a').where(is('a')).followedByAny('b').where(is('b')),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).oneOrMore(),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).optional().followedBy('c').where(is('c')),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).times(1, 2),
      Pattern.begin<Ev>('a').where(is('a')).notFollowedBy('n').where(is('n')).followedBy('b').where(is('b')),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).oneOrMore().until(is('u')).followedBy('c').where(is('c')),
      Pattern.begin<Ev>('a').where(is('a')).followedBy(Pattern.begin<Ev>('g1').where(is('b')).followedBy('g2').where(is('c'))).times(2),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).within(5, 'PREVIOUS_AND_CURRENT'),
      Pattern.begin<Ev>('a').where(is('a')).followedBy('b'), // no condition: TRUE, not TAKE(c)/IGNORE(not c)
    ];
    for (const p of general) {
      const nfa = NFA.compile(p, true);
      expect(nfa.isCompact()).toBe(false);
      expect(nfa.createInitialNFAState().compact).toBeNull();
    }
    const linear = Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).times(2).followedBy('c').where(is('c')).within(5);
    expect(NFA.compile(linear, true).isCompact()).toBe(true);
    expect(NFA.compile(Pattern.begin<Ev>('a').where(is('a')).next('b').where(is('b')).followedBy('c').where(is('c')), true).isCompact()).toBe(true);
    expect(NFA.compile(linear, true, undefined, { compact: false }).createInitialNFAState().compact).toBeNull();
  });
});

describe('a linear pattern with a skip strategy', () => {
  test('runs on general states from the start: no compact state is made and then inflated for each key', () => {
    // Skip strategies run on the general state; with compact states every new (or recycled) key's
    // state would be built compact and inflated at its first event: several objects per event of a
    // key that starts empty, as most keys do (the operator recycles a key's state once it is empty).
    const is = (l: string) => (e: Ev) => e.letter === l;
    for (const skip of SKIPS) {
      const p = Pattern.begin<Ev>('a', skip).where(is('a')).followedBy('s1').where(is('b')).within(10);
      const nfa = NFA.compile(p, true);
      expect(nfa.isCompact()).toBe(false);
      const inflate = vi.spyOn(nfa, 'inflate');
      for (let i = 0; i < 5; i++) {
        const st = nfa.createInitialNFAState();
        expect(st.compact).toBeNull();
        nfa.advanceTime(st, i, skip);
        nfa.process(st, { id: i, letter: 'x', v: 0 }, i, skip);
        nfa.recycle(st);
      }
      expect(inflate).not.toHaveBeenCalled();
    }
    // The same pattern with noSkip is compact; and the option still forces either way.
    const linear = Pattern.begin<Ev>('a').where(is('a')).followedBy('s1').where(is('b'));
    expect(NFA.compile(linear, true).isCompact()).toBe(true);
    const skipped = Pattern.begin<Ev>('a', SKIPS[0]).where(is('a')).followedBy('s1').where(is('b'));
    expect(NFA.compile(skipped, true, undefined, { compact: true }).isCompact()).toBe(true);
  });
});
