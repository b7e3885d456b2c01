/**
 * The benchmark's workload, shared by the framework jobs and the hand-written loops so that both
 * call the SAME user functions on the SAME generated records and consume results the same way.
 *
 * Records: `fromSequence(0, n - 1)` yields i; `toReading(i)` turns it into a sensor reading.
 * A reading's value depends only on its sensor, so a key's running sums (v, 2v, 3v, ...) do not
 * depend on how the two source subtasks' records interleave in threads mode: the checksum of the
 * keyed job is then the same in every mode and at every parallelism.
 */
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import type { DataStreamSink, Sink, SinkWriter, SinkWriterContext, StreamExecutionEnvironment } from '../lib/index.ts';

export interface Reading {
  readonly id: number;
  readonly sensor: number;
  readonly value: number;
}

/** Number of distinct keys (sensors). */
export const SENSORS = 1024;

// ---- user functions (the user's own cost) ---------------------------------------------------------

/** Generator: the i-th record. Fibonacci hashing scatters consecutive i over 1024 sensors. */
export function toReading(i: number): Reading {
  const sensor = Math.imul(i, 0x9e3779b1) >>> 22;
  return { id: i, sensor, value: (sensor * 37) % 100 };
}

/** (a) filter: keeps about half of the readings. */
export function isHigh(r: Reading): boolean {
  return r.value >= 50;
}

/** (a) second map: a number per reading. */
export function project(r: Reading): number {
  return r.sensor * 1000 + r.value;
}

/** (b) key selector. */
export function sensorOf(r: Reading): number {
  return r.sensor;
}

/** (b) reducer: running sum of a sensor's values. */
export function sumReadings(a: Reading, b: Reading): Reading {
  return { id: b.id, sensor: a.sensor, value: a.value + b.value };
}

/** (b) what the sink adds up per result. */
export function readingValue(r: Reading): number {
  return r.value;
}

/** (a) what the sink adds up per result. */
export function identity(x: number): number {
  return x;
}

// ---- checksums --------------------------------------------------------------------------------------

/** Results seen by a sink: how many and their sum (exact: every value is an integer well below 2^53). */
export interface Checksum {
  count: number;
  sum: number;
  /** Sum of the squared results, where a workload adds it (the window count, bench/windows.ts). */
  sumSq?: number;
}

export function sameChecksum(a: Checksum, b: Checksum): boolean {
  return a.count === b.count && a.sum === b.sum && a.sumSq === b.sumSq;
}

export function formatChecksum(c: Checksum): string {
  return `count=${c.count} sum=${c.sum}${c.sumSq === undefined ? '' : ` sumSq=${c.sumSq}`}`;
}

/** What a sink writer in a worker thread reports to the job's main thread when it closes. */
export interface WriterReport extends Checksum {
  subtask: number;
  /** Epoch ms (performance.timeOrigin + now) at the end of the first batch that reached the writer. */
  firstBatchAt: number;
  /** Epoch ms when the writer closed. */
  closedAt: number;
}

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A sink that only counts and sums what it receives: the cheapest honest consumer, doing exactly
 * what the hand-written loops do per result. `total()` adds up the writers created in this thread
 * (inline mode reads it after the job); a writer in a worker thread also posts its totals on the
 * BroadcastChannel `reportChannel` when it closes (threads mode: the job's main thread adds them up).
 * The writer list lives in closures, so it is still shared if the runtime copies the sink object
 * per subtask (as it copies user function objects).
 */
export class ChecksumSink<T> implements Sink<T> {
  private readonly register: (writer: ChecksumWriter<T>) => void;
  /** Sum over the writers created in this thread. */
  readonly total: () => Checksum;

  constructor(
    private readonly valueOf: (value: T) => number,
    private readonly reportChannel?: string,
  ) {
    const writers: ChecksumWriter<T>[] = [];
    this.register = (w) => void writers.push(w);
    this.total = () => {
      const c: Checksum = { count: 0, sum: 0 };
      for (const w of writers) {
        c.count += w.count;
        c.sum += w.sum;
      }
      return c;
    };
  }

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const w = new ChecksumWriter<T>(this.valueOf, context.getIndexOfSubtask(), this.reportChannel);
    this.register(w);
    return w;
  }
}

export class ChecksumWriter<T> implements SinkWriter<T> {
  count = 0;
  sum = 0;
  private firstBatchAt = 0;
  constructor(
    private readonly valueOf: (value: T) => number,
    private readonly subtask: number,
    private readonly reportChannel: string | undefined,
  ) {}

  write(element: T): void {
    this.sum += this.valueOf(element);
    this.count++;
  }

  flush(): void {
    // once per batch, not per record
    if (this.firstBatchAt === 0 && this.count > 0) this.firstBatchAt = epochNow();
  }

  close(): void {
    if (this.reportChannel === undefined || isMainThread) return;
    const report: WriterReport = {
      subtask: this.subtask,
      count: this.count,
      sum: this.sum,
      firstBatchAt: this.firstBatchAt,
      closedAt: epochNow(),
    };
    const channel = new BroadcastChannel(this.reportChannel);
    channel.postMessage(report);
    channel.close();
  }
}

function isWriterReport(m: unknown): m is WriterReport {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return ['subtask', 'count', 'sum', 'firstBatchAt', 'closedAt'].every((k) => typeof r[k] === 'number');
}

/**
 * Listens (in the job's main thread) for `expected` writer reports on `name`. Start listening
 * before `execute()`; the promise rejects when the reports have not all arrived `timeoutMs` after
 * `startDeadline(timeoutMs)` is called.
 */
