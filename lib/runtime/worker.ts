/**
 * A slot's worker thread. It evaluates the job module again, with the same arguments and
 * configuration as the client; the module's `env.execute()` lands in `runGraph`, which deploys the
 * subtasks of this slot and runs them until the master stops the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { LocalChannel, RemoteInputChannel, RemoteOutputChannel } from './channels.ts';
import { deployTasks } from './deploy.ts';
import { TaskExecutor } from './executor.ts';
import type { JobGraph } from './graph/job-graph.ts';
import type { RuntimeExecutionMode } from './operator.ts';
import { serializeError, type WorkerInit, type WorkerMessage, type MasterMessage } from './worker-protocol.ts';
import { importJobModule } from './job-module.mjs';
import { CONTEXT_KEY, WORKER_KEY, type CollectedResults, type WorkerHook } from './context.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage): void => port.postMessage(m);

let executor: TaskExecutor | undefined;
let start!: () => void;
/** Canceled before the start signal: the tasks never open (nothing is truncated or connected). */
let canceled = false;
const startSignal = new Promise<void>((resolve) => (start = resolve));
let running: Promise<void> | undefined;
let executeCalls = 0;
let ran = false;

const stdoutDrained = (): Promise<void> => new Promise((r) => process.stdout.write('', () => r()));

const hook: WorkerHook = {
  runGraph(graph: JobGraph, runtimeMode: RuntimeExecutionMode): { skip: CollectedResults } | Promise<never> {
    const index = executeCalls++;
    // An earlier job of this module: the client ran it; replay what its collect sinks received.
    if (index < init.jobIndex) return { skip: init.collected[index] ?? {} };
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
        output: (e, p, c) => (p === c ? localChannel(key(e.id, p, c)) : new RemoteOutputChannel(init.ports[key(e.id, p, c)]!, ex.wakeup)),
        input: (e, p, c) => (p === c ? localChannel(key(e.id, p, c)) : new RemoteInputChannel(init.ports[key(e.id, p, c)]!, ex.wakeup)),
      },
      {
        jobName: graph.jobName,
        attemptNumber: 0,
        runtimeMode,
        wakeup: ex.wakeup,
        collect: (sinkId, values) => post({ type: 'collect', sinkId, values }),
        reportAccumulators: (accs) =>
          post({
            type: 'accumulators',
            accumulators: [...accs].map(([name, a]) => ({ name, kind: a.kind, value: a.getLocalValue() })),
          }),
      },
    );
    ex.setTasks(tasks);
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
  if (m.type === 'cancel') {
    canceled = true;
    start();
    executor?.cancel();
    void (running ?? Promise.resolve()).finally(async () => {
      await stdoutDrained();
      const report = executor?.cancelReport ?? { waiting: [], notStopped: [] };
      post({ type: 'canceled', waiting: report.waiting, notStopped: report.notStopped });
      process.exit(0);
    });
  }
});

const g = globalThis as Record<symbol, unknown>;
g[CONTEXT_KEY] = { configuration: init.configuration, jobModule: init.jobModule, jobArgs: init.jobArgs };
g[WORKER_KEY] = hook;
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
  await importJobModule(pathToFileURL(init.jobModule).href);
  // A CommonJS job file may start its job after its evaluation (it imports tidemark with import()).
  if (!ran) await new Promise<void>((resolve) => process.once('beforeExit', () => resolve()));
  if (!ran) throw new Error(`The job module ${init.jobModule} did not call execute() for job #${init.jobIndex + 1} when evaluated in a worker.`);
} catch (e) {
  post({ type: 'failed', error: serializeError(e) });
}
