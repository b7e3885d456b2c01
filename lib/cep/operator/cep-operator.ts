/**
 * Runs patterns over a keyed stream (Flink's CepOperator). In event time, records wait in keyed
 * state until the watermark passes them and are then fed to the NFA in timestamp order (ties in
 * arrival order, or by the comparator); records at or behind the watermark are late (side output or
 * dropped and counted). Each key's NFA states (partial matches and shared buffers, one per pattern)
 * and its buffered records live in one keyed ValueState; a key with no partial matches and nothing
 * buffered holds no state. One timer per key, at the earliest of its buffered records and
 * partial-match deadlines, drives the NFAs (Flink registers one per distinct timestamp; the firings
 * are the same).
 *
 * The operator runs a set of patterns: one fixed pattern (CEP.pattern), or rules that arrive on a
 * broadcast input and are added, replaced and removed at runtime (CEP.dynamicPatterns). Records of
 * the dynamic form are tagged `{ i: 1, v: event }` / `{ i: 2, v: rule }`.
 */
import { AbstractUdfStreamOperator, timeText } from '../../operators/abstract-stream-operator.ts';
import { InternalTimerService, type TimeDomain } from '../../operators/timer-service.ts';
import { ListStateDescriptor, ValueStateDescriptor } from '../../core/state/state-descriptor.ts';
import type { StreamTaskStateInitializer } from '../../state/stream-task-state-initializer.ts';
import type { ValueState } from '../../core/state/state.ts';
import { NO_TIMESTAMP } from '../../runtime/elements.ts';
import { toCallable } from '../../core/functions/function-utils.ts';
import type { Collector } from '../../core/functions/collector.ts';
import { AsyncFunctionResultError, isThenable } from '../../core/errors.ts';
import type { OutputTag } from '../../core/output-tag.ts';
import { Pattern } from '../pattern.ts';
import { NFA, type AdvanceTimeResult, type MatchFactory, type NFAState } from '../nfa/nfa.ts';
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
  readonly nfa: NFA<T, UserMatch<T>>;
  readonly skip: AfterMatchSkipStrategy;
  /** Canonical JSON of the spec (dynamic patterns): an identical upsert keeps partial matches. */
  readonly specJson?: string;
  /** A dynamic rule removed while events were being fed to it: feed it nothing more. */
  removed?: boolean;
}

/**
 * Per key: one NFA state per pattern, and the records waiting for the watermark, in the order they
 * will be fed, (timestamp, arrival), while `sorted`; else in arrival order.
 */
interface CepKeyState<T> {
  readonly nfas: Map<CepRule<T>, NFAState<T>>;
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
  /** Earliest timer registered for this key (Infinity: none). */
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

const STATE = new ValueStateDescriptor<CepKeyState<unknown>>('cep-nfa-state');
/** The running patterns of a dynamic CEP operator (union list state: each subtask restores all). */
const RULES = new ListStateDescriptor<PatternRule>('cep-patterns');

/** The union of every subtask's copy of the rules: one rule per id, in first-seen order. */
function dedupeRules(rules: PatternRule[]): PatternRule[] {
  const seen = new Map<string, PatternRule>();
  for (const r of rules) if (!seen.has(r.id)) seen.set(r.id, r);
  return [...seen.values()];
}
const EVENT = 1;

export class CepOperator<T, OUT> extends AbstractUdfStreamOperator<OUT, PatternProcessFn<T, string, OUT>> {
  private rules: Array<CepRule<T>> = [];
  private state!: ValueState<CepKeyState<T>>;
  private timers!: InternalTimerService;
  private readonly processMatchFn: (match: Record<string, T[]>, ctx: PatternContext, out: Collector<OUT>) => void;
  private timedOutHandler: TimedOutPartialMatchHandler<T> | undefined;
  private readonly dynamic: boolean;
  private ts = 0;
  /** Times of the matches NFA.advanceTime reports (reused; emptied after each use). */
  private readonly matchTimestamps: number[] = [];
  private currentRule: CepRule<T> | undefined;
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
    this.state = this.keyedBackend.getValueState(STATE as unknown as ValueStateDescriptor<CepKeyState<T>>);
    this.timers = new InternalTimerService(this.parameters.processingTimeService, (key, time, domain) => this.onTimer(key, time, domain));
    if (this.options.pattern !== undefined) this.rules = [this.compileRule(undefined, this.options.pattern)];
    // Before any record: initial rules are running from the first record on, whatever the timing of the rule stream.
    for (const r of this.restoredRules ?? this.options.initialRules ?? []) this.applyRule(r);
    this.restoredRules = undefined;
    this.metrics.patterns = this.rules.length;
  }

