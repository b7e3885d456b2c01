/** Shared by the checkpoint storage tests: small checkpoints written through the real storage functions. */
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import {
  FsCheckpointStorage,
  writeCheckpointMetadata,
  writeSubtaskState,
  type SubtaskStateHandle,
} from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import type { CompletedCheckpoint, SubtaskStateSnapshot } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';

export interface VertexSpec {
  readonly vertexId: number;
  readonly parallelism: number;
  /** Operator ids of the chain, head first. */
  readonly operators: readonly string[];
  readonly finished?: boolean;
}

export const DEFAULT_VERTICES: readonly VertexSpec[] = [
  { vertexId: 1, parallelism: 2, operators: ['source'] },
  { vertexId: 2, parallelism: 3, operators: ['counter', 'sink'] },
];

/** A subtask snapshot whose every operator holds `marker` in its list state 'marker' (to tell checkpoints apart). */
export function markedSubtask(vertex: VertexSpec, subtaskIndex: number, marker: string): SubtaskStateSnapshot {
  return {
    vertexId: vertex.vertexId,
    subtaskIndex,
    finished: vertex.finished ?? false,
    operators: vertex.operators.map((operatorId) => ({
      operatorId,
      operator: { marker: { mode: 'SPLIT_DISTRIBUTE' as const, entries: [`${marker}/${operatorId}/${subtaskIndex}`] } },
    })),
    committables: vertex.operators.includes('sink') ? [{ operatorId: 'sink', subtaskIndex, checkpointId: 0, committables: [`${marker}-c${subtaskIndex}`] }] : [],
  };
}

/** Writes every subtask's state and `_metadata` into `location`, as the task and the coordinator do. */
export async function writeMarkedCheckpoint(
  location: string,
  o: { jobId: string; checkpointId: number; timestamp: number; marker: string; isSavepoint?: boolean; vertices?: readonly VertexSpec[] },
): Promise<string> {
  const vertices = o.vertices ?? DEFAULT_VERTICES;
  const handles: SubtaskStateHandle[] = [];
  for (const v of vertices) {
    for (let s = 0; s < v.parallelism; s++) {
      const handle = await writeSubtaskState(location, v.vertexId, s, serializeSubtaskState(markedSubtask(v, s, o.marker)));
      handles.push({ vertexId: v.vertexId, subtaskIndex: s, finished: v.finished ?? false, handle });
    }
  }
  await writeCheckpointMetadata(
    location,
    {
      jobId: o.jobId,
      jobName: `job ${o.jobId}`,
      checkpointId: o.checkpointId,
      timestamp: o.timestamp,
      isSavepoint: o.isSavepoint ?? false,
      operators: vertices.flatMap((v) => v.operators.map((operatorId) => ({ operatorId, operatorName: `Op ${operatorId}`, parallelism: v.parallelism, maxParallelism: 128 }))),
    },
    handles,
  );
  return location;
}

/** Creates chk-<id> of a job under `baseDir` and writes a marked checkpoint into it. */
export async function writeMarkedJobCheckpoint(baseDir: string, jobId: string, checkpointId: number, timestamp: number, marker: string): Promise<string> {
  return writeMarkedCheckpoint(new FsCheckpointStorage(baseDir, jobId).initializeCheckpoint(checkpointId), { jobId, checkpointId, timestamp, marker });
}

/** The marker a loaded checkpoint was written with. */
export function markerOf(c: CompletedCheckpoint): string {
  const entry = c.operators.find((o) => o.operatorId === 'source')!.subtasks[0]!.operator.marker!.entries[0] as string;
  return entry.split('/')[0]!;
}
