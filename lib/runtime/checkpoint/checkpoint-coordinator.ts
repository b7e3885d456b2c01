/**
 * The JobMaster's CheckpointCoordinator (Flink's name): triggers checkpoint n at the tasks that start
 * it (sources; tasks whose inputs all ended), collects every subtask's acknowledgement, writes the
 * `_metadata` last, then commits the two-phase-commit sinks' committables and notifies the tasks.
 * A checkpoint that times out or is declined is aborted and counted; more failures in a row than
 * tolerated fail the job over (restart). Finished tasks (FLIP-147) take part with their final state,
 * and when every task finished a final checkpoint commits what the sinks prepared last.
 *
 * It lives across restarts of the job: ids keep increasing, and the newest completed checkpoint (or
 * savepoint) is what a restart restores.
 */
import fs from 'node:fs';
import { setTimeout, clearTimeout } from 'node:timers';
import { CheckpointException } from '../../core/errors.ts';
import type { CheckpointBarrier } from '../elements.ts';
import type { CheckpointingOptions, PendingCommittables } from './checkpoint-types.ts';
import type { CheckpointGateway, SubtaskAck, SubtaskFinished } from './checkpoint-responder.ts';
import {
  FsCheckpointStorage,
  discardCheckpoint,
  retainCheckpoints,
  writeCheckpointMetadata,
  writeSubtaskState,
  type StateFileHandle,
} from './checkpoint-storage.ts';

/** One subtask as the coordinator sees it: which producer subtasks feed it. */
export interface CoordinatorTask {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  /** For messages: `Window (2/4)`. */
  readonly name: string;
  /** Producer subtasks connected to this one, as `${vertexId}:${subtaskIndex}`; empty for a source. */
  readonly upstream: readonly string[];
}

/** An operator of the job, as the metadata records it. */
export interface CoordinatorOperator {
  readonly operatorId: string;
  readonly operatorName: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
}

/** The running attempt of the job, as the coordinator drives it. */
export interface ExecutionAttempt {
  triggerCheckpoint(vertexId: number, subtaskIndex: number, barrier: CheckpointBarrier): void;
  notifyCheckpointComplete(checkpointId: number): void;
  /** A stop-with-savepoint failed: sources its barrier stopped read on (Flink's notifyCheckpointAborted). */
  notifyCheckpointAborted?(checkpointId: number): void;
}

export interface CheckpointCoordinatorOptions {
  readonly jobId: string;
  readonly jobName: string;
  /** Unset: no periodic checkpoints (savepoints can still be taken). */
  readonly checkpointing: CheckpointingOptions | undefined;
  readonly operators: readonly CoordinatorOperator[];
  readonly tasks: readonly CoordinatorTask[];
  /** Commits committables of a completed checkpoint, in checkpoint order; must be idempotent. */
  readonly commit: (committables: readonly PendingCommittables[]) => Promise<void>;
  /** Fails the running attempt over (tolerable checkpoint failures exceeded, a commit failed). */
  readonly failJob: (error: unknown) => void;
  readonly log: (line: string) => void;
}

const DEFAULT_CHECKPOINT_DIR = './checkpoints';

/** What one completed checkpoint cost (Flink's CompletedCheckpointStats, in brief). */
export interface CompletedCheckpointStats {
  readonly checkpointId: number;
  readonly savepoint: boolean;
  /** ms from trigger to the metadata written. */
  readonly durationMs: number;
  /** The slowest subtask's synchronous part, and its asynchronous part (writing). */
  readonly maxSyncDurationMs: number;
  readonly maxAsyncDurationMs: number;
  /** Bytes of all subtask state files. */
  readonly stateSize: number;
}

interface PendingCheckpoint {
  readonly checkpointId: number;
  readonly timestamp: number;
  readonly location: string;
  readonly savepoint: boolean;
  readonly stop: boolean;
  readonly notYetAcked: Set<string>;
  readonly acks: Map<string, SubtaskAck>;
  /** Finished subtasks whose final state is written into this checkpoint when it completes. */
  readonly finished: SubtaskFinished[];
  timer: ReturnType<typeof setTimeout> | undefined;
  completing: boolean;
  readonly done: { resolve: (path: string) => void; reject: (e: unknown) => void };
  readonly promise: Promise<string>;
}

const key = (vertexId: number, subtaskIndex: number): string => `${vertexId}:${subtaskIndex}`;

