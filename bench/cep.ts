/**
 * Workload (d) of the benchmark: a keyed 3-step CEP pattern in event time, shared by the framework
 * job and the hand-written loop so that both call the SAME generator and conditions on the SAME
 * events and consume matches the same way.
 *
 *   Pattern.begin('a').where(isA).followedBy('b').where(isB).followedBy('c').where(isC).within('10 s')
 *
 * Events: the source yields i in 0..n-1 (bench/sliced-sequence.ts: each key's events from one source subtask, in
 * order, so the matches are the same at every parallelism); `toCepEvent(i)` turns it into an event of one of
 * CEP_KEYS keys and one of four types (a, b, c and x, a quarter each, x matching no stage) whose
 * timestamp is T0 + floor(i / CEP_EVENTS_PER_MS) ms (10 events per ms, so about one event per key
 * and second: a 10-second window sees about 10 events of a key, and timestamps tie often), except
 * for CEP_OUT_OF_ORDER_PERCENT % of the events, which are 1..CEP_OUT_OF_ORDERNESS_MS ms older.
 *
 * Why no event is late (so the matches cannot depend on watermark timing): with bounded
 * out-of-orderness watermarks w = maxTs - B - 1 (B = CEP_OUT_OF_ORDERNESS_MS), and maxTs <= T0 +
 * floor(i / 10) before event i, an event with timestamp T0 + floor(i / 10) - d is behind the
 * watermark only if d >= B + 1; here d <= B. A watermark that lags (periodic emission) is only
 * lower. The hand loop asserts this on every event (it throws on a late event).
 *
 * Why the matches do not depend on when the framework's timers fire either: per key the CEP operator
 * feeds the events in (timestamp, arrival) order, and before each event prunes the partial matches
 * whose window ended (start + window <= timestamp); pruning at a watermark w only removes what the
 * next event (timestamp > w) would prune. So a key's matches are a function of its events in
 * (timestamp, arrival) order alone, and that is what the hand loop computes: followedBy (skip till
 * next) makes each `a` one partial match that takes the first later `b`, then the first `c` after it,
 * and matches if that `c` comes before a.ts + window; no branching (the types are exclusive).
 */
import type { DataStreamSink, Sink, StreamExecutionEnvironment } from '../lib/index.ts';
import { WatermarkStrategy } from '../lib/index.ts';
import { CEP, Pattern, type Match } from '../lib/api/cep/index.ts';
import { SquaresChecksumSink, type SquaresChecksum } from './workload.ts';
import { SlicedSequenceSource } from './sliced-sequence.ts';

export type CepEventType = 'a' | 'b' | 'c' | 'x';

export interface CepEvent {
  /** Position in the input (arrival order). */
  readonly id: number;
  readonly key: number;
  readonly type: CepEventType;
  /** Event time, epoch ms. */
  readonly ts: number;
}

/** Number of distinct keys. */
export const CEP_KEYS = 10_000;
/** Events per ms of event time (in order). */
export const CEP_EVENTS_PER_MS = 10;
/** Bound of the bounded out-of-orderness watermarks, ms. */
export const CEP_OUT_OF_ORDERNESS_MS = 5_000;
/** Share of the events that come out of order (older than their position), within the bound. */
export const CEP_OUT_OF_ORDER_PERCENT = 5;
/** The pattern's within(), ms of event time. */
export const CEP_WINDOW_MS = 10_000;
/** Event time of event 0: 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

const TYPES: readonly CepEventType[] = ['a', 'b', 'c', 'x'];

// ---- user functions ---------------------------------------------------------------------------------

/** murmur3's 32-bit finalizer: a well-mixed hash of i. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key of the i-th event (Fibonacci hashing); the parallel source gives each key to one subtask by it. */
export function cepKeyOf(i: number): number {
  return (Math.imul(i, 0x9e3779b1) >>> 0) % CEP_KEYS;
}

