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
import { AbstractUdfStreamOperator } from '../../operators/abstract-stream-operator.ts';
import { InternalTimerService, type TimeDomain } from '../../operators/timer-service.ts';
import { ValueStateDescriptor, type ValueState } from '../../state/descriptors.ts';
import { NO_TIMESTAMP } from '../../runtime/elements.ts';
import type { Collector } from '../../api/functions.ts';
import { LongCounter } from '../../api/accumulators.ts';
import type { OutputTag } from '../../api/output-tag.ts';
import { Pattern } from '../pattern.ts';
import { NFA, type NFAState, type PatternMatch } from '../nfa/nfa.ts';
import { isTimedOutHandler, type EventComparator, type PatternContext, type PatternProcessFn, type TimedOutPartialMatchHandler } from '../functions.ts';
import type { AfterMatchSkipStrategy } from '../aftermatch/after-match-skip-strategy.ts';
import type { PatternSpec } from '../spec/pattern-spec.ts';

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
}

/** One pattern the operator runs. */
interface CepRule<T> {
  /** The rule id (dynamic patterns), undefined for CEP.pattern. */
  readonly id: string | undefined;
  readonly nfa: NFA<T>;
  readonly skip: AfterMatchSkipStrategy;
  readonly stageNames: readonly string[];
  /** Canonical JSON of the spec (dynamic patterns): an identical upsert keeps partial matches. */
  readonly specJson?: string;
}

/** Per key: one NFA state per pattern, and the records waiting for the watermark (arrival order). */
interface CepKeyState<T> {
  readonly nfas: Map<CepRule<T>, NFAState<T>>;
  readonly bufferedTs: number[];
  readonly buffered: T[];
  /** Earliest timer registered for this key (Infinity: none). */
  timer: number;
}

/** Counters and gauges of one CEP operator subtask. */
export interface CepMetrics {
  /** Records behind the watermark (sent to the late side output or dropped; Flink's numLateRecordsDropped). */
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
  /** Highest partialMatches / bufferedEvents seen. */
  peakPartialMatches: number;
  peakBufferedEvents: number;
}

const STATE = new ValueStateDescriptor<CepKeyState<unknown>>('cep-nfa-state');
const EVENT = 1;

