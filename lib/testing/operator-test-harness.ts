/**
 * Test harnesses that drive one operator without a job (Flink's OneInputStreamOperatorTestHarness and
 * KeyedOneInputStreamOperatorTestHarness): the harness plays the task — it sets the operator up,
 * creates its state through the same StreamTaskStateInitializer a task uses (restored from a
 * snapshot if asked), feeds it records and watermarks, moves processing time by hand (due timers fire
 * in order, as mails of the task would) and records everything the operator emits.
 * ```ts
 * const h = new KeyedOneInputStreamOperatorTestHarness(new KeyedProcessOperator(fn), (r: Reading) => r.sensor);
 * h.open();
 * h.processElement({ sensor: 's1', temp: 91 }, 1000);
 * h.processWatermark(31_000);
 * expect(h.extractOutputValues()).toEqual(['s1 overheated at 1000']);
 * ```
 */
import { deserialize, serialize } from 'node:v8';
import type { Accumulator } from '../core/accumulators/accumulator.ts';
import { attribute } from '../core/errors.ts';
import type { RuntimeContext, TaskInfo } from '../core/functions/runtime-context.ts';
import { createStreamingRuntimeContext } from '../runtime/tasks/streaming-runtime-context.ts';
import { chainedOperatorError } from '../runtime/tasks/chained-operator-error.ts';
import { insertByTime } from '../runtime/tasks/processing-time-service.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../core/state/state-descriptor.ts';
import type { AggregatingState, ListState, MapState, ReducingState, State, ValueState } from '../core/state/state.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import type { OperatorCreationContext } from '../runtime/graph/transformation.ts';
import type { Output, ProcessingTimeService, RuntimeExecutionMode, StreamOperator, StreamOperatorParameters } from '../runtime/operator.ts';
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import type { CheckpointingMode } from '../runtime/checkpoint/checkpoint-types.ts';
import { VOID_NAMESPACE, type Namespace } from '../state/namespace.ts';
import { assignToKeyGroup, computeOperatorIndexForKeyGroup, keyGroupRangeForSubtask } from '../state/key-groups.ts';
import {
  StreamTaskStateInitializer,
  type OperatorSnapshot,
  type StreamOperatorStateContext,
} from '../state/stream-task-state-initializer.ts';
import type { TimerEntry, TimersSnapshot } from '../state/timers/internal-timer-service.ts';
import { StreamRecord, Watermark, WatermarkStatus, type StreamElement } from './stream-elements.ts';
import { operatorTransformationOf, type OperatorStream } from './operator-of-stream.ts';
import type { OneInputTransformation } from '../runtime/graph/transformation.ts';

/** Where the operator under test believes it runs. */
export interface TestHarnessOptions {
  /** Names the operator in errors and metrics (default 'Test operator'). */
  readonly operatorName?: string;
  /** The operator id its snapshot carries (default 'test-operator'). */
  readonly operatorId?: string;
  /** Key groups of keyed state (default 128). */
  readonly maxParallelism?: number;
  /** Parallelism and index of the simulated subtask (default 1 and 0); restoring picks this subtask's key groups. */
  readonly parallelism?: number;
  readonly subtaskIndex?: number;
  readonly attemptNumber?: number;
  /** Default 'STREAMING'. */
  readonly runtimeMode?: RuntimeExecutionMode;
  /** Processing time when the harness starts (default 0). */
  readonly initialProcessingTime?: number;
  /** The job checkpoints in this mode (default: it does not checkpoint). */
  readonly checkpointingMode?: CheckpointingMode;
}

/** An operator, or the factory the API would call to build it for one subtask. */
export type OperatorOrFactory<OP> = OP | ((context: OperatorCreationContext) => OP);

/** The state initializer a task uses, remembering what it handed to the operator. */
class HarnessStateInitializer extends StreamTaskStateInitializer {
  context: StreamOperatorStateContext | undefined;
  override streamOperatorStateContext(...args: Parameters<StreamTaskStateInitializer['streamOperatorStateContext']>): StreamOperatorStateContext {
    return (this.context = super.streamOperatorStateContext(...args));
  }
}

