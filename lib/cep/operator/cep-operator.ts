/**
 * Runs a pattern over a keyed stream (Flink's CepOperator). In event time, records wait in keyed
 * state until the watermark passes them and are then fed to the NFA in timestamp order (ties in
 * arrival order, or by the comparator); records at or behind the watermark are late (side output or
 * dropped and counted). Each key's NFA state (partial matches and the shared buffer) and its buffered
 * records live in one keyed ValueState; a key with no partial matches and nothing buffered holds no
 * state. One event-time timer per key, at the earliest of its buffered records and partial-match
 * deadlines, drives the NFA (Flink registers one per distinct timestamp; the firings are the same).
 */
import { AbstractUdfStreamOperator } from '../../operators/abstract-stream-operator.ts';
import { InternalTimerService, type TimeDomain } from '../../operators/timer-service.ts';
import { ValueStateDescriptor, type ValueState } from '../../state/descriptors.ts';
import { NO_TIMESTAMP } from '../../runtime/elements.ts';
import type { Collector } from '../../api/functions.ts';
import type { OutputTag } from '../../api/output-tag.ts';
import type { Pattern } from '../pattern.ts';
import { NFA, NFAState, type PatternMatch } from '../nfa/nfa.ts';
import { isTimedOutHandler, type EventComparator, type PatternContext, type PatternProcessFn, type TimedOutPartialMatchHandler } from '../functions.ts';
import type { AfterMatchSkipStrategy } from '../aftermatch/after-match-skip-strategy.ts';

/** What to do when a key exceeds maxPartialMatchesPerKey. */
export type PartialMatchOverflow = 'fail' | 'drop-oldest';

export interface CepOperatorOptions<T> {
  readonly pattern: Pattern<T, string>;
  readonly isProcessingTime: boolean;
  readonly comparator?: EventComparator<T>;
  readonly lateDataTag?: OutputTag<T>;
  readonly maxPartialMatches?: { readonly max: number; readonly overflow: PartialMatchOverflow };
}

/** Per key: the NFA state and the records waiting for the watermark (arrival order). */
interface CepKeyState<T> {
  readonly nfa: NFAState<T>;
  readonly bufferedTs: number[];
  readonly buffered: T[];
  /** Earliest timer registered for this key (Infinity: none). */
  timer: number;
}

/** Counters of one CEP operator subtask, also the gauges' sources (see CepOperator.getMetrics). */
export interface CepMetrics {
  /** Records behind the watermark (sent to the late side output or dropped). */
  numLateRecordsDropped: number;
  numMatches: number;
  numTimedOutMatches: number;
  /** Partial matches dropped by maxPartialMatchesPerKey(n, 'drop-oldest'). */
  numPartialMatchesDropped: number;
  /** Open partial matches over all keys (gauge). */
  partialMatches: number;
  /** Records buffered until the watermark, over all keys (gauge). */
  bufferedEvents: number;
  /** Events held by the shared buffers, over all keys (gauge). */
  sharedBufferEvents: number;
}

const STATE = new ValueStateDescriptor<CepKeyState<unknown>>('cep-nfa-state');

