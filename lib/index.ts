/** tidemark: stream processing for Node.js in TypeScript, in the spirit of Apache Flink. */
export { StreamExecutionEnvironment, type JobClient } from './api/environment.ts';
export { DataStream, KeyedStream, SingleOutputStreamOperator, DataStreamSink } from './api/datastream.ts';
export { DataStreamUtils } from './api/datastream-utils.ts';
export {
  Configuration,
  CoreOptions,
  ExecutionCheckpointingOptions,
  CheckpointingOptions,
  SavepointConfigOptions,
  RestartStrategyOptions,
  ConfigOptions,
  IllegalConfigurationException,
  type ConfigOption,
  type RestartStrategyType,
  type UnsupportedOption,
  type RuntimeExecutionModeOption,
} from './api/config.ts';
export {
  CheckpointConfig,
  CheckpointingMode,
  ExternalizedCheckpointRetention,
  RestartStrategies,
  type RestartStrategyConfiguration,
  type SavepointRestoreSettings,
} from './api/checkpoint-config.ts';
export { ParameterTool, ParameterToolException } from './api/parameter-tool.ts';
export { OutputTag } from './core/output-tag.ts';
export { JobExecutionResult } from './api/job-execution-result.ts';
export { IntCounter, LongCounter, DoubleCounter } from './core/accumulators/counters.ts';
export { ListAccumulator } from './core/accumulators/list-accumulator.ts';
export type { Accumulator } from './core/accumulators/accumulator.ts';
export { formatRecord } from './core/format.ts';
export { AbstractRichFunction, type OpenContext, type RichFunction } from './core/functions/rich-function.ts';
export { RichMapFunction, type MapFunction } from './core/functions/map-function.ts';
export { RichFlatMapFunction, type FlatMapFunction } from './core/functions/flat-map-function.ts';
export { RichSinkFunction, type SinkFunction, type SinkFunctionContext, type SinkFn } from './core/functions/sink-function.ts';
export { RichFilterFunction, type FilterFunction } from './core/functions/filter-function.ts';
export { RichReduceFunction, type ReduceFunction } from './core/functions/reduce-function.ts';
export type { Collector } from './core/functions/collector.ts';
export type { RuntimeContext, RuntimeTaskInfo, TaskInfo } from './core/functions/runtime-context.ts';
export type { KeySelector } from './core/functions/key-selector.ts';
export type { AggregateFunction } from './core/functions/aggregate-function.ts';
export { ProcessFunction, type ProcessContext } from './operators/process.ts';
export {
  KeyedProcessFunction,
  type KeyedProcessContext,
  type OnTimerContext,
  type TimerService,
} from './operators/keyed-process.ts';
export type { TimeDomain } from './state/timers/internal-timer-service.ts';
export {
  StateDescriptor,
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
} from './core/state/state-descriptor.ts';
export type { State, AppendingState, ValueState, ListState, MapState, ReducingState, AggregatingState } from './core/state/state.ts';
export type { TypeSerializer } from './core/state/type-serializer.ts';
export type { Source, SourceReader, SourceReaderContext, ReaderOutput, InputStatus, Boundedness } from './core/connector/source.ts';
export type {
  Sink,
  SinkWriter,
  SinkWriterContext,
  SinkRecordContext,
  CommittingSinkWriter,
  CommittingSinkWriterContext,
  Committer,
  SupportsCommitter,
  TwoPhaseCommittingSink,
  SinkProcessingTimeService,
  SinkJobInfo,
} from './core/connector/sink.ts';
export { isTwoPhaseCommittingSink } from './core/connector/sink.ts';
export {
  TidemarkError,
  registerErrorClass,
  type TidemarkErrorContext,
  type TidemarkErrorOptions,
  UserCodeError,
  KeyExtractionError,
  IllegalArgumentException,
  IllegalStateException,
  JobExecutionException,
  JobCancellationException,
  NoResourceAvailableException,
  InvalidFunctionResultError,
  AsyncFunctionResultError,
  CheckpointException,
  type CheckpointFailureReason,
  CheckpointRestoreException,
  type RejectedCheckpoint,
} from './core/errors.ts';
export type { JobStatus } from './runtime/scheduler.ts';
export type { CompletedCheckpointStats } from './runtime/checkpoint/checkpoint-coordinator.ts';
export { assignToKeyGroup, assignKeyToParallelOperator, computeDefaultMaxParallelism } from './state/key-groups.ts';
export { WatermarkStrategy, type TimestampAssigner } from './time/watermark-strategy.ts';
export {
  BoundedOutOfOrdernessWatermarks,
  AscendingTimestampsWatermarks,
  NoWatermarksGenerator,
  WatermarksWithIdleness,
  type WatermarkGenerator,
  type WatermarkOutput,
} from './time/watermark-generator.ts';
export { toMillis, type DurationLike } from './core/duration.ts';
export { ExecutionConfig } from './api/execution-config.ts';
export { WindowedStream, AllWindowedStream } from './api/windowed-stream.ts';
export { TimeWindow, GlobalWindow, type Window } from './windowing/windows.ts';
export type { WindowAssigner, WindowAssignerContext } from './windowing/assigners/window-assigner.ts';
export { TumblingEventTimeWindows, TumblingProcessingTimeWindows, type CalendarOptions } from './windowing/assigners/tumbling-windows.ts';
export { SlidingEventTimeWindows, SlidingProcessingTimeWindows } from './windowing/assigners/sliding-windows.ts';
export { CumulativeEventTimeWindows } from './windowing/assigners/cumulative-windows.ts';
export { EventTimeSessionWindows, ProcessingTimeSessionWindows } from './windowing/assigners/session-windows.ts';
export { GlobalWindows } from './windowing/assigners/global-windows.ts';
export type { Trigger, TriggerResult, TriggerContext, OnMergeContext } from './windowing/triggers/trigger.ts';
export { EventTimeTrigger } from './windowing/triggers/event-time-trigger.ts';
export { ProcessingTimeTrigger } from './windowing/triggers/processing-time-trigger.ts';
export { CountTrigger } from './windowing/triggers/count-trigger.ts';
export { PurgingTrigger } from './windowing/triggers/purging-trigger.ts';
export { ContinuousEventTimeTrigger } from './windowing/triggers/continuous-event-time-trigger.ts';
export { CountEvictor, TimeEvictor, DeltaEvictor, type Evictor, type TimestampedValue } from './windowing/evictors/evictor.ts';
export {
  ProcessWindowFunction,
  ProcessAllWindowFunction,
  type WindowFunction,
  type AllWindowFunction,
  type ProcessWindowContext,
  type KeyedStateStore,
} from './windowing/process-window-function.ts';
export {
  ConnectedStreams,
  CoProcessFunction,
  KeyedCoProcessFunction,
  BroadcastStream,
  BroadcastConnectedStream,
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  type CoMapFunction,
  type CoFlatMapFunction,
  type BroadcastState,
  type ReadOnlyBroadcastState,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedBroadcastOnTimerContext,
} from './api/connected-streams.ts';
export {
  JoinedStreams,
  CoGroupedStreams,
  IntervalJoin,
  ProcessJoinFunction,
  type JoinFn,
  type CoGroupFn,
  type ProcessJoinContext,
} from './api/joins.ts';
export { AsyncDataStream } from './api/async-data-stream.ts';
export { RichAsyncFunction, AsyncTimeoutError, type AsyncFunction, type ResultFuture, type AsyncFn } from './operators/async-wait.ts';
export { StateTtlConfig, StateTtlConfigBuilder, type TtlUpdateType, type TtlStateVisibility } from './core/state/state-ttl-config.ts';