  private compileRule(id: string | undefined, pattern: Pattern<T, string>, specJson?: string): CepRule<T> {
    return {
      id,
      nfa: NFA.compile(pattern, this.timedOutHandler !== undefined, userMatchFactory<T>(pattern.allNames())),
      skip: pattern.getAfterMatchSkipStrategy(),
      specJson,
    };
  }

  processElement(value: unknown, timestamp: number): void {
    let event: T;
    if (this.dynamic) {
      const tagged = value as { i: number; v: unknown };
      if (tagged.i !== EVENT) return this.applyRule(tagged.v);
      event = tagged.v as T;
    } else {
      event = value as T;
    }
    if (this.options.isProcessingTime) {
      const now = this.parameters.processingTimeService.getCurrentProcessingTime();
      const ks = this.keyState();
      if (this.options.comparator === undefined) {
        // No reordering in processing time: straight into the NFAs.
        this.advanceTime(ks, now);
        if (this.rules.length === 0) this.metrics.numRecordsWithoutPatterns++;
        this.processEvent(ks, event, now);
        this.afterUpdate(ks, 'PROCESSING_TIME');
      } else {
        this.bufferEvent(ks, event, now, 'PROCESSING_TIME');
      }
      return;
    }
    if (timestamp === NO_TIMESTAMP) {
      throw new Error(
        'CEP in event time needs record timestamps: assign them (WatermarkStrategy ... withTimestampAssigner, or fromSource/assignTimestampsAndWatermarks), or use .inProcessingTime()',
      );
    }
    if (timestamp > this.inputWatermark) {
      this.bufferEvent(this.keyState(), event, timestamp, 'EVENT_TIME');
    } else if (this.options.lateDataTag !== undefined) {
      this.emitSide(this.options.lateDataTag as OutputTag<unknown>, event, timestamp);
    } else if (this.metrics.numLateRecordsDropped++ === 0) {
      this.warnFirstLateRecordDropped(
        timestamp,
        `the watermark ${timeText(this.inputWatermark)} has reached it, and no late-data side output is set (sideOutputLateData)`,
      );
    }
  }

  override processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    this.timers.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  // ---- dynamic patterns --------------------------------------------------------------------------