/** Processing time moved by the test: timers fire, in time order, only when the test advances it. */
class ManualProcessingTimeService implements ProcessingTimeService {
  /** Pending timers sorted by time; equal times keep registration order (as the task's). */
  private readonly timers: Array<{ time: number; callback: (time: number) => void }> = [];
  closed = false;
  constructor(public now: number) {}

  getCurrentProcessingTime(): number {
    return this.now;
  }
  registerTimer(time: number, callback: (time: number) => void): void {
    if (this.closed) return;
    insertByTime(this.timers, { time, callback });
  }
  scheduleWithFixedDelay(callback: () => void, delay: number): void {
    const step = Math.max(1, delay); // a zero delay would fire forever within one advance
    const tick = (): void => {
      callback();
      this.registerTimer(this.now + step, tick);
    };
    this.registerTimer(this.now + step, tick);
  }
  /** Fires every timer due at `this.now`, including those registered meanwhile that are due too. */
  fireDue(run: (fire: () => void) => void): void {
    while (!this.closed && this.timers.length > 0 && this.timers[0]!.time <= this.now) {
      const t = this.timers.shift()!;
      run(() => t.callback(t.time));
    }
  }
  size(): number {
    return this.timers.length;
  }
}

/** Drives any StreamOperator (Flink's AbstractStreamOperatorTestHarness). */
export class AbstractStreamOperatorTestHarness<OUT, OP extends StreamOperator<OUT> = StreamOperator<OUT>> {
  protected readonly operator: OP;
  protected readonly info: TaskInfo;
  protected readonly operatorName: string;
  private readonly operatorId: string;
  private readonly runtimeMode: RuntimeExecutionMode;
  private readonly checkpointingMode: CheckpointingMode | undefined;
  private readonly processingTime: ManualProcessingTimeService;
  private readonly output: StreamElement<OUT>[] = [];
  private readonly sideOutputs = new Map<string, StreamRecord<unknown>[]>();
  private readonly accumulators = new Map<string, Accumulator<unknown, unknown>>();
  private readonly mails: Array<() => void> = [];
  private mailArrived: (() => void) | undefined;
  private keyedBackend: HeapKeyedStateBackend | undefined;
  /** Set by the keyed harness: the chain would set each record's key before processElement. */
  protected stateKeySelector: ((value: unknown) => unknown) | undefined;
  private stateInitializer: HarnessStateInitializer | undefined;
  private restored: readonly OperatorSnapshot[] | undefined;
  private phase: 'created' | 'open' | 'closed' = 'created';

  constructor(operator: OperatorOrFactory<OP>, options: TestHarnessOptions = {}) {
    const parallelism = options.parallelism ?? 1;
    const maxParallelism = options.maxParallelism ?? 128;
    this.info = {
      taskName: options.operatorName ?? 'Test operator',
      indexOfThisSubtask: options.subtaskIndex ?? 0,
      numberOfParallelSubtasks: parallelism,
      maxNumberOfParallelSubtasks: maxParallelism,
      attemptNumber: options.attemptNumber ?? 0,
    };
    this.operatorName = this.info.taskName;
    this.operatorId = options.operatorId ?? 'test-operator';
    this.runtimeMode = options.runtimeMode ?? 'STREAMING';
    this.checkpointingMode = options.checkpointingMode;
    this.processingTime = new ManualProcessingTimeService(options.initialProcessingTime ?? 0);
    this.operator = typeof operator === 'function' ? operator({ parallelism, maxParallelism }) : operator;
  }

  /** The operator under test (to inspect what only it knows, e.g. a window operator's windows). */
  getOperator(): OP {
    return this.operator;
  }

  /**
   * Restores the operator's state from snapshots taken by `snapshot()` (Flink's initializeState);
   * before `open()`. Several snapshots (of several subtasks) are redistributed as on a rescale: this
   * harness's subtask takes the key groups it owns.
   */
  initializeState(snapshot: OperatorSnapshot | readonly OperatorSnapshot[]): void {
    if (this.phase !== 'created' || this.stateInitializer !== undefined) throw new Error('initializeState() must come before open(), once');
    // A copy: the restored operator's state does not share value objects with the snapshot (nor with another harness restored from it).
    const snapshots = Array.isArray(snapshot) ? (snapshot as readonly OperatorSnapshot[]) : [snapshot as OperatorSnapshot];
    this.restored = snapshots.map((s) => serializedCopy(s, this.operatorName));
  }

