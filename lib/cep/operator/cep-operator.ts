/**
 * Runs patterns over a keyed stream (Flink's CepOperator). In event time, records wait in keyed
 * state until the watermark passes them and are then fed to the NFA in timestamp order (ties in
 * arrival order, or by the comparator); records at or behind the watermark are late (side output or
 * dropped and counted).
 *
 * All state is in the state layer, as in Flink: per key, the records waiting for the watermark are
 * one value of 'eventQueuesStateName' (Flink's elementQueueState; plain data), and each pattern's NFA
 * state (partial matches and shared buffer) is a value of 'nfaStateName' in the pattern's namespace
 * (its rule id; CEP.pattern's one pattern has a fixed id), so removing a pattern drops its namespace.
 * A key with no partial matches and nothing buffered holds no state. One timer per key ('watermark-
 * callbacks', void namespace), at the earliest of its buffered records and partial-match deadlines,
 * drives the NFAs (Flink registers one per distinct timestamp; the firings are the same); the key's
 * queue value remembers it. In snapshots an NFA state is plain data (nfa-state-snapshot.ts).
 *
 * The operator runs a set of patterns: one fixed pattern (CEP.pattern), or rules that arrive on a
 * broadcast input and are added, replaced and removed at runtime (CEP.dynamicPatterns). Records of
 * the dynamic form are tagged `{ i: 1, v: event }` / `{ i: 2, v: rule }`.
 */
import { AbstractUdfStreamOperator, timeText } from '../../operators/abstract-stream-operator.ts';
import type { InternalTimer, InternalTimerService, TimeDomain, Triggerable } from '../../state/timers/internal-timer-service.ts';
import { ListStateDescriptor, ValueStateDescriptor } from '../../core/state/state-descriptor.ts';
import type { OperatorSnapshot, StreamTaskStateInitializer } from '../../state/stream-task-state-initializer.ts';
import type { InternalKvState } from '../../state/heap-keyed-state-backend.ts';
import { VOID_NAMESPACE, namespaceId, type VoidNamespace } from '../../state/namespace.ts';
import type { ValueState } from '../../core/state/state.ts';
import { NO_TIMESTAMP } from '../../runtime/elements.ts';
import { toCallable } from '../../core/functions/function-utils.ts';
import type { Collector } from '../../core/functions/collector.ts';
import { AsyncFunctionResultError, isThenable } from '../../core/errors.ts';
import type { OutputTag } from '../../core/output-tag.ts';
import { Pattern } from '../pattern.ts';
import { NFA, NFAState, type AdvanceTimeResult, type MatchFactory } from '../nfa/nfa.ts';
import { restoreNFAStateFor, snapshotNFAState, type NFAStateSnapshot } from '../nfa/nfa-state-snapshot.ts';
import { isTimedOutHandler, type EventComparator, type PatternContext, type PatternProcessFn, type TimedOutPartialMatchHandler } from '../functions.ts';
import type { AfterMatchSkipStrategy } from '../aftermatch/after-match-skip-strategy.ts';
import type { PatternSpec } from '../spec/pattern-spec.ts';
import { ExpressionError } from '../spec/expression.ts';

/** What to do when a key exceeds maxPartialMatchesPerKey. */
export type PartialMatchOverflow = 'fail' | 'drop-oldest';

/** A rule of CEP.dynamicPatterns: add or replace (`upsert`) the pattern `id`, or remove it (`delete`). */
export interface PatternRule {
  readonly id: string;
  readonly action: 'upsert' | 'delete';
  /** The pattern as a JSON spec (object or JSON text); required for upsert. */
  readonly spec?: PatternSpec | string;
}

/** A rule that could not be applied, with the reason (sideOutputRejectedRules). */
export interface RejectedRule {
  readonly rule: unknown;
  readonly error: string;
}

export interface CepOperatorOptions<T> {
  /** The fixed pattern; absent for dynamic patterns. */
  readonly pattern?: Pattern<T, string>;
  readonly isProcessingTime: boolean;
  readonly comparator?: EventComparator<T>;
  readonly lateDataTag?: OutputTag<T>;
  readonly rejectedRulesTag?: OutputTag<RejectedRule>;
  readonly maxPartialMatches?: { readonly max: number; readonly overflow: PartialMatchOverflow };
  /** Dynamic patterns: rules running from the first record on (checked when the job is built). */
  readonly initialRules?: readonly PatternRule[];
}

/** One pattern the operator runs. */
interface CepRule<T> {
  /** The rule id (dynamic patterns), undefined for CEP.pattern. */
  readonly id: string | undefined;
  /** The namespace of its keyed state: the rule id, or STATIC_PATTERN for CEP.pattern. */
  readonly namespace: string;
  readonly nfa: NFA<T, UserMatch<T>>;
  readonly skip: AfterMatchSkipStrategy;
  /** Canonical JSON of the spec (dynamic patterns): an identical upsert keeps partial matches. */
  readonly specJson?: string;
  /** A dynamic rule removed while events were being fed to it: feed it nothing more. */
  removed?: boolean;
}

