/**
 * The entry point of every job (Flink's StreamExecutionEnvironment).
 * ```ts
 * const env = StreamExecutionEnvironment.getExecutionEnvironment();
 * env.fromElements('a b', 'b').flatMap((l: string) => l.split(' ')).print();
 * await env.execute('words');
 * ```
 */
import type { Observable } from 'rxjs';
import { CheckpointingOptions, ConfigOptions, Configuration, CoreOptions, type RuntimeExecutionModeOption } from './config.ts';
import {
  CheckpointConfig,
  enableCheckpointing,
  resolveCheckpointing,
  resolveRestartStrategy,
  resolveSavepointRestore,
  setRestartStrategy,
  type CheckpointingMode,
  type RestartStrategyConfiguration,
} from './checkpoint-config.ts';
import type { DurationLike } from '../core/duration.ts';
import type { Source } from '../core/connector/source.ts';
import { DataStream, SingleOutputStreamOperator } from './datastream.ts';
import { JobExecutionResult } from './job-execution-result.ts';
import { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { ExecutionConfig } from './execution-config.ts';
import type { Transformation } from '../runtime/graph/transformation.ts';
import { buildJobGraph } from '../runtime/graph/job-graph.ts';
import { getExecutionContext } from '../runtime/context.ts';
import { getPipelineExecutor, type JobStatus } from '../runtime/execution/pipeline-executor.ts';
import type { CompletedCheckpointStats } from '../runtime/checkpoint/checkpoint-coordinator.ts';
import { IllegalStateException, JobCancellationException } from '../core/errors.ts';
import { CollectionSource, NumberSequenceSource } from '../../connectors/collection/index.ts';
import { TextLineSource, type LineSourceOptions } from '../../connectors/file/index.ts';
import { SocketTextSource, type SocketTextSourceOptions } from '../../connectors/socket/index.ts';
import { ObservableSource } from '../../connectors/rx/index.ts';

/** A submitted job (Flink's JobClient). */
export interface JobClient {
  getJobID(): string;
  getJobStatus(): JobStatus;
  /** Stops the job; resolves once it stopped. Its result then rejects with a JobCancellationException. */
  cancel(): Promise<void>;
  /** Resolves when the job finished; rejects when it failed (JobExecutionException) or was canceled (JobCancellationException). */
  getJobExecutionResult(): Promise<JobExecutionResult>;
  /**
   * Takes a savepoint of the running job into a new folder under `directory` (default:
   * state.savepoints.dir); resolves with that folder's path.
   */
  triggerSavepoint(directory?: string): Promise<string>;
  /**
   * Takes a savepoint whose barrier also stops the sources (nothing follows it), then stops the job;
   * resolves with the savepoint's path. The job's result then resolves (Flink's FINISHED), but sinks
   * that publish only at the successful end of all input (finalizeGlobal) do not publish. When the
   * savepoint fails, this rejects and the job goes on.
   */
  stopWithSavepoint(directory?: string): Promise<string>;
  /**
   * What the newest completed checkpoints and savepoints of this job cost (the last 100, oldest
   * first): duration, the slowest subtask's synchronous and asynchronous part, state size (the numbers
   * of Flink's checkpoint statistics). Empty when the job takes none.
   */
  checkpointStats(): readonly CompletedCheckpointStats[];
}

type CollectListener = { onValues: (values: unknown[]) => void; onEnd?: (error?: unknown) => void };

export class StreamExecutionEnvironment {
  private readonly configuration: Configuration;
  private transformations: Transformation[] = [];
  private sinks: Transformation[] = [];
  private idCounter = 0;
  private collectListeners = new Map<string, CollectListener>();

  protected constructor(configuration: Configuration) {
    this.configuration = configuration;
  }

  /**
   * The environment for the context the job runs in: under `tidemark run` it carries the CLI's
   * configuration (`-p`, `tidemark.yaml`); standalone it is a local environment.
   */
  static getExecutionEnvironment(configuration?: Configuration | Record<string, unknown>): StreamExecutionEnvironment {
    const context = getExecutionContext();
    const merged = new Configuration(context?.configuration ?? {});
    if (configuration) merged.addAll(warnAboutKeysInCode(configuration instanceof Configuration ? configuration : new Configuration(configuration)));
    return new StreamExecutionEnvironment(merged);
  }

  /** A local environment with the given configuration (ignores the CLI context). */
  static create(configuration: Configuration | Record<string, unknown> = {}): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(warnAboutKeysInCode(configuration instanceof Configuration ? configuration : new Configuration(configuration)));
  }

  getConfiguration(): Configuration {
    return this.configuration;
  }

  /** Job-wide settings such as the auto-watermark interval (Flink's ExecutionConfig). */
  getConfig(): ExecutionConfig {
    return new ExecutionConfig(this.configuration);
  }

  /** Default parallelism of operators that do not set their own. */
  setParallelism(parallelism: number): this {
    this.getConfig().setParallelism(parallelism);
    return this;
  }
  getParallelism(): number {
    return this.getConfig().getParallelism();
  }
  /** Number of key groups: the highest parallelism keyed state can later be rescaled to. */
  setMaxParallelism(maxParallelism: number): this {
    this.getConfig().setMaxParallelism(maxParallelism);
    return this;
  }
  getMaxParallelism(): number {
    return this.getConfig().getMaxParallelism();
  }
  /** STREAMING (default), BATCH (final results only; bounded sources), or AUTOMATIC. */
  setRuntimeMode(mode: RuntimeExecutionModeOption): this {
    this.configuration.set(CoreOptions.RUNTIME_MODE, mode);
    return this;
  }
  /**
   * Turns checkpointing on: a consistent snapshot of every operator's state every `interval` ('10 s',
   * ms, a luxon Duration; at least 10 ms), from which a failed job restarts. Code wins over
   * execution.checkpointing.interval / .mode.
   * ```ts
   * env.enableCheckpointing('10 s', CheckpointingMode.EXACTLY_ONCE);
   * ```
   */
  enableCheckpointing(interval: DurationLike, mode?: CheckpointingMode): this {
    enableCheckpointing(this.configuration, interval, mode);
    return this;
  }
  /** Checkpointing settings: timeout, pauses, retained checkpoints, storage folder (Flink's CheckpointConfig). */
  getCheckpointConfig(): CheckpointConfig {
    return new CheckpointConfig(this.configuration);
  }
  /**
   * What happens when the job fails (restart-strategy.*). Unset: with checkpointing on, restarts 1 s
   * apart without limit (Flink's default); otherwise none.
   * ```ts
   * env.setRestartStrategy(RestartStrategies.fixedDelay(3, '5 s'));
   * ```
   */
  setRestartStrategy(strategy: RestartStrategyConfiguration): this {
    setRestartStrategy(this.configuration, strategy);
    return this;
  }
  /** The strategy the job would run with (resolved from code and configuration). */
  getRestartStrategy(): RestartStrategyConfiguration {
    return resolveRestartStrategy(this.configuration);
  }
  disableOperatorChaining(): this {
    this.configuration.set(CoreOptions.OPERATOR_CHAINING, false);
    return this;
  }

  /** @internal */
  nextTransformationId(): number {
    return ++this.idCounter;
  }

  /** @internal */
  addSinkTransformation(t: Transformation): void {
    this.sinks.push(t);
  }

  /** @internal Registers a listener for a collect sink; returns the sink id. */
  registerCollectSink(onValues: (values: unknown[]) => void, onEnd?: (error?: unknown) => void): string {
    const id = `collect-${this.idCounter + 1}`;
    this.collectListeners.set(id, { onValues, onEnd });
    return id;
  }

  /**
   * Adds a source (Flink's fromSource), optionally with a WatermarkStrategy that assigns timestamps.
   * ```ts
   * env.fromSource(new CollectionSource(readings), WatermarkStrategy.noWatermarks<Reading>().withTimestampAssigner((r) => r.ts), 'readings');
   * ```
   */
  fromSource<T>(source: Source<T>, sourceName?: string): SingleOutputStreamOperator<T>;
  fromSource<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T>, sourceName: string): SingleOutputStreamOperator<T>;
  fromSource<T>(source: Source<T>, a?: WatermarkStrategy<T> | string, b?: string): SingleOutputStreamOperator<T> {
    const strategy = a instanceof WatermarkStrategy ? a : undefined;
    const sourceName = typeof a === 'string' ? a : b ?? 'Custom Source';
    // As in Flink, timestamps and (per-split) watermarks are generated inside the source.
    return this.addSource(source, sourceName, strategy);
  }

  private addSource<T>(source: Source<T>, sourceName: string, strategy?: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const t: Transformation = {
      kind: 'source',
      watermarkStrategy: strategy as WatermarkStrategy<unknown> | undefined,
      id: this.nextTransformationId(),
      name: sourceName,
      parallelism: source.nonParallel ? 1 : -1,
      chainingStrategy: 'HEAD',
      inputs: [],
      source: source as Source<unknown>,
    };
    this.transformations.push(t);
    return new SingleOutputStreamOperator<T>(this, t);
  }

  /** A stream of the given values, in order (non-parallel). */
  fromElements<T>(...elements: T[]): SingleOutputStreamOperator<T> {
    return this.addSource(new CollectionSource(elements), 'Collection Source');
  }

  /** A stream of the items of a collection, in order (non-parallel). */
  fromCollection<T>(collection: Iterable<T>): SingleOutputStreamOperator<T> {
    return this.fromSource(new CollectionSource(collection), 'Collection Source');
  }

  /** The numbers from..to inclusive; a parallel source, each subtask emits a range. */
  fromSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.fromSource(new NumberSequenceSource(from, to), 'Sequence Source');
  }

  /**
   * The lines of a text file (or of the files in a directory). A line longer than
   * `options.lineLengthLimit` bytes (default 1 MiB) fails the job, naming the file and position.
   */
  readTextFile(path: string, options: LineSourceOptions = {}): SingleOutputStreamOperator<string> {
    return this.fromSource(new TextLineSource(path, options), `File Source: ${path}`);
  }

  /**
   * Lines read from a TCP server (Flink's socketTextStream); non-parallel. `maxRetry` (Flink's): how often it
   * reconnects, 500 ms apart, after the server closed, reset or refused the connection — 0 (default) never,
   * -1 forever; with none left a closed connection ends the stream and a failed one fails the job. A record
   * longer than `lineLengthLimit` bytes (default 1 MiB) fails the job, naming host:port and position.
   * `maxRetry` may also be given as an options object: `{ maxRetry, lineLengthLimit }`.
   */
  socketTextStream(hostname: string, port: number, delimiter = '\n', maxRetry: number | SocketTextSourceOptions = 0, options: LineSourceOptions = {}): SingleOutputStreamOperator<string> {
    const all: SocketTextSourceOptions = typeof maxRetry === 'number' ? { ...options, maxRetry } : { ...options, ...maxRetry };
    return this.fromSource(new SocketTextSource(hostname, port, delimiter, all), 'Socket Stream');
  }

  /** The values of an RxJS Observable; the stream ends when it completes. */
  fromObservable<T>(observable: Observable<T>): SingleOutputStreamOperator<T> {
    return this.fromSource(new ObservableSource(observable), 'Observable Source');
  }

  /**
   * Runs the job and resolves when it finished (bounded input). Rejects when it failed
   * (JobExecutionException) or was canceled (JobCancellationException, e.g. on Ctrl-C under `tidemark run`).
   */
  async execute(jobName = 'tidemark job'): Promise<JobExecutionResult> {
    const client = await this.executeAsync(jobName);
    return client.getJobExecutionResult();
  }

  /** Starts the job and returns at once with a client to watch or cancel it. */
  async executeAsync(jobName = 'tidemark job'): Promise<JobClient> {
    const sinks = this.sinks;
    const listeners = this.collectListeners;
    if (sinks.length === 0) throw new Error('No operators defined in streaming topology. Cannot execute.');
    // `tidemark run` was asked to stop (Ctrl-C): a job module that goes on after a canceled job starts nothing new.
    if (getExecutionContext()?.canceling) throw new JobCancellationException('', jobName);
    this.sinks = [];
    this.transformations = [];
    this.collectListeners = new Map();
    try {
      return await this.submit(jobName, sinks, listeners);
    } catch (e) {
      // A job refused before it ran still ends its collect sinks (toObservable errors, not hangs).
      for (const l of listeners.values()) l.onEnd?.(e);
      throw e;
    }
  }

  private async submit(jobName: string, sinks: Transformation[], listeners: Map<string, CollectListener>): Promise<JobClient> {
    const config = this.configuration;
    const maxP = config.get(CoreOptions.MAX_PARALLELISM);
    const graph = buildJobGraph(jobName, sinks, {
      defaultParallelism: config.get(CoreOptions.DEFAULT_PARALLELISM),
      maxParallelism: maxP > 0 ? maxP : undefined,
      chainingEnabled: config.get(CoreOptions.OPERATOR_CHAINING),
      autoWatermarkInterval: config.get(CoreOptions.AUTO_WATERMARK_INTERVAL),
    });
    const bounded = graph.vertices.every((v) => v.nodes[0]!.source === undefined || v.nodes[0]!.source.boundedness === 'BOUNDED');
    const requestedCheckpointing = resolveCheckpointing(config);
    let mode = config.get(CoreOptions.RUNTIME_MODE);
    // Asking for checkpoints asks for a streaming job: a bounded job (one file, say) then checkpoints
    // to its end (FLIP-147) instead of running as a BATCH job, which Flink never checkpoints.
    if (mode === 'AUTOMATIC') mode = bounded && requestedCheckpointing === undefined ? 'BATCH' : 'STREAMING';
    if (mode === 'BATCH' && !bounded) {
      throw new Error(
        "Detected an UNBOUNDED source with the 'execution.runtime-mode' set to 'BATCH'. This combination is not allowed, please set the 'execution.runtime-mode' to STREAMING or AUTOMATIC",
      );
    }
    if (mode === 'BATCH' && requestedCheckpointing !== undefined && getExecutionContext()?.configurationReported !== true) {
      console.warn(`Checkpointing is enabled, but job '${jobName}' runs with execution.runtime-mode BATCH, which takes no checkpoints (as in Flink): set execution.runtime-mode to STREAMING to checkpoint it.`);
    }
    const checkpointing = mode === 'BATCH' ? undefined : requestedCheckpointing;
    const restartStrategy = resolveRestartStrategy(config);
    const savepointRestore = resolveSavepointRestore(config);
    // Once per submission, in the client only (a slot worker evaluates the module again).
    if ((checkpointing !== undefined || savepointRestore !== undefined) && getExecutionContext()?.configurationReported !== true) {
      for (const line of uidWarnings(sinks)) console.warn(line);
    }
    // The runtime decides how the graph runs: by target, or by the context the module is evaluated
    // under (a slot worker of the threads target, which runs only its own job).
    const executor = getPipelineExecutor(config.get(CoreOptions.TARGET));
    const job = await executor.execute(graph, {
      runtimeMode: mode,
      numberOfTaskSlots: config.contains(CoreOptions.NUMBER_OF_TASK_SLOTS) ? config.get(CoreOptions.NUMBER_OF_TASK_SLOTS) : undefined,
      jobModule: config.contains(CoreOptions.JOB_MODULE) ? config.get(CoreOptions.JOB_MODULE) : undefined,
      registrationTimeout: config.get(CoreOptions.REGISTRATION_TIMEOUT),
      checkpointing,
      restartStrategy,
      savepointRestore,
      configuration: config.toMap(),
      onCollect: (id, values) => listeners.get(id)?.onValues(values),
    });
    const result = job.result.then(
      (r) => {
        for (const l of listeners.values()) l.onEnd?.();
        return new JobExecutionResult(r.jobId, r.jobName, r.netRuntime, r.accumulators);
      },
      (e: unknown) => {
        for (const l of listeners.values()) l.onEnd?.(e);
        throw e;
      },
    );
    result.catch(() => undefined); // observed through getJobExecutionResult
    return {
      getJobID: () => job.jobId,
      getJobStatus: () => job.status(),
      cancel: () => job.cancel(),
      getJobExecutionResult: () => {
        job.resultRequested();
        // A promise of the caller's own: one it ignores is an unhandled rejection when the job fails (the CLI
        // reports it), not a failure nobody sees because the job counts as observed.
        return result.then();
      },
      triggerSavepoint: async (directory) => job.triggerSavepoint(savepointDirectory(config, directory)),
      stopWithSavepoint: async (directory) => job.stopWithSavepoint(savepointDirectory(config, directory)),
      checkpointStats: () => job.checkpointStats?.() ?? [],
    };
  }
}

