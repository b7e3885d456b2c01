/**
 * An attempt with one worker_thread per slot. A slot hosts subtask i of every vertex (Flink's slot
 * sharing). Each worker re-evaluates the job module (from the job's worker bundle: worker-bundle.ts),
 * rebuilds the same graph (checked by its fingerprint) and runs its subtasks; batches cross threads
 * on MessagePorts with credits. Checkpoint triggers and completions go to the workers as messages;
 * acknowledgements come back the same way.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accumulatorFromValue } from '../../core/accumulators/accumulator-helper.ts';
import { channelPairs } from '../deploy.ts';
import { createRingBuffer, defaultRingBytes, MAX_RING_BYTES, MIN_RING_BYTES, RING_BYTES } from '../io/byte-ring.ts';
import type { CancelReport } from '../executor.ts';
import type { CheckpointBarrier } from '../elements.ts';
import { deserializeError, type WorkerInit, type WorkerMessage } from '../worker-protocol.ts';
import type { RestoredOperatorState } from '../../state/stream-task-state-initializer.ts';
import { mergeInto, type JobExecution, type JobExecutionContext } from './job-execution.ts';

/**
 * How batches cross threads: 'binary' (default; framed bytes in a SharedArrayBuffer ring per channel)
 * or 'port' (structured clone / columns over a MessagePort, the earlier exchange), from
 * TIDEMARK_EXCHANGE. Kept for comparison (bench) and as a way back.
 */
export function exchangeKind(): 'binary' | 'port' {
  const v = process.env.TIDEMARK_EXCHANGE;
  if (v === undefined || v === '' || v === 'binary') return 'binary';
  if (v === 'port') return 'port';
  throw new Error(`TIDEMARK_EXCHANGE=${v}: 'binary' or 'port'`);
}

/** Bytes of each channel's ring: TIDEMARK_RING_BYTES (a power of two; tests make it tiny so frames pass in pieces). */
function ringBytes(): number | undefined {
  const v = process.env.TIDEMARK_RING_BYTES;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < MIN_RING_BYTES || n > MAX_RING_BYTES || (n & (n - 1)) !== 0) {
    throw new Error(`TIDEMARK_RING_BYTES=${v}: the bytes of each channel's ring, a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES} (2^30); unset for ${RING_BYTES} (less per channel when an exchange has many)`);
  }
  return n;
}

const WORKER_ENTRY = fileURLToPath(new URL('../worker-entry.mjs', import.meta.url));
const CANCEL_GRACE_MS = 3000;

export class ThreadsExecution implements JobExecution {
  readonly outcome: Promise<'finished' | 'canceled'>;
  private readonly workers: Worker[] = [];
  private readonly report: CancelReport = { waiting: [], notStopped: [] };
  private running = true;
  private canceled = false;
  private readonly settle: { resolve: (o: 'finished' | 'canceled') => void; reject: (e: unknown) => void };
  private readyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Slots whose worker deployed its subtasks. */
  private readonly readySlots = new Set<number>();
  /**
   * Checkpoint triggers that came before every worker had deployed its subtasks (a worker evaluates
   * the job module first, which takes a while): posted with the start signal, not dropped.
   */
  private triggersBeforeStart: Array<{ vertexId: number; subtaskIndex: number; barrier: CheckpointBarrier }> | null = [];

