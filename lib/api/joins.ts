/**
 * Joins of two streams (Flink's names):
 * - window join and coGroup: `a.join(b).where(k1).equalTo(k2).window(assigner).apply(fn)` — elements of
 *   both streams that share a key and a window; built like Flink's, on a tagged union of both inputs
 *   keyed and windowed together;
 * - interval join: `keyedA.intervalJoin(keyedB).between(lower, upper).process(fn)` — pairs with equal keys
 *   and `a.ts + lower <= b.ts <= a.ts + upper`, in event time; buffered elements are dropped once the
 *   watermark shows they can no longer match.
 */
import { AbstractRichFunction } from '../core/functions/rich-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { DataStream, KeyedStream, SingleOutputStreamOperator } from './datastream.ts';
import { toMillis, type DurationLike } from '../core/duration.ts';
import type { WindowAssigner } from '../windowing/assigners/window-assigner.ts';
import type { Trigger } from '../windowing/triggers/trigger.ts';
import type { Window } from '../windowing/windows.ts';
import type { ProcessWindowContext } from '../windowing/process-window-function.ts';
import { IntervalJoinOperator, type ProcessJoinContext } from '../operators/interval-join.ts';
import { keyedTaggedUnion, type Tagged } from './connected-streams.ts';
import { AsyncFunctionResultError, isAsyncFunction, isThenable } from '../core/errors.ts';
import { OutputTag } from '../core/output-tag.ts';

export type JoinFn<L, R, OUT> = ((left: L, right: R) => OUT) | { join(left: L, right: R): OUT };
export type CoGroupFn<L, R, OUT> = ((lefts: L[], rights: R[], out: Collector<OUT>) => void) | { coGroup(lefts: L[], rights: R[], out: Collector<OUT>): void };

class WindowedJoin<L, R, K, W extends Window> {
  private windowTrigger: Trigger<Tagged, W> | undefined;
  private lateness = 0;
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly k1: (l: L) => K,
    private readonly k2: (r: R) => K,
    private readonly assigner: WindowAssigner<Tagged, W>,
    private readonly name: string,
  ) {}
  trigger(trigger: Trigger<Tagged, W>): this {
    this.windowTrigger = trigger;
    return this;
  }
  allowedLateness(lateness: DurationLike): this {
    this.lateness = toMillis(lateness, 'allowed lateness');
    return this;
  }
  /** Runs `fn` per (key, window) with the elements of each side. */
  protected coGroupWith<OUT>(fn: (lefts: L[], rights: R[], out: Collector<OUT>) => void): SingleOutputStreamOperator<OUT> {
    const tagged = keyedTaggedUnion(this.left, this.right, this.k1, this.k2);
    let windowed = tagged.window(this.assigner).allowedLateness(this.lateness);
    if (this.windowTrigger) windowed = windowed.trigger(this.windowTrigger);
    return windowed
      .process((_key: unknown, _ctx: ProcessWindowContext<W>, elements: Tagged[], out: Collector<OUT>) => {
        const lefts: L[] = [];
        const rights: R[] = [];
        for (const t of elements) {
          if (t.i === 1) lefts.push(t.v as L);
          else rights.push(t.v as R);
        }
        if (isThenable(fn(lefts, rights, out) as unknown)) throw new AsyncFunctionResultError('coGroup()'); // it would collect after its window
      })
      .name(this.name);
  }
}

export class JoinedWindows<L, R, K, W extends Window> extends WindowedJoin<L, R, K, W> {
  /** Every pair of a left and a right element of the same key and window. */
  apply<OUT>(fn: JoinFn<L, R, OUT>): SingleOutputStreamOperator<OUT> {
    const join = typeof fn === 'function' ? fn : fn.join.bind(fn);
    if (isAsyncFunction(join)) throw new AsyncFunctionResultError('join()'); // its Promises would be the joined records
    return this.coGroupWith<OUT>((lefts, rights, out) => {
      for (const l of lefts) for (const r of rights) out.collect(join(l, r));
    });
  }
}

export class CoGroupedWindows<L, R, K, W extends Window> extends WindowedJoin<L, R, K, W> {
  /** Both sides' elements of each key and window, even when one side is empty. */
  apply<OUT>(fn: CoGroupFn<L, R, OUT>): SingleOutputStreamOperator<OUT> {
    const coGroup = typeof fn === 'function' ? fn : fn.coGroup.bind(fn);
    return this.coGroupWith<OUT>(coGroup);
  }
}

