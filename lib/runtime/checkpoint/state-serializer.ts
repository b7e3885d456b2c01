// TEMPORARY (runtime branch): replaced by the storage engineer's version at merge.
import v8 from 'node:v8';
import type { SubtaskStateSnapshot } from './checkpoint-types.ts';
export function serializeSubtaskState(snapshot: SubtaskStateSnapshot): Uint8Array {
  return v8.serialize(snapshot);
}
export function deserializeSubtaskState(bytes: Uint8Array): SubtaskStateSnapshot {
  return v8.deserialize(bytes) as SubtaskStateSnapshot;
}
