/**
 * The session strategy of the window operator: event-time session windows (withGap, withDynamicGap)
 * with the default trigger and no evictor, any allowed lateness, any window function. It fires
 * exactly as Flink's WindowOperator with EventTimeTrigger does (the general WindowOperator is the
 * reference), without its per-element costs:
 *
 * - **Layout (state layer).** A key's sessions are one list in the void namespace of
 *   'merging-window-set', sorted by start: `Session { start, end, window, fired }`. `window` is the
 *   session's *state window* (Flink's MergingWindowSet mapping): the namespace its contents live in,
 *   which stays the same while the session grows or absorbs others — so extending a session moves
 *   no contents. `fired`: the session has fired at its current end (its end-of-window timer is
 *   consumed), kept in state because a restore at another parallelism starts from the lowest
 *   watermark of the old subtasks. Contents ('window-contents', in the state window's namespace):
 *   the elements as they are (ProcessWindowFunction over all elements), or the reduced value /
 *   accumulator. A session also caches the element list its contents state holds (not in
 *   snapshots: the list state of sessions has a serializer), so adding an element is a push.
 * - **Elements.** Sessions of a key never touch (touching windows merge), so their ends are sorted
 *   too: an element whose window [ts, ts + gap) starts at or after the newest session's start and
 *   within it extends it or falls inside it — O(1), no allocation beyond the element in its list.
 *   Otherwise a binary search finds the contiguous run of sessions the window overlaps; bridging
 *   several merges them: the earliest session's state window keeps the contents and the later ones'
 *   are appended in start order (a left fold of reduce/merge), then the element.
 * - **Firing.** No timer per element: an in-memory queue of (time, key, session) ordered by time,
 *   one entry per live session, at the session's next due time (its maxTimestamp while it has not
 *   fired, then its cleanup time maxTimestamp + allowedLateness). Growing a pending session leaves
 *   its entry where it is: when the watermark reaches it, the entry is re-checked and re-queued at
 *   the session's current due time. A fired session that becomes pending again has its entry moved
 *   earlier in place (each session knows its entry and each entry its heap index); a merge takes the
 *   merged sessions' entries out and queues the merged session — so the queue never holds more than
 *   one entry per live session, however many late re-firings and merges a long run has (with a
 *   large allowed lateness, entries left behind would stay until their cleanup time). The queue is a
 *   cache: openStorage() rebuilds it from the sessions in state after a restore.
 *
 * Order of the elements of a merged session: the merged sessions' contents in the order of their
 * start, each in arrival order, then the element that merged them (the general operator merges in
 * start order too). At one timestamp, one session's cleanup and another session's firing of the same
 * key may come in another order than the general operator's timers (as in Flink, where that order
 * is the timer heap's).
 */
import type { AggregateFunction } from '../../core/functions/aggregate-function.ts';
import { AggregatingStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, type StateDescriptor } from '../../core/state/state-descriptor.ts';
import type { InternalKvState } from '../../state/heap-keyed-state-backend.ts';
import { VOID_NAMESPACE } from '../../state/namespace.ts';
import { AbstractWindowOperator, MERGING_WINDOW_SET, WINDOW_CONTENTS, type WindowOperatorConfig } from '../abstract-window-operator.ts';
import type { EventTimeSessionWindows } from '../assigners/session-windows.ts';
import { requireTimestamp } from '../assigners/window-assigner.ts';
import { TimeWindow } from '../windows.ts';
import type { TypeSerializer } from '../../core/state/type-serializer.ts';

/** One session of a key (an entry of 'merging-window-set'). */
export class Session {
  constructor(
    /** The session's bounds [start, end). */
    public start: number,
    public end: number,
    /** The namespace of its contents (the window of the element that opened it, or of the session it grew from). */
    readonly window: TimeWindow,
    /** It has fired at its current end (maxTimestamp = end - 1). */
    public fired: boolean,
  ) {}
  /**
   * Not state but a cache (not in snapshots, see SESSION_SERIALIZER): the list of elements the
   * contents state holds for this session (element lists only), so that adding an element is a push.
   */
  contents: unknown[] | undefined = undefined;
  /** Not state either: the session's entry in the firing queue (none: nothing due, e.g. an endless cleanup time). */
  due: Due | undefined = undefined;
}