/** Generator: the i-th event. Fibonacci hashing picks the key; independent hash bits the type and the disorder. */
export function toCepEvent(i: number): CepEvent {
  const key = cepKeyOf(i);
  const h = mix(i);
  let ts = T0 + Math.floor(i / CEP_EVENTS_PER_MS);
  // Low bits: h % 100 < 5 picks 5 % of the events, bits 8.. the delay 1..B; the top two bits the type.
  if (h % 100 < CEP_OUT_OF_ORDER_PERCENT) ts -= 1 + ((h >>> 8) % CEP_OUT_OF_ORDERNESS_MS);
  return { id: i, key, type: TYPES[h >>> 30]!, ts };
}

/** Key selector. */
export function cepEventKey(e: CepEvent): number {
  return e.key;
}

/** Timestamp assigner. */
export function cepEventTime(e: CepEvent): number {
  return e.ts;
}

/** The stages' conditions. */
export function isA(e: CepEvent): boolean {
  return e.type === 'a';
}
export function isB(e: CepEvent): boolean {
  return e.type === 'b';
}
export function isC(e: CepEvent): boolean {
  return e.type === 'c';
}

/** What the select function makes of a match, and the hand loop of its (a, b, c). */
export interface MatchSummary {
  /** a.id + 2 b.id + 4 c.id: which events matched, in which roles. */
  readonly ids: number;
  /** c.ts - a.ts (< the window). */
  readonly span: number;
}

export function summarize(a: CepEvent, b: CepEvent, c: CepEvent): MatchSummary {
  return { ids: a.id + 2 * b.id + 4 * c.id, span: c.ts - a.ts };
}

/** The select function. */
export function selectSummary(m: Match<CepEvent, 'a' | 'b' | 'c'>): MatchSummary {
  return summarize(m.a[0]!, m.b[0]!, m.c[0]!);
}

export function cepPattern(): Pattern<CepEvent, 'a' | 'b' | 'c'> {
  return Pattern.begin<CepEvent, 'a'>('a')
    .where(isA)
    .followedBy('b')
    .where(isB)
    .followedBy('c')
    .where(isC)
    .within(CEP_WINDOW_MS) as Pattern<CepEvent, 'a' | 'b' | 'c'>;
}

// ---- checksum ---------------------------------------------------------------------------------------

/**
 * count = matches, sum = sum of their `ids`, sumSq = sum of their squared spans. Exact (below 2^53)
 * for n up to 5 * 10^7: ids < 7n, at most one match per `a` (about n/4), spans < 10 000.
 */
export type CepChecksum = SquaresChecksum;

/** Adds up the match summaries it receives, as the hand loop does for each match it finds. */
export class CepChecksumSink extends SquaresChecksumSink<MatchSummary> {
  constructor() {
    super(matchIds, matchSpan);
  }
}

function matchIds(m: MatchSummary): number {
  return m.ids;
}
function matchSpan(m: MatchSummary): number {
  return m.span;
}

// ---- the framework job ------------------------------------------------------------------------------

/**
 * (d) Source(0..n-1, sliced by key) -> Map(toCepEvent) -> Timestamps/Watermarks(bounded out-of-orderness) -> keyBy(key)
 *     -> CepOperator(a -> b -> c within 10 s).select(summary) -> Sink.
 */
export function buildCepJob(env: StreamExecutionEnvironment, n: number, sink: Sink<MatchSummary>): DataStreamSink<MatchSummary> {
  const events = env
    .fromSource(new SlicedSequenceSource(0, n - 1, cepKeyOf), 'Sequence Source')
    .map(toCepEvent)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<CepEvent>(CEP_OUT_OF_ORDERNESS_MS).withTimestampAssigner(cepEventTime));
  return CEP.pattern(events.keyBy(cepEventKey), cepPattern()).select(selectSummary).name(CEP_OPERATOR_NAME).sinkTo(sink, 'Checksum Sink');
}

/** Name of the CEP operator: its metrics are the job's accumulators `<name>.<metric>` (e.g. peakBufferedEvents). */
export const CEP_OPERATOR_NAME = 'CEP a->b->c';

// ---- the hand-written loop --------------------------------------------------------------------------

