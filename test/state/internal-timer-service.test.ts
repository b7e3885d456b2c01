/**
 * Timer services of the state layer against a reference model: timers per (key, namespace, time) are
 * deduplicated, fire in timestamp order (first registration order on ties) with their key set as the
 * current key, deletes take effect, and a snapshot restored into a fresh service (also split over two
 * subtasks by key group) fires exactly the same timers.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { serialize, deserialize } from 'node:v8';
import { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';
import { InternalTimeServiceManager, type InternalTimer, type TimersSnapshot } from '../../lib/state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, type Namespace } from '../../lib/state/namespace.ts';
import { keyGroupRangeForSubtask, assignToKeyGroup } from '../../lib/state/key-groups.ts';

const MAX_PARALLELISM = 128;

/** A processing-time scheduler driven by hand (the task's mailbox in a job). */
class ManualTime {
  now = 0;
  private pending: Array<{ time: number; cb: (t: number) => void }> = [];
  getCurrentProcessingTime(): number {
    return this.now;
  }
  registerTimer(time: number, cb: (t: number) => void): void {
    this.pending.push({ time, cb });
  }
  advance(to: number): void {
    this.now = to;
    for (;;) {
      const due = this.pending.filter((p) => p.time <= to).sort((a, b) => a.time - b.time)[0];
      if (due === undefined) return;
      this.pending.splice(this.pending.indexOf(due), 1);
      due.cb(due.time);
    }
  }
}

type Fired = [domain: string, key: unknown, ns: string, time: number, currentKey: unknown];

function service(time: ManualTime, fired: Fired[]) {
  const backend = new HeapKeyedStateBackend(MAX_PARALLELISM);
  const manager = new InternalTimeServiceManager(backend, time);
  const record = (domain: string) => (t: InternalTimer) => void fired.push([domain, t.key, nsText(t.namespace), t.timestamp, backend.currentKey]);
  const timers = manager.getInternalTimerService<Namespace>('test', { onEventTime: record('event'), onProcessingTime: record('processing') });
  return { backend, manager, timers };
}

function nsText(ns: Namespace): string {
  return String(typeof ns === 'object' ? ns.id : ns);
}

const keyArb = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 }), fc.constantFrom(['t', 1] as const, ['t', 2] as const));
const nsArb = fc.constantFrom<Namespace>(VOID_NAMESPACE, 'w1', 'w2', { id: '0:10' });
type TimerOp = { op: 'reg' | 'del'; domain: 'event' | 'processing'; key: unknown; ns: Namespace; time: number };
type Op = TimerOp | { op: 'watermark' | 'clock'; time: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('reg' as const), domain: fc.constantFrom('event' as const, 'processing' as const), key: keyArb, ns: nsArb, time: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('del' as const), domain: fc.constantFrom('event' as const, 'processing' as const), key: keyArb, ns: nsArb, time: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('watermark' as const, 'clock' as const), time: fc.integer({ min: 0, max: 45 }) }) },
);

/** The model: a list of pending timers in registration order; firing takes the due ones sorted by time (stable). */
function model(ops: Op[]): Fired[] {
  const pending: Array<{ domain: string; key: unknown; ns: string; time: number }> = [];
  const fired: Fired[] = [];
  const id = (k: unknown, ns: string) => JSON.stringify([typeof k, k, ns]);
  let wm = -Infinity;
  let clock = 0;
  const fire = (domain: string, upTo: number) => {
    const due = pending.filter((p) => p.domain === domain && p.time <= upTo).sort((a, b) => a.time - b.time);
    for (const d of due) {
      pending.splice(pending.indexOf(d), 1);
      fired.push([domain, d.key, d.ns, d.time, d.key]);
    }
  };
  for (const o of ops) {
    if (o.op === 'watermark') {
      if (o.time > wm) wm = o.time;
      fire('event', wm);
    } else if (o.op === 'clock') {
      if (o.time > clock) clock = o.time;
      fire('processing', clock);
    } else {
      const t = o as TimerOp;
      const ns = nsText(t.ns);
      const i = pending.findIndex((p) => p.domain === t.domain && p.time === t.time && id(p.key, p.ns) === id(t.key, ns));
      if (t.op === 'reg' && i < 0) pending.push({ domain: t.domain, key: t.key, ns, time: t.time });
      if (t.op === 'del' && i >= 0) pending.splice(i, 1);
    }
  }
  return fired;
}

