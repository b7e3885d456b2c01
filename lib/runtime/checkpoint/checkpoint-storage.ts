// TEMPORARY (runtime branch): replaced by the storage engineer's version at merge.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CompletedCheckpoint, OperatorStateEntry, PendingCommittables } from './checkpoint-types.ts';
import { deserializeSubtaskState } from './state-serializer.ts';
import type { OperatorSnapshot } from '../../state/stream-task-state-initializer.ts';

export interface StateFileHandle { file: string; size: number; checksum: string }
export class FsCheckpointStorage {
  constructor(private readonly baseDir: string, private readonly jobId: string) {}
  initializeCheckpoint(checkpointId: number): string {
    const p = path.join(this.baseDir, this.jobId, `chk-${checkpointId}`);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }
  initializeSavepoint(targetDir: string): string {
    const p = path.join(targetDir, `savepoint-${this.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }
}
export async function writeSubtaskState(location: string, vertexId: number, subtaskIndex: number, bytes: Uint8Array): Promise<StateFileHandle> {
  const file = `v${vertexId}-s${subtaskIndex}.state`;
  await fs.promises.writeFile(path.join(location, file), bytes);
  return { file, size: bytes.length, checksum: '' };
}
export interface CheckpointMetadataHeader {
  jobId: string; jobName: string; checkpointId: number; timestamp: number; isSavepoint: boolean;
  operators: Array<{ operatorId: string; operatorName: string; parallelism: number; maxParallelism: number }>;
}
export async function writeCheckpointMetadata(location: string, header: CheckpointMetadataHeader, subtasks: Array<{ vertexId: number; subtaskIndex: number; finished: boolean; handle: StateFileHandle }>): Promise<void> {
  await fs.promises.writeFile(path.join(location, '_metadata.tmp'), JSON.stringify({ header, subtasks }));
  await fs.promises.rename(path.join(location, '_metadata.tmp'), path.join(location, '_metadata'));
}
function candidates(dir: string): string[] {
  if (fs.existsSync(path.join(dir, '_metadata'))) return [dir];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...candidates(path.join(dir, e.name)));
  return out;
}
export async function loadCompletedCheckpoint(p: string, _log?: (line: string) => void): Promise<CompletedCheckpoint> {
  const all = candidates(p).map((d) => ({ d, m: JSON.parse(fs.readFileSync(path.join(d, '_metadata'), 'utf8')) as { header: CheckpointMetadataHeader; subtasks: Array<{ vertexId: number; subtaskIndex: number; finished: boolean; handle: StateFileHandle }> } }));
  all.sort((a, b) => b.m.header.timestamp - a.m.header.timestamp || b.m.header.checkpointId - a.m.header.checkpointId);
  const best = all[0];
  if (!best) throw new Error(`no checkpoint under ${p}`);
  const byOp = new Map<string, OperatorSnapshot[]>();
  const committables: PendingCommittables[] = [];
  const finishedCount = new Map<string, [number, number]>();
  for (const st of best.m.subtasks) {
    const snap = deserializeSubtaskState(fs.readFileSync(path.join(best.d, st.handle.file)));
    committables.push(...snap.committables);
    for (const op of snap.operators) {
      const list = byOp.get(op.operatorId) ?? byOp.set(op.operatorId, []).get(op.operatorId)!;
      list[st.subtaskIndex] = op;
      const f = finishedCount.get(op.operatorId) ?? [0, 0];
      f[0]++; if (st.finished) f[1]++;
      finishedCount.set(op.operatorId, f);
    }
  }
  const operators: OperatorStateEntry[] = best.m.header.operators.filter((o) => byOp.has(o.operatorId)).map((o) => ({ ...o, subtasks: byOp.get(o.operatorId)!.filter((x) => x !== undefined) }));
  return { jobId: best.m.header.jobId, jobName: best.m.header.jobName, checkpointId: best.m.header.checkpointId, timestamp: best.m.header.timestamp, isSavepoint: best.m.header.isSavepoint, operators, committables, finishedOperators: [...finishedCount].filter(([, [a, b]]) => a === b).map(([k]) => k), path: best.d };
}
export async function retainCheckpoints(_jobDir: string, _numRetained: number): Promise<void> {}
export async function discardCheckpoint(location: string): Promise<void> {
  await fs.promises.rm(location, { recursive: true, force: true });
}
