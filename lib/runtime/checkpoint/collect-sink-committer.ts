/**
 * The collect sink's side of exactly-once delivery to the client (executeAndCollect, toObservable)
 * when the job checkpoints: its committables, and the committer the JobMaster commits them with.
 */
import type { Committer } from '../../core/connector/sink.ts';

/**
 * What the collect sink of a checkpointing job hands over at a barrier: the values that arrived
 * since the previous one. `writerId` is new for every operator instance (every attempt), so the
 * values a restored job produces again never look like ones delivered before.
 */
export interface CollectCommittable {
  readonly sinkId: string;
  readonly subtaskIndex: number;
  readonly checkpointId: number;
  readonly writerId: string;
  readonly values: unknown[];
}

export function isCollectCommittable(c: unknown): c is CollectCommittable {
  const x = c as Partial<CollectCommittable> | null;
  return typeof x === 'object' && x !== null && typeof x.sinkId === 'string' && typeof x.writerId === 'string' && Array.isArray(x.values);
}

/**
 * Delivers the committed values of collect sinks to the client (executeAndCollect, toObservable):
 * runs in the JobMaster, one per job for all its attempts. Exactly once: a committable seen before
 * (re-committed from the restored checkpoint) delivers nothing.
 */
export class CollectSinkCommitter implements Committer<CollectCommittable> {
  private readonly delivered = new Set<string>();
  constructor(private readonly onCollect: (sinkId: string, values: unknown[]) => void) {}

  commit(committables: readonly CollectCommittable[]): void {
    // Each subtask's values in the order they arrived, whatever order the acknowledgements came in.
    const inOrder = [...committables].sort((a, b) => a.checkpointId - b.checkpointId);
    for (const c of inOrder) {
      const key = `${c.sinkId}/${c.subtaskIndex}/${c.checkpointId}/${c.writerId}`;
      if (this.delivered.has(key)) continue;
      this.delivered.add(key);
      if (c.values.length > 0) this.onCollect(c.sinkId, c.values);
    }
  }
}
