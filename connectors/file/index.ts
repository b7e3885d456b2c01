/**
 * Text files in and out.
 * - `TextLineSource`: the lines of a file, or of every file in a directory (files are spread over
 *   subtasks; a file is read by one subtask, in order). Reads 64 KiB at a time, only when the job
 *   wants more, so a large file does not fill memory. A line longer than `lineLengthLimit` bytes
 *   (default 1 MiB) fails the job with a LineTooLongError naming the file, byte offset and line number.
 *   It rewinds: a checkpoint holds each unfinished file's byte offset and line number.
 * - `FileSink`: exactly-once part files in buckets, published by two-phase commit (file-sink.ts).
 * - `TextFileSink`: one line per record (`writeAsText`), or CSV rows (`writeAsCsv`). Not exactly-once:
 *   a job restarted from a checkpoint writes its files anew, and without checkpointing nothing is
 *   recovered (use FileSink for exactly-once output). With
 *   parallelism 1 the path is a file; with more, a directory holding one file per subtask (1, 2, ...),
 *   as Flink's FileOutputFormat does. Each file is written as `.<name>.inprogress` beside it and
 *   renamed to its name only when the whole job succeeded (finalizeGlobal: all files or none, so a
 *   failed job never leaves some of them looking complete); every write is complete or fails the
 *   job (ENOSPC and the path named).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { Boundedness, InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../lib/core/connector/source.ts';
import { toMillis, type DurationLike } from '../../lib/core/duration.ts';
import type { Sink, SinkJobInfo, SinkWriter, SinkWriterContext } from '../../lib/core/connector/sink.ts';
import { formatCsvRow, formatRecord } from '../../lib/core/format.ts';
import { checkLineLengthLimit, LineSplitter, LineTooLongError, type LineSourceOptions } from './lines.ts';
import { registerErrorClass, TidemarkError } from '../../lib/core/errors.ts';
import { explain, fileSinkError, FileSinkError, syncDirectory } from './fs-util.ts';

export { DEFAULT_LINE_LENGTH_LIMIT, LineTooLongError, type LineSourceOptions } from './lines.ts';
export { FileSinkError } from './fs-util.ts';
export {
  FileSink,
  RowFormatBuilder,
  FileWriter,
  FileCommitter,
  SimpleStringEncoder,
  BasePathBucketAssigner,
  DateTimeBucketAssigner,
  DefaultRollingPolicy,
  DefaultRollingPolicyBuilder,
  OnCheckpointRollingPolicy,
  OutputFileConfig,
  OutputFileConfigBuilder,
  type Encoder,
  type BucketAssigner,
  type BucketAssignerContext,
  type RollingPolicy,
  type PartFileInfo,
  type FileSinkCommittable,
} from './file-sink.ts';

const CHUNK = 64 * 1024;

/** A file source's error: names the path and what went wrong. */
export class FileSourceError extends TidemarkError {
  override name = 'FileSourceError';
}
registerErrorClass(FileSourceError);

function listFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new FileSourceError(`Cannot read input ${path}: ${explain(e)}`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .sort()
    .map((f) => join(path, f))
    .filter((f) => isFileStill(f));
}

/**
 * Whether `path` is a file. One that vanished since the folder was listed (deleted or renamed meanwhile, or a
 * dangling link) is not: it is skipped, as a listing taken a moment later would not show it.
 */
function isFileStill(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new FileSourceError(`Cannot read input ${path}: ${explain(e)}`);
  }
}

/**
 * A file's unread rest (Flink's FileSourceSplit with its CheckpointedPosition): the next line starts
 * at `offset` bytes and is line `lineNumber` of the file.
 */
export interface FileSourceSplit extends SourceSplit {
  readonly path: string;
  readonly offset: number;
  readonly lineNumber: number;
}

/**
 * What a monitoring FileSource's checkpoint holds besides its file splits: every path it has made a split of
 * (Flink's ContinuousFileSplitEnumerator's alreadyProcessedPaths), so a restore neither reads them again nor
 * skips a file that appeared since.
 */
