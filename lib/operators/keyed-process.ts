import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import { AbstractRichFunction } from '../core/functions/rich-function.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { Collector } from '../core/functions/collector.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { VOID_NAMESPACE, type VoidNamespace } from '../state/namespace.ts';
import type { InternalTimer, InternalTimerService, TimeDomain, Triggerable } from '../state/timers/internal-timer-service.ts';
import type { OutputTag } from '../core/output-tag.ts';

/** Timers and time, as a process function sees them (Flink's TimerService). */
export interface TimerService {
  currentProcessingTime(): number;
  /** The operator's current event time (input watermark); -Infinity before the first watermark. */
  currentWatermark(): number;
  /** Calls onTimer when the watermark reaches `time`; once per (key, time). */
  registerEventTimeTimer(time: number): void;
  /** Calls onTimer when the wall clock reaches `time` (epoch ms); once per (key, time). */
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

export interface KeyedProcessContext<K> {
  /** Event timestamp of the current record (or of the firing event-time timer); null when none. */
  timestamp(): number | null;
  timerService(): TimerService;
  getCurrentKey(): K;
  /** Emits to a side output, read with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): TimeDomain;
}

/**
 * Per-key processing with keyed state and timers (Flink's KeyedProcessFunction).
 * ```ts
 * class Timeout extends KeyedProcessFunction<string, Reading, string> {
 *   processElement(r: Reading, ctx: KeyedProcessContext<string>) {
 *     ctx.timerService().registerEventTimeTimer(r.ts + 30_000);
 *   }
 *   onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>) {
 *     out.collect(`${ctx.getCurrentKey()} silent since ${ts - 30_000}`);
 *   }
 * }
 * ```
 */
export abstract class KeyedProcessFunction<K, IN, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<OUT>): void {}
}

export type KeyedProcessFn<K, IN, OUT> =
  | KeyedProcessFunction<K, IN, OUT>
  | ((value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>) => void);

/** Runs a KeyedProcessFunction (Flink's KeyedProcessOperator). */
export class KeyedProcessOperator<K, IN, OUT> extends AbstractUdfStreamOperator<OUT, KeyedProcessFn<K, IN, OUT>> implements Triggerable<unknown, VoidNamespace> {
  private readonly fn: (value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>) => void;
  private readonly timerFn: ((timestamp: number, ctx: OnTimerContext<K>, out: Collector<OUT>) => void) | undefined;
  private timers!: InternalTimerService<VoidNamespace>;
  private ts = NO_TIMESTAMP;
  /** What ctx.timestamp() returns and side outputs carry: the record's timestamp, or the firing timer's (both domains, as Flink). */
  private contextTs = NO_TIMESTAMP;
  private domain: TimeDomain = 'EVENT_TIME';
  private readonly collector: Collector<OUT> = { collect: (record: OUT) => this.output.collect(record, this.ts) };
  private readonly timerService: TimerService = {
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    registerEventTimeTimer: (t) => this.timers.registerEventTimeTimer(VOID_NAMESPACE, t),
    registerProcessingTimeTimer: (t) => this.timers.registerProcessingTimeTimer(VOID_NAMESPACE, t),
    deleteEventTimeTimer: (t) => this.timers.deleteEventTimeTimer(VOID_NAMESPACE, t),
    deleteProcessingTimeTimer: (t) => this.timers.deleteProcessingTimeTimer(VOID_NAMESPACE, t),
  };
  private readonly context: OnTimerContext<K> = {
    timestamp: () => (this.contextTs === NO_TIMESTAMP ? null : this.contextTs),
    timerService: () => this.timerService,
    getCurrentKey: () => this.keyedBackend!.currentKey as K,
    timeDomain: () => this.domain,
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.contextTs),
  };

  constructor(userFunction: KeyedProcessFn<K, IN, OUT>) {
    super(userFunction);
    const f = this.userFunction;
    this.fn = toCallable(f, 'processElement', 'process()');
    // onTimer is optional: a plain object (JavaScript, tests) may leave it out.
    this.timerFn = typeof f === 'function' || typeof f.onTimer !== 'function' ? undefined : f.onTimer.bind(f);
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('KeyedProcessFunction needs a keyed stream: call keyBy() first');
    super.open();
    this.timers = this.getInternalTimerService('user-timers', this);
  }

  processElement(value: unknown, timestamp: number): void {
    this.ts = this.contextTs = timestamp;
    if (isThenable(this.fn(value as IN, this.context, this.collector) as unknown)) throw new AsyncFunctionResultError('KeyedProcessFunction.processElement()');
  }

  onEventTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.fireTimer(timer.timestamp, 'EVENT_TIME');
  }

  onProcessingTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.fireTimer(timer.timestamp, 'PROCESSING_TIME');
  }

  /** The timer service has set the timer's key as the current key. */
  private fireTimer(time: number, domain: TimeDomain): void {
    this.domain = domain;
    // Flink: event-time timer output carries the timer's time; processing-time output has none.
    this.ts = domain === 'EVENT_TIME' ? time : NO_TIMESTAMP;
    this.contextTs = time;
    if (this.timerFn === undefined) return;
    // Fired from processWatermark or a processing-time timer of this operator: the chain or the task names it.
    if (isThenable(this.timerFn(time, this.context, this.collector) as unknown)) throw new AsyncFunctionResultError('KeyedProcessFunction.onTimer()');
  }
}