/**
 * Per key (void namespace): the records waiting for the watermark, in the order they will be fed,
 * (timestamp, arrival), while `sorted`; else in arrival order; and the key's timer. Plain data (a
 * snapshot holds it as it is). It exists while the key has buffered records or partial matches.
 */
interface EventQueue {
  /**
   * The buffered records, two slots each: timestamp - tsBase, then the record; the first
   * 2 * numBuffered slots are in use (the array keeps its capacity). One array for both, and
   * offsets instead of timestamps: a timestamp (epoch ms) is not a small integer and would be
   * stored boxed, an offset is stored as it is. Fewer objects to reach per record on the hot path.
   */
  readonly buffered: unknown[];
  numBuffered: number;
  /** Offsets are from this (set when the buffer was empty; 0 if offsets could not be exact). */
  tsBase: number;
  /** Timestamp of the last record in the buffer (while sorted: the latest). */
  lastTs: number;
  sorted: boolean;
  /** Earliest timer registered for this key (Infinity: none); a timer at it is pending. */
  timer: number;
}

/**
 * How far a record arriving out of order is moved back to keep a key's buffer sorted; a record that
 * would go further (heavy disorder on a busy key) is appended, and the buffer sorted when due.
 */
const MAX_INSERTION_DISTANCE = 16;

/** Counters and gauges of one CEP operator subtask. */
export interface CepMetrics {
  /** Records behind the watermark that were dropped (no late side output set), as Flink's numLateRecordsDropped. */
  numLateRecordsDropped: number;
  numMatches: number;
  numTimedOutMatches: number;
  /** Partial matches dropped by maxPartialMatchesPerKey(n, 'drop-oldest'). */
  numPartialMatchesDropped: number;
  /** Open partial matches over all keys and patterns (gauge). */
  partialMatches: number;
  /** Records buffered until the watermark, over all keys (gauge). */
  bufferedEvents: number;
  /** Patterns currently running (gauge; 1 for CEP.pattern). */
  patterns: number;
  /** Records that event time (or, in processing time, arrival) passed while no pattern was running: matched against nothing. */
  numRecordsWithoutPatterns: number;
  /** Highest partialMatches / bufferedEvents seen. */
  peakPartialMatches: number;
  peakBufferedEvents: number;
}

/** Flink's state names. */
const EVENT_QUEUE = new ValueStateDescriptor<EventQueue>('eventQueuesStateName');
/** A pattern's NFA state, in the pattern's namespace (live: NFAState; in a snapshot: NFAStateSnapshot). */
const NFA_STATE = new ValueStateDescriptor<unknown>('nfaStateName');
/** A running rule as operator state holds it: with the subtask that runs it, of how many. */
interface StoredRule {
  readonly subtask: number;
  readonly parallelism: number;
  readonly rule: PatternRule;
}
/** The running patterns of a dynamic CEP operator (union list state: each subtask restores all). */
const RULES = new ListStateDescriptor<StoredRule>('cep-patterns');
/** The namespace of CEP.pattern's one pattern (a rule id is never empty; this one is not a user's). */
const STATIC_PATTERN = '\u0000pattern';
/** Flink's name of the CEP operator's timer service. */
const TIMER_SERVICE = 'watermark-callbacks';

/** The union of every subtask's copy of the rules: one rule per id, in first-seen order. */
function dedupeRules(rules: PatternRule[]): PatternRule[] {
  const seen = new Map<string, PatternRule>();
  for (const r of rules) if (!seen.has(r.id)) seen.set(r.id, r);
  return [...seen.values()];
}
const EVENT = 1;