  /** Sets the operator up, gives it its (restored) state and opens it, as a task does at start. */
  open(): void {
    if (this.phase !== 'created') throw new Error(`The harness is already ${this.phase === 'open' ? 'open' : 'closed'}`);
    this.phase = 'open';
    this.operator.setup(this.parameters(), this.recordingOutput());
    const restored = this.restored;
    const initializer = (this.stateInitializer = new HarnessStateInitializer(
      this.processingTime,
      restored === undefined ? undefined : () => ({ checkpointId: 0, snapshots: restored }),
    ));
    this.guard(() => {
      this.operator.initializeState(initializer);
      this.operator.open();
    });
  }

  private ensureOpen(): void {
    if (this.phase === 'created') this.open();
    else if (this.phase === 'closed') throw new Error('The harness is closed');
  }

  /** Runs operator code as the task does: an error comes out as it would fail the job (a UserCodeError naming the operator). */
  protected guard<R>(action: () => R): R {
    try {
      return action();
    } catch (e) {
      throw attribute(e, this.operatorName, this.info.indexOfThisSubtask, this.info.numberOfParallelSubtasks);
    }
  }

  /** Input of the operator as the task's chain calls it: the record's key first (on a keyed stream), then the record. */
  protected input(value: unknown, timestamp: number): void {
    const op = this.operator;
    if (this.stateKeySelector !== undefined) op.setKeyContextElement(value);
    op.processElement(value, timestamp);
  }

  protected processRecord(value: unknown, timestamp: number | undefined): void {
    this.ensureOpen();
    this.processMails();
    try {
      this.input(value, timestamp === undefined ? NO_TIMESTAMP : timestamp);
    } catch (e) {
      // As the task's chain: the error names the operator and carries the record it was handed.
      throw chainedOperatorError(e, this.operatorName, this.info, value, true);
    }
  }

  /** The input watermark advances to `watermark`: due event-time timers fire, then the operator forwards it. */
  processWatermark(watermark: number | Watermark): void {
    this.ensureOpen();
    this.processMails();
    const ts = typeof watermark === 'number' ? watermark : watermark.timestamp;
    this.guard(() => this.operator.processWatermark(ts));
  }

  /** The input turned idle (`true`) or active again (`false`). */
  processWatermarkStatus(idle: boolean | WatermarkStatus): void {
    this.ensureOpen();
    this.processMails();
    const status = typeof idle === 'boolean' ? idle : idle.idle;
    this.guard(() => this.operator.processWatermarkStatus?.(status));
  }

  /**
   * Moves processing time to `time` and fires every processing-time timer due by then, in time order
   * (registration order among equal times), each as one mail of the task.
   */
  setProcessingTime(time: number): void {
    this.ensureOpen();
    if (time < this.processingTime.now) throw new RangeError(`Processing time cannot go back (from ${this.processingTime.now} to ${time})`);
    this.processMails();
    this.processingTime.now = time;
    this.processingTime.fireDue((fire) => {
      this.guard(fire);
      this.processMails();
    });
  }

  getProcessingTime(): number {
    return this.processingTime.now;
  }

  /**
   * Runs the actions queued for the task's mailbox (results of asynchronous work such as async I/O).
   * Harness calls run them first anyway; call this after awaiting the asynchronous work itself.
   */
  processMails(): void {
    while (this.mails.length > 0 && this.phase === 'open') {
      const mail = this.mails.shift()!;
      this.guard(mail);
    }
  }

  /**
   * All input ended: the operator's endInput, then its finish (awaited, with mails running meanwhile,
   * as a finishing task does). What it emits on the way is in the output.
   */
  async endInput(): Promise<void> {
    this.ensureOpen();
    this.processMails();
    this.guard(() => this.operator.endInput());
    const finishing = this.guard(() => this.operator.finish?.());
    if (finishing === undefined) return;
    let settled = false;
    let failure: { error: unknown } | undefined;
    const done = Promise.resolve(finishing).then(
      () => void (settled = true),
      (error: unknown) => void ((settled = true), (failure = { error })),
    );
    while (!settled) {
      await Promise.race([done, new Promise<void>((resolve) => (this.mailArrived = resolve))]);
      this.mailArrived = undefined;
      this.processMails();
    }
    if (failure !== undefined) throw attribute(failure.error, this.operatorName, this.info.indexOfThisSubtask, this.info.numberOfParallelSubtasks);
  }