export interface MonitoredPathsSplit extends SourceSplit {
  readonly splitId: typeof MONITORED_PATHS_SPLIT;
  readonly processedPaths: readonly string[];
}
const MONITORED_PATHS_SPLIT = '__monitored-paths__';

/** A monitoring reader's folders, how often they are listed, and the paths already made splits of. */
interface Monitoring {
  readonly paths: readonly string[];
  readonly intervalMs: number;
  readonly processed: Set<string>;
}

class TextLineReader<T = string> implements SourceReader<T> {
  private lines: string[] = [];
  private next = 0;
  /** The split being read (null before the first and after the last). */
  private current: FileSourceSplit | null = null;
  private splitter: LineSplitter | null = null;
  private handle: FileHandle | null = null;
  /** Where the next read starts in the current file. */
  private filePos = 0;
  /** The current file is read to its end: `lines` are its last. */
  private eof = false;
  private reading: Promise<void> | null = null;
  private done = false;
  private failure: unknown = null;
  /**
   * Two read buffers, used in turn: the splitter's last batch may be a view of the one read before,
   * and a checkpoint taken while the next read is in flight reads positions from it.
   */
  private readonly bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const;
  private bufTurn = 0;

  /** Monitoring: when the folders are listed next (epoch ms), and the timer that waits for it. */
  private nextDiscovery = 0;
  private discoveryTimer: NodeJS.Timeout | null = null;

  constructor(
    /** The splits not started yet, in order. */
    private readonly queue: FileSourceSplit[],
    private readonly lineLengthLimit: number,
    private readonly fromLine: ((line: string) => T) | null = null,
    private readonly monitoring: Monitoring | null = null,
  ) {}

  async start(): Promise<void> {
    if (this.monitoring !== null) this.discover();
    await this.openNext();
  }

  /** Adds the files of the monitored folders not made splits of yet, in name order (Flink's continuous enumerator). */
  private discover(): void {
    const m = this.monitoring!;
    this.nextDiscovery = Date.now() + m.intervalMs;
    for (const root of m.paths) {
      for (const path of listFiles(root)) {
        if (m.processed.has(path)) continue;
        m.processed.add(path);
        this.queue.push({ splitId: path, path, offset: 0, lineNumber: 1 });
      }
    }
  }

  private async openNext(): Promise<void> {
    const previous = this.handle;
    this.handle = null;
    if (previous) await previous.close();
    const split = this.queue.shift();
    this.lines = [];
    this.next = 0;
    this.eof = false;
    if (split === undefined) {
      this.current = null;
      // Monitoring never ends: the next listing may bring files.
      if (this.monitoring === null) this.done = true;
      return;
    }
    // Set before the open completes, so a snapshot meanwhile holds this split's position.
    this.current = split;
    this.filePos = split.offset;
    this.splitter = new LineSplitter('\n', this.lineLengthLimit, true, true);
    this.splitter.resumeAt({ byteOffset: split.offset, lineNumber: split.lineNumber });
    try {
      this.handle = await open(split.path, 'r');
    } catch (e) {
      throw new FileSourceError(`Cannot read input file ${split.path}: ${explain(e)}`);
    }
  }

