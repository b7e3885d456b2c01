/**
 * FileSink: exactly-once files through two-phase commit (Flink's FileSink of flink-connector-files,
 * row format). Each subtask writes each bucket (a sub-folder, chosen per record by the bucket
 * assigner) into a hidden in-progress part file, `.part-<uid>-<subtask>-<counter>.inprogress.<uuid>`.
 * The rolling policy closes a part file ("pending"); at every checkpoint barrier all open part files
 * are rolled and handed over as committables, and the committer renames each to its final name,
 * `part-<uid>-<subtask>-<counter>`, once the checkpoint is durable. `uid` is new for every writer (every
 * run and restore), so a name is never used twice. A reader of the output folder that skips names
 * starting with '.' or '_' (as readTextFile does) sees committed records only, each once; what a
 * failed attempt wrote after its last completed checkpoint stays in hidden files nobody publishes.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { DateTime } from 'luxon';
import type {
  CommittingSinkWriter,
  CommittingSinkWriterContext,
  Committer,
  SinkProcessingTimeService,
  SinkRecordContext,
  TwoPhaseCommittingSink,
} from '../../lib/core/connector/sink.ts';
import { toMillis, type DurationLike } from '../../lib/core/duration.ts';
import { formatRecord } from '../../lib/core/format.ts';
import { explain, fileSinkError, FileSinkError, syncDirectory } from './fs-util.ts';

// ---- encoders ------------------------------------------------------------------------------------

/**
 * Turns one record into the bytes of a row format part file (Flink's Encoder). Returned bytes are copied
 * at once: they may be a view of a buffer the encoder reuses for the next record.
 */
export interface Encoder<T> {
  encode(element: T): string | Uint8Array;
}

/** One line per record: the record as `print` shows it (tuples as `(a,b)`), then '\n' (Flink's SimpleStringEncoder). */
export class SimpleStringEncoder<T> implements Encoder<T> {
  encode(element: T): string {
    return formatRecord(element) + '\n';
  }
}

// ---- buckets -------------------------------------------------------------------------------------

/** What a bucket assigner may look at besides the record (Flink's BucketAssigner.Context). */
export interface BucketAssignerContext {
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** The record's event timestamp, or null. */
  timestamp(): number | null;
}

/** The bucket (a folder under the base path, '' for the base path itself) a record goes to (Flink's BucketAssigner). */
export interface BucketAssigner<T> {
  getBucketId(element: T, context: BucketAssignerContext): string;
}

/** Every record in the base path (Flink's BasePathBucketAssigner). */
export class BasePathBucketAssigner<T> implements BucketAssigner<T> {
  getBucketId(): string {
    return '';
  }
}

/**
 * One bucket per hour of processing time, `yyyy-MM-dd--HH` (Flink's DateTimeBucketAssigner, its
 * default); the format is luxon's (the same letters as Java's for this pattern) in `zone` (default: the
 * system's).
 */
export class DateTimeBucketAssigner<T> implements BucketAssigner<T> {
  constructor(
    private readonly formatString = 'yyyy-MM-dd--HH',
    private readonly zone?: string,
  ) {
    if (zone !== undefined && !DateTime.local().setZone(zone).isValid) throw new RangeError(`DateTimeBucketAssigner: unknown time zone ${JSON.stringify(zone)}`);
  }
  getBucketId(_element: T, context: BucketAssignerContext): string {
    const t = DateTime.fromMillis(context.currentProcessingTime());
    return (this.zone === undefined ? t : t.setZone(this.zone)).toFormat(this.formatString);
  }
}

// ---- rolling policies ----------------------------------------------------------------------------

/** What a rolling policy knows of the open part file (Flink's PartFileInfo). */
export interface PartFileInfo {
  readonly bucketId: string;
  /** Epoch ms (processing time) when it was opened, and when a record was last written to it. */
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  /** Bytes written to it so far. */
  readonly size: number;
}

