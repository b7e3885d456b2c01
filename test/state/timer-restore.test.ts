/**
 * Timers survive a snapshot that went through structured cloning (v8.serialize, as a checkpoint or
 * a worker message would carry it) and, restored, fire as they would have: in timestamp order, and
 * in registration order among equal timestamps (not in key-group order).
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';
import { InternalTimeServiceManager, type InternalTimer, type TimersSnapshot } from '../../lib/state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, type Namespace } from '../../lib/state/namespace.ts';
import { assignToKeyGroup } from '../../lib/state/key-groups.ts';
import { ValueStateDescriptor } from '../../lib/core/state/state-descriptor.ts';
import type { ValueState } from '../../lib/core/state/state.ts';

const scheduler = { getCurrentProcessingTime: () => 0, registerTimer: () => {} };
const MAX_PARALLELISM = 128;

function fired(manager: InternalTimeServiceManager): Array<[unknown, number]> {
  const out: Array<[unknown, number]> = [];
  const record = (t: InternalTimer<unknown, Namespace>): void => void out.push([t.key, t.timestamp]);
  manager.getInternalTimerService('timers', { onEventTime: record, onProcessingTime: record });
  return out;
}

describe('timers across a structured-cloned snapshot', () => {
  test('restored timers fire in timestamp order, equal timestamps in registration order', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `key-${(i * 7) % 20}`);
    // Registration order is not key-group order (else the test would prove nothing).
    const byGroup = [...keys].sort((a, b) => assignToKeyGroup(a, MAX_PARALLELISM) - assignToKeyGroup(b, MAX_PARALLELISM));
    expect(byGroup).not.toEqual(keys);

    const backend = new HeapKeyedStateBackend(MAX_PARALLELISM);
    const manager = new InternalTimeServiceManager(backend, scheduler);
    const service = manager.getInternalTimerService('timers', { onEventTime: () => {}, onProcessingTime: () => {} });
    for (const key of keys) {
      backend.setCurrentKey(key);
      service.registerEventTimeTimer(VOID_NAMESPACE, 20);
      service.registerEventTimeTimer(VOID_NAMESPACE, 10);
    }
    const snapshot = deserialize(serialize(manager.snapshot())) as TimersSnapshot;

    const restoredBackend = new HeapKeyedStateBackend(MAX_PARALLELISM);
    const restored = new InternalTimeServiceManager(restoredBackend, scheduler);
    restored.restore([snapshot]);
    const out = fired(restored);
    restored.advanceWatermark(30);
    expect(out).toEqual([...keys.map((k) => [k, 10]), ...keys.map((k) => [k, 20])]);
  });

  test('state in the void namespace survives structured cloning and is read back under VOID_NAMESPACE', () => {
    const d = new ValueStateDescriptor<number>('v');
    const backend = new HeapKeyedStateBackend(MAX_PARALLELISM);
    const state = backend.getPartitionedState<ValueState<number>>(VOID_NAMESPACE, d);
    backend.setCurrentKey('a');
    state.update(1);
    const snapshot = deserialize(serialize(backend.snapshot())) as ReturnType<HeapKeyedStateBackend['snapshot']>;
    const restored = new HeapKeyedStateBackend(MAX_PARALLELISM);
    restored.restore([snapshot]);
    const again = restored.getPartitionedState<ValueState<number>>(VOID_NAMESPACE, d);
    restored.setCurrentKey('a');
    expect(again.value()).toBe(1);
    expect(String(VOID_NAMESPACE)).toBe('VoidNamespace');
  });
});
