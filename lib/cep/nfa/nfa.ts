/**
 * The CEP automaton (Flink's NFA): one compiled state graph, run over the per-key NFAState (partial
 * matches and their shared buffer). Semantics follow Flink's NFA.java: `advanceTime(ts)` prunes
 * partial matches whose window has passed (reporting them as timed out, or as matches when they wait
 * in a pending notFollowedBy state); `process(event, ts)` moves every partial match along its
 * TAKE / IGNORE / PROCEED edges, branching with Dewey versions so branches share buffered events.
 */
import type { ConditionContext } from '../conditions.ts';
import type { Pattern } from '../pattern.ts';
import { AfterMatchSkipStrategy } from '../aftermatch/after-match-skip-strategy.ts';
import { DeweyNumber } from './dewey-number.ts';
import { JavaPriorityQueue } from './java-priority-queue.ts';
import { compile, negationOf } from './compiler/nfa-compiler.ts';
import {
  SharedBuffer,
  addEdge,
  compareEvents,
  materialize,
  newNode,
  type BufferEvent,
  type EventPath,
  type SharedBufferNode,
} from './sharedbuffer/shared-buffer.ts';
import { State, StateTransition, TRUE_CONDITION, type EdgeCondition } from './state.ts';
import type { NFAStateSnapshot } from './nfa-state-snapshot.ts';

/** A match: stage name -> the stage's events, stages in pattern order. */
export type PatternMatch<T> = Map<string, T[]>;

/**
 * Makes the match the NFA reports out of a path through the shared buffer: event `i` (first event
 * first) is `values[i]`, taken by the stage `stages[i]`, for i < count. The arrays are reused: read
 * them, do not keep them. The default makes a PatternMatch; the CEP operator makes the user's match
 * object directly.
 */
export type MatchFactory<T, M> = (stages: readonly string[], values: readonly T[], count: number) => M;

/** The default MatchFactory: stage -> events, stages in order of their first event (Flink's materializeMatch). */
export function patternMatchOf<T>(stages: readonly string[], values: readonly T[], count: number): PatternMatch<T> {
  const m: PatternMatch<T> = new Map();
  for (let i = 0; i < count; i++) {
    const list = m.get(stages[i]!);
    if (list === undefined) m.set(stages[i]!, [values[i]!]);
    else list.push(values[i]!);
  }
  return m;
}

/** A timed-out partial match and the time it timed out (start + window). */
export interface TimedOutMatch<T, M = PatternMatch<T>> {
  readonly match: M;
  readonly timestamp: number;
}

const NO_EVENT = -1;
/** How many emptied states an NFA keeps for reuse (see NFA.recycle). */
const MAX_FREE_STATES = 4096;
/** Runs whose start-state partial matches are shared (NFA.startStateAt; runs are per key, from 1). */
const START_CACHE_RUNS = 512;
/** Array slots a recycled state's queues keep (a key's burst of partial matches would stay in the pool). */
const RECYCLED_QUEUE_CAPACITY = 16;

/** An event as partial matches refer to it: its id (arrival order) and timestamp (a BufferEvent is one). */
export interface EventId {
  readonly id: number;
  readonly timestamp: number;
}

/**
 * One partial match (Flink's ComputationState): where it is, what it holds, and since when.
 *
 * Flink's timestamps (start, previous, start event id) are read from the events themselves: the
 * first event of the match, and the event of `previousEntry` (the last taken). Partial matches live
 * from one watermark to a later one, so the garbage collector copies each of them twice; a timestamp
 * field costs a boxed number each (epoch ms are not small integers), three of them more than the
 * rest of the object.
 */
export class ComputationState<T> {
  constructor(
    readonly state: State<T>,
    /** The node of the last taken event (null for the start state). */
    readonly previousEntry: SharedBufferNode<T> | null,
    readonly version: DeweyNumber,
    /** The first event of the match, null for the start state. */
    readonly startEvent: EventId | null,
  ) {}

  /** The first event's timestamp (NO_EVENT for the start state). */
  get startTimestamp(): number {
    const e = this.startEvent;
    return e === null ? NO_EVENT : e.timestamp;
  }
  /** Flink's startEventID: (timestamp, id) of the first event. */
  get startEventTimestamp(): number {
    return this.startTimestamp;
  }
  get startEventId(): number {
    const e = this.startEvent;
    return e === null ? NO_EVENT : e.id;
  }
  /** The last taken event's timestamp (NO_EVENT when none). */
  get previousTimestamp(): number {
    const p = this.previousEntry;
    return p === null ? NO_EVENT : p.event.timestamp;
  }

  getCurrentStateName(): string {
    return this.state.name;
  }

  static createStartState<T>(state: State<T>, version: DeweyNumber): ComputationState<T> {
    return new ComputationState(state, null, version, null);
  }
}

/** Flink's COMPUTATION_STATE_COMPARATOR: by first event (timestamp, then arrival); start states last. */
export function compareComputationStates<T>(a: ComputationState<T>, b: ComputationState<T>): number {
  const ae = a.startEvent;
  const be = b.startEvent;
  if (ae === null || be === null) return ae === be ? 0 : ae === null ? 1 : -1;
  // compareEvents, without allocating (the queues call this on every offer and poll)
  const at = ae.timestamp;
  const bt = be.timestamp;
  return at !== bt ? (at < bt ? -1 : 1) : ae.id - be.id;
}

/** A queue of computation states as Flink's NFAState keeps them. */
export type ComputationStateQueue<T> = JavaPriorityQueue<ComputationState<T>>;

export function newComputationStateQueue<T>(): ComputationStateQueue<T> {
  return new JavaPriorityQueue<ComputationState<T>>(compareComputationStates);
}

/** What turns a compact state into the general one: the NFA that made it. */
export interface CompactStateOwner<T> {
  inflate(nfaState: NFAState<T>): void;
  /** The names of the chain's states: a compact partial match that took i events is in the i-th. */
  readonly chainStateNames: readonly string[];
  /** The stage of each non-final state of the chain: the stage of a compact partial match's i-th taken event. */
  readonly chainStages: readonly string[];
}

/**
 * An event a compact partial match took, linked to the one it took before (null: its first event).
 * `seq` orders the takes of one key's state: partial matches that take one event in one stage share
 * one shared-buffer node, whose edges are in the order they took it.
 */
export class CompactTaken<T> {
  constructor(
    readonly value: T,
    readonly timestamp: number,
    readonly id: number,
    readonly seq: number,
    readonly prev: CompactTaken<T> | null,
  ) {}
}

/**
 * A partial match of a linear pattern in compact form: how many events it took (the index of its
 * state in the chain), its run (the start state's version when it started: its Dewey version is
 * run.0…0), its first event and its last taken event. Changed in place as it takes events.
 */
export class CompactMatch<T> {
  constructor(
    public stage: number,
    readonly run: number,
    readonly startTimestamp: number,
    /** NO_EVENT for the start state's stand-in. */
    readonly startId: number,
    public last: CompactTaken<T> | null,
  ) {}
}

/** compareComputationStates on compact partial matches (the start state's stand-in last). */
function compareCompactMatches<T>(a: CompactMatch<T>, b: CompactMatch<T>): number {
  const ai = a.startId;
  const bi = b.startId;
  if (ai < 0 || bi < 0) return ai === bi ? 0 : ai < 0 ? 1 : -1;
  const at = a.startTimestamp;
  const bt = b.startTimestamp;
  return at !== bt ? (at < bt ? -1 : 1) : ai - bi;
}

/**
 * A key's state for a linear pattern (every state TAKE(c)/IGNORE(not c)-to-itself, noSkip): no
 * partial match ever branches, so each is its stage, run and taken events, with no shared buffer,
 * Dewey versions or lock counts. The partial matches are kept in a JavaPriorityQueue fed exactly as
 * the general NFA feeds its queue, so its heap array is in the general one's order; the start state's
 * run and the event-id counter are plain numbers. NFA.inflate makes the general state out of it,
 * NFA.compactStateFrom one out of a snapshot of a general state of that shape.
 */
export class CompactState<T> {
  matches: JavaPriorityQueue<CompactMatch<T>>;
  private spare: JavaPriorityQueue<CompactMatch<T>> | null = null;
  /** The start state's version (a run number). */
  startRun = 1;
  nextEventId = 0;
  /** Takes so far (CompactTaken.seq). */
  takes = 0;
  /** Partial matches besides the start state. */
  numOpen = 0;
  /** The earliest window end of the partial matches, NaN until computed. */
  nextTimeout = Number.NaN;

  constructor(
    readonly owner: CompactStateOwner<T>,
    private readonly startStandIn: CompactMatch<T>,
  ) {
    this.matches = new JavaPriorityQueue<CompactMatch<T>>(compareCompactMatches);
    this.matches.offer(startStandIn);
  }

  /** An empty queue to build the next `matches` in. */
  newQueue(): JavaPriorityQueue<CompactMatch<T>> {
    const q = this.spare;
    if (q === null) return new JavaPriorityQueue<CompactMatch<T>>(compareCompactMatches);
    this.spare = null;
    return q;
  }
  replace(q: JavaPriorityQueue<CompactMatch<T>>): void {
    const old = this.matches;
    this.matches = q;
    old.clear();
    this.spare = old;
  }

