/**
 * Test fixture: the writer of a two-phase committing sink that buffers what it is given and hands the buffer
 * over as one committable at each barrier (nothing when it is empty), the shape the lifecycle tests' sinks share.
 */
import type { CommittingSinkWriter } from '../../../lib/index.ts';

export function bufferingWriter<T>(hooks: { onWrite?(value: T): void; onClose?(): void } = {}): CommittingSinkWriter<T, T[]> {
  let open: T[] = [];
  return {
    write: (value: T) => {
      hooks.onWrite?.(value);
      open.push(value);
    },
    flush: () => {},
    prepareCommit: () => {
      const out = open;
      open = [];
      return out.length === 0 ? [] : [out];
    },
    close: () => hooks.onClose?.(),
  };
}
