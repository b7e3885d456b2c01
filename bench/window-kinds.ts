/**
 * Workloads (w1)-(w5) of the benchmark (issue 15): every window kind on ONE generator, each job shared
 * with its hand-written loop so that both call the SAME generator, key selector, timestamp assigner
 * and user functions on the SAME events and add up results the same way.
 *
 *  (w1) tumbling 1 s, aggregate(count)
 *  (w2) tumbling 1 s, ProcessWindowFunction over all elements (windowStats)
 *  (w3) sliding 2 s / 1 s, aggregate([count, sum of v])
 *  (w4) sliding 10 s / 1 s, the same aggregate
 *  (w5) session windows, gap 300 ms, the same ProcessWindowFunction as (w2)
 *
 * Events: `fromSequence(0, n - 1)` yields i; `toValueEvent(i)` turns it into an event with a key of
 * VK_KEYS (a multiplicative hash of i), a value v in 0..99 (another hash of i) and the timestamp
 * T0 + floor(i / VK_EVENTS_PER_MS) ms (256 events per ms: a key sees an event about every 39 ms),
 * except every VK_LATE_EVERY-th event (i % 20 === 19), which is VK_LATENESS_MS (50 ms) older.
 *
 * Pauses, so that sessions close and fire during the run (without them a key, seeing an event every
 * ~39 ms, would hold one session from the first event to the end of input): every key is silent for
 * VK_PAUSE_MS (400 ms) of every VK_PAUSE_PERIOD_MS (1 s) of base time floor(i / 256), at a phase of its
 * own; an event whose key is silent goes to the key's partner (key ± VK_KEYS / 2) instead, which pauses
 * half a period later and so is never silent at the same time. A silence of 400 ms of base time is
 * more than 350 ms of timestamps (a late event is at most 50 ms older), so more than the 300 ms gap:
 * a key's sessions are about 600 ms (about 25 events) long, some 8 per key in 2 M events. The tumbling
 * and sliding rows see the same events (pauses only move events between keys).
 *
 * Why no event is late, and why no result depends on when watermarks come (so the framework's periodic
 * watermarks give the results of the hand loops' watermark after every event): with bounded
 * out-of-orderness watermarks w = maxTs - B - 1 (B = VK_OUT_OF_ORDERNESS_MS = 100), maxTs <= T0 +
 * floor(i / 256) before event i, and every event j >= i has ts >= T0 + floor(j / 256) - 50 >= maxTs - 50
 * = w + 51. So no event is ever behind the watermark (the hand loops assert it on every event), and
 * more: every window that has fired (w >= its end - 1) ends at least 50 ms before any later event, so
 * no later event falls into it (tumbling, sliding) or merges with it (a session [ts, ts + gap) touches
 * a fired session only if ts <= its end). A watermark that lags (periodic emission) is only lower.
 *
 * Checksums (count = results; sum = a weighted sum of each result's fields, so that fields trading
 * places changes it; sumSq = sum of the squared fields, which changes when elements move between
 * results): the hand loops check that sumSq stays a safe integer (then every partial sum is exact and
 * the order results arrive in does not matter); that holds for --window-n up to about 10^7.
 */
import type { AggregateFunction, Collector, DataStreamSink, ProcessWindowContext, Sink, SinkWriter, StreamExecutionEnvironment, WindowedStream } from '../lib/index.ts';
import { EventTimeSessionWindows, SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows, WatermarkStrategy } from '../lib/index.ts';
import { SummingSink, type SquaresChecksum } from './workload.ts';

export interface ValueEvent {
  readonly key: number;
  /** A small value, 0..99. */
  readonly v: number;
  /** Event time, epoch ms. */
  readonly ts: number;
}