/**
 * When a part file is closed and becomes pending (Flink's RollingPolicy). A row format FileSink also
 * rolls every part file at every checkpoint (Flink's CheckpointRollingPolicy for row formats here):
 * what a checkpoint commits is then exactly what was written before its barrier.
 */
export interface RollingPolicy {
  /** Before a record is written to the part file. */
  shouldRollOnEvent(partFile: PartFileInfo): boolean;
  /** Every bucket check interval (processing time). */
  shouldRollOnProcessingTime(partFile: PartFileInfo, currentTime: number): boolean;
}

/** Rolls on size, age and inactivity, and at every checkpoint (Flink's DefaultRollingPolicy; defaults 128 MiB, 60 s, 60 s). */
export class DefaultRollingPolicy implements RollingPolicy {
  private constructor(
    readonly maxPartSize: number,
    readonly rolloverInterval: number,
    readonly inactivityInterval: number,
  ) {}

  static builder(): DefaultRollingPolicyBuilder {
    return new DefaultRollingPolicyBuilder();
  }

  /** @internal */
  static create(maxPartSize: number, rolloverInterval: number, inactivityInterval: number): DefaultRollingPolicy {
    return new DefaultRollingPolicy(maxPartSize, rolloverInterval, inactivityInterval);
  }

  shouldRollOnEvent(partFile: PartFileInfo): boolean {
    return partFile.size >= this.maxPartSize;
  }
  shouldRollOnProcessingTime(partFile: PartFileInfo, currentTime: number): boolean {
    return currentTime - partFile.creationTime >= this.rolloverInterval || currentTime - partFile.lastUpdateTime >= this.inactivityInterval;
  }
}

export class DefaultRollingPolicyBuilder {
  private maxPartSize = 128 * 1024 * 1024;
  private rolloverInterval = 60_000;
  private inactivityInterval = 60_000;

  /** Bytes a part file may reach before the next record goes to a new one. */
  withMaxPartSize(bytes: number): this {
    if (!Number.isFinite(bytes) || bytes <= 0) throw new RangeError(`withMaxPartSize needs a positive number of bytes, got ${bytes}`);
    this.maxPartSize = bytes;
    return this;
  }
  /** Longest time a part file stays open. */
  withRolloverInterval(interval: DurationLike): this {
    this.rolloverInterval = positive(interval, 'withRolloverInterval');
    return this;
  }
  /** A part file with no record for this long is closed. */
  withInactivityInterval(interval: DurationLike): this {
    this.inactivityInterval = positive(interval, 'withInactivityInterval');
    return this;
  }
  build(): DefaultRollingPolicy {
    return DefaultRollingPolicy.create(this.maxPartSize, this.rolloverInterval, this.inactivityInterval);
  }
}

/** Rolls at checkpoints only (Flink's OnCheckpointRollingPolicy). */
export class OnCheckpointRollingPolicy implements RollingPolicy {
  private constructor() {}
  static build(): OnCheckpointRollingPolicy {
    return new OnCheckpointRollingPolicy();
  }
  shouldRollOnEvent(): boolean {
    return false;
  }
  shouldRollOnProcessingTime(): boolean {
    return false;
  }
}

function positive(d: DurationLike, what: string): number {
  const ms = toMillis(d, what);
  if (!(ms > 0)) throw new RangeError(`${what} needs a positive duration, got ${String(d)}`);
  return ms;
}

// ---- file names ----------------------------------------------------------------------------------

/** Prefix and suffix of part file names (Flink's OutputFileConfig; default 'part' and ''). */
export class OutputFileConfig {
  private constructor(
    readonly partPrefix: string,
    readonly partSuffix: string,
  ) {}
  static builder(): OutputFileConfigBuilder {
    return new OutputFileConfigBuilder();
  }
  /** @internal */
  static create(partPrefix: string, partSuffix: string): OutputFileConfig {
    return new OutputFileConfig(partPrefix, partSuffix);
  }
}

