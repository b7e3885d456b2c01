/**
 * The fault-tolerance rows of `npm run bench` (issue 11, "Measured"), all inline at parallelism 1, each
 * checkpointing into a fresh temp folder that is removed afterwards:
 *
 *  (e) checkpoint overhead: row (c)'s keyed window job (bench/windows.ts) in STREAMING mode with
 *      checkpoints every 1 s (EXACTLY_ONCE) vs the same job without checkpointing; both checked against
 *      the hand loop's checksum; reports both rates, the overhead in % and how many checkpoints completed.
 *  (f) checkpoint cost of K keys of ValueState<number>: a keyed process function sets one value per key
 *      (K records, key = record); once all keys exist, savepoints are taken through
 *      JobClient.triggerSavepoint (the last one with stopWithSavepoint) and JobClient.checkpointStats()
 *      gives each one's duration, the slowest subtask's synchronous part (pre-barrier flush, snapshot,
 *      serialization), its asynchronous part (writing the file) and the state size.
 *  (g) recovery time: the same job with a gated source; with K keys, the driver waits until a periodic
 *      checkpoint taken after all K keys completed, then lets the source go on; the function throws at
 *      the next record in attempt 0, recording performance.now() when it throws, and records it again
 *      at its first record of attempt 1. Restart strategy fixedDelay(1, 0): the time is the restart
 *      machinery (cancel, restore, redeploy, source rewind), not a configured delay. K = 0: the
 *      failure comes before any checkpoint, attempt 1 starts from nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyedProcessFunction,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type CompletedCheckpointStats,
  type InputStatus,
  type ReaderOutput,
  type Sink,
  type Source,
  type SourceReader,
  type SourceReaderContext,
  type ValueState,
} from '../lib/index.ts';
import type { KeyedProcessContext } from '../lib/operators/keyed-process.ts';
import type { SourceSplit } from '../lib/core/connector/source.ts';
import type { Checksum } from './workload.ts';
import { WindowCountSink, buildWindowCountJob } from './windows.ts';

function tempCheckpointDir(): string {
  return mkdtempSync(join(tmpdir(), 'tidemark-bench-chk-'));
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- (e) the keyed window job with and without checkpoints -------------------------------------------

export interface WindowRun {
  ms: number;
  /** CPU time of the process (user + system, all threads: the asynchronous writes too), ms. */
  cpuMs: number;
  checksum: Checksum;
  /** Completed checkpoints (not counting the final one at the end of input), and their stats. */
  checkpoints: number;
  stats: readonly CompletedCheckpointStats[];
}

/** Row (c)'s job in STREAMING mode; checkpoints every `intervalMs` when given. */
export async function windowJob(n: number, watermarkInterval: number, intervalMs: number | undefined): Promise<WindowRun> {
  const dir = intervalMs === undefined ? undefined : tempCheckpointDir();
  try {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({
      'execution.target': 'inline',
      'parallelism.default': 1,
      'execution.runtime-mode': 'STREAMING',
      ...(dir === undefined ? {} : { 'state.checkpoints.dir': dir }),
    });
    env.getConfig().setAutoWatermarkInterval(watermarkInterval);
    if (intervalMs !== undefined) env.enableCheckpointing(intervalMs, 'EXACTLY_ONCE');
    const sink = new WindowCountSink();
    buildWindowCountJob(env, n, sink);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const client = await env.executeAsync('bench: keyed tumbling event-time window count, checkpointed');
    await client.getJobExecutionResult();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const stats = client.checkpointStats();
    // The last one is the final checkpoint at the end of input (FLIP-147), taken after the timed work.
    const checkpoints = Math.max(0, stats.filter((s) => !s.savepoint).length - (intervalMs === undefined ? 0 : 1));
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, checksum: sink.total(), checkpoints, stats };
  } finally {
    if (dir !== undefined) removeDir(dir);
  }
}

// ---- a gated sequence source -------------------------------------------------------------------------

interface SequenceSplit extends SourceSplit {
  readonly next: number;
}

/**
 * Numbers 0..end-1 (end = Infinity: unbounded), in polls of up to 1 024, pausing before `gate.at` until
 * `gate.open`; rewinds to its checkpointed position. Parallelism 1 (the bench's).
 */
