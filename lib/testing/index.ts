/**
 * tidemark/testing: unit-test operators and user functions without a job (Flink's operator test
 * harnesses). Set watermarks and processing time by hand, inspect output, side outputs, keyed state
 * and timers, snapshot and restore. `KeyedOneInputStreamOperatorTestHarness.forStream(stream)` takes
 * the operator of a stream the API built (a window, a CEP pattern, a keyed process function).
 */
export {
  AbstractStreamOperatorTestHarness,
  OneInputStreamOperatorTestHarness,
  KeyedOneInputStreamOperatorTestHarness,
  type TestHarnessOptions,
  type OperatorOrFactory,
} from './operator-test-harness.ts';
export type { OperatorStream } from './operator-of-stream.ts';
export { ProcessFunctionTestHarnesses, type FunctionHarnessOptions } from './process-function-test-harnesses.ts';
export { StreamRecord, Watermark, WatermarkStatus, type StreamElement } from './stream-elements.ts';
export type { OperatorSnapshot } from '../state/stream-task-state-initializer.ts';
export type { StreamOperator } from '../runtime/operator.ts';
/** What keyed state and timers are scoped by besides the key: a window (TimeWindow, GlobalWindow), a CEP pattern, or none. */
export type { Namespace } from '../state/namespace.ts';
