/**
 * A timer is identified by exactly (key, namespace, timestamp): keys and namespaces whose printed
 * forms run into each other ('a|b' in 'c' vs 'a' in 'b|c', namespace 1 vs '1') are different timers,
 * and a timer still waiting in the timestamp being fired is not registered a second time.
 */
import { expect, test } from 'vitest';
import { HeapKeyedStateBackend } from '../../../lib/state/heap-keyed-state-backend.ts';
import { InternalTimeServiceManager, type InternalTimerService } from '../../../lib/state/timers/internal-timer-service.ts';

const scheduler = { getCurrentProcessingTime: () => 0, registerTimer: () => {} };

function setup(onEventTime: (key: unknown, ns: unknown) => void = () => {}) {
  const backend = new HeapKeyedStateBackend(128);
  const manager = new InternalTimeServiceManager(backend, scheduler);
  const service = manager.getInternalTimerService<string | number>('t', { onEventTime: (t) => onEventTime(t.key, t.namespace), onProcessingTime() {} });
  return { backend, manager, service };
}

test('timers of different (key, namespace) whose printed forms collide are all kept and fire', () => {
  const fired: unknown[] = [];
  const { backend, manager, service } = setup((k, ns) => fired.push([k, ns]));
  backend.setCurrentKey('a|b');
  service.registerEventTimeTimer('c', 10);
  backend.setCurrentKey('a');
  service.registerEventTimeTimer('b|c', 10);
  backend.setCurrentKey('k');
  service.registerEventTimeTimer('1', 10);
  service.registerEventTimeTimer(1, 10);
  expect(service.numEventTimeTimers()).toBe(4);
  manager.advanceWatermark(10);
  expect(fired).toEqual([['a|b', 'c'], ['a', 'b|c'], ['k', '1'], ['k', 1]]);
});

test('registering a timer that waits in the timestamp being fired does not fire it twice', () => {
  const fired: unknown[] = [];
  let service!: InternalTimerService<string | number>;
  const s = setup((k, ns) => {
    fired.push(ns);
    if (ns === 'w1') service.registerEventTimeTimer('w2', 10); // (a, w2, 10) is still pending
  });
  service = s.service;
  s.backend.setCurrentKey('a');
  service.registerEventTimeTimer('w1', 10);
  service.registerEventTimeTimer('w2', 10);
  s.manager.advanceWatermark(10);
  expect(fired).toEqual(['w1', 'w2']);
  expect(service.numEventTimeTimers()).toBe(0);
});
