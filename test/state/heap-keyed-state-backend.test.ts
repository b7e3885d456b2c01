/** The heap keyed state backend: what it retains for keys whose state was cleared; snapshots that survive structured clone. */
import { describe, expect, test } from 'vitest';
import { deserialize, serialize } from 'node:v8';
import { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';
import { ValueStateDescriptor } from '../../lib/core/state/state-descriptor.ts';

describe('heap keyed state backend', () => {
  test('a composite (object) key whose state was cleared is not retained by the backend', () => {
    const backend = new HeapKeyedStateBackend(128);
    const s = backend.getValueState(new ValueStateDescriptor<number>('v'));
    for (let i = 0; i < 1000; i++) {
      backend.setCurrentKey({ user: i, region: 'eu' });
      s.update(i);
      s.clear();
    }
    expect(backend.numKeys()).toBe(0);
    // The module doc: "A key whose state is cleared holds nothing." Yet every key object seen is kept forever.
    expect((backend as unknown as { compositeKeys: Map<unknown, unknown> }).compositeKeys.size).toBe(0);
  });

  test('a snapshot of void-namespace state survives v8.serialize and restores', () => {
    const backend = new HeapKeyedStateBackend(128);
    const d = new ValueStateDescriptor<number>('v');
    backend.setCurrentKey('k');
    backend.getValueState(d).update(7);
    // The void namespace is in every entry: it must be cloneable (no function among its own properties).
    const snapshot = deserialize(serialize(backend.snapshot())) as ReturnType<HeapKeyedStateBackend['snapshot']>;
    const restored = new HeapKeyedStateBackend(128);
    restored.restore([snapshot]);
    restored.setCurrentKey('k');
    expect(restored.getValueState(d).value()).toBe(7);
  });
});