/**
 * How a session goes into a snapshot: its bounds, its state window and whether it fired — not the
 * cached contents (they are in 'window-contents'). A session of another layout (the general
 * operator keeps plain windows under this name) fails the restore saying so.
 */
const SESSION_SERIALIZER: TypeSerializer<Session> = {
  serialize: (s) => [s.start, s.end, s.window.start, s.window.end, s.fired],
  deserialize: (data) => {
    if (!Array.isArray(data) || data.length !== 5) {
      throw new TypeError(
        `A restored session window ${JSON.stringify(data)} is not one of the session strategy's sessions: the snapshot was taken by another window operator (an earlier version's general operator?), which keeps its sessions in another layout`,
      );
    }
    const [start, end, windowStart, windowEnd, fired] = data as [number, number, number, number, boolean];
    return new Session(start, end, new TimeWindow(windowStart, windowEnd), fired);
  },
};

/** A queue entry: check `session` of `key` at `time`. */
interface Due {
  time: number;
  seq: number;
  key: unknown;
  session: Session;
  /** Where it is in the heap (so that a session's entry moves, or goes with the session, in place). */
  index: number;
}

export class SessionWindowOperator<IN, ACC, OUT, K> extends AbstractWindowOperator<IN, ACC, OUT, K, TimeWindow> {
  private contents!: InternalKvState<unknown>;
  private sessions!: InternalKvState<Session[]>;
  private readonly kind: 'list' | 'reduce' | 'aggregate';
  /** The gap of every element (withGap); NaN: a dynamic gap, asked of the assigner per element. */
  private readonly fixedGap: number;
  private readonly assigner: EventTimeSessionWindows<IN>;
  private readonly lateness: number;
  /** The checked user functions of the contents (reduce, or the aggregate with its checks). */
  private reduceFn!: (a: unknown, b: unknown) => unknown;
  private aggregate!: AggregateFunction<unknown, unknown, unknown>;
  /** Min-heap of due entries by (time, seq). */
  private readonly queue: Due[] = [];
  private seq = 0;

  constructor(config: WindowOperatorConfig<IN, ACC, OUT, K, TimeWindow>) {
    super(config);
    this.assigner = config.assigner as unknown as EventTimeSessionWindows<IN>;
    this.fixedGap = this.assigner.fixedGap ?? Number.NaN;
    this.lateness = config.allowedLateness;
    this.kind = config.fn.kind === 'process' ? 'list' : config.fn.kind;
  }

  protected override openStorage(): void {
    this.claimStateName(WINDOW_CONTENTS, 'operator');
    this.claimStateName(MERGING_WINDOW_SET, 'operator');
    this.contents = this.windowScopedState(VOID_NAMESPACE as unknown as TimeWindow, this.contentsDescriptor());
    const descriptor = new ListStateDescriptor<Session>(MERGING_WINDOW_SET).withSerializer(SESSION_SERIALIZER);
    this.sessions = this.getPartitionedState(VOID_NAMESPACE, descriptor as StateDescriptor<unknown>) as unknown as InternalKvState<Session[]>;
    // The queue is a cache of the sessions in state: rebuilt after a restore.
    this.queue.length = 0;
    for (const [key, list] of this.sessions.entriesOf(VOID_NAMESPACE)) for (const s of list) this.enqueue(key, s);
  }

  /** The contents' state: the user's functions behind the check that a result kept as contents is not undefined. */
  private contentsDescriptor(): StateDescriptor<unknown> {
    const spec = this.spec;
    if (spec.kind === 'process') return new ListStateDescriptor<IN>(WINDOW_CONTENTS) as StateDescriptor<unknown>;
    if (spec.kind === 'reduce') {
      const reduce = spec.reduce;
      this.reduceFn = (a, b) => this.stored(reduce(a as IN, b as IN), 'reduce()');
      return new ReducingStateDescriptor<unknown>(WINDOW_CONTENTS, this.reduceFn) as StateDescriptor<unknown>;
    }
    const agg = spec.aggregate as AggregateFunction<unknown, unknown, unknown>;
    this.aggregate = {
      createAccumulator: () => this.stored(agg.createAccumulator(), 'AggregateFunction.createAccumulator()'),
      add: (value, acc) => this.stored(agg.add(value, acc), 'AggregateFunction.add()'),
      getResult: (acc) => agg.getResult(acc),
      merge: agg.merge === undefined ? (undefined as never) : (a, b) => this.stored(agg.merge!(a, b), 'AggregateFunction.merge()'),
    };
    return new AggregatingStateDescriptor<unknown, unknown, unknown>(WINDOW_CONTENTS, this.aggregate) as StateDescriptor<unknown>;
  }

