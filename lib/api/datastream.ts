/**
 * DataStream, KeyedStream and DataStreamSink (Flink's names). Each method adds a transformation
 * to the environment's plan; nothing runs until `env.execute()` or `executeAndCollect()`.
 * (KeyedStream extends DataStream, so both live in this file to avoid an import cycle.)
 */
import { createRequire } from 'node:module';
import { IllegalArgumentException, JobCancellationException } from '../core/errors.ts';
import type { Observable } from 'rxjs';
import type { StreamExecutionEnvironment } from './environment.ts';
import type { Sink } from '../core/connector/sink.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { AllWindowedStream, WindowedStream } from './windowed-stream.ts';
import { BroadcastConnectedStream, BroadcastStream, ConnectedStreams } from './connected-streams.ts';
import { CoGroupedStreams, IntervalJoin, JoinedStreams } from './joins.ts';
import type { MapStateDescriptor } from '../core/state/state-descriptor.ts';
import type { WindowAssigner } from '../windowing/assigners/window-assigner.ts';
import type { GlobalWindow, Window } from '../windowing/windows.ts';
import { GlobalWindows } from '../windowing/assigners/global-windows.ts';
import { PurgingTrigger } from '../windowing/triggers/purging-trigger.ts';
import { CountTrigger } from '../windowing/triggers/count-trigger.ts';
import { CountEvictor } from '../windowing/evictors/evictor.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { FilterFn } from '../core/functions/filter-function.ts';
import type { FlatMapFn } from '../core/functions/flat-map-function.ts';
import type { KeySelectorFn } from '../core/functions/key-selector.ts';
import type { MapFn } from '../core/functions/map-function.ts';
import type { SinkFn } from '../core/functions/sink-function.ts';
import type { ReduceFn } from '../core/functions/reduce-function.ts';
import type { ChainingStrategy, OneInputTransformation, OperatorFactory, PartitionerSpec, Transformation } from '../runtime/graph/transformation.ts';
import { StreamMap } from '../operators/map.ts';
import { StreamFilter } from '../operators/filter.ts';
import { StreamFlatMap } from '../operators/flat-map.ts';
import { ProcessFunction, ProcessOperator, type ProcessFn } from '../operators/process.ts';
import { KeyedProcessOperator, type KeyedProcessFn } from '../operators/keyed-process.ts';
import { StreamGroupedReduceOperator } from '../operators/keyed-reduce.ts';
import { aggregationReducer, type AggregationType, type FieldRef } from '../operators/aggregations.ts';
import { SinkWriterOperator } from '../operators/sink-writer.ts';
import { StreamSink } from '../operators/stream-sink.ts';
import { CollectSinkOperator } from '../operators/collect-sink.ts';
import { TimestampsAndWatermarksOperator } from '../operators/timestamps-and-watermarks.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { PrintSink } from '../../connectors/print/index.ts';
import { TextFileSink, type WriteMode } from '../../connectors/file/index.ts';
import { SocketClientSink, type SocketSerializer } from '../../connectors/socket/index.ts';

export class DataStream<T> {
  constructor(
    protected readonly environment: StreamExecutionEnvironment,
    /** @internal */ readonly transformation: Transformation,
  ) {}

  getExecutionEnvironment(): StreamExecutionEnvironment {
    return this.environment;
  }

  getParallelism(): number {
    return this.transformation.parallelism > 0 ? this.transformation.parallelism : this.environment.getParallelism();
  }

  /** @internal */
  protected transform<R>(name: string, factory: OperatorFactory, isSink = false, sink?: Sink<unknown>): SingleOutputStreamOperator<R> {
    const t: Transformation = {
      kind: 'operator',
      id: this.environment.nextTransformationId(),
      name,
      parallelism: -1,
      chainingStrategy: 'ALWAYS',
      inputs: [this.transformation],
      factory,
      sink,
    };
    return new SingleOutputStreamOperator<R>(this.environment, t);
  }

  /**
   * @internal Adds an operator built by `factory` (used by AsyncDataStream). `stateful`: it keeps state
   * a checkpoint carries (broadcast state, in-flight async requests), so it should have a uid().
   */
  transformWith<R>(name: string, factory: OperatorFactory, stateful = false): SingleOutputStreamOperator<R> {
    const op = this.transform<R>(name, factory);
    if (stateful) (op.transformation as OneInputTransformation).stateful = true;
    return op;
  }

