import { AsyncFunctionResultError, isAsyncFunction, isThenable } from '../core/errors.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { SinkFn, SinkFunctionContext } from '../core/functions/sink-function.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';

const ASYNC_ADVICE = 'For writes that wait on I/O implement a Sink whose writer flushes them, and use sinkTo(sink).';

/** Runs a SinkFunction (Flink's StreamSink operator): `invoke` per record, `finish` at the end of input. */
export class StreamSink<T> extends AbstractUdfStreamOperator<never, SinkFn<T>> implements SinkFunctionContext {
  private readonly invoke: (value: T, context: SinkFunctionContext) => unknown;
  private currentTimestamp = NO_TIMESTAMP;

  constructor(userFunction: SinkFn<T>) {
    super(userFunction);
    this.invoke = toCallable(this.userFunction, 'invoke', 'addSink()');
    if (isAsyncFunction(this.invoke)) throw new AsyncFunctionResultError('The sink function invoke()', ASYNC_ADVICE);
  }

  processElement(value: unknown, timestamp: number): void {
    this.currentTimestamp = timestamp;
    const r = this.invoke(value as T, this);
    // A Promise nobody awaits would let the job end before the write did.
    if (r !== undefined && isThenable(r)) throw new AsyncFunctionResultError('The sink function invoke()', ASYNC_ADVICE);
  }

  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return;
    super.processWatermark(watermark);
    const fn = this.userFunction;
    if (typeof fn === 'object') fn.writeWatermark?.(watermark);
  }

  override endInput(): void {
    const fn = this.userFunction;
    if (typeof fn === 'object') fn.finish?.();
  }

  currentProcessingTime(): number {
    return this.parameters.processingTimeService.getCurrentProcessingTime();
  }
  currentWatermark(): number {
    return this.inputWatermark;
  }
  timestamp(): number | null {
    return this.currentTimestamp === NO_TIMESTAMP ? null : this.currentTimestamp;
  }
}