export class CheckpointCoordinator implements CheckpointGateway {
  private nextCheckpointId = 1;
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly finishedTasks = new Map<string, SubtaskFinished>();
  private attempt: ExecutionAttempt | null = null;
  private readonly storage: FsCheckpointStorage;
  private readonly jobDir: string;
  private periodic: ReturnType<typeof setTimeout> | undefined;
  private lastTriggerTime = 0;
  private lastCompletionTime = 0;
  private consecutiveFailures = 0;
  /** Commits run one after the other, in checkpoint order. */
  private commits: Promise<void> = Promise.resolve();
  private latest: { checkpointId: number; path: string } | undefined;
  private shutDown = false;
  /** Every task finished and finishJob() took over: no more periodic checkpoints. */
  private jobFinished = false;
  /**
   * A stop-with-savepoint completed: the job ends, no periodic checkpoint follows (it would commit what operators
   * emit after the stop barrier — timers — which a job restored from the savepoint emits again). While one is
   * pending none is triggered either, as in Flink (stopCheckpointScheduler before a stop-with-savepoint).
   */
  private stopCompleted = false;
  private readonly taskNames = new Map<string, string>();
  /** The newest completed checkpoints' costs (the last 100). */
  readonly stats: CompletedCheckpointStats[] = [];

  constructor(private readonly options: CheckpointCoordinatorOptions) {
    const dir = options.checkpointing?.directory ?? DEFAULT_CHECKPOINT_DIR;
    this.storage = new FsCheckpointStorage(dir, options.jobId);
    this.jobDir = this.storage.jobDirectory;
    for (const t of options.tasks) this.taskNames.set(key(t.vertexId, t.subtaskIndex), t.name);
  }

  /** The newest completed checkpoint or savepoint (what a restart restores), if any. */
  latestCompleted(): { checkpointId: number; path: string } | undefined {
    return this.latest;
  }

  /** Ids go on after the restored checkpoint's, as in Flink. */
  restoredFrom(checkpointId: number, location: string, isSavepoint: boolean): void {
    if (checkpointId >= this.nextCheckpointId) this.nextCheckpointId = checkpointId + 1;
    // A restored checkpoint of this job (not a savepoint) is where the next restart goes back to.
    if (!isSavepoint || this.latest === undefined) this.latest = { checkpointId, path: location };
  }

  /** A new attempt runs: periodic checkpoints start (again). */
  startAttempt(attempt: ExecutionAttempt): void {
    this.attempt = attempt;
    this.stopCompleted = false; // restarted although a stop savepoint completed (its commit failed): it goes on
    this.finishedTasks.clear();
    this.lastTriggerTime = Date.now();
    this.schedulePeriodic();
  }

  /** The attempt stopped (failed, canceled, finished): pending checkpoints are aborted, none is triggered. */
  stopAttempt(reason: unknown): void {
    this.attempt = null;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    this.periodic = undefined;
    for (const p of [...this.pending.values()]) if (!p.completing) this.abort(p, reason, false);
  }

  shutdown(reason: unknown): void {
    this.shutDown = true;
    this.stopAttempt(reason);
    this.finishedTasks.clear(); // their final state is on disk (or not needed): not held while the client is
  }

  /** Takes a savepoint into a new folder under `directory`; `stop`: the sources end after its barrier. */
  triggerSavepoint(directory: string, stop: boolean): Promise<string> {
    const p = this.trigger(true, stop, directory);
    if (p instanceof Error) return Promise.reject(p);
    return p.promise;
  }

  /**
   * Every task finished: the final checkpoint (with checkpointing on) or, without, one commit of what
   * the sinks prepared last. Resolves when that is committed.
   */
  async finishJob(): Promise<void> {
    this.jobFinished = true; // the final checkpoint is the last: no periodic one follows while it commits
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    this.periodic = undefined;
    if (this.options.checkpointing !== undefined) {
      const p = this.trigger(false, false);
      if (p instanceof Error) throw p;
      await p.promise;
    } else {
      const committables = [...this.finishedTasks.values()].flatMap((f) => f.committables);
      this.enqueueCommit(committables);
    }
    await this.commits;
  }

  /** Removes this job's checkpoint folder (not its savepoints, which live elsewhere): DELETE_ON_CANCELLATION. */
  discardAllCheckpoints(): void {
    try {
      fs.rmSync(this.jobDir, { recursive: true, force: true });
    } catch (e) {
      this.options.log(`Could not remove the checkpoints of job '${this.options.jobName}' under ${this.jobDir}: ${(e as Error).message}`);
    }
  }

  /** Checkpoints whose acknowledgements all arrived and whose metadata is being written. */
  private readonly completing = new Set<Promise<void>>();