  /** Closes the operator; no timer fires and no mail runs after. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    this.processingTime.closed = true;
    this.mails.length = 0;
    if (wasOpen) await this.operator.close();
  }

  /**
   * The synchronous snapshot of the operator's state, as a task takes it at a checkpoint barrier
   * (prepareSnapshotPreBarrier first, so what must precede the barrier is in the output). Give it to
   * `initializeState` of a new harness to continue from here. It is serialized as a checkpoint is
   * (`v8.serialize`): processing more records in this harness does not change it, and state that a
   * checkpoint could not hold (a function, say) fails here.
   */
  snapshot(checkpointId = 1): OperatorSnapshot {
    this.ensureOpen();
    this.processMails();
    return this.guard(() => {
      this.operator.prepareSnapshotPreBarrier(checkpointId);
      return serializedCopy(this.operator.snapshotState(checkpointId), this.operatorName);
    });
  }

  // ---- output --------------------------------------------------------------------------------------

  /** Everything the operator emitted on its main output: records and watermarks, in order (a live list: clear it to start over). */
  getOutput(): StreamElement<OUT>[] {
    return this.output;
  }

  /** The records of the main output, without watermarks. */
  extractOutputStreamRecords(): StreamRecord<OUT>[] {
    return this.output.filter((e): e is StreamRecord<OUT> => e instanceof StreamRecord);
  }

  /** The values of the main output's records, in order. */
  extractOutputValues(): OUT[] {
    return this.extractOutputStreamRecords().map((r) => r.value);
  }

  /** The records emitted to a side output (`ctx.output(tag, value)`), in order. */
  getSideOutput<X>(tag: OutputTag<X>): StreamRecord<X>[] {
    return (this.sideOutputs.get(tag.id) ?? []) as StreamRecord<X>[];
  }

  /** Forgets the output recorded so far (main and side outputs). */
  clearOutput(): void {
    this.output.length = 0;
    this.sideOutputs.clear();
  }

  /** An accumulator the operator or its function registered (`getRuntimeContext().addAccumulator`). */
  getAccumulator<V, R>(name: string): Accumulator<V, R> | undefined {
    return this.accumulators.get(name) as Accumulator<V, R> | undefined;
  }

  // ---- timers and state ------------------------------------------------------------------------------

  /** Pending event-time timers over all the operator's timer services (and those an operator keeps its own way). */
  numEventTimeTimers(): number {
    return countTimers(this.timersSnapshot(), 'eventTime') + this.ownEventTimeTimers().length;
  }

  /** Pending processing-time timers over all the operator's timer services. */
  numProcessingTimeTimers(): number {
    return countTimers(this.timersSnapshot(), 'processingTime');
  }

  /** The pending event-time timers (key, namespace, timestamp) of all timer services, in firing order. */
  eventTimeTimers(): Array<{ key: unknown; namespace: Namespace; timestamp: number }> {
    const own = this.ownEventTimeTimers();
    const all = listTimers(this.timersSnapshot(), 'eventTime');
    return own.length === 0 ? all : [...all, ...own].sort((a, b) => a.timestamp - b.timestamp);
  }

  /**
   * What an operator that fires from its own state rather than a timer service (the session
   * strategy of the window operator: a queue of session ends) still has due, as the timers the
   * general operator would hold for it.
   */
  private ownEventTimeTimers(): ReadonlyArray<{ key: unknown; namespace: Namespace; timestamp: number }> {
    if (this.stateContext() === undefined) return [];
    return (this.operator as { pendingEventTimeTimers?: () => Array<{ key: unknown; namespace: Namespace; timestamp: number }> }).pendingEventTimeTimers?.() ?? [];
  }

