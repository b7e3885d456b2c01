/**
 * A timer callback that throws fails that call; the timers of the same timestamp not fired yet stay
 * pending (as in Flink, where only the failing timer was taken off the queue), counted and listed.
 */
import { expect, test } from 'vitest';
import { TimerQueue } from '../../../lib/state/timers/timer-queue.ts';

test('timers after the one that threw are still pending, in order', () => {
  const q = new TimerQueue<string>();
  for (const k of ['a', 'b', 'c']) q.add(k, 10, k);
  q.add('d', 20, 'd');
  const fired: string[] = [];
  expect(() =>
    q.fireUpTo(20, (k) => {
      fired.push(k);
      if (k === 'a') {
        q.add('e', 10, 'e'); // registered while firing, due in the same pass
        throw new Error('boom');
      }
    }),
  ).toThrow('boom');
  expect(fired).toEqual(['a']);
  expect(q.size).toBe(4);
  expect([...q.all()].sort()).toEqual(['b', 'c', 'd', 'e']);
  q.fireUpTo(20, (k) => fired.push(k));
  expect(fired).toEqual(['a', 'b', 'c', 'e', 'd']);
  expect(q.size).toBe(0);
});
