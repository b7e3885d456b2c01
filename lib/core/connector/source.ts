/**
 * The public Source contract (after Flink's FLIP-27 Source), which every source
 * connector in connectors/ implements. The engine calls readers synchronously on the
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
  /**
   * Emit a record to the side output with this OutputTag id (read with `getSideOutput(tag)` on the stream
   * `fromSource` returned). Returns false, dropping nothing, when no one reads that side output.
   */
  collectSide?(tag: string, record: unknown, timestamp?: number): boolean;
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
  /**
   * When the job was restored from a checkpoint or savepoint: the splits this reader reads, with their
   * positions, as `snapshotState` returned them in the old run — spread round robin over the readers when
   * the parallelism changed, or, when the source has `getSplitOwner`, exactly the splits of all old readers
   * that it assigns to this reader. Undefined on a fresh start: the reader takes its own share.
   */
  readonly restoredSplits?: readonly SourceSplit[];
}

/** A part of a source's input that one reader reads: a file, a range, a Kafka partition (Flink's SourceSplit). */
export interface SourceSplit {
  /** Stable across runs: a split's watermark follows it through a restore. */
  readonly splitId: string;
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
  /**
   * The reader's unfinished splits with their current positions (Flink's SourceReader.snapshotState),
   * called between two polls when this reader's subtask emits checkpoint barrier `checkpointId`:
   * records emitted before are in the checkpoint, later ones are not. The result must be structured-
   * cloneable plain data. A reader without it cannot rewind: after a restart its records since the
   * last checkpoint are not read again (the job warns once when checkpointing is on).
   */
  snapshotState?(checkpointId: number): SourceSplit[];
  /** Checkpoint `checkpointId` completed (a Kafka reader commits offsets back for monitoring). */
  notifyCheckpointComplete?(checkpointId: number): void;
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
  /**
   * The reader (0-based, below `numReaders`) that reads `split` (Flink's KafkaSourceEnumerator#getSplitOwner),
   * for a source whose readers find new splits themselves by the same rule (KafkaSource's partitions). When
   * set, a restore gives each reader the splits this assigns to it out of ALL old readers' splits, each with
   * its watermark state, whatever the parallelism: a restored reader holds every split of the job it owns, so
   * it can tell a split the job knew from a new one. Unset: round robin (same parallelism: each reader its own).
   */
  getSplitOwner?(split: SourceSplit, numReaders: number): number;
}