  /** A new state's contents (NFA.createInitialNFAState). */
  reset(): void {
    const m = this.matches;
    m.clear();
    m.trimTo(RECYCLED_QUEUE_CAPACITY);
    this.spare?.trimTo(RECYCLED_QUEUE_CAPACITY);
    m.offer(this.startStandIn);
    this.startRun = 1;
    this.nextEventId = 0;
    this.takes = 0;
    this.numOpen = 0;
    this.nextTimeout = Number.NaN;
  }
}

/**
 * The matching state of one key (Flink's NFAState + its SharedBuffer). Partial and completed
 * matches are java.util.PriorityQueues in Flink, ordered by COMPUTATION_STATE_COMPARATOR; matches
 * that tie on it (same first event) are visited, emitted and kept by skip strategies in the heap's
 * own order, so they are JavaPriorityQueues here too (a stable sort would order ties differently).
 */
export class NFAState<T> {
  private readonly buffer = new SharedBuffer<T>();
  private pms: ComputationStateQueue<T>;
  /**
   * The compact form of the state (see CompactState), or null when the state is general. While it is
   * set, the general fields (partial and completed matches, the shared buffer) are stale: every
   * accessor that shows them first inflates the compact form into them, and the state stays general
   * until it is empty and recycled.
   */
  compact: CompactState<T> | null = null;
  /** An empty queue that was partialMatches before (see newQueue). */
  private spare: ComputationStateQueue<T> | null = null;
  /** numPartialMatches() of `pms`, -1 until counted (the operator asks several times per event). */
  private numOpen = -1;
  /** NFA.nextTimeout of `pms`, NaN until computed (asked before every event; pms rarely change). */
  nextTimeoutCache = Number.NaN;
  /** Matches waiting for earlier-started partial matches (skip strategies other than noSkip). */
  private readonly completed: ComputationStateQueue<T> = newComputationStateQueue();
  /**
   * completedMatches.size > 0, kept here (the NFA updates it whenever it changes that queue): asked
   * before every event and at every timer of the key, and the queue is one more object to reach
   * (a cache miss at a key's timer: its state was last touched a watermark ago).
   */
  matchesWaiting = false;

  /** Flink's NFAState(Iterable): each state offered in turn (restoring a queue's iteration order rebuilds the same heap). */
  constructor(partialMatches: Iterable<ComputationState<T>>, completedMatches: Iterable<ComputationState<T>> = []) {
    this.pms = newComputationStateQueue();
    for (const cs of partialMatches) this.pms.offer(cs);
    for (const cs of completedMatches) this.completed.offer(cs);
    this.matchesWaiting = this.completed.size > 0;
  }

  /** The general form of a compact state, made now (it stays general). */
  private inflate(): void {
    const c = this.compact;
    if (c !== null) c.owner.inflate(this);
  }

  /** The shared buffer (inflates a compact state). */
  get sharedBuffer(): SharedBuffer<T> {
    if (this.compact !== null) this.inflate();
    return this.buffer;
  }
  /** Matches waiting for earlier-started partial matches (skip strategies other than noSkip; inflates a compact state). */
  get completedMatches(): ComputationStateQueue<T> {
    if (this.compact !== null) this.inflate();
    return this.completed;
  }

  /** Partial matches (a heap: iteration order is Flink's, not sorted). Replaced by the NFA after each step. Inflates a compact state. */
  get partialMatches(): ComputationStateQueue<T> {
    if (this.compact !== null) this.inflate();
    return this.pms;
  }
  set partialMatches(states: ComputationStateQueue<T>) {
    const old = this.pms;
    this.pms = states;
    this.numOpen = -1;
    this.nextTimeoutCache = Number.NaN;
    if (old !== states) {
      // The replaced queue is this state's spare: the next replacement is built in it (a queue
      // object and its array per changed event otherwise, most of the NFA's garbage).
      old.clear();
      this.spare = old;
    }
  }
  /** An empty queue (the spare one if there is one) to build the next partialMatches in. */
  newQueue(): ComputationStateQueue<T> {
    const q = this.spare;
    if (q === null) return newComputationStateQueue();
    this.spare = null;
    return q;
  }
  /** Gives back a queue from newQueue() that did not become partialMatches. */
  recycleQueue(q: ComputationStateQueue<T>): void {
    q.clear();
    this.spare = q;
  }

  /** In Flink's iteration order. */
  getPartialMatches(): Iterable<ComputationState<T>> {
    return this.partialMatches;
  }
  getCompletedMatches(): Iterable<ComputationState<T>> {
    return this.completedMatches;
  }
  /** Partial matches besides the start states. */
  numPartialMatches(): number {
    const c = this.compact;
    if (c !== null) return c.numOpen;
    let n = this.numOpen;
    if (n < 0) {
      n = 0;
      const pms = this.pms;
      for (let i = 0; i < pms.size; i++) if (!pms.elementAt(i).state.isStart()) n++;
      this.numOpen = n;
    }
    return n;
  }
  /**
   * Back to a new state's contents (NFA.createInitialNFAState): `startStates` the only partial
   * matches, event ids from 0. Only for a state that isEmpty().
   */
  resetTo(startStates: ReadonlyArray<ComputationState<T>>): void {
    this.compact?.reset(); // (the general fields below are reset too: they are stale, and hold nothing)
    const pms = this.pms;
    pms.clear();
    pms.trimTo(RECYCLED_QUEUE_CAPACITY);
    this.spare?.trimTo(RECYCLED_QUEUE_CAPACITY);
    this.completed.trimTo(RECYCLED_QUEUE_CAPACITY);
    for (const cs of startStates) pms.offer(cs);
    this.matchesWaiting = false;
    this.numOpen = 0;
    this.nextTimeoutCache = Number.NaN;
    this.buffer.restoreCounters(0, 0, 0);
  }

  /** Only the start states remain and the buffer holds nothing: the key needs no state. */
  isEmpty(): boolean {
    // (Cheapest first: the count is usually cached, the buffer is another object to reach.)
    // (A compact state holds buffered events only through its partial matches.)
    if (this.compact !== null) return this.compact.numOpen === 0;
    return this.numPartialMatches() === 0 && !this.matchesWaiting && this.buffer.isEmpty();
  }
}

/**
 * The outgoing edges an event enables from a state, counting branches (Flink's OutgoingEdges). One
 * per NFA, refilled for each partial match and event (nothing is allocated per event): the NFA runs
 * synchronously and conditions cannot reach it, so one computation uses it at a time.
 */
class OutgoingEdges<T> {
  /** The first `size` entries are the edges (the rest are left over from earlier use). */
  readonly edges: Array<StateTransition<T>> = [];
  size = 0;
  totalTakeBranches = 0;
  totalIgnoreBranches = 0;
  private current: State<T> | null = null;
  reset(current: State<T>): this {
    this.current = current;
    this.size = 0; // not edges.length = 0: setting an array's length is a runtime call
    this.totalTakeBranches = 0;
    this.totalIgnoreBranches = 0;
    return this;
  }
  /** The one edge of a TAKE(c)/IGNORE(not c) state whose c holds. */
  addTake(edge: StateTransition<T>): this {
    this.totalTakeBranches = 1;
    this.edges[0] = edge;
    this.size = 1;
    return this;
  }
  add(edge: StateTransition<T>): void {
    const selfIgnore = edge.action === 'IGNORE' && edge.target.name === this.current!.name;
    if (!selfIgnore) {
      if (edge.action === 'IGNORE') this.totalIgnoreBranches++;
      else if (edge.action === 'TAKE') this.totalTakeBranches++;
    }
    this.edges[this.size++] = edge;
  }
}

/**
 * The event process() is feeding (one per NFA, reused): its id and time, and its entry in the
 * shared buffer, made when a partial match first takes it. Events no partial match takes (most of
 * them, in selective patterns) never enter the buffer.
 */
class CurrentEvent<T> {
  id = 0;
  timestamp = 0;
  value: T | undefined = undefined;
  private buffer: SharedBuffer<T> | null = null;
  private entry: BufferEvent<T> | null = null;

  reset(buffer: SharedBuffer<T>, value: T, timestamp: number): this {
    this.buffer = buffer;
    this.id = buffer.nextEventId();
    this.timestamp = timestamp;
    this.value = value;
    this.entry = null;
    return this;
  }
  /** The event in the buffer (stored on first use). */
  stored(): BufferEvent<T> {
    return (this.entry ??= this.buffer!.storeEvent(this.id, this.value as T, this.timestamp));
  }
  /** Drops the references (the NFA outlives the keys it serves). */
  clear(): void {
    this.buffer = null;
    this.value = undefined;
    this.entry = null;
  }
}

/** The context iterative conditions see; one per NFA, re-pointed at each partial match (no allocation per event). */
class NFAConditionContext<T> implements ConditionContext<T> {
  buffer!: SharedBuffer<T>;
  cs!: ComputationState<T>;
  /** The compact partial match the condition is asked for (compact: true), null for the start state. */
  pm: CompactMatch<T> | null = null;
  compact = false;
  /** The stage of each taken event of a compact partial match, by position. */
  stages: readonly string[] = [];
  ts = 0;
  private matched: PatternMatch<T> | null = null;

