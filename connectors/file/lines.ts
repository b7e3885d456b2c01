/**
 * Splitting a byte stream into delimited lines in linear time, with a line length limit (shared by
 * the file and socket sources).
 *
 * A line that has not ended yet is kept as the raw chunks it arrived in and is searched only once
 * per chunk for the delimiter: a long line costs each of its bytes a bounded number of passes
 * (search, copy, decode, split), not one pass per chunk over everything before it. Decoding happens
 * only up to a delimiter, so a multi-byte UTF-8 character split over two chunks is never cut.
 */
import { registerErrorClass, TidemarkError } from '../../lib/core/errors.ts';

/**
 * The default longest line, in bytes: 1 MiB, the default largest message of Kafka
 * (message.max.bytes) and the size of Flink's DelimitedInputFormat read buffer (Flink's own
 * lineLengthLimit is unlimited by default). Longer lines almost always mean a wrong delimiter or
 * binary input, which would otherwise grow memory without bound.
 */
export const DEFAULT_LINE_LENGTH_LIMIT = 1024 * 1024;

/** Options of the line-reading sources (Flink's DelimitedInputFormat.setLineLengthLimit). */
export interface LineSourceOptions {
  /**
   * The longest line in bytes of the input (not characters: a UTF-8 'é' counts 2, '€' 3), without its
   * delimiter (and the '\r' of a '\r\n' line end); default 1 MiB. A longer line fails the job with a
   * LineTooLongError naming the source and where the line starts (byte offset, line number).
   */
  lineLengthLimit?: number;
}

export function checkLineLengthLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LINE_LENGTH_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`lineLengthLimit must be a positive integer (bytes), got ${limit}`);
  return limit;
}

/** Where a line starts: byte offset in the stream (0-based) and line number (1-based). */
export interface LinePosition {
  readonly byteOffset: number;
  readonly lineNumber: number;
}

/** A line longer than the source's lineLengthLimit: names the source and where the line starts. */
export class LineTooLongError extends TidemarkError {
  override name = 'LineTooLongError';
  constructor(
    /** The file path, or host:port of a socket. */
    readonly source: string,
    readonly byteOffset: number,
    readonly lineNumber: number,
    readonly lineLengthLimit: number,
    what: string,
    hint: string,
  ) {
    super(
      `${what} ${lineNumber} of ${source} (starting at byte offset ${byteOffset}) is longer than the line length limit of ${lineLengthLimit} bytes. ${hint}`,
    );
  }
}
registerErrorClass(LineTooLongError);