export class CepOperator<T, OUT> extends AbstractUdfStreamOperator<OUT, PatternProcessFn<T, string, OUT>> implements Triggerable<unknown, VoidNamespace> {
  private rules: Array<CepRule<T>> = [];
  private queueState!: ValueState<EventQueue> & InternalKvState<EventQueue>;
  /** One state object for all patterns: set its namespace before each use. */
  private nfaState!: InternalKvState<unknown>;
  private timers!: InternalTimerService<VoidNamespace>;
  private readonly processMatchFn: (match: Record<string, T[]>, ctx: PatternContext, out: Collector<OUT>) => void;
  private timedOutHandler: TimedOutPartialMatchHandler<T> | undefined;
  private readonly dynamic: boolean;
  private ts = 0;
  /** Times of the matches NFA.advanceTime reports (reused; emptied after each use). */
  private readonly matchTimestamps: number[] = [];
  private currentRule: CepRule<T> | undefined;
  /** Metrics, not state: the gauges are recomputed from the state on restore, counters start at 0. */
  readonly metrics: CepMetrics = {
    numLateRecordsDropped: 0,
    numMatches: 0,
    numTimedOutMatches: 0,
    numPartialMatchesDropped: 0,
    partialMatches: 0,
    bufferedEvents: 0,
    patterns: 0,
    numRecordsWithoutPatterns: 0,
    peakPartialMatches: 0,
    peakBufferedEvents: 0,
  };
  private readonly collector: Collector<OUT> = { collect: (v: OUT) => this.output.collect(v, this.ts) };
  private readonly context: PatternContext = {
    timestamp: () => this.ts,
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.ts),
    patternId: () => this.currentRule?.id,
  };
  /** Rules restored from a snapshot (dynamic patterns); they replace the initial rules. */
  private restoredRules: PatternRule[] | undefined;

  constructor(
    fn: PatternProcessFn<T, string, OUT>,
    private readonly options: CepOperatorOptions<T>,
  ) {
    super(fn);
    this.dynamic = options.pattern === undefined;
    const f = this.userFunction;
    this.processMatchFn = toCallable(f, 'processMatch', 'The pattern process function');
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('CEP needs a keyed stream internally; use CEP.pattern(stream, pattern)');
    super.open();
    const f = this.userFunction;
    this.timedOutHandler = isTimedOutHandler<T>(f) ? f : undefined;
    this.queueState = this.getPartitionedState<ValueState<EventQueue>>(VOID_NAMESPACE, EVENT_QUEUE) as ValueState<EventQueue> & InternalKvState<EventQueue>;
    this.nfaState = this.getPartitionedState<ValueState<unknown>>(STATIC_PATTERN, NFA_STATE);
    if (this.options.pattern !== undefined) this.rules = [this.compileRule(undefined, this.options.pattern)];
    // Before any record: initial rules are running from the first record on, whatever the timing of the rule stream.
    for (const r of this.restoredRules ?? this.options.initialRules ?? []) this.applyRule(r, NO_TIMESTAMP);
    this.restoredRules = undefined;
    this.metrics.patterns = this.rules.length;
    this.restoreNFAStates();
    this.timers = this.getInternalTimerService(TIMER_SERVICE, this);
  }

  private compileRule(id: string | undefined, pattern: Pattern<T, string>, specJson?: string): CepRule<T> {
    return {
      id,
      namespace: id ?? STATIC_PATTERN,
      nfa: NFA.compile(pattern, this.timedOutHandler !== undefined, userMatchFactory<T>(pattern.allNames())),
      skip: pattern.getAfterMatchSkipStrategy(),
      specJson,
    };
  }

  processElement(value: unknown, timestamp: number): void {
    let event: T;
    if (this.dynamic) {
      const tagged = value as { i: number; v: unknown };
      if (tagged.i !== EVENT) return this.applyRule(tagged.v, timestamp);
      event = tagged.v as T;
    } else {
      event = value as T;
    }
    if (this.options.isProcessingTime) {
      const now = this.parameters.processingTimeService.getCurrentProcessingTime();
      const q = this.eventQueue();
      if (this.options.comparator === undefined) {
        // No reordering in processing time: straight into the NFAs.
        this.advanceTime(now);
        if (this.rules.length === 0) this.metrics.numRecordsWithoutPatterns++;
        this.processEvent(event, now);
        this.afterUpdate(q, 'PROCESSING_TIME');
      } else {
        this.bufferEvent(q, event, now, 'PROCESSING_TIME');
      }
      return;
    }
    if (timestamp === NO_TIMESTAMP) {
      throw new Error(
        'CEP in event time needs record timestamps: assign them (WatermarkStrategy ... withTimestampAssigner, or fromSource/assignTimestampsAndWatermarks), or use .inProcessingTime()',
      );
    }
    if (timestamp > this.inputWatermark) {
      this.bufferEvent(this.eventQueue(), event, timestamp, 'EVENT_TIME');
    } else if (this.options.lateDataTag !== undefined) {
      this.emitSide(this.options.lateDataTag as OutputTag<unknown>, event, timestamp);
    } else if (this.metrics.numLateRecordsDropped++ === 0) {
      this.warnFirstLateRecordDropped(
        timestamp,
        `the watermark ${timeText(this.inputWatermark)} has reached it, and no late-data side output is set (sideOutputLateData)`,
      );
    }
  }

  // ---- dynamic patterns --------------------------------------------------------------------------

  /**
   * Adds, replaces or removes a pattern; a rule that cannot be applied is rejected (with the rule
   * record's timestamp), nothing else changes.
   */
  private applyRule(raw: unknown, timestamp: number): void {
    let rule: PatternRule;
    let compiled: CepRule<T> | undefined;
    try {
      rule = checkRule(raw);
      if (rule.action === 'upsert') {
        const pattern = Pattern.fromSpec<T>(rule.spec!);
        const specJson = JSON.stringify(pattern.toSpec());
        // Unchanged: keep the running rule and its partial matches (nothing to compile).
        if (this.rules.some((r) => r.id === rule.id && r.specJson === specJson)) return;
        // Compiled before touching the running rules: a pattern that cannot run is rejected.
        compiled = this.compileRule(rule.id, pattern, specJson);
      }
    } catch (e) {
      const id = (raw as { id?: unknown } | null)?.id;
      const why = e instanceof Error ? e.message : String(e);
      this.rejectRule(raw, typeof id === 'string' && !why.startsWith('rule ') ? `rule '${id}': ${why}` : why, timestamp);
      return;
    }
    const existing = this.rules.find((r) => r.id === rule.id);
    if (compiled === undefined && existing === undefined) {
      this.rejectRule(raw, `rule '${rule.id}': delete of a rule that is not running`, timestamp);
      return;
    }
    if (existing !== undefined) this.removeRule(existing);
    if (compiled !== undefined) this.rules.push(compiled);
    this.metrics.patterns = this.rules.length;
  }

  private removeRule(rule: CepRule<T>): void {
    rule.removed = true;
    this.rules = this.rules.filter((r) => r !== rule);
    this.dropRuleState(rule);
    this.metrics.patterns = this.rules.length;
  }

  /**
   * A dynamic rule whose expressions fail on an event (say `lower(card)` on a number) is removed and
   * rejected, naming the rule, at the time of the failure; the job and the other rules go on (true).
   * Other errors fail the job (false): the caller rethrows them as they are, and the chain attributes
   * them to this operator with its input record.
   */
  private ruleFailed(rule: CepRule<T>, e: unknown, timestamp: number): boolean {
    if (rule.id === undefined || !(e instanceof ExpressionError)) return false;
    this.removeRule(rule);
    this.rejectRule(asPatternRule(rule), `rule '${rule.id}' failed on an event and was removed: ${e.message}`, timestamp);
    return true;
  }

  private rejectRule(rule: unknown, error: string, timestamp: number): void {
    const tag = this.options.rejectedRulesTag;
    if (tag !== undefined) {
      this.emitSide(tag as OutputTag<unknown>, { rule, error } satisfies RejectedRule, timestamp);
    } else if (this.parameters.taskInfo.indexOfThisSubtask === 0) {
      // Every subtask sees every rule; one warning is enough.
      console.error(`${this.parameters.operatorName}: rule rejected: ${error}`);
    }
  }

  /**
   * A removed or replaced pattern's partial matches go with it, in every key: its namespace is
   * dropped. A key left with neither partial matches nor buffered records then holds no state.
   */
  private dropRuleState(rule: CepRule<T>): void {
    const backend = this.keyedBackend!;
    const nfa = this.nfaState;
    const keys: unknown[] = [];
    for (const [key, st] of nfa.entriesOf(rule.namespace)) {
      this.metrics.partialMatches -= (st as NFAState<T>).numPartialMatches();
      keys.push(key);
    }
    nfa.clearNamespace(rule.namespace);
    if (keys.length === 0) return;
    const saved = backend.getCurrentKey();
    const savedCanonical = backend.currentCanonicalKey;
    for (const key of keys) {
      backend.setCurrentKey(key);
      // Not the key being processed (a rule failing on its event): its queue is in use, and the
      // next rule may still start on that event; afterUpdate drops it if it ends up empty.
      if (backend.currentCanonicalKey === savedCanonical) continue;
      const q = this.queueState.value();
      if (q !== undefined && q.numBuffered === 0 && !this.hasNFAStates()) this.queueState.clear();
    }
    backend.setCurrentKey(saved);
  }

  /** Whether the current key has an NFA state for some running pattern. */
  private hasNFAStates(): boolean {
    const nfa = this.nfaState;
    for (const rule of this.rules) {
      nfa.setCurrentNamespace(rule.namespace);
      if (nfa.getInternal() !== undefined) return true;
    }
    return false;
  }

  // ---- snapshots ---------------------------------------------------------------------------------

  /**
   * The operator's state: the running rules into operator state (the rule stream is not replayed on
   * restore), then the state layer's snapshot, with each NFA state as plain data (the role of
   * Flink's NFAStateSerializer) and each queue copied, so the snapshot does not change with later
   * records and survives structured cloning (v8.serialize, worker messages).
   */
  override snapshotState(checkpointId: number): OperatorSnapshot {
    if (this.dynamic) {
      const { indexOfThisSubtask: subtask, numberOfParallelSubtasks: parallelism } = this.parameters.taskInfo;
      this.getOperatorStateBackend()
        .getUnionListState(RULES)
        .update(this.rules.map((r) => ({ subtask, parallelism, rule: asPatternRule(r) })));
    }
    const snapshot = super.snapshotState(checkpointId);
    for (const group of Object.values(snapshot.keyed?.keyGroups ?? {})) {
      for (const entry of group[NFA_STATE.name] ?? []) {
        if (entry[2] instanceof NFAState) entry[2] = snapshotNFAState(entry[2] as NFAState<T>);
      }
      for (const entry of group[EVENT_QUEUE.name] ?? []) entry[2] = copyQueue(entry[2] as EventQueue);
    }
    return snapshot;
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    if (!this.dynamic || !this.isRestored()) return;
    // Every subtask held the rules of the broadcast stream, less those that failed on one of its events
    // (removed on that subtask only). At the same parallelism each subtask takes its own set back, so a
    // removed rule stays removed; on a rescale, keys of several old subtasks meet, and a rule any of
    // them ran runs again. A restored empty set stays empty (the initial rules had been deleted).
    const stored = this.getOperatorStateBackend().getUnionListState(RULES).get();
    const { indexOfThisSubtask: index, numberOfParallelSubtasks: parallelism } = this.parameters.taskInfo;
    const unchanged = stored.every((s) => s.parallelism === parallelism);
    this.restoredRules = dedupeRules(stored.filter((s) => !unchanged || s.subtask === index).map((s) => s.rule));
  }

  /**
   * Restored NFA states are snapshots: rebuilt over their pattern's compiled NFA (the rules are
   * running again by now). State of a pattern that is not running is dropped with it, as a removed
   * rule's is. The gauges are recomputed from what was restored.
   */
  private restoreNFAStates(): void {
    const backend = this.keyedBackend!;
    const nfa = this.nfaState;
    const saved = backend.getCurrentKey();
    let partialMatches = 0;
    let dropped = false;
    for (const ns of nfa.namespaces()) {
      const rule = this.rules.find((r) => r.namespace === namespaceId(ns));
      if (rule === undefined) {
        nfa.clearNamespace(ns);
        dropped = true;
        continue;
      }
      for (const [key, value] of [...nfa.entriesOf(ns)]) {
        let st = value as NFAState<T>;
        if (!(value instanceof NFAState)) {
          // Compact where the compact engine holds it exactly: the job runs at its speed from the restore on.
          st = restoreNFAStateFor(value as NFAStateSnapshot<T>, rule.nfa);
          backend.setCurrentKey(key);
          nfa.setCurrentNamespace(ns);
          nfa.updateInternal(st);
        }
        partialMatches += st.numPartialMatches();
      }
    }
    // Each queue copied: the restored operator changes its queues in place, the snapshot stays as it was
    // (another operator may be restored from it too). A key left with nothing by a dropped pattern holds nothing.
    let buffered = 0;
    const queues = this.queueState;
    for (const [key, q] of [...queues.entriesOf(VOID_NAMESPACE)]) {
      backend.setCurrentKey(key);
      if (dropped && q.numBuffered === 0 && !this.hasNFAStates()) {
        queues.clear();
        continue;
      }
      buffered += q.numBuffered;
      queues.update(copyQueue(q));
    }
    backend.setCurrentKey(saved);
    const m = this.metrics;
    m.partialMatches = m.peakPartialMatches = partialMatches;
    m.bufferedEvents = m.peakBufferedEvents = buffered;
  }

  // ---- events and time ---------------------------------------------------------------------------

  private eventQueue(): EventQueue {
    let q = this.queueState.value();
    if (q === undefined) {
      q = { buffered: [], numBuffered: 0, tsBase: 0, lastTs: 0, sorted: true, timer: Number.POSITIVE_INFINITY };
      this.queueState.update(q);
    }
    return q;
  }

  private bufferEvent(q: EventQueue, event: T, timestamp: number, domain: TimeDomain): void {
    const buf = q.buffered;
    const n = q.numBuffered;
    if (n === 0) {
      q.tsBase = Number.isSafeInteger(timestamp) ? timestamp : 0;
      q.lastTs = Number.NEGATIVE_INFINITY;
      q.sorted = true;
    }
    let offset = timestamp - q.tsBase;
    if (q.tsBase + offset !== timestamp) {
      // Not exact (fractional timestamps): timestamps as they are from now on.
      rebaseToZero(q);
      offset = timestamp;
    }
    let i = n;
    if (!q.sorted || timestamp >= q.lastTs) {
      q.lastTs = timestamp;
    } else {
      // Out of order: move it back behind the last record with a timestamp <= its own (ties stay in
      // arrival order), unless that is far; with a comparator, order is decided when due.
      let j = n;
      const stop = n - MAX_INSERTION_DISTANCE;
      while (j > 0 && j > stop && (buf[2 * j - 2] as number) > offset) j--;
      if (this.options.comparator === undefined && (j === 0 || (buf[2 * j - 2] as number) <= offset)) {
        for (; i > j; i--) {
          buf[2 * i] = buf[2 * i - 2];
          buf[2 * i + 1] = buf[2 * i - 1];
        }
      } else {
        q.sorted = false;
        q.lastTs = timestamp;
      }
    }
    buf[2 * i] = offset;
    buf[2 * i + 1] = event;
    q.numBuffered = n + 1;
    if (++this.metrics.bufferedEvents > this.metrics.peakBufferedEvents) this.metrics.peakBufferedEvents = this.metrics.bufferedEvents;
    // Processing time: the record is processed once the clock moved past it (Flink: timer at ts + 1).
    this.armTimer(q, domain === 'EVENT_TIME' ? timestamp : timestamp + 1, domain);
  }

  private armTimer(q: EventQueue, time: number, domain: TimeDomain): void {
    if (time >= q.timer) return;
    q.timer = time;
    if (domain === 'EVENT_TIME') this.timers.registerEventTimeTimer(VOID_NAMESPACE, time);
    else this.timers.registerProcessingTimeTimer(VOID_NAMESPACE, time);
  }

  /** A 'watermark-callbacks' timer (the timer service has set its key as the current key). */
  onEventTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.onTimer(timer.timestamp, 'EVENT_TIME');
  }

  onProcessingTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.onTimer(timer.timestamp, 'PROCESSING_TIME');
  }

  private onTimer(time: number, domain: TimeDomain): void {
    const q = this.queueState.value();
    if (q === undefined) return;
    if (time >= q.timer) q.timer = Number.POSITIVE_INFINITY;
    const now = domain === 'EVENT_TIME' ? this.inputWatermark : this.parameters.processingTimeService.getCurrentProcessingTime();
    if (q.numBuffered > 0) this.processBuffered(q, domain === 'EVENT_TIME' ? now : now - 1);
    this.advanceTime(now);
    this.afterUpdate(q, domain);
  }

  /** Feeds the buffered records up to `upTo` in timestamp order (stable: arrival order among equal timestamps, unless a comparator). */
  private processBuffered(q: EventQueue, upTo: number): void {
    if (!q.sorted || this.options.comparator !== undefined) this.sortBuffer(q);
    const buf = q.buffered;
    const base = q.tsBase;
    const n = q.numBuffered;
    // In order: the due records are a prefix.
    let due = 0;
    while (due < n && base + (buf[2 * due] as number) <= upTo) due++;
    if (due === 0) return;
    touchAll(buf, due);
    this.metrics.bufferedEvents -= due;
    // Fed in place, then dropped from the buffer (nothing fed here can add to this key's buffer).
    let last = Number.NaN;
    if (this.rules.length === 1) {
      // One pattern: its state looked up once (made up front: time on a fresh state changes nothing).
      const rule = this.rules[0]!;
      const nfa = rule.nfa;
      const st = this.nfaStateOf(rule);
      for (let k = 0; k < due; k++) {
        const t = base + (buf[2 * k] as number);
        // (Asked first: usually no partial match is due, and the call costs more than the question.)
        if (t !== last && nfa.needsAdvance(st, t)) this.advanceRuleTime(rule, st, t);
        last = t;
        this.processRuleEvent(rule, st, buf[2 * k + 1] as T, t);
      }
    } else {
      if (this.rules.length === 0) this.metrics.numRecordsWithoutPatterns += due;
      for (let k = 0; k < due; k++) {
        const t = base + (buf[2 * k] as number);
        if (t !== last) this.advanceTime(t);
        last = t;
        this.processEvent(buf[2 * k + 1] as T, t);
      }
    }
    const from = 2 * due;
    const used = 2 * n;
    let w = 0;
    for (let r = from; r < used; r++) buf[w++] = buf[r];
    for (; w < used; w++) buf[w] = undefined; // no stale references to fed records
    q.numBuffered = n - due;
  }

  /** Puts the buffer in feeding order: by timestamp, then comparator, then arrival (a stable sort). */
  private sortBuffer(q: EventQueue): void {
    const n = q.numBuffered;
    const buf = q.buffered;
    const cmp = this.options.comparator;
    const order: number[] = new Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort(
      (a, b) => (buf[2 * a] as number) - (buf[2 * b] as number) || (cmp === undefined ? a - b : cmp(buf[2 * a + 1] as T, buf[2 * b + 1] as T) || a - b),
    );
    const sorted = new Array<unknown>(2 * n);
    for (let k = 0; k < n; k++) {
      sorted[2 * k] = buf[2 * order[k]!];
      sorted[2 * k + 1] = buf[2 * order[k]! + 1];
    }
    for (let k = 0; k < 2 * n; k++) buf[k] = sorted[k];
    if (n > 0) q.lastTs = q.tsBase + (buf[2 * n - 2] as number);
    q.sorted = true;
  }

  private processEvent(event: T, timestamp: number): void {
    const rules = this.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (rule.removed === true) continue; // removed by an earlier rule's failure on this event
      this.processRuleEvent(rule, this.nfaStateOf(rule), event, timestamp);
    }
  }

  /** The current key's state of `rule`, made on first use (the key's queue exists: it holds the key's timer). */
  private nfaStateOf(rule: CepRule<T>): NFAState<T> {
    const nfa = this.nfaState;
    nfa.setCurrentNamespace(rule.namespace);
    let st = nfa.getInternal() as NFAState<T> | undefined;
    if (st === undefined) {
      st = rule.nfa.createInitialNFAState();
      nfa.updateInternal(st);
    }
    return st;
  }

  /** The current key's state of `rule`, if it has one. */
  private existingNFAState(rule: CepRule<T>): NFAState<T> | undefined {
    const nfa = this.nfaState;
    nfa.setCurrentNamespace(rule.namespace);
    return nfa.getInternal() as NFAState<T> | undefined;
  }

  private processRuleEvent(rule: CepRule<T>, st: NFAState<T>, event: T, timestamp: number): void {
    if (rule.removed === true) return;
    const before = st.numPartialMatches();
    let matches: Array<UserMatch<T>>;
    try {
      matches = rule.nfa.process(st, event, timestamp, rule.skip);
    } catch (e) {
      if (this.ruleFailed(rule, e, timestamp)) return; // conditions are user code
      throw e;
    }
    const m = this.metrics;
    m.partialMatches += st.numPartialMatches() - before;
    if (m.partialMatches > m.peakPartialMatches) m.peakPartialMatches = m.partialMatches;
    if (matches.length > 0) this.emitMatches(rule, matches, timestamp, null);
    if (this.options.maxPartialMatches !== undefined) this.limitPartialMatches(rule, st);
  }

  /** Advances the current key's NFA states of every pattern to `timestamp`. */
  private advanceTime(timestamp: number): void {
    const rules = this.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (!rule.nfa.hasWindow()) continue;
      const st = this.existingNFAState(rule);
      if (st !== undefined) this.advanceRuleTime(rule, st, timestamp);
    }
  }

  private advanceRuleTime(rule: CepRule<T>, st: NFAState<T>, timestamp: number): void {
    if (!rule.nfa.hasWindow() || rule.removed === true) return;
    const before = st.numPartialMatches();
    const timestamps = this.matchTimestamps;
    if (timestamps.length > 0) timestamps.length = 0; // left over if a user function threw
    let result: AdvanceTimeResult<T, UserMatch<T>>;
    try {
      result = rule.nfa.advanceTime(st, timestamp, rule.skip, timestamps);
    } catch (e) {
      if (this.ruleFailed(rule, e, timestamp)) return;
      throw e;
    }
    this.metrics.partialMatches += st.numPartialMatches() - before;
    if (result.matches.length > 0) this.emitMatches(rule, result.matches, timestamp, timestamps);
    if (result.timedOut.length > 0) {
      this.metrics.numTimedOutMatches += result.timedOut.length;
      this.currentRule = rule;
      for (const t of result.timedOut) {
        this.ts = t.timestamp;
        this.timedOutHandler!.processTimedOutMatch(t.match, this.context);
      }
    }
  }

  private emitMatches(rule: CepRule<T>, matches: Array<UserMatch<T>>, timestamp: number, timestamps: number[] | null): void {
    this.metrics.numMatches += matches.length;
    this.currentRule = rule;
    for (let i = 0; i < matches.length; i++) {
      this.ts = timestamps?.[i] ?? timestamp;
      // An async one would collect after its match was done with (after the job ended, for the last).
      if (isThenable(this.processMatchFn(matches[i]!, this.context, this.collector) as unknown)) {
        throw new AsyncFunctionResultError('The pattern processMatch() / flatSelect() function');
      }
    }
  }

  private limitPartialMatches(rule: CepRule<T>, st: NFAState<T>): void {
    const limit = this.options.maxPartialMatches;
    if (limit === undefined) return;
    const n = st.numPartialMatches();
    if (n <= limit.max) return;
    if (limit.overflow === 'fail') {
      const of = rule.id === undefined ? '' : ` for pattern '${rule.id}'`;
      throw new Error(
        `CEP: key ${JSON.stringify(this.keyedBackend!.currentKey)} has ${n} partial matches${of}, more than maxPartialMatchesPerKey(${limit.max}); ` +
          `tighten the pattern (within(), stricter conditions) or use maxPartialMatchesPerKey(${limit.max}, 'drop-oldest')`,
      );
    }
    const dropped = rule.nfa.dropOldestPartialMatches(st, limit.max);
    this.metrics.numPartialMatchesDropped += dropped;
    this.metrics.partialMatches -= dropped;
  }

  /** Drops what is empty (a key with nothing holds no state), else re-arms the key's timer. */
  private afterUpdate(q: EventQueue, domain: TimeDomain): void {
    let next = Number.POSITIVE_INFINITY;
    let anyNFAState = false;
    const rules = this.rules;
    const nfa = this.nfaState;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const st = this.existingNFAState(rule);
      if (st === undefined) continue;
      if (st.isEmpty()) {
        nfa.clear(); // the namespace is still the rule's
        rule.nfa.recycle(st);
        continue;
      }
      anyNFAState = true;
      const deadline = rule.nfa.nextTimeout(st);
      if (deadline < next) next = deadline;
    }
    const n = q.numBuffered;
    if (n === 0 && !anyNFAState) {
      this.queueState.clear();
      return;
    }
    const buf = q.buffered;
    for (let i = 0; i < n; i++) {
      const ts = q.tsBase + (buf[2 * i] as number);
      const t = domain === 'PROCESSING_TIME' ? ts + 1 : ts;
      if (t < next) next = t;
      if (q.sorted) break; // the first is the earliest
    }
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(q, next, domain);
  }

  /**
   * Processing time: records still waiting for their timer (with a comparator) are matched when the
   * input ends, instead of being lost with the pending timers.
   */
  override endInput(): void {
    if (!this.options.isProcessingTime) return;
    const backend = this.keyedBackend!;
    const now = this.parameters.processingTimeService.getCurrentProcessingTime();
    for (const key of backend.getKeys(EVENT_QUEUE.name, VOID_NAMESPACE)) {
      backend.setCurrentKey(key);
      const q = this.queueState.value();
      if (q === undefined || q.numBuffered === 0) continue;
      this.processBuffered(q, Number.POSITIVE_INFINITY);
      this.advanceTime(now);
      this.afterUpdate(q, 'PROCESSING_TIME');
    }
  }

  /**
   * The metrics reach the JobExecutionResult as accumulators `<operator name>.<metric>`, summed over
   * subtasks (gauges: their value at the end of the job; peaks: the sum of per-subtask peaks).
   */
  override close(): void | Promise<void> {
    for (const [name, value] of Object.entries(this.metrics)) this.publishMetric(name, value);
    return super.close();
  }
}

