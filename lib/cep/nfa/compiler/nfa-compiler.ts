/**
 * Compiles a Pattern into NFA states (Flink's NFACompiler), walking the stages from the last to the
 * first so each state knows its sink. The state graph is Flink's, edge for edge: the same TAKE /
 * IGNORE / PROCEED edges, stop states for negations, pending states for a trailing notFollowedBy, the
 * same copies for optional stages after negations and for greedy loops with until conditions, and
 * the same unique state names (`name`, `name:0`, ...), so Dewey versions and matches agree with
 * Flink's for the same input.
 */
import { evaluate, type ConditionContext, type ConditionNode } from '../../conditions.ts';
import { compileExpression } from '../../spec/expression.ts';
import { MalformedPatternException, type Pattern, type Stage } from '../../pattern.ts';
import { State, TRUE_CONDITION, type EdgeCondition, type StateType } from '../state.ts';

export const ENDING_STATE_NAME = '$endState$';
/** Internal name of the states of a group pattern stage (Flink's GroupPattern name). */
const GROUP_PATTERN_NAME = 'GroupPattern';

/** What the NFA needs from compilation. */
export interface CompiledNFA<T> {
  readonly states: ReadonlyArray<State<T>>;
  /** The within() FIRST_AND_LAST window in ms, 0 when none (per-stage PREVIOUS_AND_CURRENT windows are on the states). */
  readonly windowTime: number;
}

/** A stage inside a (possibly nested) stage list: Flink's Pattern with getPrevious(). */
interface Cursor<T> {
  readonly stages: ReadonlyArray<Stage<T>>;
  readonly index: number;
}

const stageOf = <T>(c: Cursor<T>): Stage<T> => c.stages[c.index]!;
const previousOf = <T>(c: Cursor<T>): Cursor<T> | null => (c.index > 0 ? { stages: c.stages, index: c.index - 1 } : null);
const nameOf = <T>(c: Cursor<T>): string => (stageOf(c).group ? GROUP_PATTERN_NAME : stageOf(c).name);

const FALSE_CONDITION: EdgeCondition<any> = () => false; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Conditions made by `not`, and what they negate. */
const negations = new WeakMap<EdgeCondition<any>, EdgeCondition<any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any

/** The condition `c` is the negation of (as the compiler made it), if any. */
export function negationOf<T>(c: EdgeCondition<T>): EdgeCondition<T> | undefined {
  return negations.get(c) as EdgeCondition<T> | undefined;
}

function not<T>(c: EdgeCondition<T>): EdgeCondition<T> {
  if (c === TRUE_CONDITION) return FALSE_CONDITION;
  if (c === FALSE_CONDITION) return TRUE_CONDITION;
  const n: EdgeCondition<T> = (e, ctx) => !c(e, ctx);
  negations.set(n, c);
  return n;
}
function and<T>(a: EdgeCondition<T>, b: EdgeCondition<T>): EdgeCondition<T> {
  if (a === TRUE_CONDITION) return b;
  if (b === TRUE_CONDITION) return a;
  return (e, ctx) => a(e, ctx) && b(e, ctx);
}

function compileCondition<T>(node: ConditionNode<T>): EdgeCondition<T> {
  if (node.kind === 'true') return TRUE_CONDITION;
  if (node.kind === 'test') return node.test;
  return (e: T, ctx: ConditionContext<T>) => evaluate(node, e, ctx);
}

export function compile<T>(pattern: Pattern<T, string>): CompiledNFA<T> {
  return new NFAFactoryCompiler(pattern).compile();
}

class NFAFactoryCompiler<T> {
  private readonly states: Array<State<T>> = [];
  /**
   * Flink's NFAStateNameHandler: every name given (a snapshot names a partial match's state, restore
   * finds it by that name), and per base name the first `:n` suffix not tried yet (its search from 0
   * finds the same name: names are only ever added). A copy is named after the state it copies, so
   * `base:n` can be taken already.
   */
  private readonly usedNames = new Set<string>();
  private readonly nameCounters = new Map<string, number>();
  private readonly stopStates = new Map<string, State<T>>();
  private readonly originalStateMap = new Map<string, State<T>>();
  private readonly firstOfLoop = new Map<Stage<T>, boolean>();
  private readonly takeConditions = new Map<Stage<T>, EdgeCondition<T>>();
  private readonly windowTime: number;
  private current: Cursor<T>;
  private following: Cursor<T> | null = null;
  private currentGroup: Cursor<T> | null = null;