class GatedSequence implements Source<number> {
  readonly nonParallel = true;
  readonly boundedness;
  constructor(
    private readonly end: number,
    private readonly gate: Gate,
  ) {
    this.boundedness = Number.isFinite(end) ? ('BOUNDED' as const) : ('CONTINUOUS_UNBOUNDED' as const);
  }
  createReader(context: SourceReaderContext): SourceReader<number> {
    const gate = this.gate;
    const end = this.end;
    const restored = context.restoredSplits?.[0] as SequenceSplit | undefined;
    let next = restored?.next ?? 0;
    return {
      start() {},
      pollNext(output: ReaderOutput<number>): InputStatus {
        const stop = Math.min(end, next + 1024, gate.open ? end : gate.at);
        while (next < stop) output.collect(next++);
        if (next >= end) return 'END_OF_INPUT';
        if (next >= gate.at && !gate.open) {
          gate.reached = true;
          return 'NOTHING_AVAILABLE';
        }
        return 'MORE_AVAILABLE';
      },
      isAvailable: () => gate.wait(),
      snapshotState(checkpointId: number): SequenceSplit[] {
        // The first checkpoint holding everything before the gate.
        if (gate.reached && next >= gate.at && gate.firstCheckpointAtGate === undefined) gate.firstCheckpointAtGate = checkpointId;
        return [{ splitId: 'sequence', next }];
      },
      close() {},
    };
  }
}

class Gate {
  open = false;
  reached = false;
  firstCheckpointAtGate: number | undefined;
  private waiters: Array<() => void> = [];
  constructor(readonly at: number) {}
  /** Resolves once opened; polls every 5 ms so a closed gate does not keep the job from stopping. */
  wait(): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((r) => {
      this.waiters.push(r);
      setTimeout(() => this.release(), 5);
    });
  }
  openNow(): void {
    this.open = true;
    this.release();
  }
  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

// ---- (f) checkpoint cost of K keys of ValueState ----------------------------------------------------

/** Records seen by the current run's ValueState function (module level: one job at a time). */
let recordsSeen = 0;

/** Sets each key's ValueState<number> to its record. */
class SetValue extends KeyedProcessFunction<number, number, number> {
  private value!: ValueState<number>;
  override open(): void {
    this.value = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('value'));
  }
  override processElement(x: number, _ctx: KeyedProcessContext<number>, _out: Collector<number>): void {
    this.value.update(x);
    recordsSeen++;
  }
}

export interface StateCheckpointCost {
  keys: number;
  /** ms to put the keys into state (source to function, inline). */
  fillMs: number;
  /** One entry per savepoint taken. */
  stats: CompletedCheckpointStats[];
}

const byKey = (x: number): number => x;

/** `savepoints` savepoints of `keys` keys of ValueState<number>; the last one stops the job. */
export async function stateCheckpointCost(keys: number, savepoints: number): Promise<StateCheckpointCost> {
  const dir = tempCheckpointDir();
  try {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({
      'execution.target': 'inline',
      'parallelism.default': 1,
      'execution.runtime-mode': 'STREAMING',
      'state.checkpoints.dir': join(dir, 'checkpoints'),
    });
    // Checkpointing on (for savepoints) but no periodic checkpoint during the measurement.
    env.enableCheckpointing('1 h');
    env.setRestartStrategy(RestartStrategies.noRestart());
    const gate = new Gate(keys);
    env.fromSource(new GatedSequence(Number.POSITIVE_INFINITY, gate), 'keys').uid('keys').keyBy(byKey).process(new SetValue()).uid('set-value').sinkTo(discard);
    recordsSeen = 0;
    const t0 = performance.now();
    const client = await env.executeAsync(`bench: ${keys} keys of ValueState`);
    const result = client.getJobExecutionResult();
    result.catch(() => undefined);
    while (recordsSeen < keys) {
      await Promise.race([sleep(5), result]);
      if (client.getJobStatus() !== 'RUNNING') throw new Error(`bench: the job ended (${client.getJobStatus()}) before all ${keys} keys were in state`);
    }
    const fillMs = performance.now() - t0;
    for (let i = 0; i < savepoints; i++) {
      if (i < savepoints - 1) await client.triggerSavepoint(join(dir, 'savepoints'));
      else await client.stopWithSavepoint(join(dir, 'savepoints'));
    }
    await result.catch(() => undefined);
    return { keys, fillMs, stats: client.checkpointStats().filter((s) => s.savepoint) };
  } finally {
    removeDir(dir);
  }
}