  /**
   * One output record per input record.
   * ```ts
   * words.map((w) => [w, 1] as [string, number]);
   * ```
   */
  map<R>(mapper: MapFn<T, R>): SingleOutputStreamOperator<R> {
    toCallable(mapper, 'map', 'map()');
    return this.transform<R>('Map', () => new StreamMap(mapper));
  }

  /**
   * Zero or more output records per input record: emit with `out.collect(...)` or return an iterable.
   * ```ts
   * lines.flatMap((line: string) => line.split(/\s+/).filter(Boolean));
   * ```
   */
  flatMap<R>(flatMapper: FlatMapFn<T, R>): SingleOutputStreamOperator<R> {
    toCallable(flatMapper, 'flatMap', 'flatMap()');
    return this.transform<R>('Flat Map', () => new StreamFlatMap(flatMapper));
  }

  /** Keeps the records for which `filter` returns true. */
  filter(filter: FilterFn<T>): SingleOutputStreamOperator<T> {
    toCallable(filter, 'filter', 'filter()');
    return this.transform<T>('Filter', () => new StreamFilter(filter));
  }

  /** The low-level operation: a ProcessFunction sees each record with its context. */
  process<R>(fn: ProcessFn<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Process', () => new ProcessOperator(fn));
  }

  /**
   * Assigns event timestamps and generates watermarks, as the strategy says.
   * ```ts
   * readings.assignTimestampsAndWatermarks(
   *   WatermarkStrategy.forBoundedOutOfOrderness<Reading>('5 s').withTimestampAssigner((r) => r.ts));
   * ```
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const config = this.environment.getConfig();
    // The interval is read when the job is deployed, so setAutoWatermarkInterval may come later.
    return this.transform<T>('Timestamps/Watermarks', () => new TimestampsAndWatermarksOperator<T>(strategy, config.getAutoWatermarkInterval()));
  }

  /**
   * Windows over the whole stream, in a single subtask (Flink's windowAll).
   * ```ts
   * events.windowAll(TumblingEventTimeWindows.of('1 min')).process((ctx, all, out) => out.collect(all.length));
   * ```
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    const keyed = this.keyBy(() => 0);
    return new AllWindowedStream<T, W>(new WindowedStream<T, number, W>(keyed, assigner, true));
  }

  /** countWindow over the whole stream, in a single subtask. */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    const w = new WindowedStream<T, number, GlobalWindow>(this.keyBy(() => 0), GlobalWindows.create<T>(), true);
    if (slide === undefined) w.trigger(PurgingTrigger.of(CountTrigger.of<GlobalWindow>(size)));
    else w.evictor(CountEvictor.of<T, GlobalWindow>(size)).trigger(CountTrigger.of<GlobalWindow>(slide));
    return new AllWindowedStream<T, GlobalWindow>(w);
  }

  /**
   * Joins with another stream per key and window.
   * ```ts
   * a.join(b).where((x) => x.id).equalTo((y) => y.id).window(TumblingEventTimeWindows.of('1 min')).apply((x, y) => [x, y]);
   * ```
   */
  join<R>(other: DataStream<R>): JoinedStreams<T, R> {
    return new JoinedStreams<T, R>(this, other);
  }

  /** Groups both streams' elements per key and window (a join that also sees unmatched elements). */
  coGroup<R>(other: DataStream<R>): CoGroupedStreams<T, R> {
    return new CoGroupedStreams<T, R>(this, other);
  }

  /** Merges streams of the same type into one. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (o.environment !== this.environment) throw new IllegalArgumentException('union(): all streams must come from the same StreamExecutionEnvironment');
    }
    return new DataStream<T>(this.environment, {
      kind: 'union',
      id: this.environment.nextTransformationId(),
      name: 'Union',
      parallelism: -1,
      chainingStrategy: 'ALWAYS',
      inputs: [this.transformation, ...others.map((o) => o.transformation)],
    });
  }

  private partition(partitioner: PartitionerSpec): DataStream<T> {
    return new DataStream<T>(this.environment, this.partitionTransformation(partitioner));
  }

  /** @internal */
  protected partitionTransformation(partitioner: PartitionerSpec): Transformation {
    return {
      kind: 'partition',
      id: this.environment.nextTransformationId(),
      name: partitioner.kind,
      parallelism: -1,
      chainingStrategy: 'ALWAYS',
      inputs: [this.transformation],
      partitioner,
    };
  }

  /** Round-robin over all downstream subtasks, to even out skew. */
  rebalance(): DataStream<T> {
    return this.partition({ kind: 'rebalance' });
  }
  /** Round-robin over a subset of downstream subtasks (pointwise), cheaper than rebalance. */
  rescale(): DataStream<T> {
    return this.partition({ kind: 'rescale' });
  }
  /** A random downstream subtask per record. */
  shuffle(): DataStream<T> {
    return this.partition({ kind: 'shuffle' });
  }
  /**
   * Every record to every downstream subtask. Given MapStateDescriptors, a BroadcastStream whose
   * records update broadcast state (connect a stream to it and process with a (Keyed)BroadcastProcessFunction).
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    if (descriptors.length > 0) return new BroadcastStream<T>(this, descriptors);
    return this.partition({ kind: 'broadcast' });
  }

  /**
   * Connects two streams for a CoMap/CoFlatMap/CoProcessFunction, or a stream and a BroadcastStream.
   * ```ts
   * events.connect(rules.broadcast(rulesState)).process(new ApplyRules());
   * ```
   */
  connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2>;
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | BroadcastConnectedStream<T, T2> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, T2>(this, other);
    if (other.environment !== this.environment) throw new IllegalArgumentException('connect(): both streams must come from the same StreamExecutionEnvironment');
    return new ConnectedStreams<T, T2>(this, other);
  }
  /** Every record to the first downstream subtask. */
  global(): DataStream<T> {
    return this.partition({ kind: 'global' });
  }
  /** Subtask i to subtask i; both sides must have the same parallelism. */
  forward(): DataStream<T> {
    return this.partition({ kind: 'forward' });
  }

  /**
   * Partitions by key: records with equal keys go to the same subtask, and keyed operations
   * (reduce, sum, ...) keep state per key. The key is a selector, a tuple index or a field name.
   * ```ts
   * pairs.keyBy((p) => p[0]).sum(1);
   * pairs.keyBy(0).sum(1);
   * ```
   */
  keyBy<K>(key: KeySelectorFn<T, K>): KeyedStream<T, K>;
  keyBy(field: number | string): KeyedStream<T, unknown>;
  keyBy<K>(key: KeySelectorFn<T, K> | number | string): KeyedStream<T, K> {
    const selector = fieldSelector<T, K>(key);
    return new KeyedStream<T, K>(this.environment, this.partitionTransformation({ kind: 'hash', keySelector: selector as (v: unknown) => unknown }), selector);
  }

  /**
   * @internal This stream's records as a keyed stream by `selector`, with no repartitioning (the
   * records are already where `selector` sends them). Here so that connected-streams.ts, which
   * datastream.ts imports, need not import KeyedStream back (no import cycle).
   */
  keyedWithoutPartitioning<K>(selector: (value: T) => K): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.environment, this.transformation, selector);
  }

  /**
   * @internal This stream as keyed by `selector`, forward (chained, no exchange), its operators checking
   * that each record's key group is their subtask's: DataStreamUtils.reinterpretAsKeyedStream.
   */
  reinterpretAsKeyed<K>(selector: KeySelectorFn<T, K>): KeyedStream<T, K> {
    const fn = toCallable<(value: T) => K>(selector, 'getKey', 'reinterpretAsKeyedStream()');
    // Right after a partitioning (a keyBy, say), that partitioning stays: a forward around it would replace it
    // (the outer partitioner wins), undoing the keyBy's exchange. The key-group check still verifies it.
    const transformation = this.transformation.kind === 'partition' ? this.transformation : this.partitionTransformation({ kind: 'forward' });
    return new KeyedStream<T, K>(this.environment, transformation, fn, true);
  }

  /** @internal Whether this is a KeyedStream (an instanceof check without importing the class). */
  isKeyedStream(): this is KeyedStream<T, unknown> {
    return false;
  }

  /** @internal A sink operator from `factory`. */
  addSinkOperator(name: string, factory: OperatorFactory, nonParallel = false, sink?: Sink<T>): DataStreamSink<T> {
    const op = this.transform<never>(name, factory, true, sink as Sink<unknown> | undefined);
    this.environment.addSinkTransformation(op.transformation);
    return new DataStreamSink<T>(op.transformation, nonParallel);
  }

  /**
   * Calls `sinkFunction` for each record (Flink's addSink(SinkFunction)): a plain function or an object with
   * `invoke(value, context)`, optionally `finish()` at the end of input; extend RichSinkFunction for open/close
   * and the runtime context. `invoke` is synchronous: for writes that wait on I/O or must be exactly-once, use
   * `sinkTo` with a Sink.
   */
  addSink(sinkFunction: SinkFn<T>, name = 'Unnamed'): DataStreamSink<T> {
    return this.addSinkOperator(name, () => new StreamSink<T>(sinkFunction) as never);
  }

  /** Writes records to a Sink (Flink's sinkTo). */
  sinkTo(sink: Sink<T>, name = 'Sink'): DataStreamSink<T> {
    const s = this.addSinkOperator(name, () => new SinkWriterOperator(sink) as never, sink.nonParallel === true, sink);
    if (sink.nonParallel) s.transformation.parallelism = 1;
    return s;
  }

  /** Prints each record to stdout; with parallelism > 1 lines start with the subtask, `2> ...`. */
  print(sinkIdentifier?: string): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(sinkIdentifier ?? ''), 'Print to Std. Out');
  }

  /** Prints each record to stderr. */
  printToErr(sinkIdentifier?: string): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(sinkIdentifier ?? '', true), 'Print to Std. Err');
  }

  /**
   * Writes one line per record (tuples as `(a,b)`), published when the job succeeded. Not
   * exactly-once across failures: for that use `sinkTo(FileSink.forRowFormat(...).build())` with checkpointing.
   */
  writeAsText(path: string, writeMode: WriteMode = 'NO_OVERWRITE'): DataStreamSink<T> {
    return this.sinkTo(new TextFileSink<T>(path, { writeMode }), `Text File Sink: ${path}`);
  }

  /**
   * Writes each record's bytes to a TCP server, one connection per subtask (Flink's writeToSocket /
   * SocketClientSink): at least once — each checkpoint waits until the socket took what came before it — and
   * a connection that cannot be made or fails fails the job. The serializer adds any delimiter:
   * `writeToSocket('127.0.0.1', 9999, (line) => line + '\n')`.
   */
  writeToSocket(host: string, port: number, serializer: SocketSerializer<T>): DataStreamSink<T> {
    return this.sinkTo(new SocketClientSink<T>(host, port, serializer), `Socket Sink: ${host}:${port}`);
  }

  /** Writes tuples as CSV rows (`flink,2`); like writeAsText, not exactly-once across failures. */
  writeAsCsv(
    path: string,
    options: { writeMode?: WriteMode; rowDelimiter?: string; fieldDelimiter?: string } = {},
  ): DataStreamSink<T> {
    return this.sinkTo(new TextFileSink<T>(path, { ...options, format: 'csv' }), `CSV File Sink: ${path}`);
  }

  /**
   * Runs the job and resolves to the records that reach this point, in arrival order. With `limit`,
   * the job is canceled once that many arrived (for unbounded streams).
   * ```ts
   * const squares = await env.fromElements(1, 2, 3).map((x) => x * x).executeAndCollect();
   * ```
   */
  async executeAndCollect(limit?: number): Promise<T[]>;
  async executeAndCollect(jobName: string, limit?: number): Promise<T[]>;
  async executeAndCollect(a?: number | string, b?: number): Promise<T[]> {
    const jobName = typeof a === 'string' ? a : 'DataStream Collect';
    const limit = typeof a === 'number' ? a : b;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`executeAndCollect limit must be a positive integer, got ${limit}`);
    const results: T[] = [];
    let client: { cancel(): Promise<void>; getJobExecutionResult(): Promise<unknown> } | undefined;
    let reached = false;
    const sinkId = this.environment.registerCollectSink((values) => {
      if (reached) return;
      for (const v of values) {
        results.push(v as T);
        if (limit !== undefined && results.length >= limit) {
          reached = true;
          void client?.cancel();
          break;
        }
      }
    });
    this.addSinkOperator('Collect Sink', () => new CollectSinkOperator(sinkId) as never);
    client = await this.environment.executeAsync(jobName);
    if (reached) void client.cancel();
    try {
      await client.getJobExecutionResult();
    } catch (e) {
      // Canceled because it had `limit` records: it delivered what was asked for.
      if (!(reached && e instanceof JobCancellationException)) throw e;
    }
    return results;
  }

  /**
   * The records reaching this point as an RxJS Observable. It emits while the job runs (start the
   * job with `env.execute()` / `executeAsync()`), completes when the job ends and errors when it fails.
   */
  toObservable(): Observable<T> {
    const env = this.environment;
    // rxjs loads on first use: jobs that do not use it (and every worker thread) skip its import cost.
    const rx = createRequire(import.meta.url)('rxjs') as typeof import('rxjs');
    return new rx.Observable<T>((subscriber) => {
      const sinkId = env.registerCollectSink(
        (values) => {
          for (const v of values) subscriber.next(v as T);
        },
        (error) => (error === undefined ? subscriber.complete() : subscriber.error(error)),
      );
      this.addSinkOperator('Observable Sink', () => new CollectSinkOperator(sinkId) as never);
    });
  }
}