  constructor(context: JobExecutionContext) {
    const { graph, options, slots, jobId } = context;
    if (!options.jobModule) {
      throw new Error(
        "execution.target 'threads' needs the job's module, which every worker re-evaluates: run the job with `tidemark run -t threads job.ts` (or set pipeline.job-module).",
      );
    }
    if (!existsSync(WORKER_ENTRY)) {
      // tidemark bundled into the job's own file (esbuild, ...): the worker entry is a file of its own
      throw new Error(
        `execution.target 'threads' needs tidemark's worker entry ${WORKER_ENTRY}, which is not there: a bundle of a job runs the inline target; the threads target runs tidemark from its installed package.`,
      );
    }
    let settle!: ThreadsExecution['settle'];
    this.outcome = new Promise((resolve, reject) => (settle = { resolve, reject }));
    this.settle = settle;
    // One port pair per channel that crosses slots; producer and consumer subtask i share slot i.
    // With the binary exchange the port is only the channel's doorbell; the batches go through a ring in shared memory.
    const portsBySlot: Array<Record<string, MessagePort>> = Array.from({ length: slots }, () => ({}));
    const ringsBySlot: Array<Record<string, SharedArrayBuffer>> = Array.from({ length: slots }, () => ({}));
    const exchange = exchangeKind();
    const ringSetting = exchange === 'binary' ? ringBytes() : undefined;
    for (const edge of graph.edges) {
      const pairs = channelPairs(edge).filter(([p, c]) => p !== c);
      const edgeRingBytes = ringSetting ?? defaultRingBytes(pairs.length);
      for (const [p, c] of pairs) {
        const { port1, port2 } = new MessageChannel();
        const key = `${edge.id}:${p}:${c}`;
        portsBySlot[p]![key] = port1;
        portsBySlot[c]![key] = port2;
        if (exchange === 'binary') ringsBySlot[p]![key] = ringsBySlot[c]![key] = createRingBuffer(edgeRingBytes);
      }
    }
    // The restored state every worker needs: the operators of the job, each with all old subtasks' parts.
    let restored: Record<string, RestoredOperatorState> | undefined;
    if (context.restored !== undefined) {
      restored = {};
      for (const v of graph.vertices) {
        for (const n of v.nodes) {
          const r = context.restored(n.operatorId);
          if (r !== undefined) restored[n.operatorId] = r;
        }
      }
    }
    const readySlots = this.readySlots;
    const timeout = options.registrationTimeout ?? 60_000;
    this.readyTimer = setTimeout(() => {
      const missing = Array.from({ length: slots }, (_, s) => s).filter((s) => !readySlots.has(s));
      this.fail(
        new Error(
          `The worker threads of slot(s) ${missing.join(', ')} did not deploy their subtasks within ${timeout} ms (taskmanager.registration.timeout): their evaluation of ${options.jobModule} did not reach execute().`,
        ),
      );
    }, timeout);
    // The workers start once the job's bundle is built (the first attempt builds it; entry() never rejects).
    void (context.workerBundle?.entry() ?? Promise.resolve(undefined))
      .then((bundle) => this.startWorkers(context, portsBySlot, ringsBySlot, restored, bundle))
      .catch((e: unknown) => this.fail(e));
  }