/**
 * A key given in code that has no effect and looks like a mistake — a typo of a known key, or a Flink
 * option not supported yet — is reported on stderr, as the CLI reports its -D and tidemark.yaml keys.
 * Other unknown keys pass quietly: a user's own connector may read them. Not again where the context
 * says the configuration was already reported on (the worker threads evaluate the job module once more).
 */
function warnAboutKeysInCode(configuration: Configuration): Configuration {
  if (getExecutionContext()?.configurationReported === true) return configuration;
  const values = configuration.toMap();
  for (const key of configuration.keys()) {
    if (ConfigOptions.unsupported(key) === undefined && ConfigOptions.closest(key) === undefined) continue;
    const warning = ConfigOptions.warningFor(key, 'in code', values[key]);
    if (warning !== undefined) console.warn(warning);
  }
  return configuration;
}

/** The folder a savepoint goes to: the one given, else state.savepoints.dir (Flink's rule and message). */
function savepointDirectory(config: Configuration, directory: string | undefined): string {
  const dir = directory ?? config.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
  if (dir === undefined || dir === '') {
    throw new IllegalStateException(
      `No savepoint directory configured. You can either specify a directory (triggerSavepoint(dir), stopWithSavepoint(dir), tidemark run --savepoint-on-stop <dir>) or configure a default via key '${CheckpointingOptions.SAVEPOINT_DIRECTORY.key}'.`,
    );
  }
  return dir;
}

