/** Flink's restart strategies: how many failures each allows, and the backoff before each restart. */
import { expect, test } from 'vitest';
import { createRestartBackoffTimeStrategy } from '../../../lib/runtime/failover/restart-backoff-time-strategy.ts';

test('none never restarts', () => {
  const s = createRestartBackoffTimeStrategy({ type: 'none' });
  s.notifyFailure(new Error('x'));
  expect(s.canRestart()).toBe(false);
});

test('fixed delay allows `attempts` restarts, each after the delay', () => {
  const s = createRestartBackoffTimeStrategy({ type: 'fixed-delay', attempts: 2, delay: 300 });
  const allowed: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    s.notifyFailure(new Error('x'));
    allowed.push(s.canRestart());
  }
  expect(allowed).toEqual([true, true, false]);
  expect(s.getBackoffTime()).toBe(300);
});

test('failure rate allows at most maxFailuresPerInterval failures within the interval', () => {
  let now = 0;
  const s = createRestartBackoffTimeStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 1000, delay: 10 }, () => now);
  s.notifyFailure(null);
  now = 100;
  s.notifyFailure(null);
  expect(s.canRestart()).toBe(true);
  now = 900;
  s.notifyFailure(null); // three within one second
  expect(s.canRestart()).toBe(false);
  now = 1950; // the first two fell out of the window
  const t = createRestartBackoffTimeStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 1000, delay: 10 }, () => now);
  now = 0;
  t.notifyFailure(null);
  now = 100;
  t.notifyFailure(null);
  now = 1150;
  t.notifyFailure(null);
  expect(t.canRestart()).toBe(true);
});

test('exponential delay grows the backoff up to the maximum and starts over after a quiet period', () => {
  let now = 0;
  const s = createRestartBackoffTimeStrategy(
    { type: 'exponential-delay', initialBackoff: 100, maxBackoff: 350, backoffMultiplier: 2, resetBackoffThreshold: 10_000, attempts: 10 },
    () => now,
  );
  const backoffs: number[] = [];
  for (let i = 0; i < 4; i++) {
    now += 10;
    s.notifyFailure(null);
    backoffs.push(s.getBackoffTime());
  }
  expect(backoffs).toEqual([100, 200, 350, 350]);
  now += 20_000;
  s.notifyFailure(null);
  expect(s.getBackoffTime()).toBe(100);
  expect(s.canRestart()).toBe(true);
});
