/**
 * Benchmark job (b), keyed running sum, for `execution.target: 'threads'`. Threads mode re-evaluates
 * this module in every worker thread, so the job lives in its own module and reads its parameters
 * from the command line; bench/run.ts spawns it:
 *
 *   node_modules/.bin/tsx bench/jobs/keyed-sum.ts --n 10000000 -p 2
 *
 * The job's main thread times `env.execute()` and prints one line `BENCH_RESULT {json}` (see
 * KeyedSumResult); on failure the JSON has an `error` field and the exit code is 1. Sink writers run
 * in the workers and post their checksums to the main thread on a BroadcastChannel.
 */
import { isMainThread } from 'node:worker_threads';
import { ParameterTool, StreamExecutionEnvironment } from '../../lib/index.ts';
import { ChecksumSink, buildKeyedSumJob, epochNow, listenForReports, readingValue, type Reading, type WriterReport } from '../workload.ts';
import { RESULT_PREFIX, type KeyedSumFailure, type KeyedSumResult } from './result.ts';

const params = ParameterTool.fromArgs(process.argv);
const n = params.getInt('n', 10_000_000);
const parallelism = params.getInt('p', params.getInt('parallelism', 1));
// Unique per run, so concurrent runs never mix their reports (same value in every worker: it is an argument).
const channelName = `tidemark-bench-keyed-sum-${params.get('run-id', String(process.pid))}`;

const env = StreamExecutionEnvironment.getExecutionEnvironment({
  'execution.target': 'threads',
  'parallelism.default': parallelism,
  'taskmanager.numberOfTaskSlots': parallelism,
});
const sink = new ChecksumSink<Reading>(readingValue, channelName);
buildKeyedSumJob(env, n, sink);

// Only the job's main thread listens; in a worker `execute()` never returns.
const listener = isMainThread ? listenForReports(channelName, parallelism) : undefined;
const startedAt = epochNow();
const t0 = performance.now();
try {
  await env.execute(`bench: keyed running sum (threads, p=${parallelism})`);
  const executeMs = performance.now() - t0;
  listener!.startDeadline(10_000);
  const reports: WriterReport[] = await listener!.reports;
  let firstBatchAt = Number.POSITIVE_INFINITY;
  let closedAt = 0;
  let count = 0;
  let sum = 0;
  for (const r of reports) {
    count += r.count;
    sum += r.sum;
    if (r.firstBatchAt > 0) firstBatchAt = Math.min(firstBatchAt, r.firstBatchAt);
    closedAt = Math.max(closedAt, r.closedAt);
  }
  const result: KeyedSumResult = {
    n,
    parallelism,
    executeMs,
    firstBatchMs: firstBatchAt - startedAt,
    processingMs: closedAt - firstBatchAt,
    count,
    sum,
    writers: reports.length,
  };
  console.log(RESULT_PREFIX + JSON.stringify(result));
} catch (e) {
  listener?.close();
  const failure: KeyedSumFailure = { n, parallelism, error: describeError(e) };
  console.log(RESULT_PREFIX + JSON.stringify(failure));
  process.exitCode = 1;
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  let s = `${e.name}: ${e.message}`;
  let cause: unknown = (e as Error & { cause?: unknown }).cause;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    s += ` <- ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
    cause = cause instanceof Error ? (cause as Error & { cause?: unknown }).cause : undefined;
  }
  return s;
}