  reset(buffer: SharedBuffer<T>, cs: ComputationState<T>, ts: number): this {
    this.buffer = buffer;
    this.cs = cs;
    this.compact = false;
    this.ts = ts;
    this.matched = null;
    return this;
  }
  resetCompact(pm: CompactMatch<T>, ts: number): this {
    this.pm = pm;
    this.compact = true;
    this.ts = ts;
    this.matched = null;
    return this;
  }
  /** Drops the references (the NFA outlives the keys it serves). */
  clearCompact(): void {
    this.pm = null;
    this.matched = null;
  }
  getEventsForPattern(name: string): T[] {
    // The partial match is extracted lazily, once per partial match and event.
    if (this.matched === null) this.matched = this.compact ? this.compactMatched() : materialize(extractCurrentMatches(this.buffer, this.cs));
    return this.matched.get(name) ?? [];
  }
  /** What materialize(extractCurrentMatches) gives for the general form of the compact partial match. */
  private compactMatched(): PatternMatch<T> {
    const pm = this.pm;
    if (pm === null || pm.last === null) return new Map(); // (the start state)
    const values: T[] = [];
    for (let t: CompactTaken<T> | null = pm.last; t !== null; t = t.prev) values.push(t.value);
    values.reverse();
    return patternMatchOf(this.stages, values, values.length);
  }
  timestamp(): number | null {
    return this.ts;
  }
}

function extractCurrentMatches<T>(buffer: SharedBuffer<T>, cs: ComputationState<T>): EventPath<T> {
  if (cs.previousEntry === null) return new Map();
  const paths = buffer.extractPatterns(cs.previousEntry, cs.version);
  if (paths.length === 0) return new Map();
  if (paths.length !== 1) throw new Error(`Internal error: a partial match extracted ${paths.length} paths`);
  return paths[0]!;
}

const NO_SKIP = AfterMatchSkipStrategy.noSkip();

/** What NFA.advanceTime reports: completed (pending) matches and timed-out partial matches. */
export interface AdvanceTimeResult<T, M = PatternMatch<T>> {
  readonly matches: M[];
  readonly timedOut: Array<TimedOutMatch<T, M>>;
}

/** The result of the usual call, shared (frozen: a caller cannot change it for the others). */
const NO_MATCHES: never[] = Object.freeze([]) as never[];
const NOTHING_HAPPENED: AdvanceTimeResult<unknown> = Object.freeze({ matches: NO_MATCHES, timedOut: NO_MATCHES });

/** Options of an NFA. */
export interface NFAOptions {
  /**
   * Run linear patterns (see NFA.isCompact) on compact per-key states (default true; NFA.compile
   * defaults it to false for a pattern with a skip strategy other than noSkip, which runs on general
   * states: each key's state would be made compact and inflated at its first event). Off, every state
   * is general; the results and snapshots are the same either way (tests compare the two).
   */
  readonly compact?: boolean;
}

export class NFA<T, M = PatternMatch<T>> implements CompactStateOwner<T> {
  private readonly states: ReadonlyArray<State<T>>;
  /** within() FIRST_AND_LAST in ms; 0 when none. */
  private readonly windowTime: number;
  /** Any window at all (FIRST_AND_LAST, or PREVIOUS_AND_CURRENT on some state). */
  private readonly windowed: boolean;
  /** Only FIRST_AND_LAST: a partial match times out at start + window, whatever it takes later. */
  private readonly startWindowOnly: boolean;
  /** Some state is Pending (a pattern ending in notFollowedBy): advanceTime can complete matches. */
  private readonly hasPendingStates: boolean;
  private readonly ctx = new NFAConditionContext<T>();
  // Scratch space of process(), reused for every partial match and event (see OutgoingEdges).
  private readonly outgoing = new OutgoingEdges<T>();
  private readonly current = new CurrentEvent<T>();
  /** The states computeNextStates returns: the first `numNextStates` entries. */
  private readonly nextStates: Array<ComputationState<T> | undefined> = [];
  private numNextStates = 0;
  /** Depth-first walk over PROCEED edges (used from the bottom, its own length left alone). */
  private readonly stack: Array<State<T>> = [];
  // (Scratch arrays are cleared after use: the NFA serves every key of a subtask for the whole job
  // and must not keep their partial matches or events alive.)
  /** A match's path (nodes last first, then stages and values first first), for the match factory. */
  private readonly pathNodes: Array<SharedBufferNode<T> | undefined> = [];
  private readonly pathStages: string[] = [];
  private readonly pathValues: Array<T | undefined> = [];
  /** The start states of a new NFAState (immutable: shared by all of them). */
  private readonly initialStartStates: ReadonlyArray<ComputationState<T>>;
  /**
   * Start-state partial matches by start state and run (see startStateAt), shared by every key:
   * `startCacheStates[i]`'s, by run, in `startCacheRuns[i]`.
   */
  private readonly startCacheStates: Array<State<T>> = [];
  private readonly startCacheRuns: Array<Array<ComputationState<T> | undefined>> = [];
  /** States given back by recycle(), reset (at most MAX_FREE_STATES). */
  private readonly freeStates: Array<NFAState<T>> = [];
  /** See potentialQueue (one per NFA: a call completes its use of it before returning). */
  private readonly potential: ComputationStateQueue<T> = newComputationStateQueue();
  /**
   * For a linear pattern run on compact states: its states from the start to the final one (a partial
   * match that took i events is in chain[i]), null otherwise.
   */
  private readonly chain: ReadonlyArray<State<T>> | null;
  /** The TAKE condition of each non-final state of the chain. */
  private readonly chainConditions: Array<EdgeCondition<T>> = [];
  /** Whether each non-final state of the chain is TAKE-only (an event it does not take ends the partial match). */
  private readonly chainStrict: boolean[] = [];
  /** The stage of each non-final state of the chain: the stage of the i-th taken event. */
  readonly chainStages: string[] = [];
  /** The names of the chain's states (CompactStateOwner). */
  readonly chainStateNames: string[] = [];
  /** The start state in a compact state's queue (shared: it holds nothing but its place). */
  private readonly startStandIn = new CompactMatch<T>(0, 0, NO_EVENT, NO_EVENT, null);
  /** Which partial matches take the event, by queue position (scratch of compactProcess). */
  private readonly compactTakes: boolean[] = [];
  /** Matches one compact process() call completed (scratch: emptied before returning). */
  private readonly compactDone: Array<CompactMatch<T> | undefined> = [];

  constructor(
    states: ReadonlyArray<State<T>>,
    windowTime: number,
    /** Report pruned partial matches as timed out (else they are dropped silently). */
    private readonly handleTimeout: boolean,
    private readonly matchFactory: MatchFactory<T, M>,
    options: NFAOptions = {},
  ) {
    this.states = states;
    this.windowTime = windowTime;
    this.windowed = windowTime > 0 || states.some((s) => s.windowGap > 0);
    this.startWindowOnly = windowTime > 0 && states.every((s) => s.windowGap === 0);
    this.hasPendingStates = states.some((s) => s.isPending());
    this.initialStartStates = states.filter((s) => s.isStart()).map((s) => ComputationState.createStartState(s, DeweyNumber.of(1)));
    for (const s of states) {
      const t = s.transitions;
      const simple =
        t.length === 2 &&
        t[0]!.action === 'TAKE' &&
        t[1]!.action === 'IGNORE' &&
        t[1]!.target === s &&
        t[0]!.condition !== TRUE_CONDITION &&
        negationOf(t[1]!.condition) === t[0]!.condition;
      s.takeOrIgnore = simple ? t[0]! : null;
      s.proceeds = t.some((e) => e.action === 'PROCEED');
    }
    this.chain = options.compact === false ? null : linearChain(states);
    if (this.chain !== null) {
      for (let i = 0; i + 1 < this.chain.length; i++) {
        const s = this.chain[i]!;
        this.chainConditions.push(takeEdgeOf(s)!.condition);
        this.chainStrict.push(s.takeOrIgnore === null);
        this.chainStages.push(s.stage);
      }
      for (const s of this.chain) this.chainStateNames.push(s.name);
      this.ctx.stages = this.chainStages;
    }
  }

  /** Whether new states of this NFA are compact (a linear pattern, and the compact engine not turned off). */
  isCompact(): boolean {
    return this.chain !== null;
  }

  /** Compiles `pattern` (throws MalformedPatternException for patterns that cannot run). */
  static compile<T>(pattern: Pattern<T, string>, handleTimeout?: boolean): NFA<T>;
  /** ... reporting matches as `factory` makes them. */
  static compile<T, M>(pattern: Pattern<T, string>, handleTimeout: boolean, factory: MatchFactory<T, M>, options?: NFAOptions): NFA<T, M>;
  /** ... with `options` (the default match factory). */
  static compile<T>(pattern: Pattern<T, string>, handleTimeout: boolean, factory: undefined, options: NFAOptions): NFA<T>;
  static compile<T, M>(pattern: Pattern<T, string>, handleTimeout = false, factory?: MatchFactory<T, M>, options?: NFAOptions): NFA<T, M> {
    const c = compile(pattern);
    // (A skip strategy runs on general states: compact ones would be inflated at each key's first event.)
    const compact = options?.compact ?? !pattern.getAfterMatchSkipStrategy().isSkipStrategy();
    return new NFA(c.states, c.windowTime, handleTimeout, factory ?? (patternMatchOf as MatchFactory<T, M>), { ...options, compact });
  }

