/**
 * Async I/O timeouts (Flink's AsyncWaitOperator registers a timeout timer per call and cancels it
 * when the call completes): a call that completes in time leaves nothing in the task's timer queue,
 * so the pending timers stay bounded by the calls in flight, not by the calls made during one
 * timeout; a call that does not complete still times out at its deadline, with the function's
 * timeout() or the TimeoutException.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { AsyncTimeoutError, AsyncWaitOperator, type AsyncFunction, type ResultFuture } from '../../lib/operators/async-wait.ts';
import { drive, pts } from './restore-harness.ts';

/** The restore harness's processing time, made manual: registered timers are kept until the test fires them. */
const clock = { now: 0, timers: [] as Array<{ time: number; callback: (time: number) => void }> };
const original = { ...pts };
function manualTime(): void {
  clock.now = 0;
  clock.timers = [];
  pts.getCurrentProcessingTime = () => clock.now;
  (pts as { registerTimer: (time: number, callback: (time: number) => void) => void }).registerTimer = (time, callback) => void clock.timers.push({ time, callback });
}
function advance(to: number): void {
  clock.now = to;
  for (;;) {
    const due = clock.timers.filter((t) => t.time <= to).sort((a, b) => a.time - b.time)[0];
    if (due === undefined) return;
    clock.timers.splice(clock.timers.indexOf(due), 1);
    due.callback(due.time);
  }
}
afterEach(() => Object.assign(pts, original));

describe('async I/O timeouts', () => {
  test('calls that complete in time leave no timers behind: pending timers are bounded by the calls in flight', () => {
    manualTime();
    const op = new AsyncWaitOperator<number, number>({ asyncInvoke: (x, rf) => rf.complete([x]) }, 'ORDERED', 60_000, 4);
    const d = drive(op);
    for (let i = 0; i < 1000; i++) {
      clock.now = i; // time moves on, far from the timeout
      op.processElement(i, i);
      d.runMails();
    }
    expect(d.out).toHaveLength(1000);
    expect(clock.timers.length).toBeLessThanOrEqual(5);
  });

  test('a call that does not complete times out at its deadline, also behind calls that completed', () => {
    manualTime();
    const pending: Array<ResultFuture<string>> = [];
    const timedOut: number[] = [];
    const fn: AsyncFunction<number, string> = {
      asyncInvoke: (x, rf) => {
        if (x === 3) pending.push(rf);
        else rf.complete([`r${x}`]);
      },
      timeout: (x, rf) => {
        timedOut.push(x);
        rf.complete([`default ${x}`]);
      },
    };
    const op = new AsyncWaitOperator<number, string>(fn, 'ORDERED', 100, 10);
    const d = drive(op);
    for (let i = 0; i < 6; i++) {
      clock.now = i * 10;
      op.processElement(i, i);
    }
    d.runMails();
    advance(129); // the call for 3 started at 30: its deadline is 130
    d.runMails();
    expect(timedOut).toEqual([]);
    expect(d.out.map(([v]) => v)).toEqual(['r0', 'r1', 'r2']);
    advance(130);
    d.runMails();
    expect(timedOut).toEqual([3]);
    expect(d.out.map(([v]) => v)).toEqual(['r0', 'r1', 'r2', 'default 3', 'r4', 'r5']);
    expect(clock.timers).toEqual([]);
  });

  test('without a timeout() the call fails with the TimeoutException', () => {
    manualTime();
    const op = new AsyncWaitOperator<number, string>({ asyncInvoke: () => {} }, 'UNORDERED', 50, 10);
    const d = drive(op);
    op.processElement(1, 1);
    advance(49);
    d.runMails();
    advance(50);
    expect(() => d.runMails()).toThrow(AsyncTimeoutError);
  });
});