  constructor(private readonly pattern: Pattern<T, string>) {
    const stages = pattern.getStages();
    if (stages.length === 0) throw new MalformedPatternException('A pattern needs at least one stage');
    this.current = { stages, index: stages.length - 1 };
    this.windowTime = smallestWindow(pattern);
  }

  compile(): CompiledNFA<T> {
    const last = stageOf(this.current);
    this.checkSkipStrategy();
    this.checkStages(this.pattern.getStages(), this.pattern.allNames(), false);
    if (last.quantifier.consuming === 'NOT_FOLLOW' && this.windowTime <= 0 && last.window === undefined) {
      throw new MalformedPatternException(
        `NotFollowedBy is not supported without windowTime as a last part of a Pattern! Add within(...) so '${last.name}' can be decided when the window closes.`,
      );
    }
    let sink = this.createState(ENDING_STATE_NAME, 'Final');
    sink = this.createMiddleStates(sink);
    const begin = this.convertPattern(sink);
    begin.makeStart();
    return { states: this.states, windowTime: this.windowTime };
  }

  /**
   * Checks every stage, in groups too: expression conditions may name stages (`sum(small.amount)`), and
   * a misspelt one is an error here, not a silent 0; a group cannot end with notFollowedBy (its
   * negation would bind to nothing); a PREVIOUS_AND_CURRENT window may not exceed the FIRST_AND_LAST one.
   */
  private checkStages(stages: ReadonlyArray<Stage<T>>, names: readonly string[], inGroup: boolean): void {
    const last = stages[stages.length - 1];
    if (inGroup && last?.quantifier.consuming === 'NOT_FOLLOW') {
      throw new MalformedPatternException(`A group pattern cannot end with notFollowedBy ('${last.name}'); put the negation after the group`);
    }
    const check = (node: ConditionNode<T> | undefined, stage: string): void => {
      if (node === undefined || node.kind === 'true') return;
      if (node.kind === 'test') {
        if (node.expression === undefined) return;
        try {
          compileExpression(node.expression, names);
        } catch (e) {
          throw new MalformedPatternException(`Stage '${stage}': ${(e as Error).message}`, { cause: e });
        }
        return;
      }
      check(node.left, stage);
      check(node.right, stage);
    };
    for (const s of stages) {
      check(s.condition, s.name);
      check(s.until, s.name);
      if (s.window !== undefined && this.windowTime > 0 && s.window > this.windowTime) {
        throw new MalformedPatternException(
          `The window length between the previous and current event (${s.window} ms at '${s.name}') cannot be larger than the window length between the first and last event (${this.windowTime} ms) for a Pattern.`,
        );
      }
      if (s.group) this.checkStages(s.group.getStages(), names, true);
    }
  }

  private checkSkipStrategy(): void {
    const name = this.pattern.getAfterMatchSkipStrategy().patternName;
    if (name !== undefined && !this.pattern.allNames().includes(name)) {
      throw new MalformedPatternException(`The pattern name specified in AfterMatchSkipStrategy can not be found in the given Pattern: '${name}'`);
    }
  }

  // ---- states ------------------------------------------------------------------------------------

  private createState(baseName: string, type: StateType): State<T> {
    const used = this.usedNames;
    let candidate = baseName;
    if (used.has(candidate)) {
      let n = this.nameCounters.get(baseName) ?? 0;
      do candidate = `${baseName}:${n++}`;
      while (used.has(candidate));
      this.nameCounters.set(baseName, n);
    }
    used.add(candidate);
    const state = new State<T>(candidate, type);
    this.states.push(state);
    return state;
  }

  /** A state of the current stage; `isNew` records it as the original of its name (for greedy copies). */
  private createStageState(type: StateType, isNew: boolean): State<T> {
    const state = this.createState(nameOf(this.current), type);
    if (isNew) this.originalStateMap.set(state.name, state);
    state.windowGap = stageOf(this.current).window ?? 0;
    return state;
  }

  private createStopState(notCondition: EdgeCondition<T>, name: string): State<T> {
    // All states that a negation can stop share one stop state.
    let stop = this.stopStates.get(name);
    if (stop === undefined) {
      stop = this.createState(name, 'Stop');
      stop.addTake(notCondition);
      this.stopStates.set(name, stop);
    }
    return stop;
  }

  private copy(state: State<T>): State<T> {
    const c = this.createState(state.stage, state.type);
    for (const t of state.transitions) c.addStateTransition(t.action, t.target === t.source ? c : t.target, t.condition);
    return c;
  }

  // ---- stages ------------------------------------------------------------------------------------