  /** The scratch queue of the matches one process/advanceTime call completed (emptied). */
  private potentialQueue(): ComputationStateQueue<T> {
    const q = this.potential;
    q.clear(); // not empty only if a call threw halfway
    return q;
  }

  /** The match of the first path (as extractPatterns lists them) ending at `node` for `version`. */
  private matchAt(buffer: SharedBuffer<T>, node: SharedBufferNode<T>, version: DeweyNumber): M {
    const nodes = this.pathNodes;
    const count = buffer.firstPath(node, version, nodes);
    if (count === 0) throw new Error('Internal error: a completed match has no path in the shared buffer');
    const stages = this.pathStages;
    const values = this.pathValues;
    for (let i = 0; i < count; i++) {
      const n = nodes[count - 1 - i]!;
      stages[i] = n.stage;
      values[i] = n.event.value;
    }
    const match = this.matchFactory(stages, values as T[], count);
    for (let i = 0; i < count; i++) {
      nodes[i] = undefined;
      values[i] = undefined;
    }
    return match;
  }

  /** The match of an extracted path. */
  private matchOf(path: EventPath<T>): M {
    const stages = this.pathStages;
    const values = this.pathValues;
    let count = 0;
    for (const [stage, events] of path) {
      for (let i = 0; i < events.length; i++) {
        stages[count] = stage;
        values[count++] = events[i]!.value;
      }
    }
    const match = this.matchFactory(stages, values as T[], count);
    for (let i = 0; i < count; i++) values[i] = undefined;
    return match;
  }

  getWindowTime(): number {
    return this.windowTime;
  }
  /** Whether partial matches can time out (some within()). */
  hasWindow(): boolean {
    return this.windowed;
  }
  getStates(): ReadonlyArray<State<T>> {
    return this.states;
  }

  createInitialNFAState(): NFAState<T> {
    const free = this.freeStates.pop();
    if (free !== undefined) return free;
    const st = new NFAState(this.initialStartStates);
    if (this.chain !== null) st.compact = new CompactState<T>(this, this.startStandIn);
    return st;
  }

  /**
   * Takes back a state that isEmpty() and that its owner drops (a key left with no partial matches):
   * the next createInitialNFAState returns it, reset. Keys empty out and start again all the time; a
   * new state is a dozen objects that live until the key's next timer, long enough to be copied
   * twice by the garbage collector.
   */
  recycle(nfaState: NFAState<T>): void {
    if (!nfaState.isEmpty() || this.freeStates.length >= MAX_FREE_STATES) return;
    nfaState.resetTo(this.initialStartStates);
    // A state made general (restored, snapshotted, pruned by a skip strategy) starts compact again.
    if (this.chain !== null && nfaState.compact === null) nfaState.compact = new CompactState<T>(this, this.startStandIn);
    this.freeStates.push(nfaState);
  }

  // ---- time --------------------------------------------------------------------------------------

  /**
   * When the partial match times out: `previous + gap` if its state has a PREVIOUS_AND_CURRENT window
   * and that comes first, else `start + window` (Infinity when neither applies).
   */
  timeoutOf(cs: ComputationState<T>): number {
    if (cs.state.isStart()) return Number.POSITIVE_INFINITY;
    const gap = cs.state.windowGap;
    const byGap = gap > 0 ? cs.previousTimestamp + gap : Number.POSITIVE_INFINITY;
    const byWindow = this.windowTime > 0 ? cs.startTimestamp + this.windowTime : Number.POSITIVE_INFINITY;
    return byGap <= byWindow ? byGap : byWindow;
  }

  /**
   * Prunes partial matches whose window passed by `timestamp`. Pending notFollowedBy matches whose
   * window closed become matches; others are reported as timed out (with timeout handling on).
   */
  advanceTime(
    nfaState: NFAState<T>,
    timestamp: number,
    skip: AfterMatchSkipStrategy = NO_SKIP,
    /**
     * Receives each match's time: where a pending match's window closed; for a match a skip strategy
     * held back, its last event or the window end that released it, whichever is later.
     */
    matchTimestamps?: number[],
  ): AdvanceTimeResult<T, M> {
    const compact = nfaState.compact;
    if (compact !== null) {
      if (!skip.isSkipStrategy()) return this.compactAdvanceTime(compact, timestamp);
      this.inflate(nfaState);
    }
    if (!this.needsAdvance(nfaState, timestamp)) return NOTHING_HAPPENED as AdvanceTimeResult<T, M>;
    const buffer = nfaState.sharedBuffer;
    // As Flink: the kept partial matches offered in iteration order to a new queue (null while none
    // was removed: offering a heap's array in order rebuilds the same heap, so the old queue stays).
    let kept: ComputationStateQueue<T> | null = null;
    let potential: ComputationStateQueue<T> | null = null;
    let timedOut: Array<TimedOutMatch<T, M>> | null = null;
    /** Partial matches removed here, with their window ends: what releases matches held behind them. */
    let removed: Array<ComputationState<T>> | null = null;
    // (Only read when a match is released here: one waits already, or a pending state can complete one.)
    const releases = nfaState.matchesWaiting || this.hasPendingStates;
    const pms = nfaState.partialMatches;
    const window = this.windowTime;
    for (let i = 0; i < pms.size; i++) {
      const cs = pms.elementAt(i);
      // timeoutOf(cs), written out: a call returning epoch ms returns a new heap number (one per partial match and advance).
      const state = cs.state;
      let deadline = Number.POSITIVE_INFINITY;
      if (!state.isStart()) {
        const gap = state.windowGap;
        if (gap > 0) deadline = cs.previousTimestamp + gap;
        if (window > 0) {
          const byWindow = cs.startTimestamp + window;
          if (byWindow < deadline) deadline = byWindow;
        }
      }
      if (timestamp < deadline || state.isStart()) {
        kept?.offer(cs);
        continue;
      }
      if (kept === null) {
        kept = nfaState.newQueue();
        for (let j = 0; j < i; j++) kept.offer(pms.elementAt(j));
      }
      if (releases) (removed ??= []).push(cs);
      if (cs.state.isPending()) {
        (potential ??= this.potentialQueue()).offer(cs); // released after the skip strategy had its say
        continue;
      }
      if (this.handleTimeout) {
        (timedOut ??= []).push({ match: this.matchOf(extractCurrentMatches(buffer, cs)), timestamp: deadline });
      }
      buffer.releaseNode(cs.previousEntry!, cs.version);
    }
    if (kept !== null) nfaState.partialMatches = kept;
    let matches: M[] | null = null;
    if (potential !== null || nfaState.matchesWaiting) {
      matches = this.processMatchesAccordingToSkipStrategy(nfaState, skip, potential, matchTimestamps, removed);
    }
    // Nothing timed out or matched (the usual call): one shared, frozen result instead of new arrays.
    if (matches === null && timedOut === null) return NOTHING_HAPPENED as AdvanceTimeResult<T, M>;
    return { matches: matches ?? [], timedOut: timedOut ?? [] };
  }

  /**
   * Whether advanceTime(nfaState, timestamp) has anything to do: a partial match is due, or a match
   * waits for the skip strategy. Usually not, and asking is cheaper than the call.
   */
  needsAdvance(nfaState: NFAState<T>, timestamp: number): boolean {
    if (!this.windowed) return false;
    const compact = nfaState.compact;
    if (compact !== null) {
      if (Number.isNaN(compact.nextTimeout)) this.computeCompactTimeout(compact);
      return timestamp >= compact.nextTimeout;
    }
    if (nfaState.matchesWaiting) return true;
    // (NaN: not known. Computed into the field, not returned: a returned fraction or epoch ms is a new heap number.)
    if (Number.isNaN(nfaState.nextTimeoutCache)) this.computeNextTimeout(nfaState);
    return timestamp >= nfaState.nextTimeoutCache;
  }

  /** The earliest time a partial match of this state times out (Infinity when none can). */
  nextTimeout(nfaState: NFAState<T>): number {
    if (!this.windowed) return Number.POSITIVE_INFINITY;
    const compact = nfaState.compact;
    if (compact !== null) {
      if (Number.isNaN(compact.nextTimeout)) this.computeCompactTimeout(compact);
      return compact.nextTimeout;
    }
    if (Number.isNaN(nfaState.nextTimeoutCache)) this.computeNextTimeout(nfaState);
    return nfaState.nextTimeoutCache;
  }

