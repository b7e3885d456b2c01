import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import type { Collector } from '../core/functions/collector.ts';
import { AbstractRichFunction } from '../core/functions/rich-function.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import type { TimerService } from './keyed-process.ts';
import type { OutputTag } from '../core/output-tag.ts';

const KEYED_ONLY = (): never => {
  throw new Error('Setting timers is only supported on a keyed streams.');
};

/** Context of a ProcessFunction call. */
export interface ProcessContext {
  /** Event timestamp of the current record, or null when it has none. */
  timestamp(): number | null;
  /** Current time; setting timers needs a keyed stream (KeyedProcessFunction). */
  timerService(): TimerService;
  /** Emits to a side output, read with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * The low-level function on a (non-keyed) stream (Flink's ProcessFunction).
 * ```ts
 * stream.process(new (class extends ProcessFunction<string, number> {
 *   processElement(v: string, ctx: ProcessContext, out: Collector<number>) { out.collect(v.length); }
 * })());
 * ```
 */
export abstract class ProcessFunction<IN, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void;
}

export type ProcessFn<IN, OUT> = ProcessFunction<IN, OUT> | ((value: IN, ctx: ProcessContext, out: Collector<OUT>) => void);

/** Runs a ProcessFunction; one context and one collector object, reused for every record. */
export class ProcessOperator<IN, OUT> extends AbstractUdfStreamOperator<OUT, ProcessFn<IN, OUT>> {
  private readonly fn: (value: IN, ctx: ProcessContext, out: Collector<OUT>) => void;
  private ts = NO_TIMESTAMP;
  private readonly collector: Collector<OUT> = { collect: (record: OUT) => this.output.collect(record, this.ts) };
  private readonly timers: TimerService = {
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    registerEventTimeTimer: KEYED_ONLY,
    registerProcessingTimeTimer: KEYED_ONLY,
    deleteEventTimeTimer: KEYED_ONLY,
    deleteProcessingTimeTimer: KEYED_ONLY,
  };
  private readonly context: ProcessContext = {
    timestamp: () => (this.ts === NO_TIMESTAMP ? null : this.ts),
    timerService: () => this.timers,
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.ts),
  };
  constructor(userFunction: ProcessFn<IN, OUT>) {
    super(userFunction);
    const f = this.userFunction;
    this.fn = toCallable(f, 'processElement', 'process()');
  }
  processElement(value: unknown, timestamp: number): void {
    this.ts = timestamp;
    if (isThenable(this.fn(value as IN, this.context, this.collector) as unknown)) throw new AsyncFunctionResultError('ProcessFunction.processElement()');
  }
}