  private createMiddleStates(sink: State<T>): State<T> {
    let lastSink = sink;
    for (let prev = previousOf(this.current); prev !== null; prev = previousOf(this.current)) {
      const stage = stageOf(this.current);
      const consuming = stage.quantifier.consuming;
      if (consuming === 'NOT_FOLLOW') {
        // A notFollowedBy between two stages becomes stop edges of the states around it; only a
        // trailing one (with a window) needs a state: pending until the window closes.
        if ((this.windowTime > 0 || stage.window !== undefined) && lastSink.isFinal()) {
          const pending = this.createStageState('Pending', true);
          const notCondition = this.takeCondition(this.current);
          pending.addProceed(this.createStopState(notCondition, stage.name), notCondition);
          pending.addIgnore(not(notCondition));
          lastSink = pending;
        }
      } else if (consuming === 'NOT_NEXT') {
        const notNext = this.createStageState('Normal', true);
        const notCondition = this.takeCondition(this.current);
        const stop = this.createStopState(notCondition, stage.name);
        // Before the end, ignore (instead of proceed) so the final state is not reached with this event.
        if (lastSink.isFinal()) notNext.addIgnore(lastSink, not(notCondition));
        else notNext.addProceed(lastSink, not(notCondition));
        notNext.addProceed(stop, notCondition);
        lastSink = notNext;
      } else {
        lastSink = this.convertPattern(lastSink);
      }
      this.following = this.current;
      this.current = prev;
    }
    return lastSink;
  }

  private convertPattern(sink: State<T>): State<T> {
    const stage = stageOf(this.current);
    const q = stage.quantifier;
    let lastSink: State<T>;
    if (q.kind === 'looping') {
      // Once the loop has taken an event, negations before an optional loop no longer apply.
      this.setFirstOfLoop(false);
      const looping = this.createLooping(this.copyWithoutTransitiveNots(sink));
      this.setFirstOfLoop(true);
      lastSink = this.createTimesState(looping, sink, q.times!.from, q.times!.from);
    } else if (q.kind === 'times') {
      lastSink = this.createTimesState(sink, sink, q.times!.from, q.times!.to);
    } else {
      lastSink = this.createSingletonState(sink, sink, this.takeCondition(this.current), this.ignoreCondition(this.current), q.optional);
    }
    this.addStopStates(lastSink);
    return lastSink;
  }

  private createTimesState(sink: State<T>, proceed: State<T>, from: number, to: number): State<T> {
    let lastSink = sink;
    this.setFirstOfLoop(false);
    const stage = stageOf(this.current);
    const until = stage.until ? compileCondition(stage.until) : null;
    const innerIgnore = extendWithUntil(this.innerIgnoreCondition(this.current), until, false);
    const take = extendWithUntil(this.takeCondition(this.current), until, true)!;
    if (stage.quantifier.greedy && from !== to) {
      if (until !== null) this.originalStateMap.set(sink.name, this.copy(sink));
      updateWithGreedyCondition(sink, take);
    }
    for (let i = from; i < to; i++) {
      lastSink = this.createSingletonState(lastSink, proceed, take, innerIgnore, true);
      this.addStopStateToLooping(lastSink);
    }
    for (let i = 0; i < from - 1; i++) {
      lastSink = this.createSingletonState(lastSink, null, take, innerIgnore, false);
      this.addStopStateToLooping(lastSink);
    }
    // The intermediate states exist; now the first state of the stage.
    this.setFirstOfLoop(true);
    return this.createSingletonState(lastSink, proceed, take, this.ignoreCondition(this.current), stage.quantifier.optional);
  }

  private createSingletonState(
    sink: State<T>,
    proceed: State<T> | null,
    take: EdgeCondition<T>,
    ignore: EdgeCondition<T> | null,
    isOptional: boolean,
  ): State<T> {
    const stage = stageOf(this.current);
    if (stage.group) return this.createGroupPatternState(sink, proceed!, isOptional);
    const singleton = this.createStageState('Normal', true);
    // Once an event is taken, negations before this optional stage no longer apply.
    const takeSink = this.copyWithoutTransitiveNots(sink);
    singleton.addTake(takeSink, take);
    if (isOptional) {
      if (stage.quantifier.greedy) {
        const until = stage.until ? compileCondition(stage.until) : null;
        if (until !== null) singleton.addProceed(this.originalStateMap.get(proceed!.name) ?? proceed!, until);
        singleton.addProceed(proceed!, until !== null ? not(until) : TRUE_CONDITION);
      } else {
        singleton.addProceed(proceed!, TRUE_CONDITION);
      }
    }
    if (ignore !== null) {
      let ignoreState: State<T>;
      // Ignoring at an optional state (or at the head of an optional group) must not come back to a
      // state that can still skip the stage: a separate state that can only take or ignore.
      if (isOptional || this.isHeadOfOptionalGroup(this.current)) {
        ignoreState = this.createStageState('Normal', false);
        ignoreState.addTake(takeSink, take);
        ignoreState.addIgnore(ignore);
        this.addStopStates(ignoreState);
      } else {
        ignoreState = singleton;
      }
      singleton.addIgnore(ignoreState, ignore);
    }
    return singleton;
  }

