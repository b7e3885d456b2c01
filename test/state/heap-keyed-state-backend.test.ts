/** The heap keyed state backend: what it retains for keys whose state was cleared. */
import { describe, expect, test } from 'vitest';
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
});
