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
import { compile } from './compiler/nfa-compiler.ts';
import {
  SharedBuffer,
  compareEvents,
  materialize,
  type BufferEvent,
  type EventPath,
  type SharedBufferNode,
} from './sharedbuffer/shared-buffer.ts';
import { State, StateTransition, TRUE_CONDITION, type EdgeCondition } from './state.ts';

/** A match: stage name -> the stage's events, stages in pattern order. */
export type PatternMatch<T> = Map<string, T[]>;

/** A timed-out partial match and the time it timed out (start + window). */
export interface TimedOutMatch<T> {
  readonly match: PatternMatch<T>;
  readonly timestamp: number;
}

const NO_EVENT = -1;

/** One partial match (Flink's ComputationState): where it is, what it holds, and since when. */
export class ComputationState<T> {
  constructor(
    readonly state: State<T>,
    /** The node of the last taken event (null for the start state). */
    readonly previousEntry: SharedBufferNode<T> | null,
    readonly version: DeweyNumber,
    readonly startTimestamp: number,
    readonly previousTimestamp: number,
    /** The first event of the match: (timestamp, id), NO_EVENT for the start state. */
    readonly startEventTimestamp: number,
    readonly startEventId: number,
  ) {}

  getCurrentStateName(): string {
    return this.state.name;
  }

  static createStartState<T>(state: State<T>, version: DeweyNumber): ComputationState<T> {
    return new ComputationState(state, null, version, NO_EVENT, NO_EVENT, NO_EVENT, NO_EVENT);
  }
}

/** Flink's COMPUTATION_STATE_COMPARATOR: by first event (timestamp, then arrival); start states last. */
export function compareComputationStates<T>(a: ComputationState<T>, b: ComputationState<T>): number {
  const an = a.startEventId === NO_EVENT;
  const bn = b.startEventId === NO_EVENT;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return compareEvents({ id: a.startEventId, timestamp: a.startEventTimestamp }, { id: b.startEventId, timestamp: b.startEventTimestamp });
}

/** The matching state of one key (Flink's NFAState + its SharedBuffer). */
export class NFAState<T> {
  readonly sharedBuffer = new SharedBuffer<T>();
  /** Partial matches, ordered by their first event. */
  partialMatches: Array<ComputationState<T>>;
  /** Matches waiting for earlier-started partial matches (skip strategies other than noSkip). */
  completedMatches: Array<ComputationState<T>> = [];
  /** Set when processing an event started a new partial match (the operator arms a window timer). */
  newStartPartialMatch = false;

  constructor(startStates: Array<ComputationState<T>>) {
    this.partialMatches = startStates;
  }

  getPartialMatches(): ReadonlyArray<ComputationState<T>> {
    return this.partialMatches;
  }
  getCompletedMatches(): ReadonlyArray<ComputationState<T>> {
    return this.completedMatches;
  }
  /** Partial matches besides the start states. */
  numPartialMatches(): number {
    let n = 0;
    for (const cs of this.partialMatches) if (!cs.state.isStart()) n++;
    return n;
  }
  /** Only the start states remain and the buffer holds nothing: the key needs no state. */
  isEmpty(): boolean {
    return this.completedMatches.length === 0 && this.sharedBuffer.isEmpty() && this.partialMatches.every((cs) => cs.state.isStart());
  }
}

/** The outgoing edges an event enables from a state, counting branches (Flink's OutgoingEdges). */
class OutgoingEdges<T> {
  readonly edges: Array<StateTransition<T>> = [];
  totalTakeBranches = 0;
  totalIgnoreBranches = 0;
  constructor(private readonly current: State<T>) {}
  add(edge: StateTransition<T>): void {
    const selfIgnore = edge.action === 'IGNORE' && edge.target.name === this.current.name;
    if (!selfIgnore) {
      if (edge.action === 'IGNORE') this.totalIgnoreBranches++;
      else if (edge.action === 'TAKE') this.totalTakeBranches++;
    }
    this.edges.push(edge);
  }
}

/** The context iterative conditions see; one per NFA, re-pointed at each partial match (no allocation per event). */
class NFAConditionContext<T> implements ConditionContext<T> {
  buffer!: SharedBuffer<T>;
  cs!: ComputationState<T>;
  ts = 0;
  private matched: PatternMatch<T> | null = null;