  /** Adds, replaces or removes a pattern; a rule that cannot be applied is rejected, nothing else changes. */
  private applyRule(raw: unknown): void {
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
      this.rejectRule(raw, typeof id === 'string' && !why.startsWith('rule ') ? `rule '${id}': ${why}` : why);
      return;
    }
    const existing = this.rules.find((r) => r.id === rule.id);
    if (compiled === undefined && existing === undefined) {
      this.rejectRule(raw, `rule '${rule.id}': delete of a rule that is not running`);
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
   * rejected, naming the rule; the job and the other rules go on. Other errors fail the job.
   */
  private ruleFailed(rule: CepRule<T>, e: unknown): Error | null {
    if (rule.id === undefined || !(e instanceof ExpressionError)) return this.userError(e);
    this.removeRule(rule);
    this.rejectRule(asPatternRule(rule), `rule '${rule.id}' failed on an event and was removed: ${e.message}`);
    return null;
  }

  private rejectRule(rule: unknown, error: string): void {
    const tag = this.options.rejectedRulesTag;
    if (tag !== undefined) {
      this.emitSide(tag as OutputTag<unknown>, { rule, error } satisfies RejectedRule, this.ts);
    } else if (this.parameters.taskInfo.indexOfThisSubtask === 0) {
      // Every subtask sees every rule; one warning is enough.
      console.error(`${this.parameters.operatorName}: rule rejected: ${error}`);
    }
  }

  /** A removed or replaced pattern's partial matches go with it, in every key. */
  private dropRuleState(rule: CepRule<T>): void {
    const backend = this.keyedBackend!;
    const saved = backend.getCurrentKey();
    for (const key of backend.keys(STATE.name)) {
      backend.setCurrentKey(key);
      const ks = this.state.value();
      const st = ks?.nfas.get(rule);
      if (ks === undefined || st === undefined) continue;
      this.metrics.partialMatches -= st.numPartialMatches();
      ks.nfas.delete(rule);
      if (ks.nfas.size === 0 && ks.numBuffered === 0) this.state.clear();
    }
    backend.setCurrentKey(saved);
  }

  /** The running rules, in operator state for checkpoints (the rule stream is not replayed on restore). */
  override prepareSnapshotPreBarrier(_checkpointId: number): void {
    if (this.dynamic) this.getOperatorStateBackend().getUnionListState(RULES).update(this.rules.map(asPatternRule));
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    if (!this.dynamic) return;
    // Every subtask held the same rules (they come on a broadcast stream): any one copy will do.
    const rules = this.getOperatorStateBackend().getUnionListState(RULES).get();
    if (rules.length > 0) this.restoredRules = dedupeRules(rules);
  }

  // ---- events and time ---------------------------------------------------------------------------

  private keyState(): CepKeyState<T> {
    let ks = this.state.value();
    if (ks === undefined) {
      ks = { nfas: new Map(), buffered: [], numBuffered: 0, tsBase: 0, lastTs: 0, sorted: true, timer: Number.POSITIVE_INFINITY };
      this.state.update(ks);
    }
    return ks;
  }

  private bufferEvent(ks: CepKeyState<T>, event: T, timestamp: number, domain: TimeDomain): void {
    const buf = ks.buffered;
    const n = ks.numBuffered;
    if (n === 0) {
      ks.tsBase = Number.isSafeInteger(timestamp) ? timestamp : 0;
      ks.lastTs = Number.NEGATIVE_INFINITY;
      ks.sorted = true;
    }
    let offset = timestamp - ks.tsBase;
    if (ks.tsBase + offset !== timestamp) {
      // Not exact (fractional timestamps): timestamps as they are from now on.
      rebaseToZero(ks);
      offset = timestamp;
    }
    let i = n;
    if (!ks.sorted || timestamp >= ks.lastTs) {
      ks.lastTs = timestamp;
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
        ks.sorted = false;
        ks.lastTs = timestamp;
      }
    }
    buf[2 * i] = offset;
    buf[2 * i + 1] = event;
    ks.numBuffered = n + 1;
    if (++this.metrics.bufferedEvents > this.metrics.peakBufferedEvents) this.metrics.peakBufferedEvents = this.metrics.bufferedEvents;
    // Processing time: the record is processed once the clock moved past it (Flink: timer at ts + 1).
    this.armTimer(ks, domain === 'EVENT_TIME' ? timestamp : timestamp + 1, domain);
  }

  private armTimer(ks: CepKeyState<T>, time: number, domain: TimeDomain): void {
    if (time >= ks.timer) return;
    ks.timer = time;
    const key = this.keyedBackend!.currentKey;
    if (domain === 'EVENT_TIME') this.timers.registerEventTimeTimer(key, time);
    else this.timers.registerProcessingTimeTimer(key, time);
  }

  private onTimer(key: unknown, time: number, domain: TimeDomain): void {
    this.keyedBackend!.setCurrentKey(key);
    const ks = this.state.value();
    if (ks === undefined) return;
    if (time >= ks.timer) ks.timer = Number.POSITIVE_INFINITY;
    const now = domain === 'EVENT_TIME' ? this.inputWatermark : this.parameters.processingTimeService.getCurrentProcessingTime();
    if (ks.numBuffered > 0) this.processBuffered(ks, domain === 'EVENT_TIME' ? now : now - 1);
    this.advanceTime(ks, now);
    this.afterUpdate(ks, domain);
  }