export class CepOperator<T, OUT> extends AbstractUdfStreamOperator<OUT, PatternProcessFn<T, string, OUT>> {
  private rules: Array<CepRule<T>> = [];
  private state!: ValueState<CepKeyState<T>>;
  private timers!: InternalTimerService;
  private readonly processMatchFn: (match: Record<string, T[]>, ctx: PatternContext, out: Collector<OUT>) => void;
  private timedOutHandler: TimedOutPartialMatchHandler<T> | undefined;
  private readonly dynamic: boolean;
  private ts = 0;
  private currentRule: CepRule<T> | undefined;
  readonly metrics: CepMetrics = {
    numLateRecordsDropped: 0,
    numMatches: 0,
    numTimedOutMatches: 0,
    numPartialMatchesDropped: 0,
    partialMatches: 0,
    bufferedEvents: 0,
    patterns: 0,
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
  /** Rules restored from a snapshot or received before open (dynamic patterns). */
  private restoredRules: PatternRule[] = [];

  constructor(
    fn: PatternProcessFn<T, string, OUT>,
    private readonly options: CepOperatorOptions<T>,
  ) {
    super(fn);
    this.dynamic = options.pattern === undefined;
    const f = this.userFunction;
    this.processMatchFn = typeof f === 'function' ? f : f.processMatch.bind(f);
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('CEP needs a keyed stream internally; use CEP.pattern(stream, pattern)');
    super.open();
    const f = this.userFunction;
    this.timedOutHandler = isTimedOutHandler<T>(f) ? f : undefined;
    this.state = this.keyedBackend.getValueState(STATE as unknown as ValueStateDescriptor<CepKeyState<T>>);
    this.timers = new InternalTimerService(this.parameters.processingTimeService, (key, time, domain) => this.onTimer(key, time, domain));
    if (this.options.pattern !== undefined) this.rules = [this.compileRule(undefined, this.options.pattern)];
    for (const r of this.restoredRules) this.applyRule(r);
    this.restoredRules = [];
    this.metrics.patterns = this.rules.length;
  }

  private compileRule(id: string | undefined, pattern: Pattern<T, string>, specJson?: string): CepRule<T> {
    return {
      id,
      nfa: NFA.compile(pattern, this.timedOutHandler !== undefined),
      skip: pattern.getAfterMatchSkipStrategy(),
      stageNames: pattern.allNames(),
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
    } else {
      this.metrics.numLateRecordsDropped++;
      if (this.options.lateDataTag !== undefined) this.emitSide(this.options.lateDataTag as OutputTag<unknown>, event, timestamp);
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
    let pattern: Pattern<T, string> | undefined;
    let specJson: string | undefined;
    try {
      rule = checkRule(raw);
      if (rule.action === 'upsert') {
        pattern = Pattern.fromSpec<T>(rule.spec!);
        specJson = JSON.stringify(pattern.toSpec());
        NFA.compile(pattern); // reject patterns that cannot run before touching the running ones
      }
    } catch (e) {
      const id = (raw as { id?: unknown } | null)?.id;
      const why = e instanceof Error ? e.message : String(e);
      this.rejectRule(raw, typeof id === 'string' && !why.startsWith('rule ') ? `rule '${id}': ${why}` : why);
      return;
    }
    const existing = this.rules.find((r) => r.id === rule.id);
    if (rule.action === 'upsert' && existing?.specJson === specJson) return; // unchanged: keep partial matches
    if (existing !== undefined) {
      this.rules = this.rules.filter((r) => r !== existing);
      this.dropRuleState(existing);
    }
    if (rule.action === 'upsert') this.rules.push(this.compileRule(rule.id, pattern!, specJson));
    this.metrics.patterns = this.rules.length;
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
      if (ks.nfas.size === 0 && ks.buffered.length === 0) this.state.clear();
    }
    backend.setCurrentKey(saved);
  }

  /** The running rules, for checkpoints (the rule stream is not replayed on restore). */
  override snapshotState(): unknown {
    return this.dynamic ? { rules: this.rules.map((r) => ({ id: r.id!, action: 'upsert', spec: JSON.parse(r.specJson!) as PatternSpec })) } : undefined;
  }

  override initializeState(state: unknown): void {
    const rules = (state as { rules?: PatternRule[] } | undefined)?.rules;
    if (rules !== undefined) this.restoredRules = rules;
  }

  // ---- events and time ---------------------------------------------------------------------------

  private keyState(): CepKeyState<T> {
    let ks = this.state.value();
    if (ks === undefined) {
      ks = { nfas: new Map(), bufferedTs: [], buffered: [], timer: Number.POSITIVE_INFINITY };
      this.state.update(ks);
    }
    return ks;
  }

  private bufferEvent(ks: CepKeyState<T>, event: T, timestamp: number, domain: TimeDomain): void {
    ks.bufferedTs.push(timestamp);
    ks.buffered.push(event);
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
    if (ks.bufferedTs.length > 0) this.processBuffered(ks, domain === 'EVENT_TIME' ? now : now - 1);
    this.advanceTime(ks, now);
    this.afterUpdate(ks, domain);
  }

  /** Feeds the buffered records up to `upTo` in timestamp order (stable: arrival order among equal timestamps, unless a comparator). */
  private processBuffered(ks: CepKeyState<T>, upTo: number): void {
    const tss = ks.bufferedTs;
    const evs = ks.buffered;
    let due = 0;
    let sorted = true;
    let prev = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < tss.length; i++) {
      const t = tss[i]!;
      if (t > upTo) continue;
      due++;
      if (t < prev) sorted = false;
      prev = t;
    }
    if (due === 0) return;
    const cmp = this.options.comparator;
    let order: number[] | null = null;
    if (!sorted || cmp !== undefined || due < tss.length) {
      order = [];
      for (let i = 0; i < tss.length; i++) if (tss[i]! <= upTo) order.push(i);
      order.sort((a, b) => tss[a]! - tss[b]! || (cmp === undefined ? a - b : cmp(evs[a]!, evs[b]!) || a - b));
    }
    const dueTs: number[] = new Array(due);
    const dueEv: T[] = new Array(due);
    for (let k = 0; k < due; k++) {
      const i = order === null ? k : order[k]!;
      dueTs[k] = tss[i]!;
      dueEv[k] = evs[i]!;
    }
    // Taken out of the buffer before processing (as Flink does).
    let w = 0;
    for (let i = 0; i < tss.length; i++) {
      if (tss[i]! > upTo) {
        tss[w] = tss[i]!;
        evs[w] = evs[i]!;
        w++;
      }
    }
    tss.length = w;
    evs.length = w;
    this.metrics.bufferedEvents -= due;
    let last = Number.NaN;
    for (let k = 0; k < due; k++) {
      const t = dueTs[k]!;
      if (t !== last) this.advanceTime(ks, t);
      last = t;
      this.processEvent(ks, dueEv[k]!, t);
    }
  }

