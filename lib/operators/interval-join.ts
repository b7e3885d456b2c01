/**
 * The interval join (Flink's IntervalJoinOperator): pairs of a left and a right element with equal keys
 * and `left.ts + lower <= right.ts <= left.ts + upper`, in event time. Both inputs arrive as one keyed
 * tagged union (input 1 left, input 2 right). Each side's elements wait in keyed map state (timestamp
 * -> elements) until the watermark shows no partner can still come; a cleanup timer per element
 * timestamp, in the namespace of its side, drops them then. Nothing is kept outside the state layer.
 */
import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import type { Collector } from '../core/functions/collector.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { MapStateDescriptor } from '../core/state/state-descriptor.ts';
import type { MapState } from '../core/state/state.ts';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/timers/internal-timer-service.ts';
import { timeText } from './abstract-stream-operator.ts';
import type { Tagged } from './tagged-union.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';

export interface ProcessJoinContext {
  getLeftTimestamp(): number;
  getRightTimestamp(): number;
  /** The joined record's timestamp: the larger of the two. */
  getTimestamp(): number;
  /** Emits to a side output, read with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** What an interval join calls for every joined pair: a ProcessJoinFunction or a plain function. */
export type ProcessJoinFn<L, R, OUT> =
  | ((left: L, right: R, ctx: ProcessJoinContext, out: Collector<OUT>) => void)
  | { processElement(left: L, right: R, ctx: ProcessJoinContext, out: Collector<OUT>): void };

/** A buffered element (Flink's BufferEntry). */
type BufferEntry = { v: unknown };

/** Timer namespaces: whose buffer a cleanup timer empties (Flink's CLEANUP_NAMESPACE_LEFT / _RIGHT). */
const CLEANUP_LEFT = 'CLEANUP_LEFT';
const CLEANUP_RIGHT = 'CLEANUP_RIGHT';
type CleanupNamespace = typeof CLEANUP_LEFT | typeof CLEANUP_RIGHT;

export class IntervalJoinOperator<L, R, OUT> extends AbstractUdfStreamOperator<OUT, ProcessJoinFn<L, R, OUT>> implements Triggerable<unknown, CleanupNamespace> {
  private readonly fn: (left: L, right: R, ctx: ProcessJoinContext, out: Collector<OUT>) => void;
  private leftBuffer!: MapState<number, BufferEntry[]>;
  private rightBuffer!: MapState<number, BufferEntry[]>;
  private timers!: InternalTimerService<CleanupNamespace>;
  /** Timestamps of the pair being emitted (per call, not state). */
  private lts = 0;
  private rts = 0;
  /** Records behind the watermark, dropped (a metric: Flink's numLateRecordsDropped). */
  private numLateRecordsDropped = 0;
  private readonly context: ProcessJoinContext = {
    getLeftTimestamp: () => this.lts,
    getRightTimestamp: () => this.rts,
    getTimestamp: () => Math.max(this.lts, this.rts),
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, Math.max(this.lts, this.rts)),
  };
  /** Emits with the larger of the two timestamps, as Flink's IntervalJoinOperator does. */
  private readonly collector: Collector<OUT> = { collect: (record: OUT) => this.output.collect(record, Math.max(this.lts, this.rts)) };

  constructor(
    fn: ProcessJoinFn<L, R, OUT>,
    private readonly lower: number,
    private readonly upper: number,
    /** Side outputs for records behind the watermark, per side (Flink's left/rightLateDataOutputTag); unset: dropped and counted. */
    private readonly lateDataTags: { readonly left?: OutputTag<L> | undefined; readonly right?: OutputTag<R> | undefined } = {},
  ) {
    super(fn);
    this.fn = toCallable(this.userFunction, 'processElement', 'An interval join process()');
  }

  override open(): void {
    const backend = this.keyedBackend;
    if (backend === undefined) throw new Error('An interval join needs keyed streams');
    this.leftBuffer = backend.getMapState(new MapStateDescriptor<number, BufferEntry[]>('LEFT_BUFFER'));
    this.rightBuffer = backend.getMapState(new MapStateDescriptor<number, BufferEntry[]>('RIGHT_BUFFER'));
    this.timers = this.getInternalTimerService<CleanupNamespace>('IntervalJoinOperator', this);
    super.open();
  }

  override close(): void | Promise<void> {
    this.publishMetric('numLateRecordsDropped', this.numLateRecordsDropped);
    return super.close();
  }

  processElement(value: unknown, timestamp: number): void {
    const t = value as Tagged;
    // A throw (the user's function, a missing timestamp) is attributed by the chain, with this record.
    if (timestamp === NO_TIMESTAMP) throw new Error('An interval join needs event timestamps: assign them with assignTimestampsAndWatermarks()');
    const wm = this.timers.currentWatermark();
    const isLeft = t.i === 1;
    if (timestamp < wm) {
      // Late (Flink's isLate: ts < watermark): its partners may already be gone. To the side's late
      // output if the user asked for one; else counted, the first logged.
      const tag = isLeft ? this.lateDataTags.left : this.lateDataTags.right;
      if (tag !== undefined) this.emitSide(tag as OutputTag<unknown>, t.v, timestamp);
      else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, `it is behind the watermark ${timeText(wm)}, so its join partners may already be gone (sideOutputLeftLateData/sideOutputRightLateData keep such records)`);
      return;
    }
    const own = isLeft ? this.leftBuffer : this.rightBuffer;
    const other = isLeft ? this.rightBuffer : this.leftBuffer;
    const list = own.get(timestamp);
    if (list === undefined) own.put(timestamp, [{ v: t.v }]);
    else {
      list.push({ v: t.v });
      own.put(timestamp, list); // a write through the state, as Flink's: a backend may copy on write
    }
    // Partners: right ts in [l + lower, l + upper], or for a right element left ts in [r - upper, r - lower].
    const from = isLeft ? timestamp + this.lower : timestamp - this.upper;
    const to = isLeft ? timestamp + this.upper : timestamp - this.lower;
    for (const [ots, entries] of other.entries()) {
      if (ots < from || ots > to) continue;
      for (const e of entries) {
        if (isLeft) this.emit(t.v, timestamp, e.v, ots);
        else this.emit(e.v, ots, t.v, timestamp);
      }
    }
    // Once the watermark passes this time, no partner can still arrive.
    if (isLeft) this.timers.registerEventTimeTimer(CLEANUP_LEFT, timestamp + Math.max(this.upper, 0));
    else this.timers.registerEventTimeTimer(CLEANUP_RIGHT, timestamp - Math.min(this.lower, 0));
  }

  private emit(left: unknown, lts: number, right: unknown, rts: number): void {
    this.lts = lts;
    this.rts = rts;
    if (isThenable(this.fn(left as L, right as R, this.context, this.collector) as unknown)) throw new AsyncFunctionResultError('ProcessJoinFunction.processElement()'); // it would collect after its pair
  }

  /** A cleanup timer: the timer's key is current; drop the elements of its side that it was set for. */
  onEventTime(timer: InternalTimer<unknown, CleanupNamespace>): void {
    if (timer.namespace === CLEANUP_LEFT) this.leftBuffer.remove(timer.timestamp - Math.max(this.upper, 0));
    else this.rightBuffer.remove(timer.timestamp + Math.min(this.lower, 0));
  }

  onProcessingTime(): void {}
}