  /** Feeds the buffered records up to `upTo` in timestamp order (stable: arrival order among equal timestamps, unless a comparator). */
  private processBuffered(ks: CepKeyState<T>, upTo: number): void {
    if (!ks.sorted || this.options.comparator !== undefined) this.sortBuffer(ks);
    const buf = ks.buffered;
    const base = ks.tsBase;
    const n = ks.numBuffered;
    // In order: the due records are a prefix.
    let due = 0;
    while (due < n && base + (buf[2 * due] as number) <= upTo) due++;
    if (due === 0) return;
    this.metrics.bufferedEvents -= due;
    // Fed in place, then dropped from the buffer (nothing fed here can add to this key's buffer).
    let last = Number.NaN;
    if (this.rules.length === 1) {
      // One pattern: its state looked up once (made up front: time on a fresh state changes nothing).
      const rule = this.rules[0]!;
      const st = this.nfaStateOf(ks, rule);
      for (let k = 0; k < due; k++) {
        const t = base + (buf[2 * k] as number);
        if (t !== last) this.advanceRuleTime(rule, st, t);
        last = t;
        this.processRuleEvent(rule, st, buf[2 * k + 1] as T, t);
      }
    } else {
      if (this.rules.length === 0) this.metrics.numRecordsWithoutPatterns += due;
      for (let k = 0; k < due; k++) {
        const t = base + (buf[2 * k] as number);
        if (t !== last) this.advanceTime(ks, t);
        last = t;
        this.processEvent(ks, buf[2 * k + 1] as T, t);
      }
    }
    const from = 2 * due;
    const used = 2 * n;
    let w = 0;
    for (let r = from; r < used; r++) buf[w++] = buf[r];
    for (; w < used; w++) buf[w] = undefined; // no stale references to fed records
    ks.numBuffered = n - due;
  }

  /** Puts the buffer in feeding order: by timestamp, then comparator, then arrival (a stable sort). */
  private sortBuffer(ks: CepKeyState<T>): void {
    const n = ks.numBuffered;
    const buf = ks.buffered;
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
    if (n > 0) ks.lastTs = ks.tsBase + (buf[2 * n - 2] as number);
    ks.sorted = true;
  }