  private processEvent(ks: CepKeyState<T>, event: T, timestamp: number): void {
    const rules = this.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      let st = ks.nfas.get(rule);
      if (st === undefined) {
        st = rule.nfa.createInitialNFAState();
        ks.nfas.set(rule, st);
      }
      const before = st.numPartialMatches();
      let matches: Array<PatternMatch<T>>;
      try {
        matches = rule.nfa.process(st, event, timestamp, rule.skip);
      } catch (e) {
        throw this.userError(e); // conditions are user code
      }
      const m = this.metrics;
      m.partialMatches += st.numPartialMatches() - before;
      if (m.partialMatches > m.peakPartialMatches) m.peakPartialMatches = m.partialMatches;
      if (matches.length > 0) this.emitMatches(rule, matches, timestamp, null);
      this.limitPartialMatches(rule, st);
    }
  }

  private advanceTime(ks: CepKeyState<T>, timestamp: number): void {
    for (const [rule, st] of ks.nfas) {
      if (!rule.nfa.hasWindow()) continue;
      const before = st.numPartialMatches();
      const timestamps: number[] = [];
      let result: ReturnType<NFA<T>['advanceTime']>;
      try {
        result = rule.nfa.advanceTime(st, timestamp, rule.skip, timestamps);
      } catch (e) {
        throw this.userError(e);
      }
      this.metrics.partialMatches += st.numPartialMatches() - before;
      if (result.matches.length > 0) this.emitMatches(rule, result.matches, timestamp, timestamps);
      if (result.timedOut.length > 0) {
        this.metrics.numTimedOutMatches += result.timedOut.length;
        this.currentRule = rule;
        for (const t of result.timedOut) {
          this.ts = t.timestamp;
          try {
            this.timedOutHandler!.processTimedOutMatch(toUserMatch(rule, t.match), this.context);
          } catch (e) {
            throw this.userError(e);
          }
        }
      }
    }
  }

  private emitMatches(rule: CepRule<T>, matches: Array<PatternMatch<T>>, timestamp: number, timestamps: number[] | null): void {
    this.metrics.numMatches += matches.length;
    this.currentRule = rule;
    for (let i = 0; i < matches.length; i++) {
      this.ts = timestamps?.[i] ?? timestamp;
      try {
        this.processMatchFn(toUserMatch(rule, matches[i]!), this.context, this.collector);
      } catch (e) {
        throw this.userError(e);
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
    for (const [rule, st] of ks.nfas) {
      if (st.isEmpty()) {
        ks.nfas.delete(rule);
        continue;
      }
      const deadline = rule.nfa.nextTimeout(st);
      if (deadline < next) next = deadline;
    }
    if (ks.buffered.length === 0 && ks.nfas.size === 0) {
      this.state.clear();
      return;
    }
    const tss = ks.bufferedTs;
    for (let i = 0; i < tss.length; i++) {
      const t = domain === 'PROCESSING_TIME' ? tss[i]! + 1 : tss[i]!;
      if (t < next) next = t;
    }
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(ks, next, domain);
  }

  /** Current values of the operator's metrics. */
  getMetrics(): CepMetrics {
    return { ...this.metrics };
  }

  /**
   * The metrics reach the JobExecutionResult as accumulators `<operator name>.<metric>`, summed over
   * subtasks (gauges: their value at the end of the job; peaks: the sum of per-subtask peaks).
   */
  override close(): void | Promise<void> {
    const ctx = this.parameters.runtimeContext;
    for (const [name, value] of Object.entries(this.metrics)) {
      const id = `${this.parameters.operatorName}.${name}`;
      let acc = ctx.getAccumulator<number, number>(id);
      if (acc === undefined) ctx.addAccumulator(id, (acc = new LongCounter()));
      acc.add(value);
    }
    return super.close();
  }
}

/** Every stage name of the pattern -> its events ([] for stages without events), in stage order. */
function toUserMatch<T>(rule: CepRule<T>, match: PatternMatch<T>): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const name of rule.stageNames) out[name] = match.get(name) ?? [];
  return out;
}

function checkRule(raw: unknown): PatternRule {
  if (typeof raw !== 'object' || raw === null) throw new Error(`a rule must be an object { id, action, spec }, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id === '') throw new Error(`rule.id must be a non-empty string, got ${JSON.stringify(r.id)}`);
  if (r.action !== 'upsert' && r.action !== 'delete') throw new Error(`rule '${r.id}': action must be 'upsert' or 'delete', got ${JSON.stringify(r.action)}`);
  if (r.action === 'upsert' && (r.spec === undefined || r.spec === null)) throw new Error(`rule '${r.id}': an upsert needs a spec`);
  return r as unknown as PatternRule;
}