export class CepOperator<T, OUT> extends AbstractUdfStreamOperator<OUT, PatternProcessFn<T, string, OUT>> {
  private nfa!: NFA<T>;
  private state!: ValueState<CepKeyState<T>>;
  private timers!: InternalTimerService;
  private readonly skip: AfterMatchSkipStrategy;
  private readonly processMatchFn: (match: Record<string, T[]>, ctx: PatternContext, out: Collector<OUT>) => void;
  private timedOutHandler: TimedOutPartialMatchHandler<T> | undefined;
  private readonly stageNames: string[];
  private ts = 0;
  readonly metrics: CepMetrics = {
    numLateRecordsDropped: 0,
    numMatches: 0,
    numTimedOutMatches: 0,
    numPartialMatchesDropped: 0,
    partialMatches: 0,
    bufferedEvents: 0,
    sharedBufferEvents: 0,
  };
  private readonly collector: Collector<OUT> = { collect: (v: OUT) => this.output.collect(v, this.ts) };
  private readonly context: PatternContext = {
    timestamp: () => this.ts,
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.ts),
  };

  constructor(
    fn: PatternProcessFn<T, string, OUT>,
    private readonly options: CepOperatorOptions<T>,
  ) {
    super(fn);
    this.skip = options.pattern.getAfterMatchSkipStrategy();
    const f = this.userFunction;
    this.processMatchFn = typeof f === 'function' ? f : f.processMatch.bind(f);
    this.stageNames = options.pattern.allNames();
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('CEP needs a keyed stream internally; use CEP.pattern(stream, pattern)');
    super.open();
    const f = this.userFunction;
    this.timedOutHandler = isTimedOutHandler<T>(f) ? f : undefined;
    this.nfa = NFA.compile(this.options.pattern, this.timedOutHandler !== undefined);
    this.state = this.keyedBackend.getValueState(STATE as unknown as ValueStateDescriptor<CepKeyState<T>>);
    this.timers = new InternalTimerService(this.parameters.processingTimeService, (key, time, domain) => this.onTimer(key, time, domain));
  }

  processElement(value: unknown, timestamp: number): void {
    const event = value as T;
    if (this.options.isProcessingTime) {
      const now = this.parameters.processingTimeService.getCurrentProcessingTime();
      const ks = this.keyState();
      if (this.options.comparator === undefined) {
        // No reordering in processing time: straight into the NFA.
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
      if (this.options.lateDataTag !== undefined) this.emitSide(this.options.lateDataTag as OutputTag<unknown>, value, timestamp);
    }
  }

  override processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    this.timers.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  private keyState(): CepKeyState<T> {
    let ks = this.state.value();
    if (ks === undefined) {
      ks = { nfa: this.nfa.createInitialNFAState(), bufferedTs: [], buffered: [], timer: Number.POSITIVE_INFINITY };
      this.state.update(ks);
    }
    return ks;
  }

  private bufferEvent(ks: CepKeyState<T>, event: T, timestamp: number, domain: TimeDomain): void {
    ks.bufferedTs.push(timestamp);
    ks.buffered.push(event);
    this.metrics.bufferedEvents++;
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
    // Records up to `now` in timestamp order (stable: arrival order among equal timestamps, unless a comparator).
    if (ks.bufferedTs.length > 0) this.processBuffered(ks, domain === 'EVENT_TIME' ? now : now - 1);
    this.advanceTime(ks, now);
    this.afterUpdate(ks, domain);
  }

  private processBuffered(ks: CepKeyState<T>, upTo: number): void {
    const tss = ks.bufferedTs;
    const evs = ks.buffered;
    const due: number[] = [];
    for (let i = 0; i < tss.length; i++) if (tss[i]! <= upTo) due.push(i);
    if (due.length === 0) return;
    const cmp = this.options.comparator;
    due.sort((a, b) => tss[a]! - tss[b]! || (cmp === undefined ? a - b : cmp(evs[a]!, evs[b]!) || a - b));
    const dueTs = due.map((i) => tss[i]!);
    const dueEv = due.map((i) => evs[i]!);
    // Remove them from the buffer before processing (as Flink does).
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
    this.metrics.bufferedEvents -= due.length;
    let last = Number.NaN;
    for (let i = 0; i < dueEv.length; i++) {
      const t = dueTs[i]!;
      if (t !== last) this.advanceTime(ks, t);
      last = t;
      this.processEvent(ks, dueEv[i]!, t);
    }
  }

  private processEvent(ks: CepKeyState<T>, event: T, timestamp: number): void {
    const before = ks.nfa.numPartialMatches();
    const matches = this.runNfa(() => this.nfa.process(ks.nfa, event, timestamp, this.skip));
    this.metrics.partialMatches += ks.nfa.numPartialMatches() - before;
    this.emitMatches(matches, timestamp, null);
    this.limitPartialMatches(ks);
  }

  private advanceTime(ks: CepKeyState<T>, timestamp: number): void {
    const before = ks.nfa.numPartialMatches();
    const timestamps: number[] = [];
    const { matches, timedOut } = this.runNfa(() => this.nfa.advanceTime(ks.nfa, timestamp, this.skip, timestamps));
    this.metrics.partialMatches += ks.nfa.numPartialMatches() - before;
    if (matches.length > 0) this.emitMatches(matches, timestamp, timestamps);
    if (timedOut.length > 0) {
      this.metrics.numTimedOutMatches += timedOut.length;
      for (const t of timedOut) {
        this.ts = t.timestamp;
        try {
          this.timedOutHandler!.processTimedOutMatch(this.toUserMatch(t.match), this.context);
        } catch (e) {
          throw this.userError(e);
        }
      }
    }
  }

  /** Conditions are user code: their errors are attributed to this operator. */
  private runNfa<R>(step: () => R): R {
    try {
      return step();
    } catch (e) {
      throw this.userError(e);
    }
  }

  private emitMatches(matches: Array<PatternMatch<T>>, timestamp: number, timestamps: number[] | null): void {
    this.metrics.numMatches += matches.length;
    for (let i = 0; i < matches.length; i++) {
      this.ts = timestamps?.[i] ?? timestamp;
      try {
        this.processMatchFn(this.toUserMatch(matches[i]!), this.context, this.collector);
      } catch (e) {
        throw this.userError(e);
      }
    }
  }

  private toUserMatch(match: PatternMatch<T>): Record<string, T[]> {
    const out: Record<string, T[]> = {};
    for (const name of this.stageNames) out[name] = match.get(name) ?? [];
    return out;
  }

  private limitPartialMatches(ks: CepKeyState<T>): void {
    const limit = this.options.maxPartialMatches;
    if (limit === undefined) return;
    const n = ks.nfa.numPartialMatches();
    if (n <= limit.max) return;
    if (limit.overflow === 'fail') {
      throw new Error(
        `CEP: key ${JSON.stringify(this.keyedBackend!.currentKey)} has ${n} partial matches, more than maxPartialMatchesPerKey(${limit.max}); ` +
          `tighten the pattern (within(), stricter conditions) or use maxPartialMatchesPerKey(${limit.max}, 'drop-oldest')`,
      );
    }
    const dropped = this.nfa.dropOldestPartialMatches(ks.nfa, limit.max);
    this.metrics.numPartialMatchesDropped += dropped;
    this.metrics.partialMatches -= dropped;
  }

  /** Re-arms the key's timer for what is left, or drops the key's state when nothing is left. */
  private afterUpdate(ks: CepKeyState<T>, domain: TimeDomain): void {
    if (ks.buffered.length === 0 && ks.nfa.isEmpty()) {
      this.state.clear();
      return;
    }
    let next = Number.POSITIVE_INFINITY;
    for (const t of ks.bufferedTs) if (t < next) next = t;
    if (domain === 'PROCESSING_TIME' && next !== Number.POSITIVE_INFINITY) next += 1;
    const deadline = this.nfa.nextTimeout(ks.nfa);
    if (deadline < next) next = deadline;
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(ks, next, domain);
  }

  /** Current values of the operator's metrics (gauges computed now). */
  getMetrics(): CepMetrics {
    let events = 0;
    if (this.keyedBackend !== undefined) {
      for (const key of this.keyedBackend.keys(STATE.name)) {
        this.keyedBackend.setCurrentKey(key);
        events += this.state.value()?.nfa.sharedBuffer.numEvents() ?? 0;
      }
    }
    return { ...this.metrics, sharedBufferEvents: events };
  }
}