/** A queue as a snapshot holds it: its own copy, only the used slots. */
function copyQueue(q: EventQueue): EventQueue {
  return { ...q, buffered: q.buffered.slice(0, 2 * q.numBuffered) };
}

/**
 * Reads the header of each of the first `due` buffered records, in a loop with nothing else in it.
 * The records were made long ago, one every few thousand records of other keys, so each is a cache
 * miss when fed; here the misses are independent loads the CPU overlaps, instead of one stall per
 * record in the middle of the NFA's work (the conditions then find them in cache).
 */
function touchAll(buf: unknown[], due: number): void {
  let objects = 0;
  for (let k = 0; k < due; k++) if (typeof buf[2 * k + 1] === 'object') objects++;
  touched = (touched + objects) | 0; // stays a small integer
}
/** What touchAll read, kept where the compiler cannot drop the reads. */
let touched = 0;

/** Makes the buffer's offsets the timestamps themselves (exact: each offset was checked to be). */
function rebaseToZero(q: EventQueue): void {
  const base = q.tsBase;
  if (base === 0) return;
  const buf = q.buffered;
  for (let i = 0; i < q.numBuffered; i++) buf[2 * i] = base + (buf[2 * i] as number);
  q.tsBase = 0;
}

/** The match a user function gets: every stage name of the pattern -> its events ([] for stages without events), in stage order. */
type UserMatch<T> = Record<string, T[]>;

