/**
 * The slice strategy of the window operator (Flink's Table runtime SliceSharedWindowAggProcessor /
 * SliceUnsharedWindowAggProcessor; the Scotty and Cutty papers): tumbling, sliding and cumulative
 * event-time windows with the default trigger and no evictor, any allowed lateness, any window
 * function. An element goes into ONE slice of its key (SliceAssigner: slice = window for tumbling,
 * gcd(size, slide) for sliding, the step for cumulative windows), not into every window it belongs
 * to; a window's result is the merge of its slices when it fires:
 * - reduce/aggregate: a slice holds the reduced value / accumulator; a window of several slices is
 *   their merge, in time order, into a fresh accumulator (AggregateFunction.merge; reduce is its own
 *   merge). This equals per-window evaluation (the general operator) for every function whose result
 *   does not depend on the arrival order of out-of-order elements across slices — count, sum, min,
 *   max, average, … — as in Flink SQL; for in-order input, for any function that honours the merge
 *   contract (merge of the parts = aggregate of the whole, e.g. concatenation).
 * - ProcessWindowFunction over all elements: a slice holds its elements, a window reads its slices.
 *   The window function gets them in arrival order, as the general operator gives them: where a
 *   window spans several slices each element is kept with an arrival sequence ([seq, element, …] in
 *   the slice's list) and the slices are merged by it; tumbling windows keep the plain elements.
 *
 * Firing is Flink's WindowOperator with EventTimeTrigger, without a timer per (key, window): when the
 * watermark reaches a window's max timestamp the window fires for all keys of its slices at once;
 * with allowed lateness an element that arrives for a fired window that is not cleaned up yet fires
 * it again at once for its key (EventTimeTrigger.onElement returns FIRE); at maxTimestamp +
 * allowedLateness the window is purged (the window function's clear(ctx) and per-window state, per
 * key), and a slice is dropped with the last window it belongs to. An element whose windows are all
 * past their cleanup time is late (side output, or dropped and counted). Windows of a key fire in
 * time order; the results carry the window's max timestamp.
 *
 * Everything lives in the keyed state backend: the slices are 'window-contents' in the namespace of
 * the slice's TimeWindow (for tumbling windows the window itself: the state is the general
 * operator's). The pending slices, ascending, are a cache of the state's namespaces, rebuilt on
 * restore; so is the next arrival sequence (one past the highest restored).
 */
import type { AggregateFunction } from '../../core/functions/aggregate-function.ts';
import { InvalidFunctionResultError, describeValue } from '../../core/errors.ts';
import { AggregatingStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, type StateDescriptor } from '../../core/state/state-descriptor.ts';
import type { State } from '../../core/state/state.ts';
import type { InternalKvState } from '../../state/heap-keyed-state-backend.ts';
import { VOID_NAMESPACE } from '../../state/namespace.ts';
import { requireTimestamp } from '../assigners/window-assigner.ts';
import { AbstractWindowOperator, WINDOW_CONTENTS, WINDOW_TIMERS, type WindowOperatorConfig } from '../abstract-window-operator.ts';
import type { Triggerable } from '../../state/timers/internal-timer-service.ts';
import { TimeWindow, windowOfNamespace } from '../windows.ts';
import type { SliceAssigner } from './slice-assigner.ts';

/** What a slice holds. */
const AGGREGATE = 0;
const REDUCE = 1;
const ELEMENTS = 2;

export class SliceWindowOperator<IN, ACC, OUT, K> extends AbstractWindowOperator<IN, ACC, OUT, K, TimeWindow> {
  private readonly mode: number;
  private readonly agg: AggregateFunction<IN, ACC, unknown> | undefined;
  private readonly reduce: ((a: IN, b: IN) => IN) | undefined;
  private readonly lateness: number;
  private readonly sliceSize: number;
  private readonly offset: number;
  /** Elements carry their arrival sequence (all elements kept, windows of several slices). */
  private readonly sequenced: boolean;
  /** The contents: per (key, slice) the accumulator, reduced value or element list. */
  private contents!: InternalKvState<unknown>;
  /** The slices holding state, ascending by start, and by start (a cache of the contents' namespaces). */
  private slices: TimeWindow[] = [];
  private readonly byStart = new Map<number, TimeWindow>();
  /** Start of the slice the contents state is set to (NaN: none). */
  private lastStart = Number.NaN;
  /** Max timestamp of the first window of that slice: at or below the watermark, a new element fires windows again (allowed lateness). */
  private lastFirstFire = Number.NaN;
  private nextSeq = 0;

