/**
 * A slot's worker thread. It evaluates the job module again, with the same arguments and
 * configuration as the client, under a context whose executor takes every `env.execute()` of the
 * module: it finds this worker's job by the order of the calls, replays what the client's earlier
 * jobs delivered to their collect sinks, and deploys the subtasks of this slot and runs them until
 * the master stops the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { LocalChannel, RemoteInputChannel, RemoteOutputChannel } from './channels.ts';
import { deployTasks } from './deploy.ts';
import { RingInputChannel, RingOutputChannel } from './io/ring-channels.ts';
import { TaskExecutor } from './executor.ts';
import type { JobGraph } from './graph/job-graph.ts';
import { serializeError, type WorkerInit, type WorkerMessage, type MasterMessage } from './worker-protocol.ts';
import { WritingCheckpointResponder } from './checkpoint/checkpoint-responder.ts';
import type { StreamTask } from './tasks/stream-task.ts';
import { setContextExecutor, setExecutionContext } from './context.ts';
import type { ClientJobHandle, ExecutionParameters, PipelineExecutor } from './execution/pipeline-executor.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage): void => port.postMessage(m);

let executor: TaskExecutor | undefined;
let responder: WritingCheckpointResponder | undefined;
/** This slot's subtasks by `${vertexId}:${subtaskIndex}`: where checkpoint triggers go. */
const tasksByKey = new Map<string, StreamTask>();
let start!: () => void;
/** Canceled before the start signal: the tasks never open (nothing is truncated or connected). */
let canceled = false;
const startSignal = new Promise<void>((resolve) => (start = resolve));
let running: Promise<void> | undefined;
let executeCalls = 0;
let ran = false;

const stdoutDrained = (): Promise<void> => new Promise((r) => process.stdout.write('', () => r()));

/** An earlier job of the module, which the client ran: what its collect sinks received, replayed. */
function replayed(graph: JobGraph, index: number, onCollect: ExecutionParameters['onCollect']): ClientJobHandle {
  for (const [sinkId, chunks] of Object.entries(init.collected[index] ?? {})) for (const values of chunks) onCollect(sinkId, values);
  return {
    jobId: '',
    jobName: graph.jobName,
    status: () => 'FINISHED',
    cancel: async () => {},
    fail: () => false,
    triggerSavepoint: () => Promise.reject(new Error('an earlier job of the module has finished')),
    stopWithSavepoint: () => Promise.reject(new Error('an earlier job of the module has finished')),
    result: Promise.resolve({ jobId: '', jobName: graph.jobName, netRuntime: 0, accumulators: new Map() }),
    resultRequested: () => {},
  };
}

/** Takes every execute() of the module evaluated here; only the worker's own job runs. */
const slotExecutor: PipelineExecutor = {
  execute(graph: JobGraph, { runtimeMode, onCollect }: ExecutionParameters): Promise<ClientJobHandle> {
    const index = executeCalls++;
    if (index < init.jobIndex) return Promise.resolve(replayed(graph, index, onCollect));
    // A later job (reached when the module did not await this worker's): other workers run it; it never starts here.
    if (index > init.jobIndex) return new Promise<never>(() => {});
    ran = true;
    if (graph.fingerprint !== init.fingerprint) {
      post({
        type: 'failed',
        error: serializeError(
          new Error(
            `Worker for slot ${init.slot} rebuilt a different job graph than the client. A job module must build the same graph every time it is evaluated (no graph shape that depends on randomness, time or the thread).`,
          ),
        ),
      });
      return new Promise<never>(() => {});
    }
    const ex = (executor = new TaskExecutor());
    const local = new Map<string, LocalChannel>();
    const key = (edgeId: number, p: number, c: number): string => `${edgeId}:${p}:${c}`;
    const localChannel = (k: string): LocalChannel => {
      let ch = local.get(k);
      if (!ch) local.set(k, (ch = new LocalChannel(ex.wakeup)));
      return ch;
    };
    const tasks = deployTasks(
      graph,
      (_vertex, subtask) => subtask === init.slot,
      {
        output: (e, p, c) => {
          const k = key(e.id, p, c);
          if (p === c) return localChannel(k);
          const ring = init.rings[k];
          if (ring === undefined) return new RemoteOutputChannel(init.ports[k]!, ex.wakeup);
          const route = `from '${e.source.name}' (subtask ${p + 1}/${e.source.parallelism}) to '${e.target.name}' (subtask ${c + 1}/${e.target.parallelism})`;
          return new RingOutputChannel(ring, init.ports[k]!, ex.wakeup, route);
        },
        input: (e, p, c) => {
          const k = key(e.id, p, c);
          if (p === c) return localChannel(k);
          const ring = init.rings[k];
          return ring === undefined ? new RemoteInputChannel(init.ports[k]!, ex.wakeup) : new RingInputChannel(ring, init.ports[k]!, ex.wakeup);
        },
      },
      {
        jobName: graph.jobName,
        attemptNumber: init.attemptNumber,
        runtimeMode,
        wakeup: ex.wakeup,
        checkpointingMode: init.checkpointingMode,
        restored: init.restored === undefined ? undefined : (operatorId) => init.restored![operatorId],
        checkpointResponder: (responder = new WritingCheckpointResponder({
          acknowledge: (ack) => post({ type: 'checkpoint-ack', ack }),
          decline: (checkpointId, vertexId, subtaskIndex, reason) => post({ type: 'checkpoint-decline', checkpointId, vertexId, subtaskIndex, reason: serializeError(reason) }),
          finished: (report) => post({ type: 'task-finished', report }),
        })),
        collect: (sinkId, values) => post({ type: 'collect', sinkId, values }),
        reportAccumulators: (accs) =>
          post({
            type: 'accumulators',
            accumulators: [...accs].map(([name, a]) => ({ name, kind: a.kind, value: a.getLocalValue() })),
          }),
      },
    );
    ex.setTasks(tasks);
    for (const t of tasks) tasksByKey.set(`${t.vertex.id}:${t.subtaskIndex}`, t);
    // Deployed: run once every slot is, so no subtask waits for a sibling's start-up.
    post({ type: 'ready' });
    running = startSignal.then(() => (canceled ? 'canceled' : ex.run())).then(
      async (outcome) => {
        if (outcome === 'canceled') return; // the cancel handler reports
        await stdoutDrained();
        post({ type: 'finished' });
      },
      async (e: unknown) => {
        await stdoutDrained();
        post({ type: 'failed', error: serializeError(e) });
      },
    );
    return new Promise<never>(() => {});
  },
};