class Where<L, R, K, Result> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly k1: (l: L) => K,
    private readonly make: (k2: (r: R) => K) => Result,
  ) {}
  equalTo(key: (r: R) => K): Result {
    return this.make(key);
  }
}

export class JoinedStreams<L, R> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
  ) {}
  where<K>(key: (l: L) => K): { equalTo(key: (r: R) => K): { window<W extends Window>(assigner: WindowAssigner<unknown, W>): JoinedWindows<L, R, K, W> } } {
    return new Where(this.left, this.right, key, (k2: (r: R) => K) => ({
      window: <W extends Window>(assigner: WindowAssigner<unknown, W>) =>
        new JoinedWindows<L, R, K, W>(this.left, this.right, key, k2, assigner as WindowAssigner<Tagged, W>, 'Window Join'),
    }));
  }
}

export class CoGroupedStreams<L, R> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
  ) {}
  where<K>(key: (l: L) => K): { equalTo(key: (r: R) => K): { window<W extends Window>(assigner: WindowAssigner<unknown, W>): CoGroupedWindows<L, R, K, W> } } {
    return new Where(this.left, this.right, key, (k2: (r: R) => K) => ({
      window: <W extends Window>(assigner: WindowAssigner<unknown, W>) =>
        new CoGroupedWindows<L, R, K, W>(this.left, this.right, key, k2, assigner as WindowAssigner<Tagged, W>, 'Window CoGroup'),
    }));
  }
}

// ---- interval join -------------------------------------------------------------------------------------

export type { ProcessJoinContext } from '../operators/interval-join.ts';

/** Called for every joined pair of an interval join (Flink's ProcessJoinFunction). */
export abstract class ProcessJoinFunction<L, R, OUT> extends AbstractRichFunction {
  abstract processElement(left: L, right: R, ctx: ProcessJoinContext, out: Collector<OUT>): void;
}

export class IntervalJoin<L, R, K> {
  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
  ) {}
  /** Joins right elements with `left.ts + lower <= right.ts <= left.ts + upper`. */
  between(lower: DurationLike | number, upper: DurationLike | number): IntervalJoined<L, R, K> {
    const lo = typeof lower === 'number' ? lower : toMillis(lower, 'lower bound');
    const hi = typeof upper === 'number' ? upper : toMillis(upper, 'upper bound');
    if (lo > hi) throw new RangeError(`The lower bound (${lo}) of an interval join must not be greater than the upper bound (${hi})`);
    return new IntervalJoined(this.left, this.right, lo, hi);
  }
}

export class IntervalJoined<L, R, K> {
  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
    private readonly lower: number,
    private readonly upper: number,
  ) {}
  /** Flags, as Flink's: calling one twice excludes the bound once (the operator gets it moved by 1 ms). */
  private lowerInclusive = true;
  private upperInclusive = true;
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }
  private leftLateTag: OutputTag<L> | undefined;
  private rightLateTag: OutputTag<R> | undefined;
  /** Left records behind the watermark go to this side output (with their timestamps) instead of being dropped (Flink's sideOutputLeftLateData). */
  sideOutputLeftLateData(tag: OutputTag<L>): this {
    if (!(tag instanceof OutputTag)) throw new TypeError('sideOutputLeftLateData() needs an OutputTag');
    this.leftLateTag = tag;
    return this;
  }
  /** Right records behind the watermark go to this side output instead of being dropped (Flink's sideOutputRightLateData). */
  sideOutputRightLateData(tag: OutputTag<R>): this {
    if (!(tag instanceof OutputTag)) throw new TypeError('sideOutputRightLateData() needs an OutputTag');
    this.rightLateTag = tag;
    return this;
  }
  process<OUT>(fn: ProcessJoinFunction<L, R, OUT> | ((left: L, right: R, ctx: ProcessJoinContext, out: Collector<OUT>) => void)): SingleOutputStreamOperator<OUT> {
    const lower = this.lowerInclusive ? this.lower : this.lower + 1;
    const upper = this.upperInclusive ? this.upper : this.upper - 1;
    const leftLate = this.leftLateTag;
    const rightLate = this.rightLateTag;
    return keyedTaggedUnion(this.left, this.right, this.left.getKeySelector(), this.right.getKeySelector()).keyedOperator<OUT>(
      'Interval Join',
      () => new IntervalJoinOperator<L, R, OUT>(fn, lower, upper, { left: leftLate, right: rightLate }),
    );
  }
}