  constructor(
    config: WindowOperatorConfig<IN, ACC, OUT, K, TimeWindow>,
    private readonly slicing: SliceAssigner,
  ) {
    super(config);
    const spec = this.spec;
    this.mode = spec.kind === 'aggregate' ? AGGREGATE : spec.kind === 'reduce' ? REDUCE : ELEMENTS;
    this.agg = spec.kind === 'aggregate' ? spec.aggregate : undefined;
    this.reduce = spec.kind === 'reduce' ? spec.reduce : undefined;
    this.lateness = config.allowedLateness;
    this.sliceSize = slicing.sliceSize;
    this.offset = slicing.offset;
    this.sequenced = this.mode === ELEMENTS && slicing.multiSlice;
  }

  protected override openStorage(): void {
    this.claimStateName(WINDOW_CONTENTS, 'operator');
    // Only the raw value is used (the function calls and their undefined checks are this operator's own).
    const descriptor: StateDescriptor<unknown> =
      this.mode === AGGREGATE
        ? (new AggregatingStateDescriptor(WINDOW_CONTENTS, this.agg!) as StateDescriptor<unknown>)
        : this.mode === REDUCE
          ? (new ReducingStateDescriptor(WINDOW_CONTENTS, this.reduce!) as StateDescriptor<unknown>)
          : (new ListStateDescriptor<unknown>(WINDOW_CONTENTS) as StateDescriptor<unknown>);
    this.contents = this.getPartitionedState<State>(VOID_NAMESPACE, descriptor, this.windowNamespaceSerializer);
    if (this.isRestored()) this.adoptPerWindowState();
    this.slices = [];
    this.byStart.clear();
    for (const ns of this.contents.namespaces()) {
      const slice = this.sliceAt(windowOfNamespace<TimeWindow>(ns).start);
      if (this.sequenced) {
        for (const list of this.contents.valuesOf(slice) as IterableIterator<unknown[]>) {
          const last = list[list.length - 2] as number;
          if (last >= this.nextSeq) this.nextSeq = last + 1;
        }
      }
    }
    this.lastStart = Number.NaN;
  }

  /**
   * A snapshot of the general window operator (contents per window and a timer per window: this
   * window with an explicit trigger or an evictor when the snapshot was taken, or a tidemark
   * version before slices) has timers. A tumbling window is its own slice: its contents carry over
   * (the general operator's list of timestamped elements becomes the elements) and the timers go
   * (windows fire by the watermark here), with the trigger's per-window state. Windows of several
   * slices cannot be cut into slices: the restore fails saying so, rather than losing their contents.
   */
  private adoptPerWindowState(): void {
    const timers = this.getInternalTimerService<TimeWindow>(WINDOW_TIMERS, NO_TIMERS, this.windowNamespaceSerializer);
    const eventTime = timers.eventTimeTimers();
    const processingTime = timers.processingTimeTimers();
    if (eventTime.length + processingTime.length === 0) return;
    if (this.slicing.kind !== 'tumbling') {
      throw new Error(
        `Cannot restore window operator '${this.parameters.operatorName}' from this snapshot: it holds window contents kept per window ` +
          `(the window had an explicit trigger or an evictor when the snapshot was taken, or the snapshot is from a tidemark version before slices), ` +
          `and this ${this.slicing.kind} window, with the default trigger and no evictor, keeps slices of ${this.sliceSize} ms, into which per-window contents cannot be cut. ` +
          `Restore with the window defined as when the snapshot was taken (for the default behaviour per window: .trigger(EventTimeTrigger.create())), or start without the snapshot.`,
      );
    }
    const backend = this.keyedBackend!;
    const before = backend.currentKey;
    for (const t of eventTime) {
      backend.setCurrentKey(t.key);
      timers.deleteEventTimeTimer(t.namespace, t.timestamp);
      // Without a window function, what else the window kept is its trigger's state (a count, …): it goes.
      if (this.process === undefined) backend.clearUnregisteredNamespace(t.namespace);
    }
    for (const t of processingTime) {
      backend.setCurrentKey(t.key);
      timers.deleteProcessingTimeTimer(t.namespace, t.timestamp);
    }
    if (this.mode === ELEMENTS) {
      const contents = this.contents;
      for (const ns of contents.namespaces()) {
        contents.setCurrentNamespace(ns);
        for (const [key, list] of [...contents.entriesOf(ns)] as [unknown, { value: unknown }[]][]) {
          backend.setCurrentKey(key);
          contents.updateInternal(list.map((t) => t.value));
        }
      }
    }
    backend.setCurrentKey(before);
  }