/** An open partial match of the hand loop: its `a`, and its `b` once taken. */
interface HandPartialMatch {
  readonly a: CepEvent;
  b: CepEvent | null;
  /** a's timestamp + the window: the partial match is dropped at an event at or after it. */
  readonly deadline: number;
}

/**
 * Ring of per-millisecond buckets (arrival order inside each): the events waiting for the watermark.
 * Pending timestamps lie in (watermark, max timestamp], at most B + 1 ms, so RING_SIZE > B slots
 * suffice. A timestamp's slot is ts & RING_MASK (ToInt32 keeps the low 32 bits: ts mod 2^32, and
 * RING_SIZE divides 2^32).
 */
const RING_SIZE = 8192;
const RING_MASK = RING_SIZE - 1;
if (RING_SIZE <= CEP_OUT_OF_ORDERNESS_MS + 1) throw new Error('bench/cep.ts: RING_SIZE must exceed the out-of-orderness bound');

/**
 * (d) by hand: the same generator, key selector, timestamps and conditions. Events wait in a ring
 * of per-millisecond buckets until the watermark passes them and then leave in (timestamp, arrival)
 * order (watermark rule as BoundedOutOfOrdernessWatermarks: max timestamp seen - bound - 1,
 * evaluated after EVERY event, the finest granularity; see the top of this file for why the
 * framework's periodic watermarks give the same matches). Each goes through its key's list of open
 * partial matches: drop those whose window ended, move those waiting for a `b` on a `b`, complete
 * those waiting for a `c` on a `c`, open one on an `a`.
 */
export function handCep(n: number): CepChecksum {
  const open = new Map<number, HandPartialMatch[]>();
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  let count = 0;
  let sum = 0;
  let sumSq = 0;

  const feed = (e: CepEvent): void => {
    const key = cepEventKey(e);
    const t = cepEventTime(e);
    let pms = open.get(key);
    if (pms !== undefined) {
      let w = 0;
      for (let j = 0; j < pms.length; j++) {
        const pm = pms[j]!;
        if (t >= pm.deadline) continue; // window ended
        if (pm.b === null) {
          if (isB(e)) pm.b = e;
        } else if (isC(e)) {
          const m = summarize(pm.a, pm.b, e);
          count++;
          sum += m.ids;
          sumSq += m.span * m.span;
          continue;
        }
        pms[w++] = pm;
      }
      if (w !== pms.length) pms.length = w;
    }
    if (isA(e)) {
      if (pms === undefined) open.set(key, (pms = []));
      pms.push({ a: e, b: null, deadline: t + CEP_WINDOW_MS });
    } else if (pms !== undefined && pms.length === 0) {
      open.delete(key);
    }
  };

  const ring: Array<Array<CepEvent | undefined>> = [];
  for (let i = 0; i < RING_SIZE; i++) ring.push([]);
  /** Events in each bucket (the arrays keep their capacity). */
  const sizes = new Int32Array(RING_SIZE);
  /** Smallest timestamp whose bucket may hold events. */
  let lo = Number.POSITIVE_INFINITY;
  const drainUpTo = (upTo: number): void => {
    for (; lo <= upTo; lo++) {
      const slot = lo & RING_MASK;
      const bucket = ring[slot]!;
      const size = sizes[slot]!;
      for (let j = 0; j < size; j++) {
        feed(bucket[j]!);
        bucket[j] = undefined;
      }
      sizes[slot] = 0;
    }
  };

  for (let i = 0; i < n; i++) {
    const e = toCepEvent(i);
    const ts = cepEventTime(e);
    if (ts <= watermark) throw new Error(`bench workload bug: event ${i} (ts ${ts}) is behind the watermark ${watermark}`);
    const slot = ts & RING_MASK;
    ring[slot]![sizes[slot]!++] = e;
    if (ts < lo) lo = ts;
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - CEP_OUT_OF_ORDERNESS_MS - 1;
      drainUpTo(watermark);
    }
  }
  drainUpTo(maxTs);
  return { count, sum, sumSq };
}