  private computeNextTimeout(nfaState: NFAState<T>): void {
    // timeoutOf, written out: a call returning a number that is not a small integer returns a new heap number.
    let next = Number.POSITIVE_INFINITY;
    const pms = nfaState.partialMatches;
    const window = this.windowTime;
    for (let i = 0; i < pms.size; i++) {
      const cs = pms.elementAt(i);
      if (cs.state.isStart()) continue;
      const gap = cs.state.windowGap;
      if (gap > 0) {
        const t = cs.previousTimestamp + gap;
        if (t < next) next = t;
      }
      if (window > 0) {
        const t = cs.startTimestamp + window;
        if (t < next) next = t;
      }
    }
    nfaState.nextTimeoutCache = next;
  }

  /** Drops the partial matches that started first until `keep` remain; returns how many were dropped. */
  dropOldestPartialMatches(nfaState: NFAState<T>, keep: number): number {
    const excess = nfaState.numPartialMatches() - keep;
    if (excess <= 0) return 0;
    // Start states order last, so the first `excess` polls are the partial matches that started first.
    const pms = nfaState.partialMatches;
    for (let i = 0; i < excess; i++) {
      const cs = pms.poll()!;
      nfaState.sharedBuffer.releaseNode(cs.previousEntry!, cs.version);
    }
    nfaState.partialMatches = pms; // recounts
    return excess;
  }

  // ---- events ------------------------------------------------------------------------------------

  /** Feeds one event; returns the matches it completed (in order of their first event). */
  process(nfaState: NFAState<T>, event: T, timestamp: number, skip: AfterMatchSkipStrategy = NO_SKIP): M[] {
    const compact = nfaState.compact;
    if (compact !== null) {
      if (!skip.isSkipStrategy()) return this.compactProcess(compact, event, timestamp);
      this.inflate(nfaState); // (skip strategies run on the general state)
    }
    // The event gets its id (arrival order) now, but enters the buffer only if some partial match
    // takes it (Flink registers it and releases it after processing: the same end state).
    const current = this.current.reset(nfaState.sharedBuffer, event, timestamp);
    const result = this.doProcess(nfaState, current, skip);
    current.clear();
    return result;
  }

  private doProcess(nfaState: NFAState<T>, event: CurrentEvent<T>, skip: AfterMatchSkipStrategy): M[] {
    const buffer = nfaState.sharedBuffer;
    const partialMatches = nfaState.partialMatches;
    // As Flink: the new partial matches are offered, in iteration order of the old ones, to a new
    // queue. While every partial match so far stayed as it was there is none (changed: false): offering
    // a heap's array in order rebuilds the same heap, so then the old queue is the new one.
    let newPartialMatches: ComputationStateQueue<T> | null = null;
    let potentialMatches: ComputationStateQueue<T> | null = null;
    const next = this.nextStates;
    let maxNext = 0;
    const numPartial = partialMatches.size;
    // The next timeout, kept up to date instead of recomputed from every partial match's first event
    // (objects last touched at the key's previous timer): with FIRST_AND_LAST windows only, a
    // successor that keeps its partial match's first event keeps its timeout, so the minimum changes
    // only by partial matches started here (their first event is this one) or by one that is gone.
    const window = this.windowTime;
    let timeoutKept = this.startWindowOnly;
    let startedTimeout = Number.POSITIVE_INFINITY;
    for (let i = 0; i < numPartial; i++) {
      const cs = partialMatches.elementAt(i);
      const take = cs.state.takeOrIgnore;
      if (take !== null && !check(take.condition, event.value as T, this.ctx.reset(buffer, cs, event.timestamp))) {
        // IGNORE to itself, counted as no branch: computeNextStates would return cs itself (the
        // usual case: most events leave most partial matches as they are).
        if (newPartialMatches !== null) newPartialMatches.offer(cs);
        continue;
      }
      this.numNextStates = 0;
      this.computeNextStates(nfaState, cs, event, take !== null);
      const numNext = this.numNextStates;
      if (numNext > maxNext) maxNext = numNext;
      if (numNext === 1 && next[0] === cs) {
        // Unchanged (and neither final nor stop: it was a partial match).
        if (newPartialMatches !== null) newPartialMatches.offer(cs);
        continue;
      }
      if (newPartialMatches === null) {
        newPartialMatches = nfaState.newQueue();
        for (let j = 0; j < i; j++) newPartialMatches.offer(partialMatches.elementAt(j));
      }
      // Keep the new states only if no branch of this partial match reached a stop state.
      let discard = false;
      for (let j = 0; j < numNext; j++) {
        const n = next[j]!;
        if (n.state.isStop()) {
          discard = true;
          buffer.releaseNode(n.previousEntry!, n.version);
        }
      }
      const start = cs.startEvent;
      let startKept = cs.state.isStart(); // (a start state has no timeout to lose)
      for (let j = 0; j < numNext; j++) {
        const n = next[j]!;
        if (n.state.isFinal()) (potentialMatches ??= this.potentialQueue()).offer(n);
        else if (n.state.isStop()) continue;
        else if (!discard) {
          newPartialMatches.offer(n);
          if (timeoutKept && !n.state.isStart()) {
            const e = n.startEvent;
            if (e === start) startKept = true;
            else if (e === null) timeoutKept = false; // (cannot happen: computed as computeNextTimeout would)
            else if (e.timestamp + window < startedTimeout) startedTimeout = e.timestamp + window;
          }
        } else if (n.previousEntry !== null) buffer.releaseNode(n.previousEntry, n.version);
      }
      if (!startKept) timeoutKept = false;
    }
    for (let j = 0; j < maxNext; j++) next[j] = undefined;
    if (newPartialMatches !== null) {
      const before = nfaState.nextTimeoutCache;
      nfaState.partialMatches = newPartialMatches; // (forgets the next timeout)
      if (timeoutKept && !Number.isNaN(before)) nfaState.nextTimeoutCache = startedTimeout < before ? startedTimeout : before;
    }
    // No match completed and none waits (with noSkip none ever waits): nothing to emit.
    if (potentialMatches === null && !nfaState.matchesWaiting) return NO_MATCHES as M[];
    // Flink 1.20 sends every strategy, noSkip too, through the completed-matches queue: matches come
    // out in its poll order (by first event; ties in the heap's order).
    return this.processMatchesAccordingToSkipStrategy(nfaState, skip, potentialMatches) ?? (NO_MATCHES as M[]);
  }

  // ---- the compact engine (linear patterns, noSkip) -------------------------------------------------

  /**
   * doProcess on a compact state: each partial match, in its queue's array order, takes the event if
   * its state's condition holds (the start state starts a new one, with its run, and moves to the next
   * run). The queue is rebuilt as the general NFA rebuilds its queue (every partial match offered in
   * the old array order, a new one right before the start state; completed ones left out), but only
   * when one was added or removed: otherwise that rebuild gives the same array.
   */
  private compactProcess(c: CompactState<T>, event: T, timestamp: number): M[] {
    const id = c.nextEventId++;
    const heap = c.matches;
    const n = heap.size;
    const conditions = this.chainConditions;
    const last = conditions.length; // a partial match that took this many events is complete
    const ctx = this.ctx;
    const done = this.compactDone;
    // The conditions first (the start state's stand-in is in stage 0, with no events), then the
    // changes: a condition that throws leaves the state as it was.
    const takes = this.compactTakes;
    const strict = this.chainStrict;
    let numTakes = 0;
    let numEnded = 0;
    for (let i = 0; i < n; i++) {
      const pm = heap.elementAt(i);
      const take = conditions[pm.stage]!(event, ctx.resetCompact(pm, timestamp));
      takes[i] = take;
      if (take) numTakes++;
      else if (strict[pm.stage]) numEnded++;
    }
    ctx.clearCompact();
    if (numTakes === 0 && numEnded === 0) return NO_MATCHES as M[];
    let numDone = 0;
    let started: CompactMatch<T> | null = null;
    for (let i = 0; i < n; i++) {
      const pm = heap.elementAt(i);
      if (!takes[i]) {
        if (strict[pm.stage]) pm.stage = -1; // (not taken by a TAKE-only state: ended, removed below)
        continue;
      }
      if (pm.startId < 0) {
        // (A completed match does not keep its last event: compactMatchOf gets it.)
        if (last === 1) done[numDone++] = new CompactMatch<T>(1, c.startRun++, timestamp, id, null);
        else started = new CompactMatch<T>(1, c.startRun++, timestamp, id, new CompactTaken(event, timestamp, id, c.takes++, null));
        continue;
      }
      if (++pm.stage === last) done[numDone++] = pm;
      else pm.last = new CompactTaken(event, timestamp, id, c.takes++, pm.last);
    }
    const removed = (last === 1 ? 0 : numDone) + numEnded;
    if (started !== null || removed > 0) {
      const q = c.newQueue();
      for (let i = 0; i < n; i++) {
        const pm = heap.elementAt(i);
        if (pm.stage === last || pm.stage < 0) continue;
        if (started !== null && pm.startId < 0) q.offer(started);
        q.offer(pm);
      }
      c.replace(q);
      if (started !== null) c.numOpen++;
      c.numOpen -= removed;
      if (removed > 0) c.nextTimeout = Number.NaN;
      else if (this.windowTime > 0 && !Number.isNaN(c.nextTimeout)) {
        const t = timestamp + this.windowTime;
        if (t < c.nextTimeout) c.nextTimeout = t;
      }
    }
    if (numDone === 0) return NO_MATCHES as M[];
    // Completed matches come out of Flink's completed-matches queue by first event (unique here).
    for (let i = 1; i < numDone; i++) {
      const m = done[i]!;
      let j = i - 1;
      while (j >= 0 && compareCompactMatches(done[j]!, m) > 0) {
        done[j + 1] = done[j];
        j--;
      }
      done[j + 1] = m;
    }
    const result: M[] = [this.compactMatchOf(done[0]!, true, event)];
    done[0] = undefined;
    for (let i = 1; i < numDone; i++) {
      result.push(this.compactMatchOf(done[i]!, true, event));
      done[i] = undefined;
    }
    return result;
  }