export function listenForReports(name: string, expected: number): { reports: Promise<WriterReport[]>; close: () => void; startDeadline: (timeoutMs: number) => void } {
  const channel = new BroadcastChannel(name);
  const got: WriterReport[] = [];
  let timer: NodeJS.Timeout | undefined;
  let settle!: { resolve: (r: WriterReport[]) => void; reject: (e: Error) => void };
  const reports = new Promise<WriterReport[]>((resolve, reject) => (settle = { resolve, reject }));
  const close = (): void => {
    if (timer) clearTimeout(timer);
    channel.close();
  };
  channel.onmessage = (event: unknown) => {
    const data = (event as { data?: unknown }).data;
    if (!isWriterReport(data)) return;
    got.push(data);
    if (got.length === expected) {
      close();
      settle.resolve(got);
    }
  };
  return {
    reports,
    close,
    startDeadline: (timeoutMs) => {
      if (got.length === expected) return;
      timer = setTimeout(() => {
        close();
        settle.reject(new Error(`only ${got.length} of ${expected} sink writers reported their checksum within ${timeoutMs} ms`));
      }, timeoutMs);
    },
  };
}

// ---- the two jobs, built the same way inline and in the threads job module ------------------------

/** (a) Source -> Map(toReading) -> Filter(isHigh) -> Map(project) -> Sink, all chained. */
export function buildChainJob(env: StreamExecutionEnvironment, n: number, sink: Sink<number>): DataStreamSink<number> {
  return env.fromSequence(0, n - 1).map(toReading).filter(isHigh).map(project).sinkTo(sink, 'Checksum Sink');
}

/** (b) Source -> Map(toReading) -> keyBy(sensor) -> Reduce(sum) -> Sink. */
export function buildKeyedSumJob(env: StreamExecutionEnvironment, n: number, sink: Sink<Reading>): DataStreamSink<Reading> {
  return env.fromSequence(0, n - 1).map(toReading).keyBy(sensorOf).reduce(sumReadings).sinkTo(sink, 'Checksum Sink');
}

// ---- the hand-written loops -------------------------------------------------------------------------

/** (a) by hand: the same generator, filter and map, summed as the sink does. */
export function handChain(n: number): Checksum {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = toReading(i);
    if (!isHigh(r)) continue;
    sum += identity(project(r));
    count++;
  }
  return { count, sum };
}

/**
 * (a) by hand, but calling the user functions through call sites that have seen many functions
 * (megamorphic), so V8 can neither inline them nor optimize the record allocation away, just as it
 * cannot inside a framework that passes records between operator objects. Diagnostic only: it shows
 * how much of the gap to `handChain` is V8 inlining rather than framework overhead.
 */
export function handChainNotInlined(n: number): Checksum {
  return chainThroughCallSites(n, toReading, isHigh, project, identity);
}

function chainThroughCallSites<R>(
  n: number,
  gen: (i: number) => R,
  keep: (r: R) => boolean,
  map: (r: R) => number,
  valueOf: (x: number) => number,
): Checksum {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = gen(i);
    if (!keep(r)) continue;
    sum += valueOf(map(r));
    count++;
  }
  return { count, sum };
}

// Make every call site in chainThroughCallSites megamorphic: once a call site has seen a second
// function (distinct function literals, not closures of one), V8 no longer inlines there.
chainThroughCallSites(64, (i) => [i], (r) => r[0]! > 1, (r) => r[0]! + 1, (x) => x - 1);
chainThroughCallSites(64, (i) => ({ i }), (r) => r.i > 2, (r) => r.i * 2, (x) => x + 2);

/** (b) by hand: the same generator, key selector and reducer, with a plain Map of sums. */
export function handKeyedSum(n: number): Checksum {
  const sums = new Map<number, Reading>();
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = toReading(i);
    const key = sensorOf(r);
    const current = sums.get(key);
    const next = current === undefined ? r : sumReadings(current, r);
    sums.set(key, next);
    sum += readingValue(next);
    count++;
  }
  return { count, sum };
}

/** A Checksum with a third sum, of squares, which catches results that move between groups without changing the total. */
export interface SquaresChecksum extends Checksum {
  sumSq: number;
}

/**
 * A sink whose writers each add up what they receive (count, sum, sumSq); total() adds up the writers. The
 * writer list lives in a closure (as in ChecksumSink), so it is still shared if the runtime copies the sink
 * object per subtask.
 */
export class SummingSink<T> implements Sink<T> {
  private readonly register: (w: SquaresChecksum) => void;
  readonly total: () => SquaresChecksum;
  constructor(private readonly newWriter: () => SinkWriter<T> & SquaresChecksum) {
    const writers: SquaresChecksum[] = [];
    this.register = (w) => void writers.push(w);
    this.total = () => {
      const c: SquaresChecksum = { count: 0, sum: 0, sumSq: 0 };
      for (const w of writers) {
        c.count += w.count;
        c.sum += w.sum;
        c.sumSq += w.sumSq;
      }
      return c;
    };
  }
  createWriter(): SinkWriter<T> {
    const w = this.newWriter();
    this.register(w);
    return w;
  }
}

/**
 * Adds up, per result, 1 (count), `summand(v)` (sum) and `root(v)` squared (sumSq), as a hand loop does
 * for each result it emits (rows (c) and (d)).
 */
export class SquaresChecksumSink<T> extends SummingSink<T> {
  constructor(summand: (v: T) => number, root: (v: T) => number) {
    super(() => new SquaresChecksumWriter<T>(summand, root));
  }
}

class SquaresChecksumWriter<T> implements SinkWriter<T> {
  count = 0;
  sum = 0;
  sumSq = 0;
  constructor(
    private readonly summand: (v: T) => number,
    private readonly root: (v: T) => number,
  ) {}
  write(v: T): void {
    const r = this.root(v);
    this.count++;
    this.sum += this.summand(v);
    this.sumSq += r * r;
  }
  flush(): void {}
  close(): void {}
}