  private async readChunk(): Promise<void> {
    const h = this.handle!;
    const splitter = this.splitter!;
    const buf = this.bufs[(this.bufTurn ^= 1)];
    const { bytesRead } = await h.read(buf, 0, CHUNK, this.filePos);
    this.filePos += bytesRead;
    this.next = 0;
    this.lines = bytesRead === 0 ? splitter.finish() : splitter.push(buf.subarray(0, bytesRead));
    this.eof = bytesRead === 0;
    const at = splitter.tooLong;
    if (at !== null) {
      // The lines before it are emitted first; then the job fails.
      this.failure = new LineTooLongError(
        this.current!.path,
        at.byteOffset,
        at.lineNumber,
        splitter.limit,
        'Line',
        "Is it a text file with '\\n' line ends? If such lines are expected, raise the limit: readTextFile(path, { lineLengthLimit: bytes }).",
      );
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.next < this.lines.length) {
      const line = this.lines[this.next++]!;
      output.collect(this.fromLine === null ? (line as T) : this.fromLine(line));
      return 'MORE_AVAILABLE';
    }
    if (this.failure !== null) throw this.failure;
    if (this.done) return 'END_OF_INPUT';
    if (this.current === null && this.monitoring !== null && this.reading === null) {
      // Between files: wait for the next listing (a timer), then take what it found.
      if (this.queue.length === 0) {
        const wait = this.nextDiscovery - Date.now();
        if (wait > 0) {
          this.reading = new Promise<void>((resolve) => (this.discoveryTimer = setTimeout(resolve, wait))).then(() => {
            this.discoveryTimer = null;
            this.reading = null;
          });
          return 'NOTHING_AVAILABLE';
        }
        try {
          this.discover();
        } catch (e) {
          this.failure = e;
          throw e;
        }
        if (this.queue.length === 0) return this.pollNext(output); // schedules the wait for the next listing
      }
      this.eof = true; // makes the step below open the next file
    }
    if (this.reading === null) {
      this.reading = (this.eof ? this.openNext() : this.readChunk()).then(
        () => {
          this.reading = null;
        },
        (e: unknown) => {
          this.reading = null;
          this.failure = e;
        },
      );
    }
    return 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    return this.reading ?? Promise.resolve();
  }

  /** The current file from its next line on, then the files not started (and, monitoring, the paths seen). */
  snapshotState(): Array<FileSourceSplit | MonitoredPathsSplit> {
    const out: Array<FileSourceSplit | MonitoredPathsSplit> = [];
    const split = this.current;
    if (split !== null && !(this.eof && this.next >= this.lines.length)) {
      const at = this.splitter!.positionOf(this.next);
      out.push({ splitId: split.splitId, path: split.path, offset: at.byteOffset, lineNumber: at.lineNumber });
    }
    for (const s of this.queue) out.push(s);
    if (this.monitoring !== null) out.push({ splitId: MONITORED_PATHS_SPLIT, processedPaths: [...this.monitoring.processed] });
    return out;
  }

  async close(): Promise<void> {
    if (this.discoveryTimer !== null) {
      clearTimeout(this.discoveryTimer);
      this.discoveryTimer = null;
      this.reading = null;
    }
    await this.reading;
    await this.handle?.close();
    this.handle = null;
  }
}

/**
 * Lines of a text file, or of the files of a directory (Flink's readTextFile / FileSource). Each file
 * is a split; a checkpoint holds each unfinished file's position (byte offset and line number of its
 * next line), so a restored job goes on with the line after the last one emitted before it.
 */
export class TextLineSource implements Source<string> {
  readonly boundedness = 'BOUNDED';
  private readonly lineLengthLimit: number;
  constructor(
    readonly path: string,
    options: LineSourceOptions = {},
  ) {
    this.lineLengthLimit = checkLineLengthLimit(options.lineLengthLimit);
  }
  createReader(context: SourceReaderContext): SourceReader<string> {
    const restored = context.restoredSplits as readonly FileSourceSplit[] | undefined;
    const splits =
      restored !== undefined
        ? restored.slice()
        : listFiles(this.path)
            .filter((_f, i) => i % context.currentParallelism() === context.getIndexOfSubtask())
            .map((path): FileSourceSplit => ({ splitId: path, path, offset: 0, lineNumber: 1 }));
    return new TextLineReader(splits, this.lineLengthLimit);
  }
}

/**
 * How a file's bytes become records (Flink's StreamFormat). The formats here are line formats: each
 * '\n'-terminated line (a `\r` before it dropped) becomes one record through `fromLine`, and a file's position
 * in a checkpoint is the byte offset and line number of its next line.
 */
export interface StreamFormat<T> {
  /** The longest line in bytes; a longer one fails the job naming file, offset and line. */
  readonly lineLengthLimit: number;
  fromLine(line: string): T;
}

/** Each line as a string (Flink's TextLineInputFormat). */
export class TextLineInputFormat implements StreamFormat<string> {
  readonly lineLengthLimit: number;
  constructor(options: LineSourceOptions = {}) {
    this.lineLengthLimit = checkLineLengthLimit(options.lineLengthLimit);
  }
  fromLine(line: string): string {
    return line;
  }
}