  /** The pending processing-time timers of all timer services, in firing order. */
  processingTimeTimers(): Array<{ key: unknown; namespace: Namespace; timestamp: number }> {
    return listTimers(this.timersSnapshot(), 'processingTime');
  }

  /** Number of (key, namespace) entries over all keyed states of the operator. */
  numKeyedStateEntries(): number {
    return this.stateContext()?.keyedStateBackend?.numEntries() ?? 0;
  }

  private timersSnapshot(): TimersSnapshot {
    return this.stateContext()?.internalTimeServiceManager?.snapshot() ?? {};
  }

  private stateContext(): StreamOperatorStateContext | undefined {
    return this.stateInitializer?.context;
  }

  /** The operator's keyed state backend (after open, on a keyed harness). */
  protected requireKeyedBackend(): HeapKeyedStateBackend {
    const backend = this.stateContext()?.keyedStateBackend;
    if (backend === undefined) throw new TypeError(`Operator '${this.operatorName}' has no keyed state: it is not keyed, or not open yet`);
    return backend;
  }

  // ---- what the task hands to the operator -------------------------------------------------------------

  private parameters(): StreamOperatorParameters {
    const info = this.info;
    // The runtime context a task gives its operators (Flink's StreamingRuntimeContext), over the harness's accumulators.
    const { context: runtimeContext, bindKeyedStateBackend } = createStreamingRuntimeContext(this.operatorName, info, this.accumulators, this.operatorName);
    return {
      operatorName: this.operatorName,
      operatorId: this.operatorId,
      taskInfo: info,
      runtimeContext,
      runtimeMode: this.runtimeMode,
      stateKeySelector: this.stateKeySelector,
      maxParallelism: info.maxNumberOfParallelSubtasks,
      processingTimeService: this.processingTime,
      mailbox: {
        execute: (action) => {
          if (this.phase === 'closed') return;
          this.mails.push(action);
          this.mailArrived?.();
        },
      },
      bindKeyedStateBackend: (b) => {
        this.keyedBackend = b;
        bindKeyedStateBackend(b);
      },
      collect: () => {
        throw new Error('A collect sink (executeAndCollect) cannot run in a test harness');
      },
      checkpointingMode: this.checkpointingMode,
    };
  }

  private recordingOutput(): Output<OUT> {
    const output = this.output;
    const sides = this.sideOutputs;
    const record = <T>(value: T, timestamp: number): StreamRecord<T> => new StreamRecord(value, timestamp === NO_TIMESTAMP ? undefined : timestamp);
    return {
      collect: (value, timestamp) => void output.push(record(value, timestamp)),
      emitWatermark: (watermark) => void output.push(new Watermark(watermark)),
      emitWatermarkStatus: (idle) => void output.push(new WatermarkStatus(idle)),
      collectSide: (tag, value, timestamp) => {
        let list = sides.get(tag);
        if (list === undefined) sides.set(tag, (list = []));
        list.push(record(value, timestamp));
      },
    };
  }
}

