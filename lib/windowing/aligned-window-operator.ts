/**
 * A fast path of the window operator for its most common use: fixed-size tumbling event-time windows
 * with the default trigger, no evictor, no allowed lateness, and an incremental reduce or aggregate
 * function. All keys of a window share one entry (window start -> key -> accumulator) and a window
 * fires as a whole when the watermark passes its end — exactly what the general operator does with
 * one timer per (key, window), for a fraction of the cost. Late elements go to the late-data side
 * output or are dropped, counted and the first logged, as there.
 */
import { AbstractUdfStreamOperator } from '../operators/abstract-stream-operator.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { TimeWindow } from './windows.ts';
import { requireTimestamp } from './assigners/window-assigner.ts';
import { lateReason } from './window-operator.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';

export type AlignedFunction<IN, ACC> =
  | { kind: 'reduce'; reduce: (a: IN, b: IN) => IN }
  | { kind: 'aggregate'; aggregate: AggregateFunction<IN, ACC, unknown> };

export class AlignedWindowAggregateOperator<IN, ACC, OUT> extends AbstractUdfStreamOperator<OUT, AlignedFunction<IN, ACC>> {
  /** window start -> (canonical key -> accumulator or reduced value), in insertion order. */
  private readonly windows = new Map<number, Map<unknown, unknown>>();
  /** Window starts with content, ascending. */
  private starts: number[] = [];
  private lastStart = Number.NaN;
  private lastContents: Map<unknown, unknown> | undefined;
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
  }

  processElement(value: unknown, timestamp: number): void {
    requireTimestamp(timestamp);
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.size);
    if (start + this.size - 1 <= this.inputWatermark) {
      // The window has fired and is gone (no allowed lateness): the element is late.
      if (this.lateDataTag !== undefined) this.emitSide(this.lateDataTag as OutputTag<unknown>, value, timestamp);
      else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, lateReason(this.inputWatermark, 0));
      return;
    }
    let contents: Map<unknown, unknown>;
    if (start === this.lastStart) contents = this.lastContents!;
    else {
      let c = this.windows.get(start);
      if (c === undefined) {
        c = new Map();
        this.windows.set(start, c);
        this.insertStart(start);
      }
      contents = c;
      this.lastStart = start;
      this.lastContents = c;
    }
    const backend = this.keyedBackend!;
    const ck = backend.currentCanonicalKey;
    const fn = this.userFunction;
    const current = contents.get(ck);
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
    contents.set(ck, next);
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

  private insertStart(start: number): void {
    const s = this.starts;
    let i = s.length;
    while (i > 0 && s[i - 1]! > start) i--;
    s.splice(i, 0, start);
  }

  /** Windows whose end the watermark passed fire, in time order, before the watermark moves on. */
  override processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    while (this.starts.length > 0 && this.starts[0]! + this.size - 1 <= watermark) {
      const start = this.starts.shift()!;
      const contents = this.windows.get(start)!;
      this.windows.delete(start);
      if (start === this.lastStart) {
        this.lastStart = Number.NaN;
        this.lastContents = undefined;
      }
      this.fire(start, contents);
    }
    this.output.emitWatermark(watermark);
  }

  private fire(start: number, contents: Map<unknown, unknown>): void {
    const ts = start + this.size - 1;
    const fn = this.userFunction;
    for (const acc of contents.values()) {
      const result = fn.kind === 'aggregate' ? fn.aggregate.getResult(acc as ACC) : acc;
      this.output.collect(result as OUT, ts);
    }
  }

  /** Windows currently held (for tests and metrics). */
  numWindows(): number {
    let n = 0;
    for (const c of this.windows.values()) n += c.size;
    return n;
  }
}