  // ---- elements ------------------------------------------------------------------------------------

  processElement(value: unknown, timestamp: number): void {
    requireTimestamp(timestamp);
    const gap = this.fixedGap === this.fixedGap ? this.fixedGap : this.assigner.sessionGap(value as IN);
    const end = timestamp + gap;
    const list = this.sessions.getInternal();
    if (list !== undefined) {
      const last = list[list.length - 1]!;
      // The common case: within the newest session, which has not fired (so its end is after the
      // watermark, and a longer end too): extend it in place, its queue entry stays valid.
      if (timestamp >= last.start && timestamp <= last.end && !last.fired) {
        if (end > last.end) last.end = end;
        if (this.kind === 'list') {
          const elements = last.contents;
          if (elements !== undefined) elements.push(value);
          else this.add(last, value);
          return;
        }
        const contents = this.contents;
        contents.setCurrentNamespace(last.window);
        (contents as unknown as { add(v: unknown): void }).add(value);
        return;
      }
    }
    this.addElement(list, value, timestamp, end);
  }

  /** Every other case (Flink's MergingWindowSet.addWindow, then the trigger's onElement). */
  private addElement(list: Session[] | undefined, value: unknown, ts: number, end: number): void {
    // (Only here: NaN never takes the common case.) It would break the order of sessions and queue.
    if (ts !== ts) throw new TypeError('A record of a session window has the timestamp NaN: a timestamp must be epoch milliseconds');
    const key = this.keyedBackend!.currentKey;
    const n = list === undefined ? 0 : list.length;
    // The sessions [first, last] overlap [ts, end] (inclusive, as TimeWindow.intersects): ends and starts are both sorted.
    let first = 0;
    let last = -1;
    if (list !== undefined) {
      if (ts > list[n - 1]!.end) first = n; // after every session: a new newest one (no search)
      else {
        first = lowerBound(list, ts, true);
        last = lowerBound(list, end, false) - 1;
      }
    }
    let session: Session;
    if (first > last) {
      // A new session; too late for its own cleanup time, it is not opened.
      const maxTs = end - 1;
      if (this.cleanupTime(maxTs) <= this.inputWatermark) {
        if (ts + this.lateness <= this.inputWatermark) this.lateElement(value as IN, ts);
        return;
      }
      session = new Session(ts, end, new TimeWindow(ts, end), false);
      if (list === undefined) this.sessions.updateInternal([session]);
      else list.splice(first, 0, session);
      this.add(session, value);
      if (maxTs <= this.inputWatermark) this.fire(session, false); // a late firing (within the allowed lateness)
      this.enqueue(key, session);
      return;
    }
    const sessions = list!;
    if (first === last) {
      session = sessions[first]!;
      const start = ts < session.start ? ts : session.start;
      const newEnd = end > session.end ? end : session.end;
      if (start !== session.start || newEnd !== session.end || session.fired) {
        // It grows (or, fired, it may be pending again): its due time moves earlier only when it
        // fired and is now after the watermark — then its queue entry moves to its new end.
        const pending = newEnd - 1 > this.inputWatermark;
        session.start = start;
        session.end = newEnd;
        if (session.fired && pending) {
          session.fired = false;
          this.enqueue(key, session);
        }
      }
    } else {
      // The element bridges sessions: they merge into the earliest one's state window.
      const target = sessions[first]!;
      const newEnd = end > sessions[last]!.end ? end : sessions[last]!.end;
      session = new Session(ts < target.start ? ts : target.start, newEnd, target.window, false);
      this.mergeContents(sessions, first, last);
      // The merged sessions' queue entries go with them (the queue holds one entry per live session).
      for (let i = first; i <= last; i++) {
        const due = sessions[i]!.due;
        if (due !== undefined) this.remove(due);
      }
      sessions.splice(first, last - first + 1, session);
      if (newEnd - 1 <= this.inputWatermark) session.fired = true; // fires below, with the element
      this.enqueue(key, session);
    }
    this.add(session, value);
    if (session.end - 1 <= this.inputWatermark) this.fire(session, false); // a late firing
  }

