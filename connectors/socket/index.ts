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
import type { CommittingSinkWriter, CommittingSinkWriterContext, Committer, TwoPhaseCommittingSink } from '../../lib/core/connector/sink.ts';
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

/** Flink's SocketTextStreamFunction.DEFAULT_CONNECTION_RETRY_SLEEP: the wait before each reconnect. */
export const SOCKET_RETRY_DELAY_MS = 500;

/** socketTextStream's options: Flink's `maxRetry`, and the longest record. */
export interface SocketTextSourceOptions extends LineSourceOptions {
  /**
   * How often the source reconnects after the server closed the connection, reset it or refused it
   * (Flink's maxRetry): 0 (the default) never — the stream ends when the server closes it; -1 forever.
   * Each reconnect waits SOCKET_RETRY_DELAY_MS (500 ms, as Flink). Once they are used up, a closed
   * connection ends the stream and a failed one fails the job.
   */
  readonly maxRetry?: number;
}

const sleepTimer = (ms: number, done: () => void): NodeJS.Timeout => setTimeout(done, ms);

class SocketTextReader implements SourceReader<string> {
  private socket: Socket | null = null;
  private lines: string[] = [];
  private next = 0;
  private readonly splitter: LineSplitter;
  private ended = false;
  private failure: Error | null = null;
  private waiter: (() => void) | null = null;
  private abortStart: (() => void) | null = null;
  /** Reconnects made so far (Flink's attempt counter: never reset). */
  private retries = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly delimiter: string,
    lineLengthLimit: number,
    private readonly maxRetry: number,
  ) {
    this.splitter = new LineSplitter(delimiter, lineLengthLimit, delimiter === '\n', false);
  }

  async start(): Promise<void> {
    for (;;) {
      try {
        await this.connect();
        return;
      } catch (e) {
        if (this.closed) throw e;
        if (!this.mayRetry()) throw this.givenUp(e as Error);
        this.warnRetry((e as Error).message);
        await new Promise<void>((resolve) => (this.retryTimer = sleepTimer(SOCKET_RETRY_DELAY_MS, resolve)));
        if (this.closed) throw e;
      }
    }
  }

  /** Whether another reconnect is allowed; counts it. */
  private mayRetry(): boolean {
    if (this.maxRetry !== -1 && this.retries >= this.maxRetry) return false;
    this.retries++;
    return true;
  }

  /** A failure once the reconnects are used up: says so, so the job's error does not read as a first attempt. */
  private givenUp(e: Error): Error {
    if (this.maxRetry <= 0 || !(e instanceof SocketSourceError)) return e;
    return new SocketSourceError(`${e.message}; gave up after ${this.retries} reconnect${this.retries === 1 ? '' : 's'} ${SOCKET_RETRY_DELAY_MS} ms apart (maxRetry ${this.maxRetry})`, { cause: e.cause, retriable: true });
  }

  private warnRetry(why: string): void {
    const left = this.maxRetry === -1 ? 'retrying forever' : `retry ${this.retries} of ${this.maxRetry}`;
    console.warn(`Socket source ${this.host}:${this.port}: ${why}. Reconnecting in ${SOCKET_RETRY_DELAY_MS} ms (${left}).`);
  }

  /** Connects; resolves once connected, with the handlers of that connection in place. */
  private connect(): Promise<void> {
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
        let lost = false;
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('end', () => {
          if (lost || this.failure !== null) return;
          lost = true;
          this.onLost(null);
        });
        socket.on('error', (e) => {
          if (lost || this.failure !== null) return;
          lost = true;
          this.onLost(new SocketSourceError(`Socket ${this.host}:${this.port} failed: ${e.message}`, { cause: e, retriable: true }));
        });
        resolve();
      });
    });
  }

  /**
   * The connection ended (`error` null: the server closed it) or failed. With retries left the source
   * reconnects after the delay (a record cut off by the loss goes on with the next connection's bytes, as
   * in Flink); else a close ends the stream (the unterminated rest is emitted) and a failure fails the job.
   */
  private onLost(error: SocketSourceError | null): void {
    if (this.closed) return;
    this.socket?.destroy();
    this.socket = null;
    if (this.mayRetry()) {
      this.warnRetry(error === null ? 'the server closed the connection' : error.message);
      this.retryTimer = sleepTimer(SOCKET_RETRY_DELAY_MS, () => this.reconnect());
      return;
    }
    if (error !== null) this.failure ??= this.givenUp(error);
    else {
      this.append(this.splitter.finish());
      this.checkLength();
      this.ended = true;
    }
    this.notify();
  }

  private reconnect(): void {
    this.retryTimer = null;
    if (this.closed) return;
    this.connect().then(
      () => this.notify(),
      (e: unknown) => this.onLost(e instanceof SocketSourceError ? e : new SocketSourceError(String(e))),
    );
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
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
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
    options: SocketTextSourceOptions = {},
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Invalid socket port ${port}: must be 0..65535`);
    if (delimiter === '') throw new RangeError('The socket delimiter must not be empty');
    this.lineLengthLimit = checkLineLengthLimit(options.lineLengthLimit);
    const maxRetry = options.maxRetry ?? 0;
    if (!Number.isInteger(maxRetry) || maxRetry < -1) throw new RangeError(`maxRetry must be an integer >= -1 (-1: retry forever), got ${maxRetry}`);
    this.maxRetry = maxRetry;
  }
  readonly maxRetry: number;
  createReader(_context: SourceReaderContext): SourceReader<string> {
    return new SocketTextReader(this.host, this.port, this.delimiter, this.lineLengthLimit, this.maxRetry);
  }
}

// ---- writeToSocket: Flink's SocketClientSink ----------------------------------------------------------------

/**
 * An element → the bytes written for it (Flink's SerializationSchema); add the delimiter yourself, e.g. `\n`.
 * Returned bytes are copied at once: they may be a view of a buffer the serializer reuses.
 */
export interface SocketSerializationSchema<T> {
  serialize(element: T): Uint8Array | string;
}

/** A serializer as writeToSocket takes it: a SerializationSchema or a plain function. */
export type SocketSerializer<T> = SocketSerializationSchema<T> | ((element: T) => Uint8Array | string);

/** The socket a sink writes to refused the connection, or failed or closed before everything was written. */
export class SocketSinkError extends TidemarkError {
  override name = 'SocketSinkError';
}
registerErrorClass(SocketSinkError);

/** Bytes buffered before write() asks the job to wait (isAvailable). */
const SINK_BUFFER_BYTES = 64 * 1024;
/** How long the end of input waits for the server to close its side after ours. */
const SINK_CLOSE_WAIT_MS = 2_000;

/**
 * Writes each element's bytes to one TCP connection per subtask (Flink's SocketClientSink, DataStream
 * writeToSocket). At least once: what a batch buffered is written when the batch ends, and a checkpoint
 * barrier waits until the socket took everything written before it (its flush). A connection that cannot
 * be made, fails or is closed by the other side fails the job; the end of input half-closes the connection
 * and waits for it to close cleanly, so a successful job has handed every byte to TCP and none was refused.
 */
export class SocketClientSink<T> implements TwoPhaseCommittingSink<T, never> {
  private readonly serialize: (element: T) => Uint8Array | string;
  constructor(
    readonly host: string,
    readonly port: number,
    serializer: SocketSerializer<T>,
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Invalid socket port ${port}: must be 0..65535`);
    this.serialize = typeof serializer === 'function' ? serializer : (e) => serializer.serialize(e);
  }

  createWriter(context: CommittingSinkWriterContext): CommittingSinkWriter<T, never> {
    return new SocketClientWriter<T>(this.host, this.port, this.serialize, context.operatorName);
  }

  /** Nothing to commit: the barrier's flush is the guarantee (the writer's prepareCommit waits for it). */
  createCommitter(): Committer<never> {
    return { commit() {} };
  }
}