  /** Retention after a completed checkpoint, removal of an aborted one: what writesSettled waits for besides completing checkpoints. */
  private readonly housekeeping = new Set<Promise<void>>();

  private startCompleting(p: PendingCheckpoint): void {
    const done = this.complete(p);
    this.completing.add(done);
    void done.finally(() => this.completing.delete(done));
  }

  private track(work: Promise<void>): void {
    this.housekeeping.add(work);
    void work.finally(() => this.housekeeping.delete(work));
  }

  /**
   * Resolves once no checkpoint is being written and no retention is removing folders. A job reports its end
   * only after this: a checkpoint whose acknowledgements all came in before the job stopped completes (its
   * folder is whole), and nothing writes into or deletes from the checkpoint folder after the job ended —
   * someone restoring from the folder the moment the job ended must see what the next restore will see.
   * (Commits are not waited for: the restore commits again.)
   */
  async writesSettled(): Promise<void> {
    while (this.completing.size > 0 || this.housekeeping.size > 0) await Promise.all([...this.completing, ...this.housekeeping]);
  }

  /**
   * Resolves once nothing of the job's checkpointing runs any more: no checkpoint is being written, no retention
   * or removal runs, and no commit (the job's committers are closed after this). Called after shutdown().
   */
  async quiesced(): Promise<void> {
    for (;;) {
      await this.writesSettled();
      const before = this.commits;
      await before;
      if (before === this.commits && this.completing.size === 0 && this.housekeeping.size === 0) return;
    }
  }

  /**
   * Resolves once every checkpoint that was completing has completed (or failed) and every commit
   * started so far has ended: only then is `latestCompleted()` what a restart must restore. (A
   * checkpoint whose metadata lands after the restart chose an older one would have its data
   * committed and then produced again: duplicates.)
   */
  async settle(): Promise<void> {
    for (;;) {
      if (this.completing.size > 0) {
        await Promise.all([...this.completing]);
        continue;
      }
      const before = this.commits;
      await before;
      if (before === this.commits && this.completing.size === 0) return;
    }
  }

  // ---- the gateway: what tasks report -------------------------------------------------------------

  acknowledge(ack: SubtaskAck): void {
    const p = this.pending.get(ack.checkpointId);
    const k = key(ack.vertexId, ack.subtaskIndex);
    if (p === undefined || !p.notYetAcked.has(k)) return; // aborted meanwhile, or a late duplicate
    p.notYetAcked.delete(k);
    p.acks.set(k, ack);
    if (p.notYetAcked.size === 0) this.startCompleting(p);
  }

  decline(checkpointId: number, vertexId: number, subtaskIndex: number, reason: unknown): void {
    const p = this.pending.get(checkpointId);
    if (p === undefined || p.completing) return;
    const who = this.taskNames.get(key(vertexId, subtaskIndex)) ?? `subtask ${subtaskIndex} of vertex ${vertexId}`;
    const message = reason instanceof Error ? reason.message : String(reason);
    this.abort(p, new CheckpointException(`${p.savepoint ? 'Savepoint' : 'Checkpoint'} ${checkpointId} of job '${this.options.jobName}' was declined by ${who}: ${message}`, 'CHECKPOINT_DECLINED', { cause: reason }), true);
  }

  finished(report: SubtaskFinished): void {
    const k = key(report.vertexId, report.subtaskIndex);
    this.finishedTasks.set(k, report);
    // A pending checkpoint that still waits for this task takes its final state instead.
    for (const p of this.pending.values()) {
      if (!p.notYetAcked.has(k) || p.checkpointId <= report.lastCheckpointId) continue;
      p.notYetAcked.delete(k);
      p.finished.push(report);
      if (p.notYetAcked.size === 0) this.startCompleting(p);
    }
  }

  // ---- triggering and completing ------------------------------------------------------------------

  private schedulePeriodic(): void {
    const cp = this.options.checkpointing;
    if (cp === undefined || this.attempt === null || this.shutDown || this.jobFinished) return;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    const now = Date.now();
    const delay = Math.max(0, this.lastTriggerTime + cp.interval - now, this.lastCompletionTime + cp.minPauseBetweenCheckpoints - now);
    this.periodic = setTimeout(() => {
      this.periodic = undefined;
      if (this.attempt === null) return;
      let concurrent = 0;
      let stopping = this.stopCompleted;
      for (const p of this.pending.values()) {
        if (!p.savepoint) concurrent++;
        if (p.stop) stopping = true;
      }
      if (concurrent < cp.maxConcurrentCheckpoints && !stopping) {
        const p = this.trigger(false, false);
        if (p instanceof Error) this.options.log(p.message);
      }
      this.schedulePeriodic();
    }, delay);
    this.periodic.unref?.();
  }