function fieldSelector<T, K>(key: KeySelectorFn<T, K> | number | string): (value: T) => K {
  if (typeof key === 'number' || typeof key === 'string') {
    const field = key;
    return (value: T) => {
      if (value === null || typeof value !== 'object') {
        throw new TypeError(`keyBy(${JSON.stringify(field)}) needs tuples (arrays) or objects, got ${value === null ? 'null' : typeof value}`);
      }
      const k = (value as Record<string | number, unknown>)[field];
      if (k === undefined) throw new TypeError(`keyBy(${JSON.stringify(field)}): the record has no field ${JSON.stringify(field)}`);
      return k as K;
    };
  }
  return toCallable<(value: T) => K>(key, 'getKey', 'keyBy()');
}

function setParallelism(t: Transformation, parallelism: number, nonParallel: boolean): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`The parallelism of '${t.name}' must be at least 1, got ${parallelism}`);
  if ((nonParallel || (t.kind === 'source' && t.source.nonParallel)) && parallelism !== 1) {
    throw new RangeError(`The parallelism of non parallel operator '${t.name}' must be 1.`);
  }
  t.parallelism = parallelism;
}

/** The result of an operation: name it, pin its id and parallelism. */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** The records this operation emitted to the side output `tag` (`ctx.output(tag, value)`). */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.environment, {
      kind: 'side-output',
      id: this.environment.nextTransformationId(),
      name: `SideOutput: ${tag.id}`,
      parallelism: -1,
      chainingStrategy: 'ALWAYS',
      inputs: [this.transformation],
      tag: tag.id,
    });
  }

  /** The name shown in the job graph and in error messages. */
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }
  /** A stable operator id; state is matched by it when a job is restored or changed. */
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }
  setParallelism(parallelism: number): this {
    setParallelism(this.transformation, parallelism, false);
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) throw new RangeError(`maxParallelism must be within 1..32768, got ${maxParallelism}`);
    this.transformation.maxParallelism = maxParallelism;
    return this;
  }
  /** Do not chain this operator to its predecessor or successor. */
  disableChaining(): this {
    this.transformation.chainingStrategy = 'NEVER';
    return this;
  }
  /** Start a new chain at this operator. */
  startNewChain(): this {
    this.transformation.chainingStrategy = 'HEAD' as ChainingStrategy;
    return this;
  }
}

