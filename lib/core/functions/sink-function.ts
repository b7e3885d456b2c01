/**
 * Flink's SinkFunction: the simplest sink, one synchronous `invoke` per record (`stream.addSink(fn)`).
 * For writes that wait on I/O, two-phase commit or backpressure implement a `Sink` and use `sinkTo`.
 */
import { AbstractRichFunction } from './rich-function.ts';

/** What `invoke` gets besides the record (Flink's SinkFunction.Context); one object reused per record. */
export interface SinkFunctionContext {
  /** The processing time now (epoch ms). */
  currentProcessingTime(): number;
  /** The current watermark at this sink. */
  currentWatermark(): number;
  /** The record's event timestamp, or null when it has none. */
  timestamp(): number | null;
}

export interface SinkFunction<T> {
  /** Writes one record; synchronous (a returned Promise fails the job: nobody would wait for it). */
  invoke(value: T, context: SinkFunctionContext): void;
  /** Called once when all input arrived (not after a cancel or failure), before close (Flink 1.14+). */
  finish?(): void;
  /** Each watermark this sink receives (Flink 1.14+'s writeWatermark). */
  writeWatermark?(watermark: number): void;
}

/** A SinkFunction with open/close and the runtime context (Flink's RichSinkFunction). */
export abstract class RichSinkFunction<T> extends AbstractRichFunction implements SinkFunction<T> {
  abstract invoke(value: T, context: SinkFunctionContext): void;
}

/** A SinkFunction as a plain function or an object with `invoke`. */
export type SinkFn<T> = ((value: T, context: SinkFunctionContext) => void) | SinkFunction<T>;