  /** advanceTime on a compact state (FIRST_AND_LAST windows only, no pending states, nothing waits). */
  private compactAdvanceTime(c: CompactState<T>, timestamp: number): AdvanceTimeResult<T, M> {
    if (!this.windowed) return NOTHING_HAPPENED as AdvanceTimeResult<T, M>;
    if (Number.isNaN(c.nextTimeout)) this.computeCompactTimeout(c);
    if (timestamp < c.nextTimeout) return NOTHING_HAPPENED as AdvanceTimeResult<T, M>;
    const heap = c.matches;
    const n = heap.size;
    const window = this.windowTime;
    let timedOut: Array<TimedOutMatch<T, M>> | null = null;
    let removed = 0;
    for (let i = 0; i < n; i++) {
      const pm = heap.elementAt(i);
      if (pm.startId < 0) continue;
      const deadline = pm.startTimestamp + window;
      if (timestamp < deadline) continue;
      if (this.handleTimeout) (timedOut ??= []).push({ match: this.compactMatchOf(pm, false, undefined), timestamp: deadline });
      pm.stage = -1; // (removed below)
      removed++;
    }
    if (removed > 0) {
      // The kept ones offered in array order to a new queue, as the general NFA does.
      const q = c.newQueue();
      for (let i = 0; i < n; i++) {
        const pm = heap.elementAt(i);
        if (pm.stage >= 0) q.offer(pm);
      }
      c.replace(q);
      c.numOpen -= removed;
      c.nextTimeout = Number.NaN;
    }
    if (timedOut === null) return NOTHING_HAPPENED as AdvanceTimeResult<T, M>;
    return { matches: [], timedOut };
  }

  private computeCompactTimeout(c: CompactState<T>): void {
    let next = Number.POSITIVE_INFINITY;
    const window = this.windowTime;
    if (window > 0) {
      const heap = c.matches;
      for (let i = 0; i < heap.size; i++) {
        const pm = heap.elementAt(i);
        if (pm.startId < 0) continue;
        const t = pm.startTimestamp + window;
        if (t < next) next = t;
      }
    }
    c.nextTimeout = next;
  }

  /**
   * The match (or timed-out partial match) of a compact partial match: its events in order. A match
   * that `completedBy` completed holds that event last, without a CompactTaken for it.
   */
  private compactMatchOf(pm: CompactMatch<T>, completed: boolean, completedBy: T | undefined): M {
    const count = pm.stage;
    const stages = this.pathStages;
    const values = this.pathValues;
    let t = pm.last;
    let i = count - 1;
    if (completed) {
      stages[i] = this.chainStages[i]!;
      values[i--] = completedBy;
    }
    for (; i >= 0; i--) {
      stages[i] = this.chainStages[i]!;
      values[i] = t!.value;
      t = t!.prev;
    }
    const match = this.matchFactory(stages, values as T[], count);
    for (let i = 0; i < count; i++) values[i] = undefined;
    return match;
  }

  /**
   * Makes a compact state general: exactly the partial matches, versions, shared-buffer events, nodes,
   * edges, lock counts and counters the general NFA would hold after the same calls. A partial match
   * of run r that took events e0..e(k-1) is in chain[k] with version r.0…0 (k zeros), holding the node
   * of (stage k-1, e(k-1)); the node of (stage j, ej) has an edge back to (stage j-1, e(j-1)) with
   * version r.0…0 (j zeros), locked once. Partial matches that took one event in one stage share its
   * node, one edge each, in the order they took it; a node is held once per edge, an event once per
   * node. The state stays general from now on (until it is empty and recycled).
   */
  inflate(nfaState: NFAState<T>): void {
    const c = nfaState.compact;
    if (c === null) return;
    nfaState.compact = null;
    this.fillGeneral(nfaState, c);
  }

  /**
   * The general form of a compact state as a new state, the compact one left as it is. A general state
   * is returned as it is. (Snapshots of compact states are written from them directly: see
   * snapshotNFAState; bench/cep-snapshot.ts compares the two.)
   */
  generalCopy(nfaState: NFAState<T>): NFAState<T> {
    const c = nfaState.compact;
    if (c === null) return nfaState;
    const copy = new NFAState<T>([]);
    this.fillGeneral(copy, c);
    return copy;
  }

  /**
   * A compact state read from a general state's snapshot (NFA.inflate's inverse, for a restored state:
   * it would run general until its key empties), or null when the snapshot has another shape than
   * the general form of a compact state (see fillGeneral: matches waiting for a skip strategy,
   * branched versions, more than one start state, runs or first events two partial matches share, event ids
   * not below the counter: data the general NFA never writes, on which the engines differ). Not checked here in full (lock counts,
   * counters, timestamps): restoreNFAStateFor keeps it only if its snapshot is `snapshot`. A taken
   * event gets as `seq` the place of its edge in its node: its node's edges are listed in that order.
   */
  compactStateFrom(snapshot: NFAStateSnapshot<T>): NFAState<T> | null {
    const chain = this.chain;
    if (chain === null || snapshot.completedMatches.length > 0) return null;
    const c = new CompactState<T>(this, this.startStandIn);
    const q = c.newQueue();
    const names = this.chainStateNames;
    const stages = this.chainStages;
    const { events, nodes } = snapshot;
    const taken: number[] = [];
    const seqs: number[] = [];
    let starts = 0;
    let takes = 0;
    const runs: number[] = [];
    const startIds: number[] = [];
    for (const cs of snapshot.partialMatches) {
      const k = names.indexOf(cs.state);
      if (k < 0 || k === chain.length - 1) return null;
      if (k === 0) {
        if (cs.entry >= 0 || !/^[0-9]+$/.test(cs.version) || starts++ > 0) return null;
        c.startRun = Number(cs.version);
        q.offer(this.startStandIn);
        continue;
      }
      // Version run.0…0 (k zeros); the edge back from its j-th taken event's node has run.0…0 (j zeros).
      const dot = cs.version.indexOf('.');
      const run = Number(cs.version.slice(0, dot));
      if (dot <= 0 || cs.version !== compactVersion(run, k)) return null;
      runs.push(run);
      let node = cs.entry;
      for (let j = k - 1; j >= 0; j--) {
        const n = nodes[node];
        if (n === undefined || n.stage !== stages[j]) return null;
        const version = compactVersion(run, j);
        let e = 0;
        while (e < n.edges.length && n.edges[e]!.version !== version) e++;
        if (e === n.edges.length) return null;
        taken[j] = n.event;
        seqs[j] = e;
        if (e >= takes) takes = e + 1;
        node = n.edges[e]!.target;
      }
      if (node !== -1) return null;
      let last: CompactTaken<T> | null = null;
      for (let j = 0; j < k; j++) {
        const ev = events[taken[j]!];
        // (An id not below the counter: the next event would share it, and the compact form keys events by id. Ids
        // rising along the path, as events arrive: a path through one node twice is not one partial match to the general NFA.)
        if (ev === undefined || !(ev.id < snapshot.nextEventId) || (last !== null && !(last.id < ev.id))) return null;
        last = new CompactTaken(ev.value, ev.timestamp, ev.id, seqs[j]!, last);
      }
      const first = events[taken[0]!]!;
      startIds.push(first.id);
      // (Offered in the snapshot's order, the general heap's array order: the same heap, the comparators agree.)
      q.offer(new CompactMatch<T>(k, run, first.timestamp, first.id, last));
      c.numOpen++;
    }
    if (starts !== 1) return null;
    // Each partial match a run of its own, started before the start state's (as the start state hands them out):
    // else the general form's nodes hold one edge for two of them, which the compact engine keeps apart. And each
    // started at an event of its own: matches that tie on their first event leave the general NFA's completed-matches
    // queue in its heap order, the compact engine's in queue order.
    for (const run of runs) if (!(run < c.startRun)) return null;
    if (hasDuplicate(runs) || hasDuplicate(startIds)) return null;
    c.replace(q);
    c.nextEventId = snapshot.nextEventId;
    c.takes = takes;
    const st = new NFAState<T>(this.initialStartStates); // (its general fields: stale, holding nothing)
    st.compact = c;
    return st;
  }

