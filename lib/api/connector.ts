/**
 * The public Source and Sink contracts (after Flink's FLIP-27 Source and FLIP-143 Sink), which every
 * connector in connectors/ implements. The engine calls readers and writers synchronously on the
 * hot path; waiting for I/O happens only through the promises they hand back.
 */

export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';

/** What `SourceReader.pollNext` reports. */
export type InputStatus = 'MORE_AVAILABLE' | 'NOTHING_AVAILABLE' | 'END_OF_INPUT';

/** Where a source reader emits. Call `collect` as often as you like within one `pollNext`. */
export interface ReaderOutput<T> {
  /** Emit a record, optionally with its event timestamp (epoch ms). */
  collect(record: T, timestamp?: number): void;
  /**
   * An output for one split (a file, a partition): with a WatermarkStrategy on the source, each split
   * gets its own watermark generator and the source's watermark is the minimum over non-idle splits.
   */
  createOutputForSplit?(splitId: string): ReaderOutput<T>;
  /** The split is finished: it no longer holds the watermark back. */
  releaseOutputForSplit?(splitId: string): void;
}

export interface SourceReaderContext {
  /** 0-based index of the subtask this reader runs in. */
  getIndexOfSubtask(): number;
  /** How many parallel readers this source has. */
  currentParallelism(): number;
  /** Name of the source operator, for error messages. */
  readonly operatorName: string;
}

/**
 * Reads one parallel share of a source. Lifecycle: `start()` (awaited), then `pollNext` while it
 * returns MORE_AVAILABLE; after NOTHING_AVAILABLE the engine waits for `isAvailable()` before
 * polling again; END_OF_INPUT ends this reader; `close()` is always called.
 */
export interface SourceReader<T> {
  start(): void | Promise<void>;
  /** Emit zero or more records to `output` without blocking. */
  pollNext(output: ReaderOutput<T>): InputStatus;
  /** Resolves when `pollNext` may have something again. Rejecting fails the job with that error. */
  isAvailable(): Promise<void>;
  close(): void | Promise<void>;
}

/**
 * A source of records. Parallel sources split their input by subtask index in `createReader`;
 * a source that cannot be split sets `nonParallel` and always runs with parallelism 1.
 */
export interface Source<T> {
  readonly boundedness: Boundedness;
  readonly nonParallel?: boolean;
  createReader(context: SourceReaderContext): SourceReader<T>;
}

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
