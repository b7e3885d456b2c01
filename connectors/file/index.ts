/**
 * Text files in and out.
 * - `TextLineSource`: the lines of a file, or of every file in a directory (files are spread over
 *   subtasks; a file is read by one subtask, in order). Reads 64 KiB at a time, only when the job
 *   wants more, so a large file does not fill memory. A line longer than `lineLengthLimit` bytes
 *   (default 1 MiB) fails the job with a LineTooLongError naming the file, byte offset and line number.
 * - `TextFileSink`: one line per record (`writeAsText`), or CSV rows (`writeAsCsv`). With
 *   parallelism 1 the path is a file; with more, a directory holding one file per subtask (1, 2, ...),
 *   as Flink's FileOutputFormat does.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputStatus, ReaderOutput, Sink, SinkWriter, SinkWriterContext, Source, SourceReader, SourceReaderContext } from '../../lib/api/connector.ts';
import { formatCsvRow, formatRecord } from '../../lib/api/format.ts';
import { checkLineLengthLimit, LineSplitter, LineTooLongError, type LineSourceOptions } from './lines.ts';

export { DEFAULT_LINE_LENGTH_LIMIT, LineTooLongError, type LineSourceOptions } from './lines.ts';

const CHUNK = 64 * 1024;

/** A file source's error: names the path and what went wrong. */
export class FileSourceError extends Error {
  override name = 'FileSourceError';
}

function explain(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  };
  return err.code ? `${reasons[err.code] ?? err.message} (${err.code})` : String(e);
}

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
    .filter((f) => statSync(f).isFile());
}

class TextLineReader implements SourceReader<string> {
  private lines: string[] = [];
  private next = 0;
  private fileIndex = 0;
  private path = '';
  private splitter: LineSplitter | null = null;
  private handle: FileHandle | null = null;
  private reading: Promise<void> | null = null;
  private done = false;
  private failure: unknown = null;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(
    private readonly files: string[],
    private readonly lineLengthLimit: number,
  ) {}

  async start(): Promise<void> {
    await this.openNext();
  }

  private async openNext(): Promise<void> {
    if (this.handle) await this.handle.close();
    this.handle = null;
    if (this.fileIndex >= this.files.length) {
      this.done = true;
      return;
    }
    const path = (this.path = this.files[this.fileIndex++]!);
    this.splitter = new LineSplitter('\n', this.lineLengthLimit, true, true);
    try {
      this.handle = await open(path, 'r');
    } catch (e) {
      throw new FileSourceError(`Cannot read input file ${path}: ${explain(e)}`);
    }
  }

  private async readChunk(): Promise<void> {
    const h = this.handle!;
    const splitter = this.splitter!;
    const { bytesRead } = await h.read(this.buf, 0, CHUNK, null);
    this.next = 0;
    this.lines = bytesRead === 0 ? splitter.finish() : splitter.push(this.buf.subarray(0, bytesRead));
    const at = splitter.tooLong;
    if (at !== null) {
      // The lines before it are emitted first; then the job fails.
      this.failure = new LineTooLongError(
        this.path,
        at.byteOffset,
        at.lineNumber,
        splitter.limit,
        'Line',
        "Is it a text file with '\\n' line ends? If such lines are expected, raise the limit: readTextFile(path, { lineLengthLimit: bytes }).",
      );
    } else if (bytesRead === 0) await this.openNext();
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    if (this.next < this.lines.length) {
      output.collect(this.lines[this.next++]!);
      return 'MORE_AVAILABLE';
    }
    if (this.failure !== null) throw this.failure;
    if (this.done && this.handle === null) return 'END_OF_INPUT';
    if (this.reading === null) {
      this.reading = this.readChunk().then(
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

  async close(): Promise<void> {
    await this.reading;
    await this.handle?.close();
    this.handle = null;
  }
}

/** Lines of a text file, or of the files of a directory (Flink's readTextFile / FileSource). */
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
    const files = listFiles(this.path).filter((_f, i) => i % context.currentParallelism() === context.getIndexOfSubtask());
    return new TextLineReader(files, this.lineLengthLimit);
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
  initializeGlobal(parallelism: number): void {
    if (existsSync(this.path)) {
      if (this.writeMode === 'NO_OVERWRITE') {
        throw new Error(
          `File or directory ${this.path} already exists. Existing files and directories are not overwritten in NO_OVERWRITE mode. Use OVERWRITE mode to overwrite existing files and directories.`,
        );
      }
      rmSync(this.path, { recursive: true, force: true });
    }
    if (parallelism > 1) mkdirSync(this.path, { recursive: true });
  }

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const parallel = context.currentParallelism() > 1;
    const file = parallel ? join(this.path, String(context.getIndexOfSubtask() + 1)) : this.path;
    if (parallel) mkdirSync(this.path, { recursive: true }); // a sink used without initializeGlobal
    let fd: number;
    try {
      fd = openSync(file, 'w');
    } catch (e) {
      throw new Error(`Cannot write output file ${file}: ${explain(e)}`);
    }
    const csv = this.format === 'csv';
    const { rowDelimiter, fieldDelimiter } = this;
    let buffer = '';
    return {
      write(element: T) {
        buffer += (csv ? formatCsvRow(element, fieldDelimiter) : formatRecord(element)) + rowDelimiter;
      },
      flush() {
        if (buffer !== '') {
          writeSync(fd, buffer);
          buffer = '';
        }
      },
      close() {
        if (buffer !== '') writeSync(fd, buffer);
        buffer = '';
        closeSync(fd);
      },
    };
  }
}