  /** Fills the general fields of `nfaState` (not compact, holding nothing) with the general form of `c`. */
  private fillGeneral(nfaState: NFAState<T>, c: CompactState<T>): void {
    const chain = this.chain!;
    const heap = c.matches;
    const events = new Map<number, BufferEvent<T>>();
    let numNodes = 0;
    const pending: Array<{ node: SharedBufferNode<T>; target: SharedBufferNode<T> | null; version: DeweyNumber; seq: number }> = [];
    const states: Array<ComputationState<T>> = [];
    const taken: Array<CompactTaken<T>> = [];
    for (let i = 0; i < heap.size; i++) {
      const pm = heap.elementAt(i);
      if (pm.startId < 0) {
        const run = c.startRun;
        states.push(run === 1 ? this.initialStartStates[0]! : this.startStateAt(chain[0]!, DeweyNumber.of(run)));
        continue;
      }
      taken.length = 0;
      for (let t = pm.last; t !== null; t = t.prev) taken.push(t);
      taken.reverse();
      let version = DeweyNumber.of(pm.run);
      let previous: SharedBufferNode<T> | null = null;
      let first: BufferEvent<T> | null = null;
      for (let j = 0; j < taken.length; j++) {
        const t = taken[j]!;
        let ev = events.get(t.id);
        if (ev === undefined) {
          ev = { id: t.id, timestamp: t.timestamp, value: t.value, refs: 0, firstNode: null };
          events.set(t.id, ev);
        }
        first ??= ev;
        const stage = this.chainStages[j]!;
        let node = ev.firstNode;
        while (node !== null && node.stage !== stage) node = node.nextOfEvent;
        if (node === null) {
          node = newNode(ev, stage, 0);
          node.nextOfEvent = ev.firstNode;
          ev.firstNode = node;
          ev.refs++;
          numNodes++;
        }
        pending.push({ node, target: previous, version, seq: t.seq });
        previous = node;
        version = version.addStage();
      }
      states.push(new ComputationState(chain[pm.stage]!, previous, version, first));
    }
    pending.sort((a, b) => a.seq - b.seq);
    for (const e of pending) {
      addEdge(e.node, e.target, e.version, 1);
      e.node.refs++;
    }
    const q = nfaState.newQueue();
    for (const cs of states) q.offer(cs);
    nfaState.partialMatches = q;
    nfaState.sharedBuffer.restoreCounters(c.nextEventId, events.size, numNodes);
  }

  /**
   * Flink's processMatchesAccordingToSkipStrategy: completed matches are offered to the completed
   * queue and polled from it (so ties come out in the heap's order), each (but with noSkip) only once
   * no partial match that started earlier is still open, and each prunes partial, then completed
   * matches per the skip strategy. Returns the matches in order (null: none).
   */
  private processMatchesAccordingToSkipStrategy(
    nfaState: NFAState<T>,
    skip: AfterMatchSkipStrategy,
    potential: ComputationStateQueue<T> | null,
    timestamps?: number[],
    removed: ReadonlyArray<ComputationState<T>> | null = null,
  ): M[] | null {
    // Made with its first match (usually the only one): an empty array's first push reserves 16 slots.
    let result: M[] | null = null;
    const buffer = nfaState.sharedBuffer;
    const completed = nfaState.completedMatches;
    // addAll: offered in the potential queue's iteration order
    if (potential !== null) {
      for (let i = 0; i < potential.size; i++) completed.offer(potential.elementAt(i));
      potential.clear();
      nfaState.matchesWaiting = true; // (stays so if what follows throws: a needless check, never a lost match)
    }
    const partial = nfaState.partialMatches;
    const waits = skip.isSkipStrategy();
    let pruned = false;
    let earliest: ComputationState<T> | undefined;
    while ((earliest = completed.peek()) !== undefined) {
      if (waits) {
        const earliestPartial = partial.peek();
        if (earliestPartial !== undefined && compareComputationStates(earliest, earliestPartial) > 0) break;
      }
      completed.poll();
      let m: M;
      if (waits) {
        const paths = buffer.extractPatterns(earliest.previousEntry!, earliest.version);
        const pruningId = pruningEvent(skip, paths);
        if (pruningId !== null) {
          pruned = prune(partial, skip, pruningId, buffer) || pruned;
          prune(completed, skip, pruningId, buffer);
        }
        m = this.matchOf(paths[0]!);
      } else {
        // noSkip prunes nothing: only the first path is needed
        m = this.matchAt(buffer, earliest.previousEntry!, earliest.version);
      }
      if (result === null) result = [m];
      else result.push(m);
      timestamps?.push(earliest.state.isPending() ? this.timeoutOf(earliest) : this.releaseTime(earliest, removed));
      buffer.releaseNode(earliest.previousEntry!, earliest.version);
    }
    if (pruned) nfaState.partialMatches = partial; // recounts
    nfaState.matchesWaiting = completed.size > 0;
    return result;
  }

  /**
   * When a match held behind earlier partial matches was released: its last event, or the latest window
   * end of the earlier-started partial matches removed in this call, whichever is later. Deterministic,
   * and never behind a watermark already forwarded (no earlier call had reached that window end).
   */
  private releaseTime(match: ComputationState<T>, removed: ReadonlyArray<ComputationState<T>> | null): number {
    let t = match.previousTimestamp;
    if (removed !== null) {
      for (const r of removed) {
        if (compareComputationStates(r, match) < 0) {
          const d = this.timeoutOf(r);
          if (d > t) t = d;
        }
      }
    }
    return t;
  }

  /**
   * Flink's computeNextStates: the partial matches `cs` becomes with `event`, appended to nextStates.
   * A branch that leaves `cs` exactly as it was (an IGNORE loop without a version change, or the
   * start state when the event starts nothing) is `cs` itself, and keeps cs's lock on the buffer
   * instead of taking a new one and releasing the old: the same counts, without allocating.
   */
  private computeNextStates(nfaState: NFAState<T>, cs: ComputationState<T>, event: CurrentEvent<T>, taken: boolean): void {
    const buffer = nfaState.sharedBuffer;
    // taken: cs's state is TAKE(c)/IGNORE(not c) and the caller found c true (ctx already at cs).
    const ctx = taken ? this.ctx : this.ctx.reset(buffer, cs, event.timestamp);
    const outgoing = taken ? this.outgoing.reset(cs.state).addTake(cs.state.takeOrIgnore!) : this.createDecisionGraph(ctx, cs.state, event.value as T);
    // Versions are assigned once all edges are known, so each branch gets its own.
    const edges = outgoing.edges;
    const numEdges = outgoing.size;
    const totalTakeBranches = outgoing.totalTakeBranches;
    const totalIgnoreBranches = outgoing.totalIgnoreBranches;
    let takeBranchesToVisit = Math.max(0, totalTakeBranches - 1);
    let ignoreBranchesToVisit = totalIgnoreBranches;
    const totalTakeToSkip = Math.max(0, totalTakeBranches - 1);
    const selfIncrease = increasingSelfState(totalIgnoreBranches, totalTakeBranches);
    const isStart = cs.state.isStart();
    let keptAsIs = false;
    for (let i = 0; i < numEdges; i++) {
      const edge = edges[i]!;
      if (edge.action === 'IGNORE') {
        if (isStart) continue; // the start state stays anyway (below)
        let version: DeweyNumber;
        if (edge.target.name === cs.state.name) {
          if (selfIncrease === 0 && !keptAsIs) {
            // Unchanged (same state, entry, version and times): cs itself, still holding its lock.
            keptAsIs = true;
            this.nextStates[this.numNextStates++] = cs;
            continue;
          }
          version = cs.version.increase(selfIncrease);
        } else {
          version = cs.version.increase(totalTakeToSkip + ignoreBranchesToVisit).addStage();
          ignoreBranchesToVisit--;
        }
        this.addComputationState(buffer, edge.target, cs.previousEntry, version, cs.startEvent);
      } else if (edge.action === 'TAKE') {
        const currentVersion = cs.version.increase(takeBranchesToVisit);
        const nextVersion = currentVersion.addStage();
        takeBranchesToVisit--;
        const stored = event.stored();
        const newEntry = buffer.put(edge.source.stage, stored, cs.previousEntry, currentVersion);
        const startEvent = isStart ? stored : cs.startEvent;
        this.addComputationState(buffer, edge.target, newEntry, nextVersion, startEvent);
        // A state with a PROCEED path to the final state completes a match right away.
        const finalState = edge.target.proceeds ? this.findFinalStateAfterProceed(ctx, edge.target, event.value as T) : null;
        if (finalState !== null) {
          this.addComputationState(buffer, finalState, newEntry, nextVersion, startEvent);
        }
      }
    }
    if (isStart) {
      // The start state always stays; unchanged (cs itself) unless the event branched from it.
      this.nextStates[this.numNextStates++] = selfIncrease === 0 ? cs : this.startStateAt(cs.state, cs.version.increase(selfIncrease));
    }
    if (cs.previousEntry !== null && !keptAsIs) buffer.releaseNode(cs.previousEntry, cs.version);
  }

