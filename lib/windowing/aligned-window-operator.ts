/**
 * A fast path of the window operator for its most common use: fixed-size tumbling event-time windows
 * with the default trigger, no evictor, no allowed lateness, and an incremental reduce or aggregate
 * function. Its state is the general operator's: each key's accumulator lives in the keyed state
 * backend under the window as namespace ('window-contents'). What it saves is the timers: instead
 * of one timer per (key, window) it fires a window for all keys at once (`valuesOf(window)`, in
 * insertion order, then `clearNamespace(window)`) when the watermark passes its end — exactly what
 * the general operator does with its timers, for a fraction of the cost. The pending windows are
 * the namespaces that hold state, so a restored operator finds them in its restored state. Late
 * elements go to the late-data side output or are dropped, counted and the first logged, as there.
 */
import { AbstractUdfStreamOperator } from '../operators/abstract-stream-operator.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { AggregatingStateDescriptor, ReducingStateDescriptor } from '../core/state/state-descriptor.ts';
import type { InternalKvState } from '../state/heap-keyed-state-backend.ts';
import type { State } from '../core/state/state.ts';
import { VOID_NAMESPACE } from '../state/namespace.ts';
import { TimeWindow, windowNamespaceSerializer, windowOfNamespace } from './windows.ts';
import { requireTimestamp } from './assigners/window-assigner.ts';
import { lateReason, WINDOW_CONTENTS } from './window-operator.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';

export type AlignedFunction<IN, ACC> =
  | { kind: 'reduce'; reduce: (a: IN, b: IN) => IN }
  | { kind: 'aggregate'; aggregate: AggregateFunction<IN, ACC, unknown> };

export class AlignedWindowAggregateOperator<IN, ACC, OUT> extends AbstractUdfStreamOperator<OUT, AlignedFunction<IN, ACC>> {
  /** The contents: accumulator (or reduced value) per key, in the namespace of its window. */
  private contents!: InternalKvState<unknown>;
  /**
   * The windows holding state, ascending by start, and by start: a cache of the contents state's
   * namespaces (rebuilt from them on restore), one TimeWindow per window.
   */
  private pending: TimeWindow[] = [];
  private readonly byStart = new Map<number, TimeWindow>();
  /** Start of the window the contents state is set to (NaN: none). */
  private lastStart = Number.NaN;
  numLateRecordsDropped = 0;

  constructor(
    fn: AlignedFunction<IN, ACC>,
    private readonly size: number,
    private readonly offset: number,
    private readonly lateDataTag: OutputTag<IN> | undefined,
  ) {
    super(fn);
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('window() needs a keyed stream: call keyBy() first (or use windowAll)');
    const fn = this.userFunction;
    // The same state as the general operator's; only its raw value is used here (the function
    // calls and their undefined checks are this operator's own, with their messages).
    const descriptor = fn.kind === 'aggregate' ? new AggregatingStateDescriptor(WINDOW_CONTENTS, fn.aggregate) : new ReducingStateDescriptor(WINDOW_CONTENTS, fn.reduce);
    this.contents = this.getPartitionedState<State>(VOID_NAMESPACE, descriptor as never, windowNamespaceSerializer);
    for (const ns of this.contents.namespaces()) this.windowOf(windowOfNamespace<TimeWindow>(ns).start);
    this.lastStart = Number.NaN;
  }

  processElement(value: unknown, timestamp: number): void {
    requireTimestamp(timestamp);
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.size);
    // The window has fired and is gone (no allowed lateness): the element is late.
    if (start + this.size - 1 <= this.inputWatermark) return this.late(value, timestamp);
    const contents = this.contents;
    if (start !== this.lastStart) this.switchWindow(start);
    const fn = this.userFunction;
    const current = contents.getInternal();
    let next: unknown;
    if (fn.kind === 'aggregate') {
      let acc = current as ACC | undefined;
      if (acc === undefined) {
        acc = fn.aggregate.createAccumulator();
        if (acc === undefined) throw this.undefinedResult('AggregateFunction.createAccumulator()');
      }
      next = fn.aggregate.add(value as IN, acc);
      if (next === undefined) throw this.undefinedResult('AggregateFunction.add()');
    } else {
      next = current === undefined ? value : fn.reduce(current as IN, value as IN);
      if (next === undefined) throw this.undefinedResult('reduce()');
    }
    contents.updateInternal(next);
  }

  /** Off the per-record path (kept small so that V8 inlines the state access into it). */
  private late(value: unknown, timestamp: number): void {
    if (this.lateDataTag !== undefined) this.emitSide(this.lateDataTag as OutputTag<unknown>, value, timestamp);
    else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, lateReason(this.inputWatermark, 0));
  }

  private switchWindow(start: number): void {
    this.contents.setCurrentNamespace(this.windowOf(start));
    this.lastStart = start;
  }

  /** The window starting at `start`, created (and put in order) when it is new. */
  private windowOf(start: number): TimeWindow {
    let w = this.byStart.get(start);
    if (w === undefined) {
      w = new TimeWindow(start, start + this.size);
      this.byStart.set(start, w);
      const p = this.pending;
      let i = p.length;
      while (i > 0 && p[i - 1]!.start > start) i--;
      p.splice(i, 0, w);
    }
    return w;
  }

  /** undefined as a key's contents would read as "empty": the window's aggregate would silently restart. */
  private undefinedResult(fn: string): InvalidFunctionResultError {
    return new InvalidFunctionResultError(fn, this.keyedBackend!.currentKey, undefined);
  }

  /** numLateRecordsDropped reaches the JobExecutionResult as the accumulator `<operator name>.numLateRecordsDropped`. */
  override close(): void | Promise<void> {
    this.publishMetric('numLateRecordsDropped', this.numLateRecordsDropped);
    return super.close();
  }

  /** Windows whose end the watermark passed fire, in time order, before the watermark moves on. */
  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
    const p = this.pending;
    while (p.length > 0 && p[0]!.end - 1 <= watermark) {
      const window = p.shift()!;
      this.byStart.delete(window.start);
      if (window.start === this.lastStart) this.lastStart = Number.NaN;
      this.fire(window);
    }
    super.processWatermark(watermark);
  }

  private fire(window: TimeWindow): void {
    const ts = window.end - 1;
    const fn = this.userFunction;
    const contents = this.contents;
    for (const acc of contents.valuesOf(window)) {
      const result = fn.kind === 'aggregate' ? fn.aggregate.getResult(acc as ACC) : acc;
      this.output.collect(result as OUT, ts);
    }
    contents.clearNamespace(window);
  }

  /** (key, window) pairs currently held (for tests and metrics). */
  numWindows(): number {
    let n = 0;
    for (const w of this.pending) n += this.contents.size(w);
    return n;
  }
}
