/**
 * Deleting a timer and registering a later one for every record (an inactivity timeout moved on each
 * event) keeps the timer queue's memory proportional to the pending timers, not to the number of
 * deletes since time last reached them; the timers still fire in order.
 */
import { expect, test } from 'vitest';
import { TimerQueue } from '../../../lib/state/timers/timer-queue.ts';

test('delete-and-re-register churn does not grow the queue, and the timers fire in order', () => {
  const q = new TimerQueue<string>();
  const keys = ['a', 'b', 'c'];
  const due = new Map<string, number>();
  for (let i = 0; i < 30_000; i++) {
    const key = keys[i % keys.length]!;
    const old = due.get(key);
    if (old !== undefined) q.delete(key, old);
    const t = 1_000_000 + i; // a timeout far ahead of time, moved on by every record
    q.add(key, t, key);
    due.set(key, t);
  }
  expect(q.size).toBe(3);
  const heapSize = (q as unknown as { times: { size: number } }).times.size;
  expect(heapSize).toBeLessThan(1000);
  const fired: string[] = [];
  q.fireUpTo(Number.POSITIVE_INFINITY, (k) => fired.push(k));
  expect(fired).toEqual([...due.entries()].sort((x, y) => x[1] - y[1]).map(([k]) => k));
  expect(q.size).toBe(0);
  expect(q.earliest()).toBeUndefined();
});
