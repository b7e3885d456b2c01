import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import type { Sink, SinkRecordContext, SinkWriter } from '../core/connector/sink.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';

/** Runs a Sink's writer (Flink's SinkWriterOperator). One record context object, reused. */
export class SinkWriterOperator<T> extends AbstractStreamOperator<never> implements SinkRecordContext {
  private writer!: SinkWriter<T>;
  private recordTimestamp = NO_TIMESTAMP;
  private pendingFlush: Promise<void> | null = null;
  private flushError: unknown = undefined;

  constructor(private readonly sink: Sink<T>) {
    super();
  }

  timestamp(): number | null {
    return this.recordTimestamp === NO_TIMESTAMP ? null : this.recordTimestamp;
  }
  currentWatermark(): number {
    return this.inputWatermark;
  }

  override open(): void {
    const p = this.parameters;
    this.writer = this.sink.createWriter({
      operatorName: p.operatorName,
      getIndexOfSubtask: () => p.taskInfo.indexOfThisSubtask,
      currentParallelism: () => p.taskInfo.numberOfParallelSubtasks,
    });
  }

  processElement(value: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    // An async write would be waited for by nobody: flush(true) and a finished job before it settled.
    if (isThenable(this.writer.write(value as T, this) as unknown)) {
      throw new AsyncFunctionResultError('SinkWriter.write()', 'Buffer the records in write() and return a Promise from flush(), which the job waits for.');
    }
  }

  override processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
  }

  endOfBatch(): void {
    if (this.flushError !== undefined) throw this.flushError; // the task attributes endOfBatch errors to this operator
    const r = this.writer.flush(false);
    if (r && typeof (r as Promise<void>).then === 'function') {
      // Never an unhandled rejection: the error is kept and fails the task at its next step.
      const p: Promise<void> = Promise.resolve(r).then(
        () => {
          if (this.pendingFlush === p) this.pendingFlush = null;
        },
        (e: unknown) => {
          if (this.pendingFlush === p) this.pendingFlush = null;
          this.flushError = e;
        },
      );
      this.pendingFlush = p;
    }
  }

  availability(): Promise<void> | null {
    if (this.flushError !== undefined) return Promise.reject(this.flushError); // the task attributes availability errors to this operator
    if (this.pendingFlush) return this.pendingFlush;
    return this.writer.isAvailable ? this.writer.isAvailable() : null;
  }

  waitingFor(phase: 'availability' | 'finish'): string {
    return phase === 'finish' || this.pendingFlush !== null ? "its writer's flush() to settle" : "its writer's isAvailable() to settle";
  }

  async finish(): Promise<void> {
    if (this.pendingFlush) await this.pendingFlush;
    if (this.flushError !== undefined) throw this.flushError; // the task attributes finish errors to this operator
    await this.writer.flush(true);
  }

  override async close(): Promise<void> {
    if (this.writer) await this.writer.close();
  }
}
