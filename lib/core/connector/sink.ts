/**
 * The public Sink contract (after Flink's FLIP-143 Sink), which every sink connector in connectors/
 * implements. The engine calls writers synchronously on the hot path; waiting for I/O happens only
 * through the promises they hand back.
 */

export interface SinkWriterContext {
  getIndexOfSubtask(): number;
  currentParallelism(): number;
  /** 0 on the job's first run; grows with each restart after a failure (Flink's InitContext.getAttemptNumber). */
  getAttemptNumber?(): number;
  /**
   * The id of the checkpoint this writer's subtask was restored from, undefined on a fresh start (Flink's
   * WriterInitContext.getRestoredCheckpointId). The JobMaster has committed that checkpoint's committables
   * before the writer exists; what a writer began after it (a Kafka transaction) belongs to a dead attempt.
   */
  getRestoredCheckpointId?(): number | undefined;
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

/** What a sink may check about the job it is part of, at submission (`Sink.initializeGlobal`). */
export interface SinkJobInfo {
  /** ms between checkpoints; undefined when checkpointing is off (or the job runs in BATCH mode). */
  readonly checkpointInterval: number | undefined;
  /** Whether every source of the job is bounded (the job ends by itself). */
  readonly bounded: boolean;
  /** Whether the job starts from a checkpoint or savepoint (`tidemark run -s`): what its writers left must stay. */
  readonly restoring: boolean;
}

export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T>;
  /**
   * Called once per job, by the client, before any writer exists (Flink's
   * OutputFormat.initializeGlobal): prepare or clean the destination for `parallelism` writers,
   * and refuse a job the sink cannot serve (a throw fails the submission) — `job` says how it runs.
   */
  initializeGlobal?(parallelism: number, job: SinkJobInfo): void;
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

// ---- Two-phase commit (Flink's Sink V2: SupportsCommitter, CommittingSinkWriter, Committer) ----------

/**
 * Processing time for writers that act on it (a file sink rolls part files after an interval):
 * timers run on the task's mailbox, never concurrently with `write` (Flink's
 * WriterInitContext.getProcessingTimeService).
 */
export interface SinkProcessingTimeService {
  getCurrentProcessingTime(): number;
  /** Calls `callback(time)` once processing time reaches `time` (epoch ms); not after the writer closed. */
  registerTimer(time: number, callback: (time: number) => void): void;
}

/** What a writer of a two-phase-commit sink gets (Flink's WriterInitContext). */
export interface CommittingSinkWriterContext extends SinkWriterContext {
  /** The job's processing time; the sink writer operator always provides it. */
  readonly processingTimeService?: SinkProcessingTimeService;
}

/**
 * A writer whose output becomes visible only when committed (Flink's CommittingSinkWriter).
 *
 * At each checkpoint barrier the engine calls `flush(false)` and then, synchronously, `prepareCommit()`:
 * the committables it returns describe everything written since the previous `prepareCommit` (a
 * part file to publish, a transaction to commit), and records written after it belong to the next
 * checkpoint. A returned promise lets the writer finish its I/O (a pending `flush`) first; the barrier
 * is acknowledged when it settled. After `flush(true)` (the end of input) `prepareCommit()` is called
 * once more, for the last records. Committables travel in the checkpoint (v8.serialize): plain data
 * only. The writer must not publish anything itself: a canceled or failed job leaves what it wrote
 * since the last committed checkpoint unpublished.
 */
export interface CommittingSinkWriter<T, CommT> extends SinkWriter<T> {
  prepareCommit(): CommT[] | Promise<CommT[]>;
  /**
   * Called at each checkpoint barrier right after `prepareCommit()`, with the checkpoint's id (Flink's
   * StatefulSinkWriter.snapshotState, without writer state here): a writer that names what it writes next
   * after the checkpoint (Kafka's transactional ids) learns it. Not called after the end of input.
   */
  snapshotState?(checkpointId: number): void;
}

/**
 * Publishes committables (Flink's Committer). Runs in the JobMaster (the client's thread), after the
 * checkpoint that holds them is durable; with checkpointing off, once at the end of a successful job.
 *
 * `commit` must be idempotent: after a failure the committables of the restored checkpoint are
 * committed again before the job resumes, so the same committable can arrive a second time (after
 * it was fully or partly committed) and must then change nothing. A committable that can no longer
 * be committed (its data is gone) must throw: the job fails rather than silently lose output.
 */
export interface Committer<CommT> {
  commit(committables: readonly CommT[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

/**
 * A sink with exactly-once output through two-phase commit (Flink 1.20's `Sink & SupportsCommitter`,
 * which replaced the deprecated TwoPhaseCommittingSink; the type keeps that older, descriptive name).
 * Its `finalizeGlobal`, if any, is not needed: the committer publishes, also at the end of a job.
 */
export interface SupportsCommitter<CommT> {
  createCommitter(): Committer<CommT>;
}

export interface TwoPhaseCommittingSink<T, CommT> extends Sink<T>, SupportsCommitter<CommT> {
  createWriter(context: CommittingSinkWriterContext): CommittingSinkWriter<T, CommT>;
}

/** Whether the runtime must collect this sink's committables and commit them (a Sink V2 with a committer). */
export function isTwoPhaseCommittingSink<T>(sink: Sink<T>): sink is TwoPhaseCommittingSink<T, unknown> {
  return typeof (sink as Partial<SupportsCommitter<unknown>>).createCommitter === 'function';
}