  // ---- elements ------------------------------------------------------------------------------------

  processElement(value: unknown, timestamp: number): void {
    requireTimestamp(timestamp);
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.sliceSize);
    // A new slice of an element whose windows are all cleaned up: the element is late.
    if (start !== this.lastStart && !this.enterSlice(start)) return this.lateElement(value as IN, timestamp);
    const contents = this.contents;
    const current = contents.getInternal();
    const mode = this.mode;
    if (mode === AGGREGATE) {
      const agg = this.agg!;
      let acc = current as ACC | undefined;
      if (acc === undefined) {
        acc = agg.createAccumulator();
        if (acc === undefined) throw this.undefinedResult('AggregateFunction.createAccumulator()');
      }
      const next = agg.add(value as IN, acc);
      if (next === undefined) throw this.undefinedResult('AggregateFunction.add()');
      contents.updateInternal(next);
    } else if (mode === REDUCE) {
      if (current === undefined) contents.updateInternal(value);
      else {
        const next = this.reduce!(current as IN, value as IN);
        if (next === undefined) throw this.undefinedResult('reduce()');
        contents.updateInternal(next);
      }
    } else this.addElement(current as unknown[] | undefined, value);
    // Allowed lateness: windows of the slice that fired and are not cleaned up fire again for this key.
    if (this.lateness > 0 && this.lastFirstFire <= this.inputWatermark) this.fireLate(start);
  }

  /** Keeps the element in the slice's list (with its arrival sequence when windows span several slices). */
  private addElement(list: unknown[] | undefined, value: unknown): void {
    if (list === undefined) this.contents.updateInternal(this.sequenced ? [this.nextSeq++, value] : [value]);
    else if (this.sequenced) list.push(this.nextSeq++, value);
    else list.push(value);
  }

  /** AggregateFunction.merge(a, b) returned b, a slice's accumulator: windows would share (and change) it. */
  private mergeReturnedSlice(): TypeError {
    return new TypeError(
      `AggregateFunction.merge(a, b) returned its second accumulator b for key ${describeValue(this.keyedBackend!.currentKey, true)}: ` +
        `a ${this.slicing.kind} window keeps an accumulator per slice and merges a window's slices into a new accumulator a, so b is a slice's accumulator that the slice's other windows merge again. ` +
        `Merge into a (or a new accumulator) and leave b unchanged, or set a trigger (e.g. .trigger(EventTimeTrigger.create())) to aggregate per window.`,
    );
  }

  /** A user function returned undefined for what becomes a slice's contents (it would read as "empty"). */
  private undefinedResult(fn: string): InvalidFunctionResultError {
    return new InvalidFunctionResultError(fn, this.keyedBackend!.currentKey, undefined);
  }

  /** Sets the contents to the slice at `start` (created when new); false when its windows are all cleaned up. */
  private enterSlice(start: number): boolean {
    const s = this.slicing;
    if (s.lastWindowEnd(start) - 1 + this.lateness <= this.inputWatermark) return false;
    this.contents.setCurrentNamespace(this.sliceAt(start));
    this.lastStart = start;
    this.lastFirstFire = s.firstWindowEnd(start) - 1;
    return true;
  }

  /** The slice starting at `start`, created (and put in order) when it is new. */
  private sliceAt(start: number): TimeWindow {
    let slice = this.byStart.get(start);
    if (slice === undefined) {
      slice = new TimeWindow(start, start + this.sliceSize);
      this.byStart.set(start, slice);
      const p = this.slices;
      let i = p.length;
      while (i > 0 && p[i - 1]!.start > start) i--;
      p.splice(i, 0, slice);
    }
    return slice;
  }

  /** Fires, for the current key, the windows of the slice at `start` that fired already and are not cleaned up (in the assigner's order). */
  private fireLate(start: number): void {
    const s = this.slicing;
    const wm = this.inputWatermark;
    const first = s.firstWindowEnd(start);
    const last = s.lastWindowEnd(start);
    const step = s.endStep;
    const from = s.latestFirst ? last : first;
    const by = s.latestFirst ? -step : step;
    for (let end = from; end >= first && end <= last; end += by) {
      if (end - 1 <= wm && end - 1 + this.lateness > wm) {
        const window = new TimeWindow(s.windowStart(end), end);
        const result = this.windowResult(window);
        if (result !== undefined) this.emit(window, result);
      }
    }
  }

  // ---- time ----------------------------------------------------------------------------------------

  /** Windows whose max timestamp (fire) or cleanup time the watermark passes fire / are purged, in time order, before it moves on. */
  override processWatermark(watermark: number): void {
    const old = this.inputWatermark;
    if (watermark < old) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
    if (watermark > old && this.slices.length > 0) this.advance(old, watermark);
    super.processWatermark(watermark);
  }

  private advance(old: number, wm: number): void {
    const ends = this.windowEnds(old, wm);
    if (ends.length === 0) return;
    const lateness = this.lateness;
    if (lateness === 0) {
      // Each window fires and is purged at once.
      for (const end of ends) this.fireWindow(end, true);
    } else {
      // Firings (end - 1 in (old, wm]) and cleanups (end - 1 + lateness <= wm) merged by time. At the
      // same time a cleanup goes first: the general operator fires its timers of one time in the order
      // they were registered, and a window's cleanup timer comes with its first element, before the
      // firing timer of a later window (input in time order; always for the windows of one cumulative period).
      let i = 0;
      let j = 0;
      const n = ends.length;
      while (i < n && ends[i]! - 1 <= old) i++;
      for (;;) {
        // An infinite lateness never cleans up (as the general operator registers no cleanup timer then).
        const cleanable = j < n && lateness !== Number.POSITIVE_INFINITY && ends[j]! - 1 + lateness <= wm;
        if (i < n && (!cleanable || ends[i]! - 1 < ends[j]! - 1 + lateness)) this.fireWindow(ends[i++]!, false);
        else if (cleanable) this.cleanWindow(ends[j++]!);
        else break;
      }
    }
  }

  /**
   * The ends of the windows with contents that fire or are purged when the watermark moves from
   * `old` to `wm`: end - 1 <= wm and not purged before (end - 1 + lateness > old), ascending.
   */
  private windowEnds(old: number, wm: number): number[] {
    const s = this.slicing;
    const step = s.endStep;
    const lateness = this.lateness;
    const ends: number[] = [];
    let previous = Number.NEGATIVE_INFINITY;
    for (const slice of this.slices) {
      const first = s.firstWindowEnd(slice.start);
      if (first - 1 > wm) break;
      let end = previous >= first ? previous + step : first;
      // Skip the windows purged before (the slice lives on for its later windows).
      if (end - 1 + lateness <= old) end += (Math.floor((old - lateness + 1 - end) / step) + 1) * step;
      const last = s.lastWindowEnd(slice.start);
      for (; end <= last && end - 1 <= wm; end += step) ends.push((previous = end));
    }
    return ends;
  }

  /** Fires the window ending at `end` for every key of its slices; `purge`: then purges it (no allowed lateness). */
  private fireWindow(end: number, purge: boolean): void {
    const start = this.slicing.windowStart(end);
    const withProcess = this.process !== undefined;
    const backend = this.keyedBackend!;
    if (end - start === this.sliceSize) {
      // One slice: its values are the window's.
      const slice = this.byStart.get(start);
      const values = slice === undefined ? undefined : this.contents.mapOf(slice);
      if (values !== undefined) {
        if (!withProcess) {
          const ts = end - 1;
          const agg = this.mode === AGGREGATE ? this.agg! : undefined;
          for (const v of values.values()) this.output.collect((agg === undefined ? v : agg.getResult(v as ACC)) as OUT, ts);
        } else {
          const window = this.slicing.kind === 'tumbling' ? slice! : new TimeWindow(start, end);
          for (const ck of values.keys()) {
            backend.setCurrentKey(backend.originalKey(ck));
            this.emit(window, this.singleSliceResult(values.get(ck), purge));
            if (purge) this.clearWindowFunctionState(window);
          }
        }
      }
    } else {
      const window = new TimeWindow(start, end);
      const maps = this.slicesOf(start, end);
      for (let i = 0; i < maps.length; i++) {
        const values = maps[i]!;
        for (const ck of values.keys()) {
          if (inAnyBefore(maps, i, ck)) continue; // done with the first slice that holds the key
          backend.setCurrentKey(backend.originalKey(ck));
          this.emit(window, this.mergedResult(maps, i, ck));
          if (purge && withProcess) this.clearWindowFunctionState(window);
        }
      }
    }
    if (purge) this.dropSlices(end);
  }

  /** Purges the window ending at `end` (its cleanup time passed) for every key of its slices, and drops the slices it was the last window of. */
  private cleanWindow(end: number): void {
    if (this.process !== undefined) {
      const window = new TimeWindow(this.slicing.windowStart(end), end);
      const backend = this.keyedBackend!;
      const maps = this.slicesOf(window.start, end);
      for (let i = 0; i < maps.length; i++) {
        for (const ck of maps[i]!.keys()) {
          if (inAnyBefore(maps, i, ck)) continue;
          backend.setCurrentKey(backend.originalKey(ck));
          this.clearWindowFunctionState(window);
        }
      }
    }
    this.dropSlices(end);
  }

  /** The contents of the slices of [start, end) that hold any, in time order: canonical key -> value. */
  private slicesOf(start: number, end: number): ReadonlyMap<unknown, unknown>[] {
    const maps: ReadonlyMap<unknown, unknown>[] = [];
    for (let at = start; at < end; at += this.sliceSize) {
      const slice = this.byStart.get(at);
      const values = slice === undefined ? undefined : this.contents.mapOf(slice);
      if (values !== undefined) maps.push(values);
    }
    return maps;
  }

  /** The result of the current key (canonical key `ck`) over the slices `maps`, the first that holds it being maps[first]. */
  private mergedResult(maps: readonly ReadonlyMap<unknown, unknown>[], first: number, ck: unknown): unknown {
    const mode = this.mode;
    if (mode === AGGREGATE) {
      const agg = this.agg!;
      // Into a fresh accumulator: merge may change its first argument, and the slices' live on.
      let acc = this.stored(agg.createAccumulator(), 'AggregateFunction.createAccumulator()');
      for (let j = first; j < maps.length; j++) {
        const v = maps[j]!.get(ck);
        if (v === undefined) continue;
        acc = this.stored(agg.merge(acc, v as ACC), 'AggregateFunction.merge()');
        // A merge that returns (and so may change) the slice's own accumulator would corrupt it for the slice's other windows.
        if (acc === v && typeof v === 'object' && v !== null) throw this.mergeReturnedSlice();
      }
      return agg.getResult(acc);
    }
    if (mode === REDUCE) {
      const reduce = this.reduce!;
      let r = maps[first]!.get(ck) as IN;
      for (let j = first + 1; j < maps.length; j++) {
        const v = maps[j]!.get(ck);
        if (v !== undefined) r = this.stored(reduce(r, v as IN), 'reduce()');
      }
      return r;
    }
    const lists: unknown[][] = [maps[first]!.get(ck) as unknown[]];
    for (let j = first + 1; j < maps.length; j++) {
      const v = maps[j]!.get(ck);
      if (v !== undefined) lists.push(v as unknown[]);
    }
    return mergeBySequence(lists);
  }

  /** Drops the slices whose last window ends at or before `end` (it is purged). */
  private dropSlices(end: number): void {
    const s = this.slicing;
    const p = this.slices;
    let n = 0;
    while (n < p.length && s.lastWindowEnd(p[n]!.start) <= end) {
      const slice = p[n++]!;
      this.byStart.delete(slice.start);
      this.contents.clearNamespace(slice);
      if (slice.start === this.lastStart) this.lastStart = Number.NaN;
    }
    if (n > 0) p.splice(0, n);
  }

  // ---- results -------------------------------------------------------------------------------------

  /** The result of a window that is one slice, from the slice's value: the accumulator's result, the reduced value, or the elements. */
  private singleSliceResult(v: unknown, purged: boolean): unknown {
    if (this.mode === AGGREGATE) return this.agg!.getResult(v as ACC);
    if (this.mode === REDUCE) return v;
    const list = v as unknown[];
    if (this.sequenced) return withoutSequence(list);
    // The list goes away with the window; one that lives on (allowed lateness) must not change under the function.
    return purged ? list : list.slice();
  }

  /** The current key's result of `window`: the merge of its slices in time order (undefined: no contents). */
  private windowResult(window: TimeWindow): unknown {
    const ck = this.keyedBackend!.currentCanonicalKey;
    const maps = this.slicesOf(window.start, window.end);
    for (let i = 0; i < maps.length; i++) {
      const v = maps[i]!.get(ck);
      if (v === undefined) continue;
      return window.end - window.start === this.sliceSize ? this.singleSliceResult(v, false) : this.mergedResult(maps, i, ck);
    }
    return undefined;
  }

  /** Emits `result` (the window's one value, or its elements) for the current key. */
  private emit(window: TimeWindow, result: unknown): void {
    if (this.mode === ELEMENTS) this.emitWindowResults(window, result as unknown[]);
    else if (this.process === undefined) this.output.collect(result as OUT, window.end - 1);
    else this.emitWindowResults(window, [result]);
  }

  /** (key, slice) pairs held, over all keys (for tests and metrics). */
  numWindows(): number {
    let n = 0;
    for (const slice of this.slices) n += this.contents.size(slice);
    return n;
  }
}

