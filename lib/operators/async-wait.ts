/**
 * Async I/O (Flink's AsyncWaitOperator): calls an asynchronous function per record — an enrichment
 * lookup, say — with up to `capacity` calls in flight, without blocking the task. Results come back
 * as mails of the task. In ORDERED mode results leave in input order; in UNORDERED mode as they
 * complete, but never across a watermark (so event time stays correct). A call that does not finish
 * within the timeout fails the job, unless the function's `timeout` completes it.
 *
 * The elements in flight are state, as in Flink: a snapshot writes the input records whose results
 * have not gone out (with their timestamps) and the watermarks queued behind them, in queue order, to
 * operator list state; a restored operator issues them again in open(), so their results come out
 * exactly once downstream of the snapshot.
 */
import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { AbstractRichFunction } from '../core/functions/rich-function.ts';
import { registerErrorClass, TidemarkError, type TidemarkErrorOptions } from '../core/errors.ts';
import { ListStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState } from '../core/state/state.ts';
import type { OperatorSnapshot, StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';

/** Where an AsyncFunction delivers its result (Flink's ResultFuture); the first call wins. */
export interface ResultFuture<OUT> {
  complete(results: Iterable<OUT>): void;
  completeExceptionally(error: unknown): void;
}

export interface AsyncFunction<IN, OUT> {
  asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void;
  /** Called when the call timed out; complete the future here (e.g. with a default) or fail it. */
  timeout?(input: IN, resultFuture: ResultFuture<OUT>): void;
}

/** An AsyncFunction with open/close and the runtime context (Flink's RichAsyncFunction). */
export abstract class RichAsyncFunction<IN, OUT> extends AbstractRichFunction implements AsyncFunction<IN, OUT> {
  abstract asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void;
}

/** An AsyncFunction, or simply an async function returning one result or an array of results. */
export type AsyncFn<IN, OUT> = AsyncFunction<IN, OUT> | ((input: IN) => Promise<OUT | OUT[]>);

export type OutputMode = 'ORDERED' | 'UNORDERED';

/**
 * Flink's TimeoutException message for an async call without a timeout handler. Retriable: the
 * service called may answer in time when tried again.
 */
export class AsyncTimeoutError extends TidemarkError {
  override name = 'TimeoutException';
  constructor(message: string, options: TidemarkErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(AsyncTimeoutError, 'TimeoutException');

type RecordEntry = { kind: 'record'; value: unknown; ts: number; done: boolean; results: unknown[] | null; emitted: boolean };
type Entry = RecordEntry | { kind: 'watermark'; watermark: number };

/** A call in flight: its timeout deadline and its future (settled once complete or completeExceptionally was called). */
type Call = { deadline: number; readonly entry: RecordEntry; settled: boolean; future: ResultFuture<unknown> };

/** An element in flight as the snapshot keeps it (Flink's StreamElement in '_async_wait_operator_state_'). */
type QueuedElement = { record: unknown; timestamp: number } | { watermark: number };

const STATE_NAME = '_async_wait_operator_state_';

export class AsyncWaitOperator<IN, OUT> extends AbstractUdfStreamOperator<OUT, AsyncFn<IN, OUT>> {
  private queue: Entry[] = [];
  private readonly notStarted: RecordEntry[] = [];
  private inFlight = 0;
  private spaceWaiter: (() => void) | null = null;
  private drained: (() => void) | null = null;
  /** The queue's input elements at the last snapshot; after a restore, the elements to issue again. */
  private queueState!: ListState<QueuedElement>;

  constructor(
    fn: AsyncFn<IN, OUT>,
    private readonly mode: OutputMode,
    private readonly timeoutMs: number,
    private readonly capacity: number,
  ) {
    super(fn);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`The async capacity must be a positive integer, got ${capacity}`);
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    this.queueState = this.getOperatorStateBackend().getListState(new ListStateDescriptor<QueuedElement>(STATE_NAME));
  }

  /** Opens the function, then issues the elements restored from a snapshot again, in their order (as Flink's open). */
  override open(): void {
    super.open();
    const restored = this.queueState.get();
    if (restored.length === 0) return;
    this.queueState.clear();
    for (const e of restored) {
      // Queued before the snapshot, so at or below the restored watermark: back in the queue as they were.
      if ('watermark' in e) this.enqueueWatermark(e.watermark);
      else this.processElement(e.record, e.timestamp);
    }
  }

  /** The input elements whose results have not gone out, and the watermarks among them, in queue order. */
  override snapshotState(checkpointId: number): OperatorSnapshot {
    const state = this.queueState;
    state.clear();
    for (const e of this.queue) {
      if (e.kind === 'watermark') state.add({ watermark: e.watermark });
      else if (!e.emitted) state.add({ record: e.value, timestamp: e.ts });
    }
    return super.snapshotState(checkpointId);
  }

  processElement(value: unknown, timestamp: number): void {
    const entry: RecordEntry = { kind: 'record', value, ts: timestamp, done: false, results: null, emitted: false };
    this.queue.push(entry);
    if (this.inFlight < this.capacity) this.start(entry);
    else this.notStarted.push(entry);
  }

  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
    this.enqueueWatermark(watermark);
  }

  private enqueueWatermark(watermark: number): void {
    this.queue.push({ kind: 'watermark', watermark });
    this.emitReady();
  }

  private start(entry: RecordEntry): void {
    this.inFlight++;
    const mailbox = this.parameters.mailbox;
    const call: Call = { deadline: 0, entry, settled: false, future: undefined! };
    const future: ResultFuture<OUT> = (call.future = {
      complete: (results) => {
        if (call.settled) return;
        call.settled = true;
        const list = [...results] as unknown[];
        mailbox.execute(() => this.completed(entry, list));
      },
      completeExceptionally: (error) => {
        if (call.settled) return;
        call.settled = true;
        mailbox.execute(() => {
          throw error; // a mail of this operator: the task attributes it here
        });
      },
    });
    if (this.timeoutMs > 0) {
      call.deadline = this.parameters.processingTimeService.getCurrentProcessingTime() + this.timeoutMs;
      this.calls.push(call);
      this.armTimeout();
    }
    const fn = this.userFunction;
    // Called from processElement or a mail of this operator: the chain or the task attributes a throw here.
    if (typeof fn === 'function') {
      fn(entry.value as IN).then(
        (r) => future.complete(Array.isArray(r) ? r : [r]),
        (e: unknown) => future.completeExceptionally(e),
      );
    } else {
      fn.asyncInvoke(entry.value as IN, future);
    }
  }

  /**
   * Timeouts: the calls started with a timeout, in start order (so in deadline order: the timeout is
   * the same for all), and ONE task timer, armed for the first deadline — not a timer per call,
   * which would keep every call (its record and results) in the task's timer queue for the whole
   * timeout after it completed. Settled calls leave the front as calls complete and as the timer fires.
   */
  private readonly calls: Call[] = [];
  private timeoutArmedFor = Number.POSITIVE_INFINITY;

  private armTimeout(): void {
    const calls = this.calls;
    while (calls.length > 0 && (calls[0]!.settled || calls[0]!.entry.done)) calls.shift();
    const first = calls[0];
    if (first === undefined || first.deadline >= this.timeoutArmedFor) return;
    this.timeoutArmedFor = first.deadline;
    this.parameters.processingTimeService.registerTimer(first.deadline, this.onTimeoutTimer);
  }

  private readonly onTimeoutTimer = (time: number): void => {
    if (time === this.timeoutArmedFor) this.timeoutArmedFor = Number.POSITIVE_INFINITY;
    const now = Math.max(time, this.parameters.processingTimeService.getCurrentProcessingTime());
    const calls = this.calls;
    while (calls.length > 0 && (calls[0]!.settled || calls[0]!.entry.done || calls[0]!.deadline <= now)) {
      const call = calls.shift()!;
      if (call.settled || call.entry.done) continue;
      const fn = this.userFunction;
      if (typeof fn !== 'function' && fn.timeout) fn.timeout(call.entry.value as IN, call.future);
      else call.future.completeExceptionally(new AsyncTimeoutError('Async function call has timed out.'));
    }
    this.armTimeout();
  };

  private completed(entry: RecordEntry, results: unknown[]): void {
    entry.done = true;
    entry.results = results;
    this.inFlight--;
    while (this.inFlight < this.capacity && this.notStarted.length > 0) this.start(this.notStarted.shift()!);
    if (this.timeoutMs > 0) this.armTimeout(); // drops the settled calls at the front
    this.emitReady();
    if (this.spaceWaiter !== null && this.inFlight < this.capacity && this.notStarted.length === 0) {
      const w = this.spaceWaiter;
      this.spaceWaiter = null;
      w();
    }
  }

  /** ORDERED: the done prefix of the queue. UNORDERED: every done record before the first pending watermark. */
  private emitReady(): void {
    const q = this.queue;
    let i = 0;
    while (i < q.length) {
      const e = q[i]!;
      if (e.kind === 'watermark') {
        this.output.emitWatermark(e.watermark);
        i++;
        continue;
      }
      if (e.done) {
        if (!e.emitted) this.emitRecord(e);
        i++;
        continue;
      }
      if (this.mode === 'ORDERED') break;
      // UNORDERED: done records up to the next watermark may overtake this pending one.
      for (let j = i + 1; j < q.length && q[j]!.kind === 'record'; j++) {
        const r = q[j] as RecordEntry;
        if (r.done && !r.emitted) this.emitRecord(r);
      }
      break;
    }
    if (i > 0) this.queue = q.slice(i);
    if (this.queue.length === 0 && this.drained !== null) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }

  private emitRecord(e: RecordEntry): void {
    e.emitted = true;
    for (const r of e.results!) this.output.collect(r as OUT, e.ts);
  }

  /** Backpressure: no more input while the calls in flight fill the capacity. */
  availability(): Promise<void> | null {
    if (this.inFlight < this.capacity && this.notStarted.length === 0) return null;
    return new Promise<void>((resolve) => (this.spaceWaiter = resolve));
  }

  waitingFor(): string {
    return `its ${this.inFlight} async call(s) in flight to complete${this.timeoutMs > 0 ? '' : ' (no timeout set)'}`;
  }

  /** End of input: wait for every call, then let the results out (as mails of the finishing task). */
  finish(): Promise<void> | void {
    if (this.queue.length === 0) return;
    return new Promise<void>((resolve) => (this.drained = resolve));
  }
}
