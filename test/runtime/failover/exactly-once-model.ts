/**
 * The plain reference model of the job in test/fixtures/exactly-once-pipeline.ts: one pass over the
 * events in source order with the watermark the source emits after each (its timestamp minus LAG,
 * never going back), each operator computed on its own as Flink defines it, no runtime involved.
 * Returns the output lines, as the job writes them (order aside).
 */
import { LAG, SESSION_GAP, TIMER_DELAY, TUMBLE, WITHIN, type Ev } from '../../fixtures/exactly-once-pipeline.ts';

interface Acc {
  count: number;
  sum: number;
}
interface Session extends Acc {
  start: number;
  end: number;
}

export function referenceOutput(events: readonly Ev[]): string[] {
  const out: string[] = [];
  let wm = Number.NEGATIVE_INFINITY;
  const tumbling = new Map<string, Map<number, Acc>>(); // key -> window start -> acc
  const sessions = new Map<string, Session[]>();
  const state = new Map<string, Acc>(); // the process function's ValueState
  const timers = new Map<string, Set<number>>(); // per key, once per (key, time)
  const cepInput = new Map<string, Ev[]>(); // per key, the records the CEP operator buffers (not late), in arrival order

  const fire = (watermark: number): void => {
    for (const [key, windows] of tumbling) {
      for (const [start, acc] of windows) {
        if (start + TUMBLE - 1 <= watermark) {
          out.push(`T ${key} ${start} ${acc.count} ${acc.sum}`);
          windows.delete(start);
        }
      }
    }
    for (const [key, list] of sessions) {
      for (const s of list.filter((w) => w.end - 1 <= watermark)) out.push(`S ${key} ${s.start} ${s.end} ${s.count} ${s.sum}`);
      sessions.set(
        key,
        list.filter((w) => w.end - 1 > watermark),
      );
    }
    for (const [key, ts] of timers) {
      for (const t of [...ts]) {
        if (t <= watermark) {
          const s = state.get(key)!;
          out.push(`P ${key} ${t} ${s.count} ${s.sum}`);
          ts.delete(t);
        }
      }
    }
  };

  for (const e of events) {
    // Tumbling windows: a record is late when its window has fired (allowed lateness 0).
    const start = e.ts - (((e.ts % TUMBLE) + TUMBLE) % TUMBLE);
    if (start + TUMBLE - 1 <= wm) out.push(`LT ${e.id}`);
    else {
      const windows = tumbling.get(e.key) ?? new Map<number, Acc>();
      tumbling.set(e.key, windows);
      const acc = windows.get(start) ?? { count: 0, sum: 0 };
      windows.set(start, { count: acc.count + 1, sum: acc.sum + e.id });
    }

    // Session windows: [ts, ts + gap) merges with every pending window it touches (Flink's TimeWindow.intersects);
    // late when the result is a window that alone would have fired already.
    const list = sessions.get(e.key) ?? [];
    sessions.set(e.key, list);
    let cover: Session = { start: e.ts, end: e.ts + SESSION_GAP, count: 1, sum: e.id };
    let merged = false;
    for (let grew = true; grew; ) {
      grew = false;
      for (let i = 0; i < list.length; i++) {
        const w = list[i]!;
        if (w.start <= cover.end && w.end >= cover.start) {
          cover = { start: Math.min(w.start, cover.start), end: Math.max(w.end, cover.end), count: w.count + cover.count, sum: w.sum + cover.sum };
          list.splice(i, 1);
          merged = grew = true;
          break;
        }
      }
    }
    if (!merged && cover.end - 1 <= wm) out.push(`LS ${e.id}`);
    else list.push(cover);

    // The process function sees every record.
    const s = state.get(e.key) ?? { count: 0, sum: 0 };
    state.set(e.key, { count: s.count + 1, sum: s.sum + e.id });
    const ts = timers.get(e.key) ?? new Set<number>();
    timers.set(e.key, ts);
    ts.add(e.ts + TIMER_DELAY);

    // CEP: a record at or below the watermark is late.
    if (e.ts <= wm) out.push(`LC ${e.id}`);
    else {
      const buffered = cepInput.get(e.key) ?? [];
      cepInput.set(e.key, buffered);
      buffered.push(e);
    }

    // The watermark right after the record; operators act only when it advances.
    const next = Math.max(wm, e.ts - LAG);
    if (next > wm) {
      wm = next;
      fire(wm);
    }
  }
  fire(Number.POSITIVE_INFINITY); // end of input

  // CEP: a record is buffered only above the watermark, and buffered records are processed in timestamp
  // order once the watermark passes them, so per key the NFA sees the not-late records sorted by
  // timestamp (arrival order among equal ones). `A next B within W`: B is the very next record, and
  // a partial match is pruned once time - start >= W.
  for (const [key, evs] of cepInput) {
    const sorted = evs.map((e, i) => ({ e, i })).sort((x, y) => x.e.ts - y.e.ts || x.i - y.i);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i]!.e;
      const b = sorted[i + 1]!.e;
      if (a.kind === 'A' && b.kind === 'B' && b.ts - a.ts < WITHIN) out.push(`C ${key} ${a.id} ${b.id}`);
    }
  }
  return out;
}

/** Multiset difference: what `expected` has more often than `actual`, and the other way round. */
export function compareMultisets(expected: readonly string[], actual: readonly string[]): { lost: string[]; duplicated: string[] } {
  const counts = new Map<string, number>();
  for (const x of expected) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const x of actual) counts.set(x, (counts.get(x) ?? 0) - 1);
  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const [x, n] of counts) {
    for (let i = 0; i < n; i++) lost.push(x);
    for (let i = 0; i < -n; i++) duplicated.push(x);
  }
  return { lost: lost.sort(), duplicated: duplicated.sort() };
}