  private processEvent(ks: CepKeyState<T>, event: T, timestamp: number): void {
    const rules = this.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      this.processRuleEvent(rule, this.nfaStateOf(ks, rule), event, timestamp);
    }
  }

  /** The key's state of `rule`, made on first use. */
  private nfaStateOf(ks: CepKeyState<T>, rule: CepRule<T>): NFAState<T> {
    let st = ks.nfas.get(rule);
    if (st === undefined) {
      st = rule.nfa.createInitialNFAState();
      ks.nfas.set(rule, st);
    }
    return st;
  }

  private processRuleEvent(rule: CepRule<T>, st: NFAState<T>, event: T, timestamp: number): void {
    if (rule.removed === true) return;
    const before = st.numPartialMatches();
    let matches: Array<UserMatch<T>>;
    try {
      matches = rule.nfa.process(st, event, timestamp, rule.skip);
    } catch (e) {
      const error = this.ruleFailed(rule, e); // conditions are user code
      if (error === null) return;
      throw error;
    }
    const m = this.metrics;
    m.partialMatches += st.numPartialMatches() - before;
    if (m.partialMatches > m.peakPartialMatches) m.peakPartialMatches = m.partialMatches;
    if (matches.length > 0) this.emitMatches(rule, matches, timestamp, null);
    if (this.options.maxPartialMatches !== undefined) this.limitPartialMatches(rule, st);
  }

  private advanceTime(ks: CepKeyState<T>, timestamp: number): void {
    if (this.rules.length === 1) {
      // One pattern (CEP.pattern): its state is the only one; no Map iteration.
      const rule = this.rules[0]!;
      const st = ks.nfas.get(rule);
      if (st !== undefined) this.advanceRuleTime(rule, st, timestamp);
      return;
    }
    for (const [rule, st] of ks.nfas) this.advanceRuleTime(rule, st, timestamp);
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
      const error = this.ruleFailed(rule, e);
      if (error === null) return;
      throw error;
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
  private afterUpdate(ks: CepKeyState<T>, domain: TimeDomain): void {
    let next = Number.POSITIVE_INFINITY;
    if (this.rules.length === 1) {
      // One pattern: no Map iteration (as in advanceTime).
      const rule = this.rules[0]!;
      const st = ks.nfas.get(rule);
      if (st !== undefined) next = this.ruleDeadline(ks, rule, st);
    } else {
      for (const [rule, st] of ks.nfas) {
        const deadline = this.ruleDeadline(ks, rule, st);
        if (deadline < next) next = deadline;
      }
    }
    const n = ks.numBuffered;
    if (n === 0 && ks.nfas.size === 0) {
      this.state.clear();
      return;
    }
    const buf = ks.buffered;
    for (let i = 0; i < n; i++) {
      const ts = ks.tsBase + (buf[2 * i] as number);
      const t = domain === 'PROCESSING_TIME' ? ts + 1 : ts;
      if (t < next) next = t;
      if (ks.sorted) break; // the first is the earliest
    }
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(ks, next, domain);
  }

  /** The earliest timeout of a pattern's partial matches; an empty state is dropped (Infinity). */
  private ruleDeadline(ks: CepKeyState<T>, rule: CepRule<T>, st: NFAState<T>): number {
    if (st.isEmpty()) {
      ks.nfas.delete(rule);
      return Number.POSITIVE_INFINITY;
    }
    return rule.nfa.nextTimeout(st);
  }

  /**
   * Processing time: records still waiting for their timer (with a comparator) are matched when the
   * input ends, instead of being lost with the pending timers.
   */
  override endInput(): void {
    if (!this.options.isProcessingTime) return;
    const backend = this.keyedBackend!;
    const now = this.parameters.processingTimeService.getCurrentProcessingTime();
    for (const key of backend.keys(STATE.name)) {
      backend.setCurrentKey(key);
      const ks = this.state.value();
      if (ks === undefined || ks.numBuffered === 0) continue;
      this.processBuffered(ks, Number.POSITIVE_INFINITY);
      this.advanceTime(ks, now);
      this.afterUpdate(ks, 'PROCESSING_TIME');
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

/** Makes the buffer's offsets the timestamps themselves (exact: each offset was checked to be). */
function rebaseToZero<T>(ks: CepKeyState<T>): void {
  const base = ks.tsBase;
  if (base === 0) return;
  const buf = ks.buffered;
  for (let i = 0; i < ks.numBuffered; i++) buf[2 * i] = base + (buf[2 * i] as number);
  ks.tsBase = 0;
}

/** The match a user function gets: every stage name of the pattern -> its events ([] for stages without events), in stage order. */
type UserMatch<T> = Record<string, T[]>;

/** Makes user matches straight from the NFA's match paths (no intermediate Map). */
function userMatchFactory<T>(stageNames: readonly string[]): MatchFactory<T, UserMatch<T>> {
  const index = new Map<string, number>();
  stageNames.forEach((name, i) => index.set(name, i));
  const k = stageNames.length;
  return (stages, values, count) => {
    const lists: Array<T[] | undefined> = new Array(k);
    for (let i = 0; i < count; i++) {
      const j = index.get(stages[i]!);
      if (j === undefined) continue; // not a stage of the pattern (cannot happen): not shown, as before
      const list = lists[j];
      if (list === undefined) lists[j] = [values[i]!];
      else list.push(values[i]!);
    }
    const out: UserMatch<T> = {};
    for (let j = 0; j < k; j++) out[stageNames[j]!] = lists[j] ?? [];
    return out;
  };
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