/** A stream partitioned by key (Flink's KeyedStream). */
export class KeyedStream<T, K> extends DataStream<T> {
  constructor(
    environment: StreamExecutionEnvironment,
    transformation: Transformation,
    private readonly keySelector: (value: T) => K,
    /** Keyed without a keyBy exchange (reinterpretAsKeyedStream): its operators check each record's key group. */
    private readonly reinterpreted = false,
  ) {
    super(environment, transformation);
  }

  /** @internal */
  override isKeyedStream(): this is KeyedStream<T, unknown> {
    return true;
  }

  getKeySelector(): (value: T) => K {
    return this.keySelector;
  }

  /** Operators on a keyed stream get the key context: keyed state and timers per record's key. */
  protected override transform<R>(name: string, factory: OperatorFactory, isSink = false, sink?: Sink<unknown>): SingleOutputStreamOperator<R> {
    if (isSink) return super.transform<R>(name, factory, isSink, sink);
    const result = super.transform<R>(name, factory, isSink, sink);
    // The node carries the key selector; the task sets each record's key before the operator sees it.
    (result.transformation as OneInputTransformation).stateKeySelector = this.keySelector as (value: unknown) => unknown;
    if (this.reinterpreted) (result.transformation as OneInputTransformation).verifyKeyGroups = true;
    return result;
  }