  /** One worker per slot, importing the bundle when there is one (see worker-entry.mjs). */
  private startWorkers(
    context: JobExecutionContext,
    portsBySlot: Array<Record<string, MessagePort>>,
    ringsBySlot: Array<Record<string, SharedArrayBuffer>>,
    restored: Record<string, RestoredOperatorState> | undefined,
    bundle: string | undefined,
  ): void {
    if (!this.running) return; // failed or canceled while the bundle was built
    const { graph, options, slots, jobId } = context;
    let finished = 0;
    let ready = 0;
    const readySlots = this.readySlots;
    const gateway = context.gateway;
    for (let slot = 0; slot < slots; slot++) {
      const ports = portsBySlot[slot]!;
      const init: WorkerInit = {
        slot,
        jobId,
        jobModule: options.jobModule!,
        jobArgs: [...(options.jobArgs ?? [])],
        jobIndex: options.jobIndex ?? 0,
        configuration: options.configuration ?? {},
        fingerprint: graph.fingerprint,
        collected: options.collected ?? [],
        ports,
        rings: ringsBySlot[slot]!,
        attemptNumber: context.attemptNumber,
        checkpointingMode: options.checkpointing?.mode,
        restored,
        bundle,
      };
      const spawned = performance.now();
      const worker = new Worker(WORKER_ENTRY, { workerData: init, transferList: Object.values(ports) });
      this.workers.push(worker);
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'collect':
            if (this.running) options.onCollect?.(m.sinkId, m.values);
            break;
          case 'accumulators':
            for (const a of m.accumulators) mergeInto(context.accumulators, a.name, accumulatorFromValue(a.kind, a.value));
            break;
          case 'ready':
            readySlots.add(slot);
            // How long a worker took to start and deploy (TIDEMARK_DEBUG; bench/exchange.ts reports it).
            if (process.env.TIDEMARK_DEBUG) console.warn(`tidemark: slot ${slot} worker ready ${(performance.now() - spawned).toFixed(1)} ms after new Worker (${bundle === undefined ? 'tsx' : 'bundle'})`);
            if (++ready === slots) {
              clearTimeout(this.readyTimer);
              for (const w of this.workers) w.postMessage({ type: 'start' });
              const early = this.triggersBeforeStart ?? [];
              this.triggersBeforeStart = null;
              for (const t of early) this.triggerCheckpoint(t.vertexId, t.subtaskIndex, t.barrier);
            }
            break;
          case 'finished':
            if (++finished === slots && this.running) {
              this.running = false;
              clearTimeout(this.readyTimer);
              void this.stopAll().then(() => this.settle.resolve('finished'));
            }
            break;
          case 'canceled':
            this.report.waiting.push(...m.waiting);
            this.report.notStopped.push(...m.notStopped);
            break;
          case 'failed':
            this.fail(deserializeError(m.error));
            break;
          case 'checkpoint-ack':
            if (this.running) gateway.acknowledge(m.ack);
            break;
          case 'checkpoint-decline':
            if (this.running) gateway.decline(m.checkpointId, m.vertexId, m.subtaskIndex, deserializeError(m.reason));
            break;
          case 'task-finished':
            if (this.running) gateway.finished({ ...m.report, bytes: m.report.bytes === undefined ? undefined : new Uint8Array(m.report.bytes) });
            break;
        }
      });
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => {
        if (this.running && !this.canceled) this.fail(new Error(`The worker thread of slot ${slot} exited with code ${code} while the job was running`));
      });
    }
  }

  triggerCheckpoint(vertexId: number, subtaskIndex: number, barrier: CheckpointBarrier): void {
    if (this.triggersBeforeStart !== null) {
      if (this.running) this.triggersBeforeStart.push({ vertexId, subtaskIndex, barrier });
      return;
    }
    // Subtask i of every vertex runs in slot i.
    if (this.running) this.workers[subtaskIndex]?.postMessage({ type: 'trigger-checkpoint', vertexId, subtaskIndex, barrier });
  }

  notifyCheckpointComplete(checkpointId: number): void {
    if (this.running) for (const w of this.workers) w.postMessage({ type: 'checkpoint-complete', checkpointId });
  }

  notifyCheckpointAborted(checkpointId: number): void {
    if (this.running) for (const w of this.workers) w.postMessage({ type: 'checkpoint-aborted', checkpointId });
  }

  private async stopAll(): Promise<void> {
    for (const w of this.workers) w.postMessage({ type: 'cancel' });
    const timer = setTimeout(() => {
      this.workers.forEach((w, slot) => {
        if (w.threadId < 0) return; // stopped
        this.report.notStopped.push(`the worker thread of slot ${slot} did not stop within ${CANCEL_GRACE_MS / 1000} s (user code may be busy); terminated it`);
        void w.terminate();
      });
    }, CANCEL_GRACE_MS);
    await Promise.all(this.workers.map((w) => new Promise<void>((r) => (w.threadId < 0 ? r() : w.once('exit', () => r())))));
    clearTimeout(timer);
  }

  fail(error: unknown): boolean {
    if (!this.running) return false;
    this.running = false;
    clearTimeout(this.readyTimer);
    void this.stopAll().then(() => this.settle.reject(error));
    return true;
  }

  async cancel(): Promise<void> {
    if (!this.running) {
      await this.outcome.catch(() => undefined);
      return;
    }
    this.running = false;
    this.canceled = true;
    clearTimeout(this.readyTimer);
    await this.stopAll();
    this.settle.resolve('canceled');
  }

  cancelReport(): CancelReport {
    return this.report;
  }
}