  private trigger(savepoint: boolean, stop: boolean, directory?: string): PendingCheckpoint | Error {
    if (this.attempt === null) return new CheckpointException(`Job '${this.options.jobName}' is not running: no ${savepoint ? 'savepoint' : 'checkpoint'} can be taken`, 'NOT_ALL_REQUIRED_TASKS_RUNNING');
    const checkpointId = this.nextCheckpointId++;
    const timestamp = Date.now();
    this.lastTriggerTime = timestamp;
    let location: string;
    try {
      location = savepoint ? this.storage.initializeSavepoint(directory!) : this.storage.initializeCheckpoint(checkpointId);
    } catch (e) {
      return new CheckpointException(`Could not create the folder of ${savepoint ? 'savepoint' : 'checkpoint'} ${checkpointId}: ${(e as Error).message}`, 'IO_EXCEPTION', { cause: e });
    }
    let done!: PendingCheckpoint['done'];
    const promise = new Promise<string>((resolve, reject) => (done = { resolve, reject }));
    promise.catch(() => {}); // periodic checkpoints: nobody waits; failures are logged and counted
    const p: PendingCheckpoint = {
      checkpointId,
      timestamp,
      location,
      savepoint,
      stop,
      notYetAcked: new Set(),
      acks: new Map(),
      finished: [],
      timer: undefined,
      completing: false,
      done,
      promise,
    };
    const tasks = this.options.tasks;
    for (const t of tasks) {
      const k = key(t.vertexId, t.subtaskIndex);
      const fin = this.finishedTasks.get(k);
      if (fin !== undefined) p.finished.push(fin);
      else p.notYetAcked.add(k);
    }
    this.pending.set(checkpointId, p);
    const timeout = this.options.checkpointing?.timeout ?? 10 * 60_000;
    p.timer = setTimeout(() => {
      if (this.pending.get(checkpointId) === p && !p.completing) {
        const missing = [...p.notYetAcked].map((k) => this.taskNames.get(k) ?? k).join(', ');
        this.abort(p, new CheckpointException(`${savepoint ? 'Savepoint' : 'Checkpoint'} ${checkpointId} of job '${this.options.jobName}' expired after ${timeout} ms before every task acknowledged it (missing: ${missing})`, 'CHECKPOINT_EXPIRED'), true);
      }
    }, timeout);
    p.timer.unref?.();
    if (p.notYetAcked.size === 0) {
      this.startCompleting(p);
      return p;
    }
    const barrier: CheckpointBarrier = { at: 0, kind: 'barrier', checkpointId, timestamp, location, savepoint, stop };
    const attempt = this.attempt;
    for (const t of tasks) {
      const k = key(t.vertexId, t.subtaskIndex);
      if (!p.notYetAcked.has(k)) continue;
      // Sources start the checkpoint; so does a task whose producers all finished (no barrier can reach it).
      if (t.upstream.every((u) => this.finishedTasks.has(u))) attempt.triggerCheckpoint(t.vertexId, t.subtaskIndex, barrier);
    }
    return p;
  }