/** Builds a FileSource (Flink's FileSource.FileSourceBuilder). */
export class FileSourceBuilder<T> {
  private monitorIntervalMs: number | undefined;
  constructor(
    private readonly format: StreamFormat<T>,
    private readonly paths: readonly string[],
  ) {
    if (paths.length === 0) throw new RangeError('FileSource needs at least one path');
  }

  /**
   * Keeps watching the paths (Flink's monitorContinuously): every `interval` the folders are listed again and
   * files not seen before are read, each once, in name order; the source never ends. A file is read as far as
   * it is when its turn comes (later appends are not read: move finished files into the folder). Hidden
   * files (`.name`, `_name`) are skipped, so in-progress files written beside their final name are not read.
   */
  monitorContinuously(interval: DurationLike): this {
    const ms = toMillis(interval, 'monitoring interval');
    if (!(ms >= 1)) throw new RangeError(`The monitoring interval must be at least 1 ms, got ${ms}`);
    this.monitorIntervalMs = ms;
    return this;
  }

  /** Reads the files there at the start, then ends (the default; Flink's processStaticFileSet). */
  processStaticFileSet(): this {
    this.monitorIntervalMs = undefined;
    return this;
  }

  build(): FileSource<T> {
    return new FileSource<T>(this.format, this.paths, this.monitorIntervalMs);
  }
}

/**
 * Records of files (Flink's FileSource): `FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir)`.
 * Each file is a split. Bounded (the default) it reads the files there at the start, spread over the
 * subtasks. With `monitorContinuously(interval)` it watches the folders for new files: one subtask (as
 * Flink's one enumerator) lists them and reads them; its checkpoint holds the paths already taken, the file
 * being read at its position, and the files queued, so a restored job neither reads a file again nor skips one.
 */
export class FileSource<T> implements Source<T> {
  readonly boundedness: Boundedness;
  readonly nonParallel: boolean;

  /** @internal use FileSource.forRecordStreamFormat */
  constructor(
    private readonly format: StreamFormat<T>,
    readonly paths: readonly string[],
    readonly monitorIntervalMs: number | undefined,
  ) {
    this.boundedness = monitorIntervalMs === undefined ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
    this.nonParallel = monitorIntervalMs !== undefined;
  }

  static forRecordStreamFormat<T>(format: StreamFormat<T>, ...paths: string[]): FileSourceBuilder<T> {
    return new FileSourceBuilder<T>(format, paths);
  }

  createReader(context: SourceReaderContext): SourceReader<T> {
    const restored = context.restoredSplits as ReadonlyArray<FileSourceSplit | MonitoredPathsSplit> | undefined;
    const format = this.format;
    const fromLine = (line: string): T => format.fromLine(line);
    if (this.monitorIntervalMs === undefined) {
      const splits =
        restored !== undefined
          ? (restored.filter((s) => s.splitId !== MONITORED_PATHS_SPLIT) as FileSourceSplit[])
          : this.paths
              .flatMap((p) => listFiles(p))
              .filter((_f, i) => i % context.currentParallelism() === context.getIndexOfSubtask())
              .map((path): FileSourceSplit => ({ splitId: path, path, offset: 0, lineNumber: 1 }));
      return new TextLineReader<T>(splits, format.lineLengthLimit, fromLine);
    }
    const processed = new Set<string>();
    const splits: FileSourceSplit[] = [];
    for (const s of restored ?? []) {
      if (s.splitId === MONITORED_PATHS_SPLIT) for (const p of (s as MonitoredPathsSplit).processedPaths) processed.add(p);
      else splits.push(s as FileSourceSplit);
    }
    return new TextLineReader<T>(splits, format.lineLengthLimit, fromLine, { paths: this.paths, intervalMs: this.monitorIntervalMs, processed });
  }
}

export type WriteMode = 'NO_OVERWRITE' | 'OVERWRITE';