  private createLooping(sink: State<T>): State<T> {
    const stage = stageOf(this.current);
    if (stage.group) return this.createLoopingGroupPatternState(sink);
    const until = stage.until ? compileCondition(stage.until) : null;
    const ignore = extendWithUntil(this.innerIgnoreCondition(this.current), until, false);
    const take = extendWithUntil(this.takeCondition(this.current), until, true)!;
    const looping = this.createStageState('Normal', true);
    if (stage.quantifier.greedy) {
      if (until !== null) {
        const sinkCopy = this.copy(sink);
        looping.addProceed(sinkCopy, until);
        this.originalStateMap.set(sink.name, sinkCopy);
      }
      looping.addProceed(sink, until !== null ? not(until) : TRUE_CONDITION);
      updateWithGreedyCondition(sink, this.takeCondition(this.current));
    } else {
      looping.addProceed(sink, TRUE_CONDITION);
    }
    looping.addTake(take);
    this.addStopStateToLooping(looping);
    if (ignore !== null) {
      const ignoreState = this.createStageState('Normal', false);
      ignoreState.addTake(looping, take);
      ignoreState.addIgnore(ignore);
      looping.addIgnore(ignoreState, ignore);
      this.addStopStateToLooping(ignoreState);
    }
    return looping;
  }

  private createGroupPatternState(sink: State<T>, proceed: State<T>, isOptional: boolean): State<T> {
    return this.insideGroup(() => {
      let lastSink = this.createMiddleStates(sink);
      lastSink = this.convertPattern(lastSink);
      if (isOptional) lastSink.addProceed(proceed, TRUE_CONDITION);
      return lastSink;
    });
  }

  private createLoopingGroupPatternState(sink: State<T>): State<T> {
    const dummy = this.createStageState('Normal', true);
    return this.insideGroup(() => {
      let lastSink = this.createMiddleStates(dummy);
      lastSink = this.convertPattern(lastSink);
      lastSink.addProceed(sink, TRUE_CONDITION);
      dummy.addProceed(lastSink, TRUE_CONDITION);
      return lastSink;
    });
  }

  /** Compiles the current (group) stage's inner stages, then restores the cursor. */
  private insideGroup(build: () => State<T>): State<T> {
    const outerCurrent = this.current;
    const outerFollowing = this.following;
    const outerGroup = this.currentGroup;
    const inner = stageOf(this.current).group!.getStages();
    this.currentGroup = this.current;
    this.current = { stages: inner, index: inner.length - 1 };
    try {
      return build();
    } finally {
      this.current = outerCurrent;
      this.following = outerFollowing;
      this.currentGroup = outerGroup;
    }
  }

  // ---- negations -----------------------------------------------------------------------------------

  /** notFollowedBy stages right before the current one (across optional stages): their stop edges. */
  private currentNotConditions(): Array<[EdgeCondition<T>, string]> {
    const out: Array<[EdgeCondition<T>, string]> = [];
    let p: Cursor<T> = this.current;
    for (let prev = previousOf(p); prev !== null; prev = previousOf(p)) {
      const q = stageOf(prev).quantifier;
      if (!q.optional && q.consuming !== 'NOT_FOLLOW') break;
      p = prev;
      if (q.consuming === 'NOT_FOLLOW') out.push([this.takeCondition(p), stageOf(p).name]);
    }
    return out;
  }

  private addStopStates(state: State<T>): void {
    for (const [cond, name] of this.currentNotConditions()) state.addProceed(this.createStopState(cond, name), cond);
  }

  private addStopStateToLooping(state: State<T>): void {
    const f = this.following;
    if (f !== null && stageOf(f).quantifier.consuming === 'NOT_FOLLOW') {
      const cond = this.takeCondition(f);
      state.addProceed(this.createStopState(cond, stageOf(f).name), cond);
    }
  }