/** Makes user matches straight from the NFA's match paths (no intermediate Map). */
function userMatchFactory<T>(stageNames: readonly string[]): MatchFactory<T, UserMatch<T>> {
  const index = new Map<string, number>();
  stageNames.forEach((name, i) => index.set(name, i));
  const k = stageNames.length;
  const build = matchBuilder<T>(stageNames);
  // One scratch array per pattern, emptied after each match (nothing runs between filling and building it).
  const lists: Array<T[] | undefined> = new Array<T[] | undefined>(k).fill(undefined);
  return (stages, values, count) => {
    for (let i = 0; i < count; i++) {
      const j = index.get(stages[i]!);
      if (j === undefined) continue; // not a stage of the pattern (cannot happen): not shown, as before
      const list = lists[j];
      if (list === undefined) lists[j] = [values[i]!];
      else list.push(values[i]!);
    }
    try {
      return build(lists);
    } finally {
      lists.fill(undefined);
    }
  };
}

/**
 * The user match from its stages' lists (by stage index): an object literal with the stage names as
 * keys, compiled once per pattern, so every match is made in one step with one shape (stores under
 * ever-changing names, one per stage, are a generic keyed store each). No stage is named
 * '__proto__' (Pattern rejects it), which a literal would take for the prototype.
 */