port.on('message', (m: MasterMessage) => {
  if (m.type === 'start') start();
  // The master sends triggers only once every slot reported 'ready' (its tasks deployed): see ThreadsExecution.
  if (m.type === 'trigger-checkpoint') tasksByKey.get(`${m.vertexId}:${m.subtaskIndex}`)?.triggerCheckpoint(m.barrier);
  if (m.type === 'checkpoint-complete') for (const t of tasksByKey.values()) t.notifyCheckpointComplete(m.checkpointId);
  if (m.type === 'checkpoint-aborted') for (const t of tasksByKey.values()) t.notifyCheckpointAborted(m.checkpointId);
  if (m.type === 'cancel') {
    canceled = true;
    start();
    executor?.cancel();
    void (running ?? Promise.resolve()).finally(async () => {
      await responder?.close(); // no state write of this slot outlives the attempt (see WritingCheckpointResponder)
      await stdoutDrained();
      const report = executor?.cancelReport ?? { waiting: [], notStopped: [] };
      post({ type: 'canceled', waiting: report.waiting, notStopped: report.notStopped });
      process.exit(0);
    });
  }
});

/**
 * Evaluates the job module (`importJob` imports it: from the worker bundle, or with tsx) under this
 * worker's context; its execute() call for this worker's job deploys the slot's subtasks.
 */
export async function runSlotWorker(importJob: () => Promise<unknown>): Promise<void> {
  setExecutionContext({ configuration: init.configuration, jobModule: init.jobModule, jobArgs: init.jobArgs, configurationReported: true });
  setContextExecutor(slotExecutor);
  process.argv = [process.execPath, init.jobModule, ...init.jobArgs];
  // The command's stdin was read by the client's evaluation and cannot be read again here: a worker
  // that read an empty stdin would build its sources from nothing and the job would silently lose it.
  const noStdin = new Readable({
    read() {
      const e = new Error(
        `The job module ${init.jobModule} reads process.stdin, which -t threads cannot give it: each worker thread evaluates the job module again, and the command's stdin can be read only once. Run it with -t inline, or read the input from a file (readTextFile).`,
      );
      e.name = 'JobDefinitionError'; // the CLI prints the message alone
      this.destroy(e);
    },
  });
  Object.defineProperty(process, 'stdin', { configurable: true, get: () => noStdin });

  try {
    await importJob();
    // A CommonJS job file may start its job after its evaluation (it imports tidemark with import()).
    if (!ran) await new Promise<void>((resolve) => process.once('beforeExit', () => resolve()));
    if (!ran) throw new Error(`The job module ${init.jobModule} did not call execute() for job #${init.jobIndex + 1} when evaluated in a worker.`);
  } catch (e) {
    post({ type: 'failed', error: serializeError(e) });
  }
}