/** The general operator's restored timers are deleted unfired (adoptPerWindowState). */
const NO_TIMERS: Triggerable<unknown, TimeWindow> = { onEventTime: () => {}, onProcessingTime: () => {} };

/** Whether one of maps[0 .. i) holds `ck`. */
function inAnyBefore(maps: readonly ReadonlyMap<unknown, unknown>[], i: number, ck: unknown): boolean {
  for (let j = 0; j < i; j++) if (maps[j]!.has(ck)) return true;
  return false;
}

/** The elements of a sequenced list [seq, element, seq, element, …]. */
function withoutSequence(list: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(list.length >> 1);
  for (let i = 1, j = 0; i < list.length; i += 2) out[j++] = list[i];
  return out;
}

/** The elements of several sequenced lists (each ascending by sequence) in sequence order: arrival order. */
function mergeBySequence(lists: readonly (readonly unknown[])[]): unknown[] {
  if (lists.length === 1) return withoutSequence(lists[0]!);
  let total = 0;
  for (const l of lists) total += l.length >> 1;
  const out = new Array<unknown>(total);
  const at = new Array<number>(lists.length).fill(0);
  for (let j = 0; j < total; j++) {
    let best = -1;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (let k = 0; k < lists.length; k++) {
      const i = at[k]!;
      const l = lists[k]!;
      if (i < l.length && (l[i] as number) < bestSeq) {
        bestSeq = l[i] as number;
        best = k;
      }
    }
    out[j] = lists[best]![at[best]! + 1];
    at[best]! += 2;
  }
  return out;
}