  /** @internal Adds an operator that runs per key (windows, CEP). */
  keyedOperator<R>(name: string, factory: OperatorFactory): SingleOutputStreamOperator<R> {
    return this.transform<R>(name, factory);
  }

  /**
   * Joins with another keyed stream on equal keys within a time interval (event time).
   * ```ts
   * clicks.keyBy((c) => c.user).intervalJoin(views.keyBy((v) => v.user)).between('-5 s', '0 s').process(fn);
   * ```
   */
  intervalJoin<R>(other: KeyedStream<R, K>): IntervalJoin<T, R, K> {
    return new IntervalJoin<T, R, K>(this, other);
  }

  /**
   * Cuts the keyed stream into windows.
   * ```ts
   * keyed.window(TumblingEventTimeWindows.of('1 min')).sum(1);
   * ```
   */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /** Windows of `size` elements per key, or sliding by `slide` elements (GlobalWindows with count trigger/evictor). */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const w = new WindowedStream<T, K, GlobalWindow>(this, GlobalWindows.create<T>());
    if (slide === undefined) return w.trigger(PurgingTrigger.of(CountTrigger.of<GlobalWindow>(size)));
    return w.evictor(CountEvictor.of<T, GlobalWindow>(size)).trigger(CountTrigger.of<GlobalWindow>(slide));
  }

  /**
   * Per-key processing with keyed state and event-/processing-time timers.
   * ```ts
   * readings.keyBy((r) => r.sensor).process(new SilenceAlert());
   * ```
   */
  override process<R>(fn: KeyedProcessFn<K, T, R> | ProcessFn<T, R>): SingleOutputStreamOperator<R> {
    if (fn instanceof ProcessFunction) return super.process(fn);
    return this.transform<R>('KeyedProcess', () => new KeyedProcessOperator<K, T, R>(fn as KeyedProcessFn<K, T, R>));
  }

  /**
   * Rolling reduce per key: emits the key's combined value for each record (in BATCH mode only
   * the final value per key).
   * ```ts
   * pairs.keyBy((p) => p[0]).reduce((a, b) => [a[0], a[1] + b[1]]);
   * ```
   */
  reduce(reducer: ReduceFn<T>): SingleOutputStreamOperator<T> {
    toCallable(reducer, 'reduce', 'reduce()');
    return this.transform<T>('Keyed Reduce', () => new StreamGroupedReduceOperator<T>(reducer));
  }

  private aggregate(type: AggregationType, field: FieldRef): SingleOutputStreamOperator<T> {
    const reducer = aggregationReducer(type, field) as (a: T, b: T) => T;
    return this.transform<T>('Keyed Aggregation', () => new StreamGroupedReduceOperator<T>(reducer));
  }

  /** Rolling sum of a tuple index or field; other fields come from the key's first record. */
  sum(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('sum', field);
  }
  /** Rolling minimum of a field; other fields come from the key's first record. */
  min(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('min', field);
  }
  /** Rolling maximum of a field; other fields come from the key's first record. */
  max(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('max', field);
  }
  /** The record with the smallest value of a field so far (the first one on ties). */
  minBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('minBy', field);
  }
  /** The record with the largest value of a field so far (the first one on ties). */
  maxBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('maxBy', field);
  }
}

/** What a sink method returns: name it, pin its id and parallelism. */
export class DataStreamSink<T> {
  declare private readonly _type: T;
  constructor(
    /** @internal */ readonly transformation: Transformation,
    private readonly nonParallel = false,
  ) {}
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }
  setParallelism(parallelism: number): this {
    setParallelism(this.transformation, parallelism, this.nonParallel);
    return this;
  }
  disableChaining(): this {
    this.transformation.chainingStrategy = 'NEVER';
    return this;
  }
}
