/**
 * The public Sink contract (after Flink's FLIP-143 Sink), which every sink connector in connectors/
 * implements. The engine calls writers synchronously on the hot path; waiting for I/O happens only
 * through the promises they hand back.
 */

export interface SinkWriterContext {
  getIndexOfSubtask(): number;
  currentParallelism(): number;
  readonly operatorName: string;
}

/** Per-record context; one object reused for every record, read it inside `write` only. */
export interface SinkRecordContext {
  /** Event timestamp of the record, or null when it has none. */
  timestamp(): number | null;
  /** The current watermark at this sink. */
  currentWatermark(): number;
}

/**
 * Writes one parallel share of a sink's input. `write` is synchronous; a writer that does I/O
 * buffers and may report backpressure through `isAvailable` (checked between batches).
 *
 * Lifecycle: `write`* and `flush(false)` per batch; `flush(true)` once, only when all input arrived
 * (the job was not canceled and has not failed so far); `close()` always, last. So a `close()` without
 * a completed `flush(true)` before it means the job was canceled or failed: the writer must still hand
 * over what it accepted (an at-least-once sink writes its buffer), but must not publish its output
 * as complete (a file sink leaves its in-progress file). Even after `flush(true)` another subtask
 * may still fail the job: output that must appear all at once is published by the sink's
 * `finalizeGlobal`, which runs only when the whole job succeeded. A throw or rejection from `flush`
 * fails the job; from `close()` too, unless the job is already being canceled or failing.
 */
export interface SinkWriter<T> {
  write(element: T, context: SinkRecordContext): void;
  /**
   * Called at the end of each input batch (`false`) and once at the successful end of input
   * (`true`, where a writer completes and prepares its output for `Sink.finalizeGlobal`); may finish
   * asynchronous work.
   */
  flush(endOfInput: boolean): void | Promise<void>;
  /** When the writer cannot take more now, a promise that resolves when it can; otherwise null. */
  isAvailable?(): Promise<void> | null;
  /** Always called, last; after a canceled or failed job without `flush(true)` before it. */
  close(): void | Promise<void>;
}

export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T>;
  /**
   * Called once per job, by the client, before any writer exists (Flink's
   * OutputFormat.initializeGlobal): prepare or clean the destination for `parallelism` writers.
   */
  initializeGlobal?(parallelism: number): void;
  /**
   * Called once per job, by the client, only after the whole job succeeded (every writer's
   * `flush(true)` and `close()` did), never after a cancel or failure (Flink's
   * FinalizeOnMaster.finalizeGlobal): publish what the writers prepared, e.g. rename files to
   * their final names. A throw fails the job.
   */
  finalizeGlobal?(parallelism: number): void;
  /** A sink that must run as one subtask (a single file, say). */
  readonly nonParallel?: boolean;
}