export class OutputFileConfigBuilder {
  private partPrefix = 'part';
  private partSuffix = '';
  withPartPrefix(prefix: string): this {
    // A prefix starting with '.' or '_' would make committed files look hidden to readers.
    if (prefix === '' || prefix.startsWith('.') || prefix.startsWith('_') || /[/\\]/.test(prefix)) {
      throw new RangeError(`withPartPrefix: ${JSON.stringify(prefix)} is not a usable file name prefix (empty, hidden or with a path separator)`);
    }
    this.partPrefix = prefix;
    return this;
  }
  withPartSuffix(suffix: string): this {
    if (/[/\\]/.test(suffix)) throw new RangeError(`withPartSuffix: ${JSON.stringify(suffix)} holds a path separator`);
    this.partSuffix = suffix;
    return this;
  }
  build(): OutputFileConfig {
    return OutputFileConfig.create(this.partPrefix, this.partSuffix);
  }
}

// ---- the sink ------------------------------------------------------------------------------------

/** One part file to publish: rename `pendingFile` (hidden) to `targetFile` (Flink's FileSinkCommittable). */
export interface FileSinkCommittable {
  readonly bucketId: string;
  readonly pendingFile: string;
  readonly targetFile: string;
}

/**
 * Exactly-once row format files (Flink's FileSink). With checkpointing, records become visible in
 * part files when the checkpoint after them completed; without it (a bounded job, BATCH mode) when the
 * job succeeded. A failed or canceled job publishes nothing it had not committed.
 * ```ts
 * stream.sinkTo(FileSink.forRowFormat('out/', new SimpleStringEncoder<string>()).build());
 * ```
 */
export class FileSink<T> implements TwoPhaseCommittingSink<T, FileSinkCommittable> {
  /** @internal Use FileSink.forRowFormat(...).build(). */
  constructor(
    readonly basePath: string,
    readonly encoder: Encoder<T>,
    readonly bucketAssigner: BucketAssigner<T>,
    readonly rollingPolicy: RollingPolicy,
    readonly outputFileConfig: OutputFileConfig,
    readonly bucketCheckInterval: number,
  ) {}

  static forRowFormat<T>(basePath: string, encoder: Encoder<T>): RowFormatBuilder<T> {
    return new RowFormatBuilder<T>(basePath, encoder);
  }

  createWriter(context: CommittingSinkWriterContext): FileWriter<T> {
    return new FileWriter<T>(this, context.getIndexOfSubtask(), context.processingTimeService);
  }

  createCommitter(): Committer<FileSinkCommittable> {
    return new FileCommitter();
  }
}

export class RowFormatBuilder<T> {
  private bucketAssigner: BucketAssigner<T> = new DateTimeBucketAssigner<T>();
  private rollingPolicy: RollingPolicy = DefaultRollingPolicy.builder().build();
  private outputFileConfig = OutputFileConfig.builder().build();
  private bucketCheckInterval = 60_000;

  constructor(
    private readonly basePath: string,
    private readonly encoder: Encoder<T>,
  ) {
    if (typeof basePath !== 'string' || basePath === '') throw new TypeError('FileSink.forRowFormat needs a base path');
    if (typeof encoder?.encode !== 'function') throw new TypeError('FileSink.forRowFormat needs an Encoder, e.g. new SimpleStringEncoder()');
  }
  withBucketAssigner(assigner: BucketAssigner<T>): this {
    this.bucketAssigner = assigner;
    return this;
  }
  withRollingPolicy(policy: RollingPolicy): this {
    this.rollingPolicy = policy;
    return this;
  }
  withOutputFileConfig(config: OutputFileConfig): this {
    this.outputFileConfig = config;
    return this;
  }
  /** How often (processing time) part files are checked against the rolling policy's intervals (default 1 min). */
  withBucketCheckInterval(interval: DurationLike): this {
    this.bucketCheckInterval = positive(interval, 'withBucketCheckInterval');
    return this;
  }
  build(): FileSink<T> {
    return new FileSink<T>(this.basePath, this.encoder, this.bucketAssigner, this.rollingPolicy, this.outputFileConfig, this.bucketCheckInterval);
  }
}

