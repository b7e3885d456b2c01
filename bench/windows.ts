/**
 * Workload (c) of the benchmark: a keyed event-time tumbling-window count, shared by the framework
 * job and the hand-written loop so that both call the SAME generator and user functions on the SAME
 * events and consume results the same way.
 *
 * Events: the source yields i in 0..n-1 (bench/sliced-sequence.ts: at p > 1 source subtask s the i that are s
 * modulo p, a time-ordered slice); `toWindowEvent(i)` turns it into an event of one of
 * WINDOW_KEYS keys whose timestamp is T0 + i ms (event time advances 1 ms per event, so a 1-minute
 * window holds 60 000 events, about 6 per key), except for OUT_OF_ORDER_PERCENT % of the events,
 * which are 1..OUT_OF_ORDERNESS_MS ms older than that.
 *
 * Why no event is late (so the set of window counts cannot depend on watermark timing): with
 * bounded out-of-orderness watermarks w = maxTs - B - 1 (B = OUT_OF_ORDERNESS_MS), and maxTs <= T0 + i - 1
 * before event i (events before it have timestamps <= T0 + i - 1), an event with timestamp T0 + i - d
 * is behind the watermark only if d >= B + 2; here d <= B. A watermark that lags (periodic emission)
 * is only lower. The hand loop asserts this on every event (it throws on a late event).
 */
import type { AggregateFunction, DataStreamSink, Sink, StreamExecutionEnvironment } from '../lib/index.ts';
import { TumblingEventTimeWindows, WatermarkStrategy } from '../lib/index.ts';
import { SquaresChecksumSink, type SquaresChecksum } from './workload.ts';
import { SlicedSequenceSource } from './sliced-sequence.ts';

export interface WindowEvent {
  readonly key: number;
  /** Event time, epoch ms. */
  readonly ts: number;
}

/** Number of distinct keys. */
export const WINDOW_KEYS = 10_000;
/** Window size (tumbling), ms. */
export const WINDOW_SIZE_MS = 60_000;
/** Bound of the bounded out-of-orderness watermarks, ms. */
export const OUT_OF_ORDERNESS_MS = 5_000;
/** Share of the events that come out of order (older than their position), strictly within the bound. */
export const OUT_OF_ORDER_PERCENT = 5;
/** Event time of event 0: 2024-01-01T00:00:00Z (a window boundary). */
export const T0 = Date.UTC(2024, 0, 1);

// ---- user functions ---------------------------------------------------------------------------------

/** Generator: the i-th event. Two independent multiplicative hashes pick the key and the disorder. */
export function toWindowEvent(i: number): WindowEvent {
  const key = (Math.imul(i, 0x9e3779b1) >>> 0) % WINDOW_KEYS;
  const h = Math.imul(i ^ (i >>> 16), 0x85ebca6b) >>> 0;
  let ts = T0 + i;
  // h % 100 < 5 picks 5 % of the events; the higher bits give the delay 1..OUT_OF_ORDERNESS_MS.
  if (h % 100 < OUT_OF_ORDER_PERCENT) ts -= 1 + ((h >>> 8) % OUT_OF_ORDERNESS_MS);
  return { key, ts };
}

/** Key selector. */
export function eventKey(e: WindowEvent): number {
  return e.key;
}

/** Timestamp assigner. */
export function eventTime(e: WindowEvent): number {
  return e.ts;
}

/** Counts the events of a (key, window). */
export const countAgg: AggregateFunction<WindowEvent, number, number> = {
  createAccumulator: () => 0,
  add: (_e, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

// ---- checksum ---------------------------------------------------------------------------------------

/**
 * count = window results, sum = sum of their counts (= events counted), and sumSq = sum of squared
 * counts: sum alone is n whenever no event is lost, sumSq also changes when events land in other
 * (key, window) pairs than they should.
 */
export type WindowChecksum = SquaresChecksum;

/** Adds up the window counts it receives, as the hand loop does for each window result it emits. */
export class WindowCountSink extends SquaresChecksumSink<number> {
  constructor() {
    super(identityCount, identityCount);
  }
}

function identityCount(windowCount: number): number {
  return windowCount;
}

// ---- the framework job ------------------------------------------------------------------------------

/**
 * (c) Source(0..n-1, every p-th to each subtask) -> Map(toWindowEvent) -> Timestamps/Watermarks(bounded out-of-orderness) -> keyBy(key)
 *     -> Window(tumbling event time, 1 min).aggregate(count) -> Sink.
 */
export function buildWindowCountJob(env: StreamExecutionEnvironment, n: number, sink: Sink<number>): DataStreamSink<number> {
  return env
    .fromSource(new SlicedSequenceSource(0, n - 1), 'Sequence Source')
    .uid('events')
    .map(toWindowEvent)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<WindowEvent>(OUT_OF_ORDERNESS_MS).withTimestampAssigner(eventTime))
    .keyBy(eventKey)
    .window(TumblingEventTimeWindows.of<WindowEvent>(WINDOW_SIZE_MS))
    .aggregate(countAgg)
    .uid('window-count') // stable ids for row (e), which checkpoints this job
    .sinkTo(sink, 'Checksum Sink');
}

// ---- the hand-written loop --------------------------------------------------------------------------

/**
 * (c) by hand: the same generator, timestamp, key selector and aggregate function; counts per
 * (key, window) in a Map per window (window end -> key -> accumulator). Watermark rule as the
 * framework's BoundedOutOfOrdernessWatermarks: max timestamp seen - bound - 1, evaluated after EVERY
 * event (the finest granularity; the framework evaluates it every auto-watermark interval of
 * processing time, which only delays firings and cannot change the counts because no event is late).
 * A window [start, end) fires, emitting one result per key it holds, when the watermark reaches
 * end - 1 (its max timestamp, as EventTimeTrigger); at the end of input every window fires (the
 * framework's final watermark).
 */
export function handWindowCount(n: number): WindowChecksum {
  const windows = new Map<number, Map<number, number>>();
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  /** Smallest max timestamp (end - 1) of the open windows: the next firing. */
  let nextFire = Number.POSITIVE_INFINITY;
  let count = 0;
  let sum = 0;
  let sumSq = 0;

  const fireUpTo = (wm: number): void => {
    const due = [...windows.keys()].filter((end) => end - 1 <= wm).sort((a, b) => a - b);
    for (const end of due) {
      for (const acc of windows.get(end)!.values()) {
        const c = countAgg.getResult(acc);
        count++;
        sum += c;
        sumSq += c * c;
      }
      windows.delete(end);
    }
    nextFire = Number.POSITIVE_INFINITY;
    for (const end of windows.keys()) if (end - 1 < nextFire) nextFire = end - 1;
  };

  for (let i = 0; i < n; i++) {
    const e = toWindowEvent(i);
    const ts = eventTime(e);
    const key = eventKey(e);
    if (ts <= watermark) throw new Error(`bench workload bug: event ${i} (ts ${ts}) is behind the watermark ${watermark}`);
    const end = ts - (ts % WINDOW_SIZE_MS) + WINDOW_SIZE_MS; // timestamps are positive
    let counts = windows.get(end);
    if (counts === undefined) {
      counts = new Map();
      windows.set(end, counts);
      if (end - 1 < nextFire) nextFire = end - 1;
    }
    const acc = counts.get(key);
    counts.set(key, countAgg.add(e, acc === undefined ? countAgg.createAccumulator() : acc));
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - OUT_OF_ORDERNESS_MS - 1;
      if (watermark >= nextFire) fireUpTo(watermark);
    }
  }
  fireUpTo(Number.POSITIVE_INFINITY);
  return { count, sum, sumSq };
}