class SocketClientWriter<T> implements CommittingSinkWriter<T, never> {
  private socket: Socket;
  private readonly connected: Promise<void>;
  private failure: SocketSinkError | null = null;
  private chunks: Array<Uint8Array | string> = [];
  private buffered = 0;
  /** The last write handed to the socket, settled when the socket took it. */
  private writing: Promise<void> = Promise.resolve();
  private ended = false;
  private readonly where: string;

  constructor(
    host: string,
    port: number,
    private readonly serialize: (element: T) => Uint8Array | string,
    operatorName: string,
  ) {
    this.where = `${operatorName} (socket ${host}:${port})`;
    const socket = (this.socket = connect({ host, port }));
    this.connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', (e: NodeJS.ErrnoException) => reject(this.fail(`could not connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`, e)));
    });
    this.connected.catch(() => {}); // kept in `failure` and thrown from flush
    socket.on('error', (e) => this.fail(`the connection failed: ${e.message}`, e));
    // The other side closed its end: what we write next would be lost (or reset).
    socket.on('end', () => {
      if (!this.ended) this.fail('the other side closed the connection');
    });
    socket.on('close', () => {
      if (!this.ended) this.fail('the connection closed');
    });
  }

  private fail(why: string, cause?: unknown): SocketSinkError {
    this.failure ??= new SocketSinkError(`${this.where}: ${why}; records written to it may not have arrived`, { cause, retriable: true });
    return this.failure;
  }

  write(element: T): void {
    // Bytes are copied: they wait for the batch's end, and a serializer may reuse the buffer they are a view of.
    const serialized = this.serialize(element);
    const bytes = typeof serialized === 'string' ? serialized : Buffer.from(serialized);
    this.chunks.push(bytes);
    this.buffered += typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  }

  /** Hands the buffered bytes to the socket; settles once it took them (or rejects with the failure). */
  private send(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.chunks.length === 0) return this.writing;
    const chunks = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    const previous = this.writing;
    const p = this.connected.then(
      () =>
        new Promise<void>((resolve, reject) => {
          if (this.failure !== null) return reject(this.failure);
          const data = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
          this.socket.write(data, (e) => (e ? reject(this.fail(`writing failed: ${e.message}`, e)) : this.failure !== null ? reject(this.failure) : resolve()));
        }),
    );
    this.writing = previous.then(() => p);
    return this.writing;
  }

  flush(endOfInput: boolean): Promise<void> {
    return endOfInput ? this.finish() : this.send();
  }

  isAvailable(): Promise<void> | null {
    return this.buffered >= SINK_BUFFER_BYTES || this.socket.writableNeedDrain ? this.send() : null;
  }

  /** At a checkpoint barrier: everything written before it is in the socket before the barrier is acknowledged. */
  async prepareCommit(): Promise<never[]> {
    await this.send();
    return [];
  }

  /** Everything written, then the connection half-closed: an error or reset on the way fails the job. */
  private async finish(): Promise<void> {
    if (this.ended) return;
    await this.send();
    this.ended = true;
    const socket = this.socket;
    // Half-close, then wait for the other side to close too: a reset for bytes it refused (it had closed
    // already) shows up here as an error. A peer that keeps its side open is not waited for past SINK_CLOSE_WAIT_MS.
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.failure !== null) reject(this.failure);
        else resolve();
      };
      const timer = setTimeout(done, SINK_CLOSE_WAIT_MS);
      socket.once('close', done);
      socket.end();
    });
  }

  async close(): Promise<void> {
    try {
      // A failed or canceled job: still hand over what was accepted (at least once), then close.
      if (!this.ended && this.failure === null) await this.finish();
    } finally {
      this.socket.destroy();
    }
  }
}