export interface TextFileSinkOptions {
  writeMode?: WriteMode;
  /** 'text': one formatted record per line; 'csv': tuple fields joined by fieldDelimiter. */
  format?: 'text' | 'csv';
  rowDelimiter?: string;
  fieldDelimiter?: string;
}

/**
 * Where a writer writes until its input ended successfully: a hidden file beside the target,
 * `.<name>.inprogress` (as Flink's FileSink keeps `.part-…inprogress` files). Hidden, so
 * readTextFile of the directory skips it.
 */
export function inProgressPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.inprogress`);
}

export class TextFileSink<T> implements Sink<T> {
  private readonly writeMode: WriteMode;
  private readonly format: 'text' | 'csv';
  private readonly rowDelimiter: string;
  private readonly fieldDelimiter: string;

  constructor(
    readonly path: string,
    options: TextFileSinkOptions = {},
  ) {
    this.writeMode = options.writeMode ?? 'NO_OVERWRITE';
    this.format = options.format ?? 'text';
    this.rowDelimiter = options.rowDelimiter ?? '\n';
    this.fieldDelimiter = options.fieldDelimiter ?? ',';
    if (this.writeMode !== 'NO_OVERWRITE' && this.writeMode !== 'OVERWRITE') {
      throw new TypeError(`writeMode must be 'NO_OVERWRITE' or 'OVERWRITE', got ${JSON.stringify(options.writeMode)}`);
    }
  }

  /** Once per job, before the writers: refuse or remove what is at the path; a directory for p > 1. */
  initializeGlobal(parallelism: number, job?: SinkJobInfo): void {
    // A job restored from a checkpoint (`tidemark run -s`) appends to what its earlier run's writers left
    // in their in-progress files (at least once): neither the output nor those files are cleaned away.
    if (job?.restoring === true) {
      if (parallelism > 1) mkdirSync(this.path, { recursive: true });
      return;
    }
    if (parallelism === 1 && (this.path.endsWith('/') || this.path.endsWith(sep))) {
      throw new FileSinkError(
        `Output path ${this.path} ends with '/', but at parallelism 1 the output is one file: drop the '/' (with parallelism > 1 the path is a directory of one file per subtask).`,
        this.path,
      );
    }
    const kind = specialFileKind(this.path);
    if (kind !== null) {
      // Never deleted, and never replaced by the published file: /dev/null, /dev/stdout, a FIFO.
      throw new FileSinkError(
        `Output path ${this.path} is not a regular file or directory (${kind}): a file sink writes a regular file (or a directory of them) and never deletes or replaces a device, FIFO or socket. To print records use print(); to discard them, sinkTo() a sink whose write does nothing.`,
        this.path,
      );
    }
    if (existsSync(this.path)) {
      if (this.writeMode === 'NO_OVERWRITE') {
        throw new FileSinkError(
          `File or directory ${this.path} already exists${leftInProgress(this.path)}. Existing files and directories are not overwritten in NO_OVERWRITE mode. Use OVERWRITE mode to overwrite existing files and directories.`,
          this.path,
          'EEXIST',
        );
      }
      rmSync(this.path, { recursive: true, force: true });
    }
    // A left-over in-progress file (of a job that did not finish, or of one still running on the
    // same path: that one then fails, as its file is gone) is not written into: writers create theirs.
    if (parallelism === 1) rmSync(inProgressPath(this.path), { force: true });
    if (parallelism > 1) mkdirSync(this.path, { recursive: true });
  }

  /**
   * Once per job, by the client, after the job succeeded: publishes the files every writer prepared
   * (all of them or, when one cannot be, none: the ones renamed already are renamed back).
   */
  finalizeGlobal(parallelism: number): void {
    const targets = Array.from({ length: parallelism }, (_, i) => this.target(i, parallelism));
    for (const target of targets) {
      const inProgress = inProgressPath(target);
      try {
        if (!statSync(inProgress).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      } catch (e) {
        throw fileSinkError(`Output file ${target} was deleted after the job wrote it (in-progress file ${inProgress}: ${explain(e)})`, target, e);
      }
      if (this.writeMode === 'NO_OVERWRITE' && existsSync(target)) {
        throw fileSinkError(`Output file ${target} appeared while the job ran; NO_OVERWRITE does not replace it (the output is in ${inProgress})`, target);
      }
    }
    const renamed: string[] = [];
    for (const target of targets) {
      try {
        renameSync(inProgressPath(target), target);
        renamed.push(target);
      } catch (e) {
        for (const r of renamed) {
          try {
            renameSync(r, inProgressPath(r));
          } catch {
            // the error below is what matters
          }
        }
        throw fileSinkError(`Cannot publish output file ${target} (rename of in-progress file ${inProgressPath(target)}): ${explain(e)}`, target, e);
      }
    }
    syncDirectory(dirname(targets[0]!));
  }

  private target(subtask: number, parallelism: number): string {
    return parallelism > 1 ? join(this.path, String(subtask + 1)) : this.path;
  }

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const parallel = context.currentParallelism() > 1;
    const target = this.target(context.getIndexOfSubtask(), context.currentParallelism());
    if (parallel) mkdirSync(this.path, { recursive: true }); // a sink used without initializeGlobal
    const format = this.format === 'csv' ? formatCsv(this.fieldDelimiter) : formatRecord;
    // A restarted attempt or a restored job takes over the in-progress file its earlier attempt or run left:
    // from a checkpoint it appends (records after the checkpoint come again: at least once); a restart from
    // the beginning (no checkpoint to restore) writes it anew, as the source replays everything.
    const attempt = context.getAttemptNumber?.() ?? 0;
    const restoredCheckpoint = context.getRestoredCheckpointId?.();
    const takeOver: TakeOver = restoredCheckpoint !== undefined ? 'append' : attempt > 0 ? 'rewrite' : 'create';
    return new TextFileWriter<T>(target, format, this.rowDelimiter, takeOver);
  }
}

/** What `path` is when it exists and is neither a regular file nor a directory (followed through links); else null. */
function specialFileKind(path: string): string | null {
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (st.isFile() || st.isDirectory()) return null;
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** When `path` is a directory holding only (hidden) in-progress files, which `ls` does not show: says so. */
function leftInProgress(path: string): string {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return ''; // a file
  }
  if (names.length === 0 || !names.every((n) => n.startsWith('.') && n.endsWith('.inprogress'))) return '';
  return `, holding only the in-progress files of a job that did not finish (${names.sort().join(', ')})`;
}

function formatCsv(fieldDelimiter: string): (element: unknown) => string {
  return (element) => formatCsvRow(element, fieldDelimiter);
}

/**
 * Writes one subtask's file. Records are buffered per batch and written completely (a short write
 * is continued) or the job fails: the in-progress file then holds only whole records, the ones
 * before the failed batch. A successful end of input (flush(true)) prepares the file (fsync, check
 * it is still there, close); the sink's finalizeGlobal publishes it under its final name once the
 * whole job succeeded. A canceled or failed job leaves the in-progress file, with what the writer
 * had accepted.
 */
/** How a writer opens its in-progress file: new, or taken over from an earlier attempt of the job. */
type TakeOver = 'create' | 'rewrite' | 'append';

class TextFileWriter<T> implements SinkWriter<T> {
  private readonly inProgress: string;
  private fd: number;
  private buffer = '';
  /** Bytes in the in-progress file: whole records only. */
  private written = 0;
  private failure: FileSinkError | null = null;
  /** flush(true) completed: the in-progress file is whole, synced and closed. */
  private prepared = false;
  private ino = 0;

  constructor(
    private readonly target: string,
    private readonly format: (element: unknown) => string,
    private readonly rowDelimiter: string,
    takeOver: TakeOver = 'create',
  ) {
    this.inProgress = inProgressPath(target);
    try {
      // Created, never shared: two jobs on the same path must not write one file ('wx': O_EXCL). A later
      // attempt of the same job takes over its own earlier attempt's file.
      this.fd = openSync(this.inProgress, takeOver === 'create' ? 'wx' : takeOver === 'rewrite' ? 'w' : 'a+');
      if (takeOver === 'append') this.written = this.cutPartialRecord(fstatSync(this.fd).size);
    } catch (e) {
      const hint = (e as NodeJS.ErrnoException).code === 'EEXIST' ? '; is another job, or another sink of this job, writing the same path?' : '';
      throw this.error(`Cannot write output file ${target} (in-progress file ${this.inProgress}): ${explain(e)}${hint}`, e);
    }
  }

  /**
   * A run killed in the middle of a write (kill -9, power loss) may have left part of a record at the end
   * of the file it takes over: that part goes (its record comes again from the checkpoint), so the next
   * record does not run into it. Returns the file's size after the last whole record.
   */
  private cutPartialRecord(size: number): number {
    const delimiter = Buffer.from(this.rowDelimiter, 'utf8');
    const step = 64 * 1024;
    const chunk = Buffer.allocUnsafe(step + delimiter.length - 1);
    // Backwards in chunks that overlap by delimiter.length - 1 bytes, so a delimiter across two chunks is found.
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - step);
      const length = Math.min(end + delimiter.length - 1, size) - start;
      const n = readSync(this.fd, chunk, 0, length, start);
      const at = chunk.subarray(0, n).lastIndexOf(delimiter);
      if (at >= 0) {
        const whole = start + at + delimiter.length;
        if (whole < size) ftruncateSync(this.fd, whole);
        return whole;
      }
      end = start;
    }
    if (size > 0) ftruncateSync(this.fd, 0);
    return 0;
  }

  write(element: T): void {
    this.buffer += this.format(element) + this.rowDelimiter;
  }

  flush(endOfInput: boolean): void {
    this.writeBuffer();
    if (endOfInput) this.prepare();
  }

  close(): void {
    if (this.prepared) {
      this.checkStillThere(this.inProgress, 'after it was written');
      return;
    }
    if (this.fd < 0) return;
    // Canceled or failed: hand over what was accepted (at least once), but only as in-progress.
    try {
      if (this.failure === null) this.writeBuffer();
    } finally {
      this.closeFd();
    }
  }

  private writeBuffer(): void {
    if (this.failure !== null) throw this.failure; // never write on after a lost batch: no gaps
    if (this.buffer === '') return;
    const bytes = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
        if (n <= 0) throw Object.assign(new Error('the file system accepted no bytes'), { code: 'EIO' });
        done += n;
      }
    } catch (e) {
      // Cut the partial batch, so the file ends with a whole record.
      try {
        ftruncateSync(this.fd, this.written);
      } catch {
        // the error below is what matters
      }
      throw this.error(`Cannot write output file ${this.target} (in-progress file ${this.inProgress}, ${this.written} bytes of whole records kept): ${explain(e)}`, e);
    }
    this.written += bytes.length;
  }

  private prepare(): void {
    if (this.prepared) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw this.error(`Cannot write output file ${this.target} (in-progress file ${this.inProgress}): ${explain(e)}`, e);
    }
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    // Deleted (the file, or its directory) while the job wrote it: the output would be gone.
    if (st.nlink === 0) throw this.error(`Output file ${this.target} was deleted while the job was writing it (in-progress file ${this.inProgress} is gone)`);
    this.checkStillThere(this.inProgress, 'while the job was writing it');
    this.closeFd();
    this.prepared = true;
  }

  /** Fails unless `path` is still the file this writer wrote. */
  private checkStillThere(path: string, when: string): void {
    let ino: number;
    try {
      ino = statSync(path).ino;
    } catch (e) {
      throw this.error(`Output file ${this.target} was deleted ${when} (${path}: ${explain(e)})`, e);
    }
    if (ino !== this.ino) throw this.error(`Output file ${this.target} was replaced by another file ${when} (${path})`);
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = -1;
    try {
      closeSync(fd);
    } catch (e) {
      throw this.error(`Cannot write output file ${this.target} (closing in-progress file ${this.inProgress}): ${explain(e)}`, e);
    }
  }

  private error(message: string, cause?: unknown): FileSinkError {
    const err = fileSinkError(message, this.target, cause);
    this.failure ??= err;
    return err;
  }
}