function matchBuilder<T>(stageNames: readonly string[]): (lists: ReadonlyArray<T[] | undefined>) => UserMatch<T> {
  if (stageNames.includes('__proto__')) throw new Error("Internal error: a stage named '__proto__'");
  // JSON.stringify makes each name a string literal (quotes and escapes included); the names are not code.
  const body = `return { ${stageNames.map((name, j) => `${JSON.stringify(name)}: l[${j}] ?? []`).join(', ')} };`;
  try {
    return new Function('l', body) as (lists: ReadonlyArray<T[] | undefined>) => UserMatch<T>;
  } catch {
    // Code generation from strings is disallowed (node --disallow-code-generation-from-strings, a
    // locked-down host): the same object, made property by property.
    return (lists) => {
      const out: UserMatch<T> = {};
      for (let j = 0; j < stageNames.length; j++) out[stageNames[j]!] = lists[j] ?? [];
      return out;
    };
  }
}

/** A running dynamic rule as the upsert that would recreate it. */
function asPatternRule<T>(rule: CepRule<T>): PatternRule {
  return { id: rule.id!, action: 'upsert', spec: JSON.parse(rule.specJson!) as PatternSpec };
}

function checkRule(raw: unknown): PatternRule {
  if (typeof raw !== 'object' || raw === null) throw new Error(`a rule must be an object { id, action, spec }, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id === '') throw new Error(`rule.id must be a non-empty string, got ${JSON.stringify(r.id)}`);
  if (r.action !== 'upsert' && r.action !== 'delete') throw new Error(`rule '${r.id}': action must be 'upsert' or 'delete', got ${JSON.stringify(r.action)}`);
  if (r.action === 'upsert' && (r.spec === undefined || r.spec === null)) throw new Error(`rule '${r.id}': an upsert needs a spec`);
  return r as unknown as PatternRule;
}