/**
 * Whether an operator holds state a checkpoint carries, as far as the plan tells: sources (their
 * read positions), operators on a keyed stream (keyed state, timers: keyed process, reduce,
 * aggregations, windows, CEP, interval joins), operators the API marked (broadcast state, async I/O
 * in-flight elements) and two-phase-commit sinks (their committables).
 */
function isStateful(t: Transformation): boolean {
  if (t.kind === 'source') return true;
  if (t.kind !== 'operator') return false;
  if (t.stateKeySelector !== undefined || t.stateful === true) return true;
  const sink = t.sink as { createCommitter?: unknown } | undefined;
  return typeof sink?.createCommitter === 'function';
}

/**
 * One line per stateful operator without a uid(): its state is matched by an id derived from the order
 * the job is built in, which changes when the job does (Flink's advice: set a uid on every stateful operator).
 */
export function uidWarnings(sinks: readonly Transformation[]): string[] {
  const seen = new Set<number>();
  const found: Transformation[] = [];
  const visit = (t: Transformation): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    for (const input of t.inputs) visit(input);
    if (t.uid === undefined && isStateful(t)) found.push(t);
  };
  for (const s of sinks) visit(s);
  return found.map(
    (t) =>
      `Warning: stateful operator '${t.name}' has no uid(): its state is matched by an id derived from the order the job is built in (op-${t.id}), which changes when the job changes, so a savepoint or checkpoint may not restore into a changed job. Set .uid('...') on it.`,
  );
}
