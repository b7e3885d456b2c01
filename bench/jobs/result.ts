/** What bench/jobs/keyed-sum.ts prints (one line, `BENCH_RESULT {json}`) for bench/run.ts to parse. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export interface KeyedSumResult {
  n: number;
  parallelism: number;
  /** Wall time of `env.execute()`, ms: worker start-up, module evaluation in each worker, processing, shutdown. */
  executeMs: number;
  /** ms from calling execute() until the first batch reached a sink writer. */
  firstBatchMs: number;
  /** ms from the first batch at any sink writer until the last writer closed. */
  processingMs: number;
  count: number;
  sum: number;
  writers: number;
}

export interface KeyedSumFailure {
  n: number;
  parallelism: number;
  error: string;
}