function run(ops: Op[]): { fired: Fired[]; snapshots: TimersSnapshot[] } {
  const time = new ManualTime();
  const fired: Fired[] = [];
  const s = service(time, fired);
  let wm = -Infinity;
  const snapshots: TimersSnapshot[] = [];
  for (const o of ops) {
    if (o.op === 'watermark') {
      if (o.time > wm) wm = o.time;
      s.manager.advanceWatermark(wm);
    } else if (o.op === 'clock') {
      time.advance(Math.max(time.now, o.time));
    } else {
      const t = o as TimerOp;
      s.backend.setCurrentKey(t.key);
      if (t.op === 'reg') (t.domain === 'event' ? s.timers.registerEventTimeTimer(t.ns, t.time) : s.timers.registerProcessingTimeTimer(t.ns, t.time));
      else if (t.domain === 'event') s.timers.deleteEventTimeTimer(t.ns, t.time);
      else s.timers.deleteProcessingTimeTimer(t.ns, t.time);
    }
    snapshots.push(deserialize(serialize(s.manager.snapshot())) as TimersSnapshot);
  }
  return { fired, snapshots };
}

describe('internal timer service', () => {
  test('fires exactly the model: deduplicated per (key, namespace, time), in time order, first registration first on ties, with the key set', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        expect(run(ops).fired).toEqual(model(ops));
      }),
      { numRuns: 300 },
    );
  });

  test('a snapshot restored into fresh services split over two subtasks by key group fires the same timers', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat(), fc.array(opArb.filter((o) => o.op === 'watermark' || o.op === 'clock'), { minLength: 1, maxLength: 5 }), (ops, cut, tail) => {
        const at = ops.length === 0 ? 0 : cut % ops.length;
        const head = ops.slice(0, at);
        const { snapshots } = run(head);
        const snapshot = snapshots.length === 0 ? {} : snapshots[snapshots.length - 1]!;
        // Uninterrupted: head then tail, and what the tail fired.
        const whole = model([...head, ...tail]);
        const expected = whole.slice(model(head).length);
        // Restored: two subtasks each own half the key groups; the tail goes to both.
        const firedBySubtask: Fired[][] = [0, 1].map((subtask) => {
          const range = keyGroupRangeForSubtask(MAX_PARALLELISM, 2, subtask);
          const time = new ManualTime();
          // The clock of the restored run starts where the first run's clock was.
          time.now = Math.max(0, ...head.filter((o) => o.op === 'clock').map((o) => o.time));
          const fired: Fired[] = [];
          const backend = new HeapKeyedStateBackend(MAX_PARALLELISM);
          const manager = new InternalTimeServiceManager(backend, time);
          manager.restore([snapshot], (kg) => kg >= range.start && kg <= range.end);
          const record = (domain: string) => (t: InternalTimer) => void fired.push([domain, t.key, nsText(t.namespace), t.timestamp, backend.currentKey]);
          manager.getInternalTimerService<Namespace>('test', { onEventTime: record('event'), onProcessingTime: record('processing') });
          let wm = Math.max(-Infinity, ...head.filter((o) => o.op === 'watermark').map((o) => o.time));
          for (const o of tail) {
            if (o.op === 'watermark') {
              if (o.time > wm) wm = o.time;
              manager.advanceWatermark(wm);
            } else if (o.op === 'clock') time.advance(Math.max(time.now, o.time));
          }
          return fired;
        });
        const sortKey = (f: Fired) => JSON.stringify(f);
        expect([...firedBySubtask[0]!, ...firedBySubtask[1]!].map(sortKey).sort()).toEqual(expected.map(sortKey).sort());
        // Each subtask fired only keys of its own key groups.
        for (const [subtask, fired] of firedBySubtask.entries()) {
          const range = keyGroupRangeForSubtask(MAX_PARALLELISM, 2, subtask);
          for (const f of fired) expect(assignToKeyGroup(f[1], MAX_PARALLELISM)).toSatisfy((kg: number) => kg >= range.start && kg <= range.end);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a timer registered while firing that is already due fires in the same pass; one deleted before its turn does not fire', () => {
    const time = new ManualTime();
    const backend = new HeapKeyedStateBackend(MAX_PARALLELISM);
    const manager = new InternalTimeServiceManager(backend, time);
    const fired: string[] = [];
    const timers = manager.getInternalTimerService<Namespace>('t', {
      onEventTime: (t) => {
        fired.push(`${String(t.key)}@${t.timestamp}`);
        if (t.key === 'a' && t.timestamp === 2) {
          timers.registerEventTimeTimer(VOID_NAMESPACE, 3); // due: fires in this pass, for key a
          backend.setCurrentKey('c');
          timers.deleteEventTimeTimer(VOID_NAMESPACE, 5); // c@5 is not fired
        }
      },
      onProcessingTime: () => {},
    });
    for (const [k, t] of [['a', 2], ['b', 5], ['c', 5], ['d', 9]] as const) {
      backend.setCurrentKey(k);
      timers.registerEventTimeTimer(VOID_NAMESPACE, t);
    }
    manager.advanceWatermark(6);
    expect(fired).toEqual(['a@2', 'a@3', 'b@5']);
    expect(timers.numEventTimeTimers()).toBe(1);
    expect(timers.eventTimeTimers().map((t) => [t.key, t.timestamp])).toEqual([['d', 9]]);
  });
});