  /** For an optional stage after notFollowedBy: the sink without the stop edges of those negations. */
  private copyWithoutTransitiveNots(sink: State<T>): State<T> {
    const nots = this.currentNotConditions();
    if (nots.length === 0 || !stageOf(this.current).quantifier.optional) return sink;
    const copy = this.createState(sink.name, sink.type);
    for (const t of sink.transitions) {
      if (t.action === 'PROCEED') {
        let target = t.target;
        if (target.isStop()) {
          if (nots.some(([, name]) => target.name === name)) continue;
        } else {
          target = this.copyWithoutTransitiveNots(target);
        }
        copy.addStateTransition(t.action, target, t.condition);
      } else {
        copy.addStateTransition(t.action, t.target === t.source ? copy : t.target, t.condition);
      }
    }
    return copy;
  }

  // ---- conditions ----------------------------------------------------------------------------------

  private takeCondition(c: Cursor<T>): EdgeCondition<T> {
    const stage = stageOf(c);
    let cond = this.takeConditions.get(stage);
    if (cond === undefined) {
      cond = compileCondition(stage.condition);
      this.takeConditions.set(stage, cond);
    }
    return cond;
  }

  private headOfGroup(c: Cursor<T>): boolean {
    return this.currentGroup !== null && c.index === 0;
  }

  private isHeadOfOptionalGroup(c: Cursor<T>): boolean {
    return this.headOfGroup(c) && this.isGroupFirstOfLoop() && stageOf(this.currentGroup!).quantifier.optional;
  }

  private setFirstOfLoop(first: boolean): void {
    const stage = stageOf(this.current);
    if (stage.group) this.firstOfLoop.set(stage, first);
  }

  private isGroupFirstOfLoop(): boolean {
    return this.firstOfLoop.get(stageOf(this.currentGroup!)) ?? true;
  }

  /** Outer contiguity: what may be skipped before the stage's first event. */
  private ignoreCondition(c: Cursor<T>): EdgeCondition<T> | null {
    let consuming: string = stageOf(c).quantifier.consuming;
    if (this.headOfGroup(c)) {
      const gq = stageOf(this.currentGroup!).quantifier;
      consuming = this.isGroupFirstOfLoop() ? gq.consuming : gq.innerConsuming;
    }
    return this.withGroupUntil(this.ignoreFor(consuming, c));
  }

  /** Inner contiguity: what may be skipped between the events of a looping/times stage. */
  private innerIgnoreCondition(c: Cursor<T>): EdgeCondition<T> | null {
    let consuming: string = stageOf(c).quantifier.innerConsuming;
    if (this.headOfGroup(c)) consuming = stageOf(this.currentGroup!).quantifier.innerConsuming;
    return this.withGroupUntil(this.ignoreFor(consuming, c));
  }

  private ignoreFor(consuming: string, c: Cursor<T>): EdgeCondition<T> | null {
    switch (consuming) {
      case 'SKIP_TILL_NEXT':
        return not(this.takeCondition(c));
      case 'SKIP_TILL_ANY':
        return TRUE_CONDITION;
      default:
        return null; // STRICT
    }
  }

  private withGroupUntil(cond: EdgeCondition<T> | null): EdgeCondition<T> | null {
    const group = this.currentGroup === null ? undefined : stageOf(this.currentGroup);
    if (group?.until === undefined) return cond;
    return extendWithUntil(cond, compileCondition(group.until), false);
  }
}

function extendWithUntil<T>(cond: EdgeCondition<T> | null, until: EdgeCondition<T> | null, isTake: boolean): EdgeCondition<T> | null {
  if (until !== null && cond !== null) return and(not(until), cond);
  if (until !== null && isTake) return not(until);
  return cond;
}

/** A greedy loop: edges leaving its sink only fire for events the loop cannot take. */
function updateWithGreedyCondition<T>(state: State<T>, take: EdgeCondition<T>): void {
  for (const t of state.transitions) t.condition = and(t.condition, not(take));
}

/** The FIRST_AND_LAST window: the smallest of the pattern's and its groups' within() (0: none), as Flink. */
function smallestWindow<T>(pattern: Pattern<T, string>): number {
  let w = pattern.getWindowTime() ?? Number.POSITIVE_INFINITY;
  for (const s of pattern.getStages()) {
    if (s.group) {
      const g = smallestWindow(s.group);
      if (g > 0 && g < w) w = g;
    }
  }
  return w === Number.POSITIVE_INFINITY ? 0 : w;
}
