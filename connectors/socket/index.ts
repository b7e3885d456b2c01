/**
 * Text over TCP. `SocketTextSource` connects to a server (as `nc -lk 9999` gives) and emits one record
 * per delimited line; it ends when the server closes the connection (an unterminated last record is
 * emitted too, as Flink's socketTextStream does; a reset connection fails the job). It pauses the
 * socket while the job is behind, so TCP flow control reaches the sender. Non-parallel, like
 * Flink's socketTextStream.
 * It cannot rewind (no snapshotState): a socket cannot be read again, so after a restore from a
 * checkpoint the lines sent since that checkpoint are not read again (the job warns once).
 * A record longer than `lineLengthLimit` bytes (default 1 MiB) fails the job with a LineTooLongError
 * naming host:port and the byte offset where the record starts.
 */
import { connect, type Socket } from 'node:net';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../../lib/core/connector/source.ts';
import { checkLineLengthLimit, LineSplitter, LineTooLongError, type LineSourceOptions } from '../file/lines.ts';
import { registerErrorClass, TidemarkError } from '../../lib/core/errors.ts';

export { DEFAULT_LINE_LENGTH_LIMIT, LineTooLongError, type LineSourceOptions } from '../file/lines.ts';

/**
 * Could not connect to, or lost, the socket a source reads. Retriable when the connection was
 * refused, reset or lost (the server may be back).
 */
export class SocketSourceError extends TidemarkError {
  override name = 'SocketSourceError';
}
registerErrorClass(SocketSourceError);

const HIGH_WATER = 8192;

class SocketTextReader implements SourceReader<string> {
  private socket: Socket | null = null;
  private lines: string[] = [];
  private next = 0;
  private readonly splitter: LineSplitter;
  private ended = false;
  private failure: Error | null = null;
  private waiter: (() => void) | null = null;
  private abortStart: (() => void) | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly delimiter: string,
    lineLengthLimit: number,
  ) {
    this.splitter = new LineSplitter(delimiter, lineLengthLimit, delimiter === '\n', false);
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Kept from the first moment, so close() during the connect attempt does not leak it.
      const socket = (this.socket = connect({ host: this.host, port: this.port }));
      this.abortStart = () => reject(new SocketSourceError(`Socket source ${this.host}:${this.port} was closed while connecting`));
      const onConnectError = (e: NodeJS.ErrnoException): void => {
        const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.message;
        reject(new SocketSourceError(`Could not connect to socket ${this.host}:${this.port}: ${why}${e.code ? ` (${e.code})` : ''}`, { cause: e, retriable: true }));
      };
      socket.once('error', onConnectError);
      socket.once('connect', () => {
        socket.off('error', onConnectError);
        this.abortStart = null;
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('end', () => {
          this.append(this.splitter.finish());
          this.checkLength();
          this.ended = true;
          this.notify();
        });
        socket.on('error', (e) => {
          this.failure ??= new SocketSourceError(`Socket ${this.host}:${this.port} failed: ${e.message}`, { cause: e, retriable: true });
          this.notify();
        });
        resolve();
      });
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    this.append(this.splitter.push(chunk));
    this.checkLength();
    if (this.failure === null && this.lines.length - this.next > HIGH_WATER) this.socket?.pause();
    this.notify();
  }

  private checkLength(): void {
    const at = this.splitter.tooLong;
    if (at !== null) {
      // The records before it are emitted first; then the job fails.
      this.failure = new LineTooLongError(
        `socket ${this.host}:${this.port}`,
        at.byteOffset,
        at.lineNumber,
        this.splitter.limit,
        'Record',
        `Is ${JSON.stringify(this.delimiter)} the delimiter the sender uses? If such records are expected, raise the limit: socketTextStream(host, port, delimiter, { lineLengthLimit: bytes }).`,
      );
      this.socket?.destroy();
    }
  }

  private append(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.lines.length === 0) this.lines = lines;
    else for (let i = 0; i < lines.length; i++) this.lines.push(lines[i]!);
  }

  private notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    if (this.next < this.lines.length) {
      output.collect(this.lines[this.next++]!);
      if (this.next === this.lines.length) {
        this.lines = [];
        this.next = 0;
        this.socket?.resume();
      }
      return 'MORE_AVAILABLE';
    }
    // Lines received before a connection error are emitted first; then the error fails the job.
    if (this.failure) throw this.failure;
    return this.ended ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.next < this.lines.length || this.ended || this.failure) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.abortStart?.();
    this.abortStart = null;
    this.notify();
  }
}

export class SocketTextSource implements Source<string> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  readonly nonParallel = true;
  private readonly lineLengthLimit: number;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly delimiter = '\n',
    options: LineSourceOptions = {},
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Invalid socket port ${port}: must be 0..65535`);
    if (delimiter === '') throw new RangeError('The socket delimiter must not be empty');
    this.lineLengthLimit = checkLineLengthLimit(options.lineLengthLimit);
  }
  createReader(_context: SourceReaderContext): SourceReader<string> {
    return new SocketTextReader(this.host, this.port, this.delimiter, this.lineLengthLimit);
  }
}