// ---- the writer ----------------------------------------------------------------------------------

/** An open (in-progress) part file of one bucket. */
interface InProgressPart extends PartFileInfo {
  creationTime: number;
  lastUpdateTime: number;
  size: number;
  readonly path: string;
  readonly targetFile: string;
  fd: number;
  /** Encoded records not written to the file yet (written at each batch end). */
  chunks: Array<string | Uint8Array>;
  /** Bytes in the file: whole records only. */
  written: number;
}

/**
 * One subtask's writer (Flink's FileWriter with its FileWriterBuckets). Records are buffered per
 * batch and written at `flush`; `prepareCommit` closes every open part file (fsync) and hands all
 * pending ones over. `close` without a commit leaves hidden files only.
 */
export class FileWriter<T> implements CommittingSinkWriter<T, FileSinkCommittable>, BucketAssignerContext {
  /** Unique for this writer: part file names of another run or restore never collide with ours. */
  private readonly uid = randomUUID();
  private partCounter = 0;
  private readonly buckets = new Map<string, InProgressPart>();
  private pending: FileSinkCommittable[] = [];
  private recordContext: SinkRecordContext | undefined;
  private closed = false;
  private failure: FileSinkError | null = null;
  private readonly timeBased: boolean;

  constructor(
    private readonly sink: FileSink<T>,
    private readonly subtaskIndex: number,
    private readonly time: SinkProcessingTimeService | undefined,
  ) {
    // Only a policy that rolls on time needs the periodic check.
    this.timeBased = !(sink.rollingPolicy instanceof OnCheckpointRollingPolicy);
    if (this.timeBased && time !== undefined) this.scheduleBucketCheck();
  }

  currentProcessingTime(): number {
    return this.time?.getCurrentProcessingTime() ?? Date.now();
  }
  currentWatermark(): number {
    return this.recordContext?.currentWatermark() ?? Number.MIN_SAFE_INTEGER;
  }
  timestamp(): number | null {
    return this.recordContext?.timestamp() ?? null;
  }

  write(element: T, context: SinkRecordContext): void {
    if (this.failure !== null) throw this.failure;
    this.recordContext = context;
    const bucketId = this.sink.bucketAssigner.getBucketId(element, this);
    if (typeof bucketId !== 'string') throw new TypeError(`The FileSink's bucket assigner returned ${String(bucketId)}: a bucket id is a string ('' for the base path)`);
    // Bytes are copied: they wait for the batch's end, and an encoder may reuse the buffer they are a view of.
    const encoded = this.sink.encoder.encode(element);
    const data = typeof encoded === 'string' ? encoded : Buffer.from(encoded);
    const now = this.timeBased ? this.currentProcessingTime() : 0;
    let part = this.buckets.get(bucketId);
    if (part !== undefined && this.sink.rollingPolicy.shouldRollOnEvent(part)) {
      this.roll(part);
      part = undefined;
    }
    if (part === undefined) part = this.openPart(bucketId, now);
    part.chunks.push(data);
    part.size += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    part.lastUpdateTime = now;
  }

  flush(_endOfInput: boolean): void {
    if (this.failure !== null) throw this.failure;
    for (const part of this.buckets.values()) this.writeChunks(part);
  }