  private async complete(p: PendingCheckpoint): Promise<void> {
    p.completing = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    const kind = p.savepoint ? 'Savepoint' : 'Checkpoint';
    try {
      const subtasks: Array<{ vertexId: number; subtaskIndex: number; finished: boolean; handle: StateFileHandle }> = [];
      for (const a of p.acks.values()) subtasks.push({ vertexId: a.vertexId, subtaskIndex: a.subtaskIndex, finished: false, handle: a.handle });
      for (const f of p.finished) {
        if (f.bytes === undefined) throw new Error(`task ${this.taskNames.get(key(f.vertexId, f.subtaskIndex))} finished without a final state`);
        const handle = await writeSubtaskState(p.location, f.vertexId, f.subtaskIndex, f.bytes);
        subtasks.push({ vertexId: f.vertexId, subtaskIndex: f.subtaskIndex, finished: true, handle });
      }
      subtasks.sort((a, b) => a.vertexId - b.vertexId || a.subtaskIndex - b.subtaskIndex);
      await writeCheckpointMetadata(
        p.location,
        { jobId: this.options.jobId, jobName: this.options.jobName, checkpointId: p.checkpointId, timestamp: p.timestamp, isSavepoint: p.savepoint, operators: [...this.options.operators] },
        subtasks,
      );
    } catch (e) {
      this.pending.delete(p.checkpointId);
      p.completing = false;
      // A newer checkpoint completed meanwhile (its retention may have removed this folder): nothing is lost, nothing to count.
      const subsumed = this.latest !== undefined && this.latest.checkpointId > p.checkpointId;
      this.fail(p, new CheckpointException(`${kind} ${p.checkpointId} of job '${this.options.jobName}' could not be written to ${p.location}: ${(e as Error).message}`, 'IO_EXCEPTION', { cause: e }), !subsumed);
      return;
    }
    this.pending.delete(p.checkpointId);
    this.consecutiveFailures = 0;
    this.lastCompletionTime = Date.now();
    let maxSync = 0;
    let maxAsync = 0;
    let size = 0;
    for (const a of p.acks.values()) {
      maxSync = Math.max(maxSync, a.syncDurationMs);
      maxAsync = Math.max(maxAsync, a.asyncDurationMs);
      size += a.handle.size;
    }
    for (const f of p.finished) size += f.bytes?.length ?? 0;
    this.stats.push({ checkpointId: p.checkpointId, savepoint: p.savepoint, durationMs: this.lastCompletionTime - p.timestamp, maxSyncDurationMs: maxSync, maxAsyncDurationMs: maxAsync, stateSize: size });
    if (this.stats.length > 100) this.stats.shift();
    if (this.latest === undefined || p.checkpointId > this.latest.checkpointId) this.latest = { checkpointId: p.checkpointId, path: p.location };
    if (p.stop) this.stopCompleted = true;
    // Older pending checkpoints are subsumed: this one holds everything they would have.
    for (const older of [...this.pending.values()]) {
      if (older.checkpointId < p.checkpointId && !older.savepoint && !older.completing) this.abort(older, new CheckpointException(`Checkpoint ${older.checkpointId} was subsumed by ${p.checkpointId}`, 'CHECKPOINT_SUBSUMED'), false);
    }
    const committables: PendingCommittables[] = [];
    for (const a of p.acks.values()) committables.push(...a.committables);
    for (const f of p.finished) committables.push(...f.committables);
    const committed = this.enqueueCommit(committables);
    const attempt = this.attempt;
    void committed.then(
      () => attempt?.notifyCheckpointComplete(p.checkpointId),
      () => {},
    );
    if (!p.savepoint && this.options.checkpointing !== undefined) {
      this.track(
        // A pending checkpoint's folder is its own to complete or discard (an older one may still be completing).
        retainCheckpoints(this.jobDir, this.options.checkpointing.numRetainedCheckpoints, (id) => this.pending.has(id)).catch((e: unknown) =>
          this.options.log(`Could not remove old checkpoints under ${this.jobDir}: ${(e as Error).message}`),
        ),
      );
    }
    committed.then(
      () => p.done.resolve(p.location),
      (e: unknown) => p.done.reject(e),
    );
    this.schedulePeriodic();
  }

  /** Commits after the ones before; a failed commit fails the job over (the restore commits again). */
  private enqueueCommit(committables: readonly PendingCommittables[]): Promise<void> {
    const run = this.commits.then(() => (committables.length === 0 ? undefined : this.options.commit(committables)));
    this.commits = run.catch(() => {});
    run.catch((e: unknown) => this.options.failJob(e));
    return run;
  }

  private abort(p: PendingCheckpoint, reason: unknown, counts: boolean): void {
    this.pending.delete(p.checkpointId);
    if (p.timer !== undefined) clearTimeout(p.timer);
    this.track(discardCheckpoint(p.location).catch(() => {}));
    this.fail(p, reason, counts);
  }

  private fail(p: PendingCheckpoint, reason: unknown, counts: boolean): void {
    p.done.reject(reason);
    // The job goes on after a failed stop-with-savepoint: the sources its barrier stopped read on.
    if (p.stop) this.attempt?.notifyCheckpointAborted?.(p.checkpointId);
    if (!counts || this.shutDown) return;
    const message = reason instanceof Error ? reason.message : String(reason);
    if (p.savepoint) return; // the caller of triggerSavepoint hears of it
    this.options.log(message);
    const tolerable = this.options.checkpointing?.tolerableCheckpointFailureNumber ?? 0;
    if (++this.consecutiveFailures > tolerable) {
      this.consecutiveFailures = 0;
      this.options.failJob(
        new CheckpointException(`Exceeded checkpoint tolerable failure threshold (${tolerable}): ${message}`, 'TOO_MANY_CHECKPOINT_FAILURES', { cause: reason }),
      );
    } else {
      this.schedulePeriodic();
    }
  }
}