  reset(buffer: SharedBuffer<T>, cs: ComputationState<T>, ts: number): this {
    this.buffer = buffer;
    this.cs = cs;
    this.ts = ts;
    this.matched = null;
    return this;
  }
  getEventsForPattern(name: string): T[] {
    // The partial match is extracted lazily, once per partial match and event.
    if (this.matched === null) this.matched = materialize(extractCurrentMatches(this.buffer, this.cs));
    return this.matched.get(name) ?? [];
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

export class NFA<T> {
  private readonly states: ReadonlyArray<State<T>>;
  /** within() FIRST_AND_LAST in ms; 0 when none. */
  private readonly windowTime: number;
  /** Any window at all (FIRST_AND_LAST, or PREVIOUS_AND_CURRENT on some state). */
  private readonly windowed: boolean;
  private readonly ctx = new NFAConditionContext<T>();

  constructor(
    states: ReadonlyArray<State<T>>,
    windowTime: number,
    /** Report pruned partial matches as timed out (else they are dropped silently). */
    private readonly handleTimeout: boolean,
  ) {
    this.states = states;
    this.windowTime = windowTime;
    this.windowed = windowTime > 0 || states.some((s) => s.windowGap > 0);
  }

  /** Compiles `pattern` (throws MalformedPatternException for patterns that cannot run). */
  static compile<T>(pattern: Pattern<T, string>, handleTimeout = false): NFA<T> {
    const c = compile(pattern);
    return new NFA(c.states, c.windowTime, handleTimeout);
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
    const start: Array<ComputationState<T>> = [];
    for (const s of this.states) if (s.isStart()) start.push(ComputationState.createStartState(s, DeweyNumber.of(1)));
    return new NFAState(start);
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
    /** Receives each match's time: where a pending match's window closed, else `timestamp`. */
    matchTimestamps?: number[],
  ): { matches: Array<PatternMatch<T>>; timedOut: Array<TimedOutMatch<T>> } {
    const matches: Array<PatternMatch<T>> = [];
    const timedOut: Array<TimedOutMatch<T>> = [];
    if (!this.windowed) return { matches, timedOut };
    const buffer = nfaState.sharedBuffer;
    let kept: Array<ComputationState<T>> | null = null;
    const potential: Array<ComputationState<T>> = [];
    const pms = nfaState.partialMatches;
    for (let i = 0; i < pms.length; i++) {
      const cs = pms[i]!;
      const deadline = this.timeoutOf(cs);
      if (timestamp < deadline || cs.state.isStart()) {
        kept?.push(cs);
        continue;
      }
      if (kept === null) kept = pms.slice(0, i);
      if (cs.state.isPending()) {
        potential.push(cs); // released after the skip strategy had its say
        continue;
      }
      if (this.handleTimeout) {
        timedOut.push({ match: materialize(extractCurrentMatches(buffer, cs)), timestamp: deadline });
      }
      buffer.releaseNode(cs.previousEntry!, cs.version);
    }
    if (kept !== null) nfaState.partialMatches = kept;
    if (potential.length > 0 || nfaState.completedMatches.length > 0) {
      potential.sort(compareComputationStates);
      this.processMatchesAccordingToSkipStrategy(nfaState, skip, potential, matches, matchTimestamps, timestamp);
    }
    return { matches, timedOut };
  }

  /** The earliest time a partial match of this state times out (Infinity when none can). */
  nextTimeout(nfaState: NFAState<T>): number {
    let next = Number.POSITIVE_INFINITY;
    if (!this.windowed) return next;
    for (const cs of nfaState.partialMatches) {
      const t = this.timeoutOf(cs);
      if (t < next) next = t;
    }
    return next;
  }

  /** Drops the partial matches that started first until `keep` remain; returns how many were dropped. */
  dropOldestPartialMatches(nfaState: NFAState<T>, keep: number): number {
    let excess = nfaState.numPartialMatches() - keep;
    if (excess <= 0) return 0;
    const dropped = excess;
    const kept: Array<ComputationState<T>> = [];
    for (const cs of nfaState.partialMatches) {
      if (excess > 0 && !cs.state.isStart()) {
        nfaState.sharedBuffer.releaseNode(cs.previousEntry!, cs.version);
        excess--;
      } else {
        kept.push(cs);
      }
    }
    nfaState.partialMatches = kept;
    return dropped;
  }

  // ---- events ------------------------------------------------------------------------------------

  /** Feeds one event; returns the matches it completed (in order of their first event). */
  process(nfaState: NFAState<T>, event: T, timestamp: number, skip: AfterMatchSkipStrategy = NO_SKIP): Array<PatternMatch<T>> {
    const buffer = nfaState.sharedBuffer;
    const ev = buffer.registerEvent(event, timestamp);
    try {
      return this.doProcess(nfaState, ev, skip);
    } finally {
      buffer.releaseEvent(ev);
    }
  }

  private doProcess(nfaState: NFAState<T>, event: BufferEvent<T>, skip: AfterMatchSkipStrategy): Array<PatternMatch<T>> {
    const buffer = nfaState.sharedBuffer;
    const newPartialMatches: Array<ComputationState<T>> = [];
    const potentialMatches: Array<ComputationState<T>> = [];
    nfaState.newStartPartialMatch = false;
    for (const cs of nfaState.partialMatches) {
      const next = this.computeNextStates(nfaState, cs, event);
      // Keep the new states only if no branch of this partial match reached a stop state.
      let discard = false;
      const retain: Array<ComputationState<T>> = [];
      for (const n of next) {
        if (n.state.isFinal()) potentialMatches.push(n);
        else if (n.state.isStop()) {
          discard = true;
          buffer.releaseNode(n.previousEntry!, n.version);
        } else retain.push(n);
      }
      if (discard) {
        for (const n of retain) if (n.previousEntry !== null) buffer.releaseNode(n.previousEntry, n.version);
      } else {
        for (const n of retain) newPartialMatches.push(n);
      }
    }
    newPartialMatches.sort(compareComputationStates);
    potentialMatches.sort(compareComputationStates);
    nfaState.partialMatches = newPartialMatches;
    const result: Array<PatternMatch<T>> = [];
    if (skip.isSkipStrategy()) {
      this.processMatchesAccordingToSkipStrategy(nfaState, skip, potentialMatches, result);
    } else {
      for (const m of potentialMatches) {
        result.push(materialize(buffer.extractPatterns(m.previousEntry!, m.version)[0]!));
        buffer.releaseNode(m.previousEntry!, m.version);
      }
    }
    return result;
  }

  /**
   * Emits completed matches in order of their first event, each only once no partial match that
   * started earlier is still open, and prunes other partial/completed matches per the skip strategy.
   */
  private processMatchesAccordingToSkipStrategy(
    nfaState: NFAState<T>,
    skip: AfterMatchSkipStrategy,
    potential: Array<ComputationState<T>>,
    result: Array<PatternMatch<T>>,
    timestamps?: number[],
    now = 0,
  ): void {
    const buffer = nfaState.sharedBuffer;
    const completed = nfaState.completedMatches;
    if (potential.length > 0) {
      for (const p of potential) completed.push(p);
      completed.sort(compareComputationStates);
    }
    let partial = nfaState.partialMatches;
    while (completed.length > 0) {
      const earliest = completed[0]!;
      const earliestPartial = partial.length > 0 ? partial[0]! : undefined;
      if (earliestPartial !== undefined && compareComputationStates(earliest, earliestPartial) > 0) break;
      completed.shift();
      const paths = buffer.extractPatterns(earliest.previousEntry!, earliest.version);
      const pruningId = pruningEvent(skip, paths);
      if (pruningId !== null) {
        partial = this.prune(partial, skip, pruningId, buffer);
        const remaining = this.prune(completed, skip, pruningId, buffer);
        completed.length = 0;
        for (const c of remaining) completed.push(c);
      }
      result.push(materialize(paths[0]!));
      timestamps?.push(earliest.state.isPending() ? this.timeoutOf(earliest) : now);
      buffer.releaseNode(earliest.previousEntry!, earliest.version);
    }
    nfaState.partialMatches = partial;
  }

  private prune(
    states: Array<ComputationState<T>>,
    skip: AfterMatchSkipStrategy,
    pruningId: { id: number; timestamp: number },
    buffer: SharedBuffer<T>,
  ): Array<ComputationState<T>> {
    const kept: Array<ComputationState<T>> = [];
    for (const cs of states) {
      if (cs.startEventId !== NO_EVENT && shouldPrune(skip, { id: cs.startEventId, timestamp: cs.startEventTimestamp }, pruningId)) {
        buffer.releaseNode(cs.previousEntry!, cs.version);
      } else {
        kept.push(cs);
      }
    }
    return kept;
  }

  /** Flink's computeNextStates: the partial matches `cs` becomes with `event`. */
  private computeNextStates(nfaState: NFAState<T>, cs: ComputationState<T>, event: BufferEvent<T>): Array<ComputationState<T>> {
    const buffer = nfaState.sharedBuffer;
    const ctx = this.ctx.reset(buffer, cs, event.timestamp);
    const outgoing = this.createDecisionGraph(ctx, cs.state, event.value);
    // Versions are assigned once all edges are known, so each branch gets its own.
    const edges = outgoing.edges;
    let takeBranchesToVisit = Math.max(0, outgoing.totalTakeBranches - 1);
    let ignoreBranchesToVisit = outgoing.totalIgnoreBranches;
    const totalTakeToSkip = Math.max(0, outgoing.totalTakeBranches - 1);
    const isStart = cs.state.isStart();
    const result: Array<ComputationState<T>> = [];
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!;
      if (edge.action === 'IGNORE') {
        if (isStart) continue; // the start state stays anyway (below)
        let version: DeweyNumber;
        if (edge.target.name === cs.state.name) {
          version = cs.version.increase(increasingSelfState(outgoing.totalIgnoreBranches, outgoing.totalTakeBranches));
        } else {
          version = cs.version.increase(totalTakeToSkip + ignoreBranchesToVisit).addStage();
          ignoreBranchesToVisit--;
        }
        this.addComputationState(buffer, result, edge.target, cs.previousEntry, version, cs.startTimestamp, cs.previousTimestamp, cs.startEventTimestamp, cs.startEventId);
      } else if (edge.action === 'TAKE') {
        const currentVersion = cs.version.increase(takeBranchesToVisit);
        const nextVersion = currentVersion.addStage();
        takeBranchesToVisit--;
        const newEntry = buffer.put(originalStageName(edge.source), event, cs.previousEntry, currentVersion);
        let startTs = cs.startTimestamp;
        let startEvTs = cs.startEventTimestamp;
        let startEvId = cs.startEventId;
        if (isStart) {
          startTs = event.timestamp;
          startEvTs = event.timestamp;
          startEvId = event.id;
          nfaState.newStartPartialMatch = true;
        }
        this.addComputationState(buffer, result, edge.target, newEntry, nextVersion, startTs, event.timestamp, startEvTs, startEvId);
        // A state with a PROCEED path to the final state completes a match right away.
        const finalState = this.findFinalStateAfterProceed(ctx, edge.target, event.value);
        if (finalState !== null) {
          this.addComputationState(buffer, result, finalState, newEntry, nextVersion, startTs, event.timestamp, startEvTs, startEvId);
        }
      }
    }
    if (isStart) {
      const total = increasingSelfState(outgoing.totalIgnoreBranches, outgoing.totalTakeBranches);
      result.push(ComputationState.createStartState(cs.state, cs.version.increase(total)));
    }
    if (cs.previousEntry !== null) buffer.releaseNode(cs.previousEntry, cs.version);
    return result;
  }

  private addComputationState(
    buffer: SharedBuffer<T>,
    out: Array<ComputationState<T>>,
    state: State<T>,
    previousEntry: SharedBufferNode<T> | null,
    version: DeweyNumber,
    startTimestamp: number,
    previousTimestamp: number,
    startEventTimestamp: number,
    startEventId: number,
  ): void {
    out.push(new ComputationState(state, previousEntry, version, startTimestamp, previousTimestamp, startEventTimestamp, startEventId));
    if (previousEntry !== null) buffer.lockNode(previousEntry, version);
  }

  private createDecisionGraph(ctx: NFAConditionContext<T>, state: State<T>, event: T): OutgoingEdges<T> {
    const outgoing = new OutgoingEdges<T>(state);
    const stack: Array<State<T>> = [state];
    while (stack.length > 0) {
      const s = stack.pop()!;
      for (const t of s.transitions) {
        if (!check(t.condition, event, ctx)) continue;
        if (t.action === 'PROCEED') stack.push(t.target); // an epsilon edge: the event applies to the target
        else outgoing.add(t);
      }
    }
    return outgoing;
  }

  private findFinalStateAfterProceed(ctx: NFAConditionContext<T>, state: State<T>, event: T): State<T> | null {
    const stack: Array<State<T>> = [state];
    while (stack.length > 0) {
      const s = stack.pop()!;
      for (const t of s.transitions) {
        if (t.action !== 'PROCEED' || !check(t.condition, event, ctx)) continue;
        if (t.target.isFinal()) return t.target;
        stack.push(t.target);
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

const stageNames = new WeakMap<State<unknown>, string>();
/** The stage a state belongs to (internal names are `stage` or `stage:n`), cached per state. */
function originalStageName<T>(s: State<T>): string {
  let n = stageNames.get(s as State<unknown>);
  if (n === undefined) {
    const i = s.name.indexOf(':');
    n = i < 0 ? s.name : s.name.slice(0, i);
    stageNames.set(s as State<unknown>, n);
  }
  return n;
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

function shouldPrune(skip: AfterMatchSkipStrategy, start: EventRef, pruning: EventRef): boolean {
  const c = compareEvents(start, pruning);
  // skipToFirst/skipToLast keep a partial match that starts at the skip target itself.
  return skip.kind === 'SKIP_TO_FIRST' || skip.kind === 'SKIP_TO_LAST' ? c < 0 : c <= 0;
}

function describePath<T>(p: EventPath<T>): string {
  return `{${[...p].map(([k, evs]) => `${k}=[${evs.map((e) => String(e.value)).join(', ')}]`).join(', ')}}`;
}
