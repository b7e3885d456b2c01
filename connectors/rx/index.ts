/**
 * RxJS interop. `ObservableSource` turns an Observable into a (non-parallel) source that ends when
 * the Observable completes and fails the job when it errors. An Observable pushes and cannot be
 * slowed, so values wait in a queue until the job takes them. It cannot rewind (no snapshotState):
 * after a restore from a checkpoint it subscribes anew, and values pushed since the checkpoint are
 * not replayed (the job warns once).
 * The other direction is `DataStream.toObservable()`.
 */
import type { Observable, Subscription } from 'rxjs';
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../../lib/core/connector/source.ts';

class ObservableReader<T> implements SourceReader<T> {
  private queue: T[] = [];
  private next = 0;
  private completed = false;
  private failure: unknown = undefined;
  private failed = false;
  private subscription: Subscription | null = null;
  private waiter: (() => void) | null = null;

  constructor(private readonly observable: Observable<T>) {}

  start(): void {
    this.subscription = this.observable.subscribe({
      next: (v) => {
        this.queue.push(v);
        this.notify();
      },
      error: (e: unknown) => {
        this.failed = true;
        this.failure = e;
        this.notify();
      },
      complete: () => {
        this.completed = true;
        this.notify();
      },
    });
  }

  private notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.next < this.queue.length) {
      output.collect(this.queue[this.next++]!);
      if (this.next === this.queue.length) {
        this.queue = [];
        this.next = 0;
      }
      return 'MORE_AVAILABLE';
    }
    if (this.failed) throw this.failure;
    return this.completed ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.next < this.queue.length || this.completed || this.failed) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.notify();
  }
}

export class ObservableSource<T> implements Source<T> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  readonly nonParallel = true;
  constructor(private readonly observable: Observable<T>) {}
  createReader(): SourceReader<T> {
    return new ObservableReader(this.observable);
  }
}