/** Number of distinct keys. */
export const VK_KEYS = 10_000;
/** Events per ms of event time. */
export const VK_EVENTS_PER_MS = 256;
/** Every VK_LATE_EVERY-th event (i % VK_LATE_EVERY === VK_LATE_EVERY - 1) is VK_LATENESS_MS older. */
export const VK_LATE_EVERY = 20;
export const VK_LATENESS_MS = 50;
/** Bound of the bounded out-of-orderness watermarks, ms. */
export const VK_OUT_OF_ORDERNESS_MS = 100;
/** Each key is silent for VK_PAUSE_MS of every VK_PAUSE_PERIOD_MS (<= half the period, so a key and its partner never pause at once). */
export const VK_PAUSE_PERIOD_MS = 1_000;
export const VK_PAUSE_MS = 400;
/** Windows of the rows, ms. */
export const VK_TUMBLE_MS = 1_000;
export const VK_SLIDE_MS = 1_000;
export const VK_SHORT_SLIDING_MS = 2_000;
export const VK_LONG_SLIDING_MS = 10_000;
export const VK_SESSION_GAP_MS = 300;
/** Event time of event 0: 2024-01-01T00:00:00Z (a boundary of every window above). */
export const T0 = Date.UTC(2024, 0, 1);

const HALF_KEYS = VK_KEYS / 2;
const HALF_PERIOD = VK_PAUSE_PERIOD_MS / 2;
if (VK_PAUSE_MS > HALF_PERIOD) throw new Error('bench/window-kinds.ts: a pause must be at most half its period');
if (VK_PAUSE_MS - VK_LATENESS_MS <= VK_SESSION_GAP_MS) throw new Error('bench/window-kinds.ts: a pause must outlast the session gap plus the lateness');

// ---- user functions ---------------------------------------------------------------------------------

/** Where a key's pause starts in the period: keys of the upper half half a period after their partner in the lower half. */
function pauseStart(key: number): number {
  return key < HALF_KEYS ? (key * 397) % HALF_PERIOD : HALF_PERIOD + ((key - HALF_KEYS) * 397) % HALF_PERIOD;
}

/** Generator: the i-th event. */
export function toValueEvent(i: number): ValueEvent {
  const base = Math.floor(i / VK_EVENTS_PER_MS);
  let key = (Math.imul(i, 0x9e3779b1) >>> 0) % VK_KEYS;
  // A silent key's event goes to its partner (never silent at the same time).
  if ((base + VK_PAUSE_PERIOD_MS - pauseStart(key)) % VK_PAUSE_PERIOD_MS < VK_PAUSE_MS) key = key < HALF_KEYS ? key + HALF_KEYS : key - HALF_KEYS;
  const v = (Math.imul(i ^ (i >>> 16), 0x85ebca6b) >>> 16) % 100;
  const ts = i % VK_LATE_EVERY === VK_LATE_EVERY - 1 ? T0 + base - VK_LATENESS_MS : T0 + base;
  return { key, v, ts };
}

/** Key selector. */
export function valueEventKey(e: ValueEvent): number {
  return e.key;
}

/** Timestamp assigner. */
export function valueEventTime(e: ValueEvent): number {
  return e.ts;
}