const EMPTY: string[] = [];
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export class LineSplitter {
  private readonly delimiter: Buffer;
  private readonly delimiterText: string;
  /** Below this many UTF-16 units a line cannot exceed the limit in bytes (at most 3 bytes a unit). */
  private readonly safeChars: number;
  /** The unfinished line: copies of the bytes received since the last delimiter. */
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  /** Byte offset of the unfinished line, bytes received, complete lines so far. */
  private lineStart = 0;
  private received = 0;
  private lineCount = 0;
  private atStart: boolean;
  /** Set when a line is over the limit; the lines returned with it are those before it. */
  tooLong: LinePosition | null = null;
  /** Bytes touched (searched, copied, decoded, split): lets tests prove linear work without a clock. */
  work = 0;

  constructor(
    delimiter: string,
    readonly limit: number,
    /** With '\n': drop a '\r' before it (CRLF input). */
    private readonly stripCR: boolean,
    /** Drop a UTF-8 byte order mark at the start (as TextDecoder does for files). */
    stripBOM: boolean,
  ) {
    this.delimiter = Buffer.from(delimiter, 'utf8');
    this.delimiterText = delimiter;
    this.safeChars = Math.floor(limit / 3);
    this.atStart = stripBOM;
  }

  /**
   * Continues a stream at a line start (a restored file reader): `byteOffset` bytes and
   * `lineNumber - 1` lines came before. Call before the first push.
   */
  resumeAt(position: LinePosition): void {
    this.received = this.lineStart = position.byteOffset;
    this.batchLines = 0;
    this.lineCount = position.lineNumber - 1;
    // A snapshot before the first chunk is read holds the resumed position, not the file's start.
    this.batchStart = { byteOffset: position.byteOffset, lineNumber: position.lineNumber };
    this.batchBytes = null;
    if (position.byteOffset > 0) this.atStart = false; // a byte order mark only starts a stream
  }

  /** The last batch of lines returned: where its first line starts, and its bytes (each line ends with a delimiter). */
  private batchStart: LinePosition = { byteOffset: 0, lineNumber: 1 };
  private batchBytes: Buffer | null = null;
  /** How many lines the last batch held. */
  private batchLines = 0;

  /**
   * Where line `k` (0-based) of the lines the last `push`/`finish` returned starts, or, for k equal
   * to their count, where the unfinished line starts: the position a reader that emitted lines 0..k-1
   * resumes from (Flink's CheckpointedPosition). Only valid while the pushed chunk is unchanged.
   */
  positionOf(k: number): LinePosition {
    const bytes = this.batchBytes;
    if (k === 0) return this.batchStart;
    // After the whole batch: the unfinished line, known without the batch's bytes — a reader that
    // emitted every line may already be reading its next chunk into the buffer they were in.
    if (bytes === null || (k >= this.batchLines && this.tooLong === null)) return { byteOffset: this.lineStart, lineNumber: this.lineCount + 1 };
    let at = 0;
    const dl = this.delimiter.length;
    for (let i = 0; i < k; i++) {
      const d = bytes.indexOf(this.delimiter, at);
      if (d < 0) return { byteOffset: this.lineStart, lineNumber: this.lineCount + 1 }; // k is the count
      at = d + dl;
    }
    return { byteOffset: this.batchStart.byteOffset + at, lineNumber: this.batchStart.lineNumber + k };
  }

  /** The lines completed by `chunk` (which the splitter does not keep: it may be reused). */
  push(chunk: Buffer): string[] {
    this.batchStart = { byteOffset: this.lineStart, lineNumber: this.lineCount + 1 };
    this.batchBytes = null;
    this.batchLines = 0;
    const n = chunk.length;
    if (n === 0 || this.tooLong !== null) return EMPTY;
    const base = this.received;
    this.received += n;
    const dl = this.delimiter.length;
    // `end`: just after the last delimiter that ends in this chunk.
    let end = -1;
    const last = chunk.lastIndexOf(this.delimiter);
    this.work += n;
    if (last >= 0) end = last + dl;
    else if (dl > 1 && this.pendingBytes > 0) {
      // A delimiter may begin in the unfinished line and end in this chunk.
      const k = Math.min(dl - 1, this.pendingBytes);
      const probe = Buffer.concat([this.tail(k), chunk.subarray(0, Math.min(n, dl - 1))]);
      this.work += probe.length;
      const j = probe.lastIndexOf(this.delimiter);
      if (j >= 0) end = j + dl - k;
    }
    if (end < 0) {
      this.keep(chunk);
      this.checkPending();
      return EMPTY;
    }
    const head = chunk.subarray(0, end);
    const bytes = this.pieces.length === 0 ? head : Buffer.concat([...this.pieces, head], this.pendingBytes + end);
    const segmentStart = this.lineStart;
    this.batchBytes = bytes;
    this.pieces = [];
    this.pendingBytes = 0;
    const lines = this.split(bytes, segmentStart);
    this.batchLines = lines.length;
    if (this.tooLong !== null) return lines;
    // With overlapping delimiters ('aa' in 'aaa') the split may leave a rest: it starts the next line.
    const rest = this.rest;
    if (rest !== '') this.keep(Buffer.from(rest, 'utf8'));
    this.lineStart = base + end - this.pendingBytes;
    if (end < n) this.keep(chunk.subarray(end));
    this.checkPending();
    return lines;
  }

  /** End of input: the unterminated last line, if any. */
  finish(): string[] {
    this.batchStart = { byteOffset: this.lineStart, lineNumber: this.lineCount + 1 };
    this.batchBytes = null;
    this.batchLines = 0;
    if (this.tooLong !== null || this.pendingBytes === 0) return EMPTY;
    const bytes = Buffer.concat(this.pieces, this.pendingBytes);
    this.pieces = [];
    this.pendingBytes = 0;
    this.work += bytes.length;
    let text = this.decode(bytes);
    const bom = this.bomBytes;
    this.bomBytes = 0;
    if (text === '') return EMPTY;
    // The limit counts input bytes (not those of the decoded text: an invalid byte decodes to 3).
    let length = bytes.length - bom;
    if (this.stripCR && text.charCodeAt(text.length - 1) === 13) {
      text = text.slice(0, -1);
      length--;
    }
    if (length > this.limit) {
      this.tooLong = { byteOffset: this.lineStart + bom, lineNumber: this.lineCount + 1 };
      return EMPTY;
    }
    return [text];
  }

  private rest = '';

  /** Splits decoded `bytes` (which end with a delimiter); sets `rest` to what follows the last one. */
  private split(bytes: Buffer, segmentStart: number): string[] {
    this.work += 2 * bytes.length; // decode + split
    const text = this.decode(bytes);
    const bom = this.bomBytes;
    this.bomBytes = 0;
    const parts = text.split(this.delimiterText);
    this.rest = parts.pop()!;
    const count = parts.length;
    const safe = this.safeChars;
    const delimiter = this.delimiter;
    // Where line `rawLine` starts in `bytes`: advanced only to measure a line that may be too long.
    let rawLine = 0;
    let rawStart = bom;
    for (let i = 0; i < count; i++) {
      let p = parts[i]!;
      if (this.stripCR && p.charCodeAt(p.length - 1) === 13) p = parts[i] = p.slice(0, -1);
      // A UTF-16 unit comes from at most 3 input bytes (also an invalid sequence, decoded to one
      // U+FFFD), so a line of at most limit/3 units is within the limit. Longer ones are measured
      // in the input bytes: the limit and the offset count those, not the decoded text's.
      if (p.length > safe) {
        for (; rawLine < i; rawLine++) rawStart = bytes.indexOf(delimiter, rawStart) + delimiter.length;
        const end = bytes.indexOf(delimiter, rawStart);
        this.work += end - rawStart;
        let length = end - rawStart;
        if (this.stripCR && length > 0 && bytes[end - 1] === 13) length--;
        if (length > this.limit) {
          this.tooLong = { byteOffset: segmentStart + rawStart, lineNumber: this.lineCount + i + 1 };
          parts.length = i;
          return parts;
        }
      }
    }
    this.lineCount += count;
    return parts;
  }

  /** 3 when the last decode dropped a byte order mark. */
  private bomBytes = 0;

  private decode(bytes: Buffer): string {
    const text = bytes.toString('utf8');
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) {
        this.bomBytes = 3;
        return text.slice(1);
      }
    }
    return text;
  }

  private keep(bytes: Buffer): void {
    this.pieces.push(Buffer.from(bytes)); // a copy: the reader reuses its buffer
    this.pendingBytes += bytes.length;
    this.work += bytes.length;
  }

  /** Fails when the unfinished line can no longer end within the limit. */
  private checkPending(): void {
    if (this.pendingBytes <= this.limit) return;
    const bom = this.atStart && this.lineStart === 0 && this.pendingBytes >= 3 && this.head(3).equals(UTF8_BOM) ? 3 : 0;
    if (this.mayEndWithinLimit(bom)) return;
    this.tooLong = { byteOffset: this.lineStart + bom, lineNumber: this.lineCount + 1 };
  }

  /**
   * Whether the unfinished line may still end within the limit: its last k bytes (k < the
   * delimiter's length) may be the start of its delimiter, and a '\r' before that is not counted.
   */
  private mayEndWithinLimit(bom: number): boolean {
    const d = this.delimiter;
    const maxK = Math.min(d.length - 1, this.pendingBytes);
    const tail = this.tail(Math.min(this.pendingBytes, maxK + 1));
    for (let k = 0; k <= maxK; k++) {
      if (k > 0 && !tail.subarray(tail.length - k).equals(d.subarray(0, k))) continue;
      let length = this.pendingBytes - k - bom;
      if (this.stripCR && length > 0 && tail[tail.length - k - 1] === 13) length--;
      if (length <= this.limit) return true;
    }
    return false;
  }

  /** The first k bytes of the unfinished line. */
  private head(k: number): Buffer {
    return Buffer.concat(this.pieces, Math.min(k, this.pendingBytes)).subarray(0, k);
  }

  /** The last k bytes of the unfinished line. */
  private tail(k: number): Buffer {
    const out = Buffer.allocUnsafe(k);
    let need = k;
    for (let i = this.pieces.length - 1; i >= 0 && need > 0; i--) {
      const p = this.pieces[i]!;
      const take = Math.min(need, p.length);
      p.copy(out, need - take, p.length - take);
      need -= take;
    }
    return out;
  }
}
