/**
 * The operator behind a stream the API returned (`keyBy(…).window(…).aggregate(…)`,
 * `CEP.pattern(…).process(…)`, `keyBy(…).process(…)`), as a job would run it: what Flink users take
 * from `((OneInputTransformation) stream.getTransformation()).getOperatorFactory()`, without casts.
 */
import type { OneInputTransformation, Transformation } from '../runtime/graph/transformation.ts';

/**
 * A stream the DataStream API returned (`DataStream<OUT>`, `SingleOutputStreamOperator<OUT>`),
 * described by shape so that the testing layer need not import the API. `executeAndCollect` only
 * carries the stream's element type, which becomes the harness's output type.
 */
export interface OperatorStream<OUT> {
  readonly transformation: Transformation;
  executeAndCollect(...args: never[]): Promise<OUT[]>;
}

/**
 * The one-input operator transformation at the end of `stream`, or an error saying why the stream
 * has none a one-input harness can drive.
 */
export function operatorTransformationOf(stream: { readonly transformation: Transformation }, keyed: boolean): OneInputTransformation {
  const t = stream.transformation;
  const what = `The stream '${t.name}'`;
  const pass = 'pass the stream an operation returned (map, process, window(…).aggregate, CEP.pattern(…).process, …)';
  switch (t.kind) {
    case 'source':
      throw new TypeError(`${what} is a source, not an operator: a test harness drives one operator; ${pass}`);
    case 'union':
      throw new TypeError(`${what} is a union of streams, not an operator: ${pass}`);
    case 'partition':
      throw new TypeError(`${what} ends with a partitioning (${t.partitioner.kind}: keyBy, rebalance, broadcast, …), not an operator: ${pass}`);
    case 'side-output':
      throw new TypeError(
        `${what} is the side output '${t.tag}' of operator '${t.inputs[0]?.name ?? '?'}', not an operator: pass the stream of that operator and read its side output from the harness (getSideOutput(tag))`,
      );
  }
  if (t.sink !== undefined) throw new TypeError(`${what} is a sink: test its SinkWriter directly`);
  if (t.tagsInput !== undefined || readsTaggedUnion(t)) {
    throw new TypeError(`Operator '${t.name}' has two inputs (connect, join or broadcast): a one-input test harness cannot drive it`);
  }
  if (keyed && t.stateKeySelector === undefined) {
    throw new TypeError(`Operator '${t.name}' is not on a keyed stream: use OneInputStreamOperatorTestHarness.forStream`);
  }
  if (!keyed && t.stateKeySelector !== undefined) {
    throw new TypeError(`Operator '${t.name}' is on a keyed stream (its keyed state and timers need each record's key): use KeyedOneInputStreamOperatorTestHarness.forStream`);
  }
  return t;
}

/** Whether the operator's input is a union of tagged records, through partitionings and unions. */
function readsTaggedUnion(t: OneInputTransformation): boolean {
  const pending = [...t.inputs];
  while (pending.length > 0) {
    const input = pending.pop()!;
    if (input.kind === 'operator' && input.tagsInput !== undefined) return true;
    if (input.kind === 'partition' || input.kind === 'union') pending.push(...input.inputs);
  }
  return false;
}