  private add(session: Session, value: unknown): void {
    const contents = this.contents;
    contents.setCurrentNamespace(session.window);
    (contents as unknown as { add(v: unknown): void }).add(value);
    // The list the state holds (the same array from now on: it is only appended to in place).
    if (this.kind === 'list') session.contents = contents.getInternal() as unknown[];
  }

  /** Appends the contents of sessions (first, last] to those of `first` (a left fold in start order); their namespaces are dropped. */
  private mergeContents(sessions: Session[], first: number, last: number): void {
    const contents = this.contents;
    contents.setCurrentNamespace(sessions[first]!.window);
    let acc = contents.getInternal();
    for (let i = first + 1; i <= last; i++) {
      const w = sessions[i]!.window;
      contents.setCurrentNamespace(w);
      const v = contents.getInternal();
      if (v !== undefined) {
        if (acc === undefined) acc = v;
        else if (this.kind === 'list') for (const e of v as unknown[]) (acc as unknown[]).push(e);
        else if (this.kind === 'reduce') acc = this.reduceFn(acc, v);
        else {
          if (this.aggregate.merge === undefined) throw new TypeError(`AggregatingState '${WINDOW_CONTENTS}' cannot merge namespaces: its AggregateFunction has no merge()`);
          acc = this.aggregate.merge(acc, v);
        }
      }
      this.clearWindowScoped(w);
    }
    contents.setCurrentNamespace(sessions[first]!.window);
    contents.updateInternal(acc);
  }

  // ---- firing --------------------------------------------------------------------------------------

  private cleanupTime(maxTs: number): number {
    const t = maxTs + this.lateness;
    return t >= maxTs ? t : Number.POSITIVE_INFINITY;
  }

  /**
   * Emits the session's results for the current key. `purging`: its contents go right after (the
   * window function may keep the element list; otherwise it gets a copy, as the general operator gives).
   */
  private fire(session: Session, purging: boolean): TimeWindow | undefined {
    session.fired = true;
    const contents = this.contents;
    contents.setCurrentNamespace(session.window);
    const stored = contents.getInternal();
    if (stored === undefined) return undefined;
    const window = new TimeWindow(session.start, session.end);
    let elements: unknown[];
    if (this.kind === 'list') elements = purging ? (stored as unknown[]) : (stored as unknown[]).slice();
    else if (this.kind === 'aggregate') elements = [this.aggregate.getResult(stored)];
    else elements = [stored];
    this.emitWindowResults(window, elements);
    return window;
  }

  /** The session's cleanup (Flink's clearAllState): the window function's clear(ctx), its contents, and the session itself. */
  private purge(list: Session[], index: number, window: TimeWindow | undefined): void {
    const session = list[index]!;
    this.clearWindowFunctionState(window ?? new TimeWindow(session.start, session.end));
    this.clearWindowScoped(session.window);
    list.splice(index, 1);
    if (list.length === 0) {
      this.sessions.setCurrentNamespace(VOID_NAMESPACE);
      this.sessions.updateInternal(undefined);
    }
  }