/** (w1) Counts the events of a (key, window). */
export const countAgg: AggregateFunction<ValueEvent, number, number> = {
  createAccumulator: () => 0,
  add: (_e, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

/** [count, sum of v] of a (key, window). */
export type CountSum = readonly [count: number, sum: number];

/** (w3, w4) Count and sum of v; a new accumulator per add (as Flink's documented examples), never mutated. */
export const countSumAgg: AggregateFunction<ValueEvent, CountSum, CountSum> = {
  createAccumulator: () => [0, 0],
  add: (e, acc) => [acc[0] + 1, acc[1] + e.v],
  getResult: (acc) => acc,
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

/** What windowStats emits per (key, window). */
export interface WindowStats {
  readonly key: number;
  readonly count: number;
  readonly sum: number;
  readonly start: number;
  readonly end: number;
}

/** (w2, w5) The ProcessWindowFunction: iterates all elements of the window, emits their count and sum of v with the key and the window's bounds. */
export function windowStats(key: number, ctx: ProcessWindowContext<TimeWindow>, elements: ValueEvent[], out: Collector<WindowStats>): void {
  let sum = 0;
  for (let j = 0; j < elements.length; j++) sum += elements[j]!.v;
  const w = ctx.window();
  out.collect({ key, count: elements.length, sum, start: w.start, end: w.end });
}

// ---- checksums --------------------------------------------------------------------------------------

/** How a row's results enter its checksum: a weighted sum of the fields, and the sum of their squares. */
export interface ResultChecksum<R> {
  summand(r: R): number;
  squares(r: R): number;
}

export const countChecksum: ResultChecksum<number> = {
  summand: (c) => c,
  squares: (c) => c * c,
};

export const countSumChecksum: ResultChecksum<CountSum> = {
  summand: (r) => r[0] + 2 * r[1],
  squares: (r) => r[0] * r[0] + r[1] * r[1],
};

export const statsChecksum: ResultChecksum<WindowStats> = {
  summand: (r) => r.count + 2 * r.sum + 3 * r.key + 5 * (r.start - T0) + 7 * (r.end - T0),
  squares: (r) => r.count * r.count + r.sum * r.sum + r.key * r.key + (r.start - T0) * (r.start - T0) + (r.end - T0) * (r.end - T0),
};

/** Adds up results as a row's sink and hand loop do. */
export class ChecksumAdder<R> implements Collector<R>, SinkWriter<R> {
  count = 0;
  sum = 0;
  sumSq = 0;
  constructor(private readonly fields: ResultChecksum<R>) {}
  collect(r: R): void {
    this.count++;
    this.sum += this.fields.summand(r);
    this.sumSq += this.fields.squares(r);
  }
  write(r: R): void {
    this.collect(r);
  }
  flush(): void {}
  close(): void {}
  /** The totals; throws when they may have lost precision (--window-n too large). */
  total(): SquaresChecksum {
    if (!Number.isSafeInteger(this.sumSq)) throw new RangeError(`bench/window-kinds.ts: checksum ${this.sumSq} is beyond 2^53, not exact: use a smaller --window-n`);
    return { count: this.count, sum: this.sum, sumSq: this.sumSq };
  }
}

/** The sink of a window row: each writer adds up what it receives with a ChecksumAdder. */
export class WindowKindSink<R> extends SummingSink<R> {
  constructor(fields: ResultChecksum<R>) {
    super(() => new ChecksumAdder<R>(fields));
  }
}

// ---- the framework jobs -----------------------------------------------------------------------------

export type WindowKind = 'w1' | 'w2' | 'w3' | 'w4' | 'w5';

/** Source -> Map(toValueEvent) -> Timestamps/Watermarks(bounded out-of-orderness 100 ms) -> keyBy(key). */
function keyedEvents(env: StreamExecutionEnvironment, n: number) {
  return env
    .fromSequence(0, n - 1)
    .map(toValueEvent)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<ValueEvent>(VK_OUT_OF_ORDERNESS_MS).withTimestampAssigner(valueEventTime))
    .keyBy(valueEventKey);
}

type Windowed = WindowedStream<ValueEvent, number, TimeWindow>;

/** (w1) ... -> Window(tumbling 1 s).aggregate(count) -> Sink. */
export function buildTumblingCountJob(env: StreamExecutionEnvironment, n: number, sink: Sink<number>): DataStreamSink<number> {
  const windowed: Windowed = keyedEvents(env, n).window(TumblingEventTimeWindows.of<ValueEvent>(VK_TUMBLE_MS));
  return windowed.aggregate(countAgg).sinkTo(sink, 'Checksum Sink');
}

/** (w2) ... -> Window(tumbling 1 s).process(windowStats) -> Sink. */
export function buildTumblingProcessJob(env: StreamExecutionEnvironment, n: number, sink: Sink<WindowStats>): DataStreamSink<WindowStats> {
  const windowed: Windowed = keyedEvents(env, n).window(TumblingEventTimeWindows.of<ValueEvent>(VK_TUMBLE_MS));
  return windowed.process(windowStats).sinkTo(sink, 'Checksum Sink');
}

/** (w3, w4) ... -> Window(sliding size / 1 s).aggregate([count, sum]) -> Sink. */
export function buildSlidingJob(env: StreamExecutionEnvironment, n: number, size: number, sink: Sink<CountSum>): DataStreamSink<CountSum> {
  const windowed: Windowed = keyedEvents(env, n).window(SlidingEventTimeWindows.of<ValueEvent>(size, VK_SLIDE_MS));
  return windowed.aggregate(countSumAgg).sinkTo(sink, 'Checksum Sink');
}

/** (w5) ... -> Window(event-time sessions, gap 300 ms).process(windowStats) -> Sink. */
export function buildSessionJob(env: StreamExecutionEnvironment, n: number, sink: Sink<WindowStats>): DataStreamSink<WindowStats> {
  const windowed: Windowed = keyedEvents(env, n).window(EventTimeSessionWindows.withGap<ValueEvent>(VK_SESSION_GAP_MS));
  return windowed.process(windowStats).sinkTo(sink, 'Checksum Sink');
}

// ---- the hand-written loops -------------------------------------------------------------------------
//
// All of them: the watermark rule of BoundedOutOfOrdernessWatermarks (max timestamp seen - bound - 1)
// evaluated after EVERY event (the finest granularity; see the top of this file for why the framework's
// periodic watermarks give the same results); a window fires when the watermark reaches its max
// timestamp end - 1 (EventTimeTrigger) and is then gone (allowed lateness 0); at the end of input every
// window fires (the framework's final watermark). Results go into a ChecksumAdder as the sink's do.

function lateEvent(i: number, ts: number, watermark: number): Error {
  return new Error(`bench workload bug: event ${i} (ts ${ts}) is behind the watermark ${watermark}`);
}

/**
 * The ProcessWindowContext of the hand loops: the window being fired, and nothing else
 * (windowStats uses only window()).
 */
class HandWindowContext implements ProcessWindowContext<TimeWindow> {
  current: TimeWindow = new TimeWindow(0, 0);
  watermark = Number.NEGATIVE_INFINITY;
  window(): TimeWindow {
    return this.current;
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  currentWatermark(): number {
    return this.watermark;
  }
  windowState(): never {
    throw new Error('bench hand loop: no window state');
  }
  globalState(): never {
    throw new Error('bench hand loop: no global state');
  }
  output(): void {
    throw new Error('bench hand loop: no side outputs');
  }
}

/**
 * (w1, w3, w4) by hand, for any window of `size` starting every `slide` (tumbling: slide = size): the
 * element goes into the accumulator of each window that contains its timestamp (starts at the
 * multiples of `slide` in (ts - size, ts], as SlidingEventTimeWindows assigns), one Map of key ->
 * accumulator per window end; so there is a result per (key, window) that received an element.
 */
export function handAggregate<ACC, R>(n: number, size: number, slide: number, agg: AggregateFunction<ValueEvent, ACC, R>, fields: ResultChecksum<R>): SquaresChecksum {
  const out = new ChecksumAdder<R>(fields);
  const windows = new Map<number, Map<number, ACC>>();
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  /** Smallest max timestamp (end - 1) of the open windows: the next firing. */
  let nextFire = Number.POSITIVE_INFINITY;

  const fireUpTo = (wm: number): void => {
    const due = [...windows.keys()].filter((end) => end - 1 <= wm).sort((a, b) => a - b);
    for (const end of due) {
      for (const acc of windows.get(end)!.values()) out.collect(agg.getResult(acc));
      windows.delete(end);
    }
    nextFire = Number.POSITIVE_INFINITY;
    for (const end of windows.keys()) if (end - 1 < nextFire) nextFire = end - 1;
  };

  for (let i = 0; i < n; i++) {
    const e = toValueEvent(i);
    const ts = valueEventTime(e);
    const key = valueEventKey(e);
    if (ts <= watermark) throw lateEvent(i, ts, watermark);
    const lastStart = ts - (ts % slide); // timestamps are positive
    for (let start = lastStart; start > ts - size; start -= slide) {
      const end = start + size;
      let accs = windows.get(end);
      if (accs === undefined) {
        accs = new Map();
        windows.set(end, accs);
        if (end - 1 < nextFire) nextFire = end - 1;
      }
      const acc = accs.get(key);
      accs.set(key, agg.add(e, acc === undefined ? agg.createAccumulator() : acc));
    }
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - VK_OUT_OF_ORDERNESS_MS - 1;
      if (watermark >= nextFire) fireUpTo(watermark);
    }
  }
  fireUpTo(Number.POSITIVE_INFINITY);
  return out.total();
}

/** (w1) by hand. */
export function handTumblingCount(n: number): SquaresChecksum {
  return handAggregate(n, VK_TUMBLE_MS, VK_TUMBLE_MS, countAgg, countChecksum);
}

/** (w3) by hand. */
export function handShortSliding(n: number): SquaresChecksum {
  return handAggregate(n, VK_SHORT_SLIDING_MS, VK_SLIDE_MS, countSumAgg, countSumChecksum);
}

/** (w4) by hand. */
export function handLongSliding(n: number): SquaresChecksum {
  return handAggregate(n, VK_LONG_SLIDING_MS, VK_SLIDE_MS, countSumAgg, countSumChecksum);
}

/**
 * (w2) by hand: the elements of each (key, tumbling window) in an array (one Map of key -> elements
 * per window end); a firing window calls windowStats once per key with all of its elements.
 */
export function handTumblingProcess(n: number): SquaresChecksum {
  const out = new ChecksumAdder<WindowStats>(statsChecksum);
  const ctx = new HandWindowContext();
  const windows = new Map<number, Map<number, ValueEvent[]>>();
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  let nextFire = Number.POSITIVE_INFINITY;

  const fireUpTo = (wm: number): void => {
    const due = [...windows.keys()].filter((end) => end - 1 <= wm).sort((a, b) => a - b);
    for (const end of due) {
      ctx.current = new TimeWindow(end - VK_TUMBLE_MS, end);
      for (const [key, elements] of windows.get(end)!) windowStats(key, ctx, elements, out);
      windows.delete(end);
    }
    nextFire = Number.POSITIVE_INFINITY;
    for (const end of windows.keys()) if (end - 1 < nextFire) nextFire = end - 1;
  };

  for (let i = 0; i < n; i++) {
    const e = toValueEvent(i);
    const ts = valueEventTime(e);
    const key = valueEventKey(e);
    if (ts <= watermark) throw lateEvent(i, ts, watermark);
    const end = ts - (ts % VK_TUMBLE_MS) + VK_TUMBLE_MS;
    let lists = windows.get(end);
    if (lists === undefined) {
      lists = new Map();
      windows.set(end, lists);
      if (end - 1 < nextFire) nextFire = end - 1;
    }
    const elements = lists.get(key);
    if (elements === undefined) lists.set(key, [e]);
    else elements.push(e);
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - VK_OUT_OF_ORDERNESS_MS - 1;
      ctx.watermark = watermark;
      if (watermark >= nextFire) fireUpTo(watermark);
    }
  }
  ctx.watermark = Number.POSITIVE_INFINITY;
  fireUpTo(Number.POSITIVE_INFINITY);
  return out.total();
}

/** An open session of the hand loop: [start, end) and its elements. */
interface HandSession {
  readonly key: number;
  start: number;
  end: number;
  readonly elements: ValueEvent[];
  /** False once fired or merged into another session. */
  open: boolean;
}

/**
 * (w5) by hand, merging as Flink's MergingWindowSet with TimeWindow.mergeWindows: an element opens
 * [ts, ts + gap), which merges with every open session of its key that it intersects (TimeWindow.intersects:
 * start <= other.end && end >= other.start, so touching windows merge too) into their cover, holding
 * all their elements. (A key's open sessions never intersect one another, and a cover of intervals can
 * reach a session only through the new window, so these are exactly the windows the merge covers.)
 * Firing as a timer service: a timer at end - 1 per session end (a session that grew or was merged away
 * leaves a stale timer, skipped when it comes), in a bucket per ms.
 */
export function handSessionProcess(n: number): SquaresChecksum {
  const out = new ChecksumAdder<WindowStats>(statsChecksum);
  const ctx = new HandWindowContext();
  /** The open sessions of each key. */
  const sessions = new Map<number, HandSession[]>();
  /** Timer time -> sessions to fire then if still open with that end. */
  const timers = new Map<number, HandSession[]>();
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  /** No timer below this time is pending. */
  let nextTimer = Number.POSITIVE_INFINITY;

  const register = (s: HandSession): void => {
    const t = s.end - 1;
    const due = timers.get(t);
    if (due === undefined) timers.set(t, [s]);
    else due.push(s);
    if (t < nextTimer) nextTimer = t;
  };

  const fire = (s: HandSession): void => {
    s.open = false;
    const list = sessions.get(s.key)!;
    list.splice(list.indexOf(s), 1);
    if (list.length === 0) sessions.delete(s.key);
    ctx.current = new TimeWindow(s.start, s.end);
    windowStats(s.key, ctx, s.elements, out);
  };

  const fireUpTo = (wm: number): void => {
    if (wm === Number.POSITIVE_INFINITY) {
      for (const t of [...timers.keys()].sort((a, b) => a - b)) {
        for (const s of timers.get(t)!) if (s.open && s.end - 1 === t) fire(s);
      }
      timers.clear();
      return;
    }
    for (; nextTimer <= wm; nextTimer++) {
      const due = timers.get(nextTimer);
      if (due === undefined) continue;
      timers.delete(nextTimer);
      for (const s of due) if (s.open && s.end - 1 === nextTimer) fire(s);
    }
  };

  for (let i = 0; i < n; i++) {
    const e = toValueEvent(i);
    const ts = valueEventTime(e);
    const key = valueEventKey(e);
    if (ts <= watermark) throw lateEvent(i, ts, watermark);
    const start = ts;
    const end = ts + VK_SESSION_GAP_MS;
    let list = sessions.get(key);
    if (list === undefined) sessions.set(key, (list = []));
    let into: HandSession | undefined;
    let intoEnd = 0;
    for (let j = 0; j < list.length; j++) {
      const s = list[j]!;
      if (!(s.start <= end && s.end >= start)) continue; // does not intersect [ts, ts + gap)
      if (into === undefined) {
        into = s;
        intoEnd = s.end;
        continue;
      }
      // A second intersecting session: merged into the first.
      into.start = Math.min(into.start, s.start);
      into.end = Math.max(into.end, s.end);
      for (const x of s.elements) into.elements.push(x);
      s.open = false;
      list.splice(j--, 1);
    }
    if (into === undefined) {
      const s: HandSession = { key, start, end, elements: [e], open: true };
      list.push(s);
      register(s);
    } else {
      into.start = Math.min(into.start, start);
      into.end = Math.max(into.end, end);
      into.elements.push(e);
      if (into.end !== intoEnd) register(into); // its old timer is stale now
    }
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - VK_OUT_OF_ORDERNESS_MS - 1;
      ctx.watermark = watermark;
      if (watermark >= nextTimer) fireUpTo(watermark);
    }
  }
  ctx.watermark = Number.POSITIVE_INFINITY;
  fireUpTo(Number.POSITIVE_INFINITY);
  return out.total();
}
