/**
 * Timers of equal timestamps fire in registration order, also after a snapshot and restore: the
 * snapshot partitions timers by key group, and key-group order alone would reorder them.
 */
import { describe, expect, test } from 'vitest';
import { HeapKeyedStateBackend } from '../../../lib/state/heap-keyed-state-backend.ts';
import { assignToKeyGroup } from '../../../lib/state/key-groups.ts';
import { VOID_NAMESPACE } from '../../../lib/state/namespace.ts';
import { InternalTimeServiceManager, type InternalTimer, type TimersSnapshot } from '../../../lib/state/timers/internal-timer-service.ts';

const noProcessingTime = { getCurrentProcessingTime: () => 0, registerTimer: () => {} };

function service(fired: string[], restoreFrom?: TimersSnapshot): { backend: HeapKeyedStateBackend; manager: InternalTimeServiceManager } {
  const backend = new HeapKeyedStateBackend(128);
  const manager = new InternalTimeServiceManager(backend, noProcessingTime);
  if (restoreFrom !== undefined) manager.restore([restoreFrom]);
  const record = (t: InternalTimer): void => void fired.push(`${String(t.key)}@${t.timestamp}`);
  manager.getInternalTimerService('t', { onEventTime: record, onProcessingTime: record });
  return { backend, manager };
}

describe('restored timers', () => {
  test('equal timestamps fire in registration order after a restore, whatever the key groups', () => {
    // Keys registered in descending key-group order, so key-group order would reverse them.
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`).sort((a, b) => assignToKeyGroup(b, 128) - assignToKeyGroup(a, 128));
    expect(assignToKeyGroup(keys[0]!, 128)).toBeGreaterThan(assignToKeyGroup(keys.at(-1)!, 128));
    const { backend, manager } = service([]);
    const timers = manager.getInternalTimerService('t', { onEventTime: () => {}, onProcessingTime: () => {} });
    for (const [i, key] of keys.entries()) {
      backend.setCurrentKey(key);
      timers.registerEventTimeTimer(VOID_NAMESPACE, i % 2 === 0 ? 10 : 20);
    }
    const fired: string[] = [];
    const restored = service(fired, manager.snapshot());
    restored.manager.advanceWatermark(20);
    expect(fired).toEqual([...keys.filter((_, i) => i % 2 === 0).map((k) => `${k}@10`), ...keys.filter((_, i) => i % 2 === 1).map((k) => `${k}@20`)]);
  });
});