  /** Rolls every open part file (a row format rolls at every checkpoint) and hands over all pending ones. */
  prepareCommit(): FileSinkCommittable[] {
    if (this.failure !== null) throw this.failure;
    for (const part of this.buckets.values()) this.roll(part);
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Without a commit the part files stay hidden: a canceled or failed job publishes nothing new. */
  close(): void {
    this.closed = true;
    let first: unknown;
    for (const part of this.buckets.values()) {
      try {
        closeSync(part.fd);
      } catch (e) {
        first ??= e;
      }
    }
    this.buckets.clear();
    if (first !== undefined) throw first;
  }

  private openPart(bucketId: string, now: number): InProgressPart {
    const { partPrefix, partSuffix } = this.sink.outputFileConfig;
    const dir = bucketId === '' ? this.sink.basePath : join(this.sink.basePath, bucketId);
    const name = `${partPrefix}-${this.uid}-${this.subtaskIndex}-${this.partCounter++}${partSuffix}`;
    const targetFile = join(dir, name);
    const path = join(dir, `.${name}.inprogress.${randomUUID()}`);
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true });
      fd = openSync(path, 'wx');
    } catch (e) {
      throw this.error(`Cannot create part file ${targetFile} (in-progress file ${path}): ${explain(e)}`, targetFile, e);
    }
    const part: InProgressPart = { bucketId, creationTime: now, lastUpdateTime: now, size: 0, path, targetFile, fd, chunks: [], written: 0 };
    this.buckets.set(bucketId, part);
    return part;
  }

  private writeChunks(part: InProgressPart): void {
    if (part.chunks.length === 0) return;
    const bytes = Buffer.concat(part.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
    part.chunks = [];
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = writeSync(part.fd, bytes, done, bytes.length - done, part.written + done);
        if (n <= 0) throw Object.assign(new Error('the file system accepted no bytes'), { code: 'EIO' });
        done += n;
      }
    } catch (e) {
      throw this.error(`Cannot write part file ${part.targetFile} (in-progress file ${part.path}): ${explain(e)}`, part.targetFile, e);
    }
    part.written += bytes.length;
  }

  /** Closes the part file: it is pending, published by the committer once its checkpoint completed. */
  private roll(part: InProgressPart): void {
    this.writeChunks(part);
    try {
      fsyncSync(part.fd);
      closeSync(part.fd);
    } catch (e) {
      throw this.error(`Cannot write part file ${part.targetFile} (in-progress file ${part.path}): ${explain(e)}`, part.targetFile, e);
    }
    this.buckets.delete(part.bucketId);
    this.pending.push({ bucketId: part.bucketId, pendingFile: part.path, targetFile: part.targetFile });
  }

  private scheduleBucketCheck(): void {
    const time = this.time!;
    time.registerTimer(time.getCurrentProcessingTime() + this.sink.bucketCheckInterval, (now) => {
      if (this.closed || this.failure !== null) return;
      for (const part of [...this.buckets.values()]) {
        if (this.sink.rollingPolicy.shouldRollOnProcessingTime(part, now)) this.roll(part);
      }
      this.scheduleBucketCheck();
    });
  }

  private error(message: string, path: string, cause: unknown): FileSinkError {
    const err = fileSinkError(message, path, cause);
    this.failure ??= err;
    return err;
  }
}

// ---- the committer -------------------------------------------------------------------------------

/**
 * Publishes pending part files by renaming them to their final names (Flink's FileCommitter).
 * Idempotent: a committable whose pending file is gone and whose final file exists was committed
 * before (by an earlier attempt, before a restore) and is skipped; one with neither fails, as its
 * records are lost.
 */
export class FileCommitter implements Committer<FileSinkCommittable> {
  commit(committables: readonly FileSinkCommittable[]): void {
    const dirs = new Set<string>();
    for (const c of committables) {
      try {
        renameSync(c.pendingFile, c.targetFile);
        dirs.add(dirname(c.targetFile));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(c.targetFile)) continue; // committed before
        throw fileSinkError(`Cannot commit part file ${c.targetFile} (rename of pending file ${c.pendingFile}): ${explain(e)}`, c.targetFile, e);
      }
    }
    for (const dir of dirs) syncDirectory(dir);
  }
}