  /** Due sessions fire (and are cleaned up) in time order before the watermark moves on. */
  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
    const q = this.queue;
    const backend = this.keyedBackend!;
    while (q.length > 0 && q[0]!.time <= watermark) {
      const due = q[0]!;
      const session = due.session;
      backend.setCurrentKey(due.key);
      const list = this.sessions.getInternal();
      const index = list === undefined ? -1 : indexOf(list, session);
      if (index < 0) {
        this.pop(); // merged into another, or cleaned up
        continue;
      }
      const t = due.time;
      const maxTs = session.end - 1;
      if (!session.fired && t < maxTs) {
        this.requeue(maxTs); // it grew
        continue;
      }
      const window = session.fired ? undefined : this.fire(session, this.cleanupTime(maxTs) <= t);
      const cleanup = this.cleanupTime(maxTs);
      if (cleanup <= t) {
        this.pop();
        this.purge(list!, index, window);
      } else if (cleanup === Number.POSITIVE_INFINITY) this.pop();
      else this.requeue(cleanup);
    }
    super.processWatermark(watermark);
  }

  // ---- the queue (a binary min-heap by (time, seq)) ------------------------------------------------

  /**
   * Queues `session` of `key` at its next due time: its end while not fired, else its cleanup time
   * (a session already queued has its entry moved there). A fired session that is never cleaned up
   * has nothing due; one that has not fired always has (its end may be +Infinity — an element with
   * timestamp +Infinity — it fires at the watermark +Infinity, as the general operator's timer does).
   */
  private enqueue(key: unknown, session: Session): void {
    const maxTs = session.end - 1;
    const time = session.fired ? this.cleanupTime(maxTs) : maxTs;
    const due = session.due;
    if (session.fired && time === Number.POSITIVE_INFINITY) {
      if (due !== undefined) this.remove(due);
      return;
    }
    if (due !== undefined) {
      due.time = time;
      due.seq = this.seq++;
      this.siftUp(due.index);
      this.siftDown(due.index);
      return;
    }
    const q = this.queue;
    const entry: Due = { time, seq: this.seq++, key, session, index: q.length };
    session.due = entry;
    q.push(entry);
    this.siftUp(q.length - 1);
  }

  /** Moves the top entry to `time` (later than it is). */
  private requeue(time: number): void {
    const top = this.queue[0]!;
    top.time = time;
    top.seq = this.seq++;
    this.siftDown(0);
  }

  private pop(): void {
    this.remove(this.queue[0]!);
  }

  /** Takes `due` out of the queue. */
  private remove(due: Due): void {
    const q = this.queue;
    const lastEntry = q.pop()!;
    if (due.session.due === due) due.session.due = undefined;
    if (lastEntry === due) return;
    const i = due.index;
    q[i] = lastEntry;
    lastEntry.index = i;
    this.siftUp(i);
    this.siftDown(lastEntry.index);
  }

  private siftUp(i: number): void {
    const q = this.queue;
    const e = q[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, q[p]!)) break;
      q[i] = q[p]!;
      q[i]!.index = i;
      i = p;
    }
    q[i] = e;
    e.index = i;
  }

  private siftDown(i: number): void {
    const q = this.queue;
    const e = q[i]!;
    const n = q.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(q[r]!, q[l]!) ? r : l;
      if (!before(q[c]!, e)) break;
      q[i] = q[c]!;
      q[i]!.index = i;
      i = c;
    }
    q[i] = e;
    e.index = i;
  }

  /**
   * @internal The firings and cleanups still due, as the timers the general operator would hold
   * (the test harness lists them with the timer services' timers): the end of a session that has
   * not fired, and its cleanup time when that is later.
   */
  pendingEventTimeTimers(): Array<{ key: unknown; namespace: TimeWindow; timestamp: number }> {
    const out: Array<{ key: unknown; namespace: TimeWindow; timestamp: number }> = [];
    if (this.sessions === undefined) return out;
    for (const [key, list] of this.sessions.entriesOf(VOID_NAMESPACE)) {
      for (const s of list) {
        const window = new TimeWindow(s.start, s.end);
        const maxTs = s.end - 1;
        const cleanup = this.cleanupTime(maxTs);
        if (!s.fired) out.push({ key, namespace: window, timestamp: maxTs });
        if (cleanup !== maxTs && cleanup !== Number.POSITIVE_INFINITY) out.push({ key, namespace: window, timestamp: cleanup });
      }
    }
    return out;
  }

  /** (key, session) pairs held, over all keys (for tests and metrics). */
  numWindows(): number {
    let n = 0;
    for (const list of this.sessions.valuesOf(VOID_NAMESPACE)) n += list.length;
    return n;
  }
}

function before(a: Due, b: Due): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * The first index whose session's end is >= x (`byEnd`), or whose start is > x (not `byEnd`): the
 * sessions of a key are sorted by both.
 */
function lowerBound(list: readonly Session[], x: number, byEnd: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = list[mid]!;
    if (byEnd ? s.end < x : s.start <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where `session` is in its key's list (-1: not there any more). */
function indexOf(list: readonly Session[], session: Session): number {
  const n = list.length;
  if (n > 0 && list[n - 1] === session) return n - 1;
  const i = lowerBound(list, session.start, false) - 1;
  return i >= 0 && list[i] === session ? i : -1;
}