  /**
   * The start state with `version`. A start-state partial match holds nothing but its state and
   * version, and is immutable: one object per (start state, run) serves every key (each event that
   * starts a partial match made a new one, kept until the key's next such event: long enough to be
   * copied by the garbage collector, and one per key).
   */
  private startStateAt(state: State<T>, version: DeweyNumber): ComputationState<T> {
    const run = version.getRun();
    if (version.length() !== 1 || run < 0 || run >= START_CACHE_RUNS) return ComputationState.createStartState(state, version);
    const states = this.startCacheStates;
    let i = 0;
    while (i < states.length && states[i] !== state) i++;
    if (i === states.length) {
      states.push(state);
      this.startCacheRuns.push([]);
    }
    const runs = this.startCacheRuns[i]!;
    while (runs.length <= run) runs.push(undefined); // (in order: no holes)
    return (runs[run] ??= ComputationState.createStartState(state, DeweyNumber.of(run)));
  }

  private addComputationState(
    buffer: SharedBuffer<T>,
    state: State<T>,
    previousEntry: SharedBufferNode<T> | null,
    version: DeweyNumber,
    startEvent: EventId | null,
  ): void {
    this.nextStates[this.numNextStates++] = new ComputationState(state, previousEntry, version, startEvent);
    if (previousEntry !== null) buffer.lockNode(previousEntry, version);
  }

  private createDecisionGraph(ctx: NFAConditionContext<T>, state: State<T>, event: T): OutgoingEdges<T> {
    // (Not for TAKE(c)/IGNORE(not c) states: doProcess evaluates c once and knows the edge.)
    const outgoing = this.outgoing.reset(state);
    const stack = this.stack;
    let depth = 0;
    stack[depth++] = state;
    while (depth > 0) {
      const s = stack[--depth]!;
      const transitions = s.transitions;
      for (let i = 0; i < transitions.length; i++) {
        const t = transitions[i]!;
        if (!check(t.condition, event, ctx)) continue;
        if (t.action === 'PROCEED') stack[depth++] = t.target; // an epsilon edge: the event applies to the target
        else outgoing.add(t);
      }
    }
    return outgoing;
  }

  private findFinalStateAfterProceed(ctx: NFAConditionContext<T>, state: State<T>, event: T): State<T> | null {
    const stack = this.stack; // free again: createDecisionGraph is done with it
    let depth = 0;
    stack[depth++] = state;
    while (depth > 0) {
      const s = stack[--depth]!;
      const transitions = s.transitions;
      for (let i = 0; i < transitions.length; i++) {
        const t = transitions[i]!;
        if (t.action !== 'PROCEED' || !check(t.condition, event, ctx)) continue;
        if (t.target.isFinal()) return t.target;
        stack[depth++] = t.target;
      }
    }
    return null;
  }
}

function check<T>(cond: EdgeCondition<T>, event: T, ctx: ConditionContext<T>): boolean {
  return cond === TRUE_CONDITION || cond(event, ctx);
}

function increasingSelfState(ignoreBranches: number, takeBranches: number): number {
  return takeBranches === 0 && ignoreBranches === 0 ? 0 : ignoreBranches + Math.max(1, takeBranches);
}

// ---- after-match skip (Flink's AfterMatchSkipStrategy.prune / getPruningId / shouldPrune) ---------

type EventRef = { id: number; timestamp: number };

function maxEvent(a: EventRef | null, b: EventRef): EventRef {
  return a === null || compareEvents(b, a) > 0 ? b : a;
}
function minEvent(a: EventRef | null, b: EventRef): EventRef {
  return a === null || compareEvents(b, a) < 0 ? b : a;
}

/** The event relative to which other partial matches are pruned, or null to prune nothing. */
function pruningEvent<T>(skip: AfterMatchSkipStrategy, paths: Array<EventPath<T>>): EventRef | null {
  let pruning: EventRef | null = null;
  switch (skip.kind) {
    case 'NO_SKIP':
      return null;
    case 'SKIP_TO_NEXT':
      for (const p of paths) for (const events of p.values()) pruning = minEvent(pruning, events[0]!);
      return pruning;
    case 'SKIP_PAST_LAST_EVENT':
      for (const p of paths) for (const events of p.values()) for (const e of events) pruning = maxEvent(pruning, e);
      return pruning;
    case 'SKIP_TO_FIRST':
    case 'SKIP_TO_LAST': {
      const name = skip.patternName!;
      for (const p of paths) {
        const events = p.get(name);
        if (events === undefined || events.length === 0) {
          if (skip.throwsOnMiss) throw new Error(`Could not skip to ${name}. No such element in the found match ${describePath(p)}`);
        } else {
          pruning = maxEvent(pruning, events[skip.kind === 'SKIP_TO_FIRST' ? 0 : events.length - 1]!);
        }
        if (skip.throwsOnMiss) {
          let start: EventRef | null = null;
          for (const evs of p.values()) for (const e of evs) start = minEvent(start, e);
          if (pruning !== null && start !== null && compareEvents(pruning, start) === 0) {
            throw new Error(`Could not skip to first element of a match (${skip.toString()}).`);
          }
        }
      }
      return pruning;
    }
  }
}

/** Flink's shouldPrune, given how the state's start event compares to the pruning event. */
function pruneIf(skip: AfterMatchSkipStrategy, c: number): boolean {
  // skipToFirst/skipToLast keep a partial match that starts at the skip target itself.
  return skip.kind === 'SKIP_TO_FIRST' || skip.kind === 'SKIP_TO_LAST' ? c < 0 : c <= 0;
}

/**
 * Flink's AfterMatchSkipStrategy.prune: releases the states that start before the pruning event (in
 * iteration order), then removes them with removeAll, which on a PriorityQueue is bulkRemove + heapify.
 */
function prune<T>(queue: ComputationStateQueue<T>, skip: AfterMatchSkipStrategy, pruningId: EventRef, buffer: SharedBuffer<T>): boolean {
  let any = false;
  for (let i = 0; i < queue.size; i++) {
    const cs = queue.elementAt(i);
    if (isPruned(cs, skip, pruningId)) {
      buffer.releaseNode(cs.previousEntry!, cs.version);
      any = true;
    }
  }
  if (any) queue.removeIf(isPruned, skip, pruningId);
  return any;
}

function isPruned<T>(cs: ComputationState<T>, skip: AfterMatchSkipStrategy, pruningId: EventRef): boolean {
  const start = cs.startEvent;
  if (start === null) return false;
  const ts = start.timestamp;
  const c = ts !== pruningId.timestamp ? (ts < pruningId.timestamp ? -1 : 1) : start.id - pruningId.id;
  return pruneIf(skip, c);
}

function describePath<T>(p: EventPath<T>): string {
  return `{${[...p].map(([k, evs]) => `${k}=[${evs.map((e) => String(e.value)).join(', ')}]`).join(', ')}}`;
}

/**
 * The states of a linear pattern from the start to the final state, or null: exactly one start state,
 * TAKE(c) to the next and IGNORE(not c) to itself, every other non-final state that too or only TAKE(c)
 * to the next (strict contiguity: next(); an event it does not take ends the partial match) (no PROCEED edges, no
 * PREVIOUS_AND_CURRENT window), each stage's states in a row (not a group pattern's), every state on
 * the chain. Partial matches of such a pattern never
 * branch: the compact engine runs them.
 */
function linearChain<T>(states: ReadonlyArray<State<T>>): Array<State<T>> | null {
  const starts = states.filter((s) => s.isStart());
  if (starts.length !== 1 || starts[0]!.takeOrIgnore === null) return null;
  const chain: Array<State<T>> = [];
  let s = starts[0]!;
  while (!s.isFinal()) {
    const take = takeEdgeOf(s);
    if (take === null || s.proceeds || s.windowGap > 0 || (s.type !== 'Start' && s.type !== 'Normal')) return null;
    if (chain.includes(s)) return null;
    // A stage's states in a row (a group pattern's are not): matches list events by stage in chain order.
    if (chain.length > 0 && chain[chain.length - 1]!.stage !== s.stage && chain.some((c) => c.stage === s.stage)) return null;
    chain.push(s);
    s = take.target;
  }
  if (s.transitions.length > 0) return null;
  chain.push(s);
  return chain.length === states.length && chain.length >= 2 ? chain : null;
}

/** The TAKE edge of a TAKE(c)/IGNORE(not c) state, or of a state whose only edge is a TAKE to another state; else null. */
function takeEdgeOf<T>(s: State<T>): StateTransition<T> | null {
  if (s.takeOrIgnore !== null) return s.takeOrIgnore;
  const t = s.transitions;
  return t.length === 1 && t[0]!.action === 'TAKE' && t[0]!.target !== s ? t[0]! : null;
}

/** Whether `xs` holds a number twice (reorders it when long: a sort with a comparator costs microseconds per call). */
function hasDuplicate(xs: number[]): boolean {
  const n = xs.length;
  if (n <= 32) {
    for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (xs[i] === xs[j]) return true;
    return false;
  }
  xs.sort((a, b) => a - b);
  for (let i = 1; i < n; i++) if (xs[i] === xs[i - 1]) return true;
  return false;
}

/** The Dewey version `run` followed by `zeros` zeros, as DeweyNumber.toString writes it (a compact partial match's). */
export function compactVersion(run: number, zeros: number): string {
  return zeros === 0 ? `${run}` : `${run}${'.0'.repeat(zeros)}`;
}