/** A snapshot as a checkpoint holds it: written with v8.serialize and read back. */
function serializedCopy(snapshot: OperatorSnapshot, operatorName: string): OperatorSnapshot {
  let bytes: Buffer;
  try {
    bytes = serialize(snapshot);
  } catch (e) {
    throw new TypeError(`The state of operator '${operatorName}' cannot be snapshotted (checkpoints serialize it with v8.serialize): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return deserialize(bytes) as OperatorSnapshot;
}

function countTimers(snap: TimersSnapshot, domain: 'eventTime' | 'processingTime'): number {
  let n = 0;
  for (const service of Object.values(snap)) for (const timers of Object.values(service[domain])) n += timers.length;
  return n;
}

function listTimers(snap: TimersSnapshot, domain: 'eventTime' | 'processingTime'): Array<{ key: unknown; namespace: Namespace; timestamp: number }> {
  const all: TimerEntry[] = [];
  for (const service of Object.values(snap)) for (const timers of Object.values(service[domain])) all.push(...timers);
  all.sort((a, b) => a[2] - b[2] || (a[3] ?? 0) - (b[3] ?? 0)); // firing order: by time, then registration
  return all.map(([key, namespace, timestamp]) => ({ key, namespace, timestamp }));
}

/**
 * What a job would give the operator of `t`: its name, its operator id, its max parallelism (the
 * key groups of its state); the harness plays one subtask of parallelism 1 unless told otherwise,
 * so that it takes every key.
 */
function optionsOf(t: OneInputTransformation, options: TestHarnessOptions): TestHarnessOptions {
  return {
    operatorName: t.name,
    operatorId: t.uid ?? `op-${t.id}`,
    ...(t.maxParallelism === undefined ? {} : { maxParallelism: t.maxParallelism }),
    ...options,
  };
}

/** A one-input operator (Flink's OneInputStreamOperatorTestHarness). */
export class OneInputStreamOperatorTestHarness<IN, OUT, OP extends StreamOperator<OUT> = StreamOperator<OUT>> extends AbstractStreamOperatorTestHarness<OUT, OP> {
  /**
   * A harness for the operator of a stream the API returned on a stream that is not keyed
   * (`stream.process(fn)`, `stream.map(fn)`, `AsyncDataStream.orderedWait(…)`): the operator a job
   * would create, under the stream's name and uid. Not opened yet (restore it first if you want).
   * Anything but a one-input operator at the stream's end (a source, a union, a partitioning, a side
   * output, a sink, a two-input operation, a keyed operator) is refused with the reason.
   * `IN` is the operator's input type, which the stream does not carry.
   */
  static forStream<IN = unknown, OUT = unknown>(stream: OperatorStream<OUT>, options: TestHarnessOptions = {}): OneInputStreamOperatorTestHarness<IN, OUT> {
    const t = operatorTransformationOf(stream, false);
    return new OneInputStreamOperatorTestHarness<IN, OUT>(t.factory as OperatorOrFactory<StreamOperator<OUT>>, optionsOf(t, options));
  }

  /** One input record with its event timestamp (none if left out), or a StreamRecord. */
  processElement(record: StreamRecord<IN>): void;
  processElement(value: IN, timestamp?: number): void;
  processElement(value: IN | StreamRecord<IN>, timestamp?: number): void {
    if (value instanceof StreamRecord && timestamp === undefined) this.processRecord((value as StreamRecord<IN>).value, (value as StreamRecord<IN>).timestamp);
    else this.processRecord(value, timestamp);
  }

  /** Several input records, in order. */
  processElements(records: Iterable<StreamRecord<IN>>): void {
    for (const r of records) this.processRecord(r.value, r.timestamp);
  }
}

/**
 * A one-input operator on a keyed stream (Flink's KeyedOneInputStreamOperatorTestHarness): each
 * record's key, from `keySelector`, scopes keyed state and timers while it is processed, as after
 * `keyBy(keySelector)`.
 */
export class KeyedOneInputStreamOperatorTestHarness<K, IN, OUT, OP extends StreamOperator<OUT> = StreamOperator<OUT>> extends OneInputStreamOperatorTestHarness<IN, OUT, OP> {
  private readonly keySelector: (value: IN) => K;

  /**
   * A harness for the operator of a stream the API returned on a keyed stream
   * (`keyBy(…).window(…).aggregate(…)`, `CEP.pattern(keyed, pattern).process(…)`,
   * `keyBy(…).process(fn)`): the operator a job would create, keyed by the stream's key selector,
   * under the stream's name and uid. Not opened yet (restore it first if you want). Anything but a
   * keyed one-input operator at the stream's end is refused with the reason. `K` and `IN` (the key
   * and the operator's input: a window's or a pattern's elements) are not carried by the stream:
   * give them to type `getKeyedState` and `processElement`.
   */
  static override forStream<K = unknown, IN = unknown, OUT = unknown>(
    stream: OperatorStream<OUT>,
    options: TestHarnessOptions = {},
  ): KeyedOneInputStreamOperatorTestHarness<K, IN, OUT> {
    const t = operatorTransformationOf(stream, true);
    return new KeyedOneInputStreamOperatorTestHarness<K, IN, OUT>(
      t.factory as OperatorOrFactory<StreamOperator<OUT>>,
      t.stateKeySelector as (value: IN) => K,
      optionsOf(t, options),
    );
  }

  constructor(operator: OperatorOrFactory<OP>, keySelector: (value: IN) => K, options: TestHarnessOptions = {}) {
    super(operator, options);
    this.stateKeySelector = keySelector as (value: unknown) => unknown;
    this.keySelector = keySelector;
  }

  protected override processRecord(value: unknown, timestamp: number | undefined): void {
    if (this.info.numberOfParallelSubtasks > 1) {
      let key: K | undefined;
      try {
        key = this.keySelector(value as IN);
      } catch {
        // The operator reports a failing key selector as a job would.
      }
      if (key !== undefined && key !== null) this.checkOwned(key);
    }
    super.processRecord(value, timestamp);
  }

  /**
   * A job routes each key to the subtask owning its key group; state of any other key would be
   * dropped when this subtask's snapshot is restored at the same parallelism (Flink's backend refuses it too).
   */
  private checkOwned(key: K): void {
    const { maxNumberOfParallelSubtasks: max, numberOfParallelSubtasks: p, indexOfThisSubtask: i } = this.info;
    const group = assignToKeyGroup(key, max);
    const range = keyGroupRangeForSubtask(max, p, i);
    if (group < range.start || group > range.end) {
      throw new RangeError(
        `The key ${typeof key === 'string' ? `'${key}'` : typeof key === 'bigint' ? `${key}n` : JSON.stringify(key)} is in key group ${group}, which subtask ${i} of ${p} does not own (it owns key groups ${range.start}-${range.end} of ${max}): ` +
          `a job sends it to subtask ${computeOperatorIndexForKeyGroup(max, p, group)}`,
      );
    }
  }

  /**
   * A keyed state of `key` (in `namespace`: the void one by default, a window for a window
   * operator's), read and written through the operator's backend. Each call of the returned state
   * works on that key; the operator's current key is left as it was.
   */
  getKeyedState<T>(key: K, descriptor: ValueStateDescriptor<T>, namespace?: Namespace): ValueState<T>;
  getKeyedState<T>(key: K, descriptor: ListStateDescriptor<T>, namespace?: Namespace): ListState<T>;
  getKeyedState<UK, UV>(key: K, descriptor: MapStateDescriptor<UK, UV>, namespace?: Namespace): MapState<UK, UV>;
  getKeyedState<T>(key: K, descriptor: ReducingStateDescriptor<T>, namespace?: Namespace): ReducingState<T>;
  getKeyedState<I, ACC, O>(key: K, descriptor: AggregatingStateDescriptor<I, ACC, O>, namespace?: Namespace): AggregatingState<I, O>;
  getKeyedState(key: K, descriptor: StateDescriptor<unknown>, namespace: Namespace = VOID_NAMESPACE): State {
    const backend = this.requireKeyedBackend();
    if (this.info.numberOfParallelSubtasks > 1) this.checkOwned(key);
    const inKeyScope = <R>(use: (state: State & { setCurrentNamespace(ns: Namespace): void }) => R): R => {
      const before = backend.currentKey;
      // The operator's state is left in the namespace it was in: an operator may set it once for many
      // records (the slice window operator does, per slice), and those that use only the void one never set it.
      const namespaceBefore = backend.stateNames().includes(descriptor.name) ? backend.stateByName(descriptor.name).currentNamespace() : VOID_NAMESPACE;
      backend.setCurrentKey(key);
      const state = backend.getPartitionedState(namespace, descriptor);
      try {
        return use(state);
      } finally {
        backend.setCurrentKey(before);
        state.setCurrentNamespace(namespaceBefore);
      }
    };
    // Fails now, not on first use, for a descriptor registered with another kind; the backend keeps one instance per name.
    const instance = inKeyScope((state) => state) as unknown as Record<PropertyKey, unknown>;
    return new Proxy({} as State, {
      get: (_target, property) => {
        if (typeof instance[property] !== 'function') return undefined;
        return (...args: unknown[]): unknown => inKeyScope((state) => (instance[property] as (...a: unknown[]) => unknown).apply(state, args));
      },
    });
  }

  /** Keys that hold a value in the named state (and namespace). */
  getKeys(stateName: string, namespace: Namespace = VOID_NAMESPACE): K[] {
    return this.requireKeyedBackend().getKeys(stateName, namespace) as K[];
  }
}