// ---- (g) recovery time ----------------------------------------------------------------------------------

let failedAt: number | undefined;
let recoveredAt: number | undefined;

/** Sets ValueState like SetValue; throws at record `failAt` in attempt 0, records the first record of attempt 1. */
class FailOnce extends KeyedProcessFunction<number, number, number> {
  private value!: ValueState<number>;
  private attempt = 0;
  constructor(private readonly failAt: number) {
    super();
  }
  override open(): void {
    this.value = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('value'));
    this.attempt = this.getRuntimeContext().getTaskInfo().attemptNumber;
  }
  override processElement(x: number, _ctx: KeyedProcessContext<number>, _out: Collector<number>): void {
    if (this.attempt === 0 && x === this.failAt) {
      failedAt = performance.now();
      throw new Error(`bench: injected failure at record ${x}`);
    }
    if (this.attempt === 1 && recoveredAt === undefined) recoveredAt = performance.now();
    this.value.update(x);
  }
}

export interface RecoveryRun {
  keys: number;
  /** ms from the throw to the first record processed in attempt 1. */
  recoveryMs: number;
  /** Id of the checkpoint restored (undefined: none). */
  restoredCheckpoint: number | undefined;
  restoredStats: CompletedCheckpointStats | undefined;
}

/**
 * `keys` keys of ValueState, a completed checkpoint holding all of them (none when keys = 0), then a
 * failure at the next record; time from the throw to the first record of the restarted attempt.
 */
export async function recoveryTime(keys: number): Promise<RecoveryRun> {
  const dir = tempCheckpointDir();
  const warn = console.warn;
  try {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({
      'execution.target': 'inline',
      'parallelism.default': 1,
      'execution.runtime-mode': 'STREAMING',
      'state.checkpoints.dir': dir,
    });
    // With keys: periodic checkpoints (every 1 s; the bench waits for one holding all keys). Without: none before the failure.
    env.enableCheckpointing(keys > 0 ? '1 s' : '1 h');
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    const gate = new Gate(keys);
    const failAt = keys; // the first record after the gate
    const end = keys + 1000;
    env.fromSource(new GatedSequence(end, gate), 'keys').uid('keys').keyBy(byKey).process(new FailOnce(failAt)).uid('set-value').sinkTo(discard);
    failedAt = undefined;
    recoveredAt = undefined;
    // The restart is logged on stderr with its cause: expected here, kept out of the bench's output.
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes('injected failure')) warn(...args);
    };
    const client = await env.executeAsync(`bench: recovery with ${keys} keys`);
    const result = client.getJobExecutionResult();
    result.catch(() => undefined);
    let restoredCheckpoint: number | undefined;
    if (keys > 0) {
      // Wait for a completed checkpoint taken after all keys were in state.
      for (;;) {
        const at = gate.firstCheckpointAtGate;
        if (at !== undefined && client.checkpointStats().some((s) => s.checkpointId === at)) {
          restoredCheckpoint = at;
          break;
        }
        await Promise.race([sleep(5), result]);
        if (client.getJobStatus() !== 'RUNNING') throw new Error(`bench: the job ended (${client.getJobStatus()}) before a checkpoint held all ${keys} keys`);
      }
    }
    gate.openNow();
    await result;
    if (failedAt === undefined || recoveredAt === undefined) throw new Error('bench: the injected failure or the restart did not happen');
    return {
      keys,
      recoveryMs: recoveredAt - failedAt,
      restoredCheckpoint,
      restoredStats: client.checkpointStats().find((s) => s.checkpointId === restoredCheckpoint),
    };
  } finally {
    console.warn = warn;
    removeDir(dir);
  }
}
