/**
 * Benchmark job for the exchange rows of `bench/exchange.ts`: row (b), (c) or (d) of bench/run.ts at
 * parallelism p in either execution target, with a parallel source and a real keyBy exchange.
 *
 *   node_modules/.bin/tsx bench/jobs/exchange-job.ts --job c --n 2000000 -p 2 -t threads
 *
 * Prints one line `BENCH_RESULT {json}`: wall time of `env.execute()` (worker start-up included in
 * threads mode) and the checksum the sink writers added up (in threads mode they post it to the main
 * thread on a BroadcastChannel when they close).
 */
import { readFileSync } from 'node:fs';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { ParameterTool, StreamExecutionEnvironment, type Sink, type SinkWriter } from '../../lib/index.ts';
import { buildChainJob, buildKeyedSumJob, readingValue, type Reading, type SquaresChecksum } from '../workload.ts';
import { buildWindowCountJob } from '../windows.ts';
import { buildCepJob, CEP_OPERATOR_NAME, type MatchSummary } from '../cep.ts';
import { RESULT_PREFIX } from './result.ts';

/** ms from process start until the job module's body runs: what evaluating the module (and tidemark) costs. */
const moduleEvaluatedMs = performance.now();
const params = ParameterTool.fromArgs(process.argv);
const job = params.get('job', 'b');
const n = params.getInt('n', 2_000_000);
const parallelism = params.getInt('p', 1);
const target = params.get('t', 'threads') as 'inline' | 'threads';
/** --slow-sink-us U: every sink writer busy-waits U µs per 1 000 records (a slow sink, for peak RSS under backpressure). */
const slowSinkUs = params.getInt('slow-sink-us', 0);
/** --wm-interval MS: the auto-watermark interval (how often each source subtask emits a periodic watermark). */
const watermarkInterval = params.getInt('wm-interval', 200);
/** CPU ms of the calling thread (Linux: /proc/thread-self/stat, 10 ms ticks), 0 where that is not readable. */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}
/** This thread's CPU (ms) and the process's CPU (µs, all threads) when its first record reached a sink writer. */
let firstWrite: { thread: number; process: number } | null = null;
const channelName = `tidemark-bench-exchange-${params.get('run-id', String(process.pid))}`;

/** Adds up count, sum and sum of squares per writer; a writer in a worker posts its totals when it closes. */
class ReportingSink<T> implements Sink<T> {
  readonly writers: ReportingWriter<T>[] = [];
  constructor(
    private readonly summand: (v: T) => number,
    private readonly root: (v: T) => number,
  ) {}
  createWriter(): SinkWriter<T> {
    const w = new ReportingWriter<T>(this.summand, this.root);
    this.writers.push(w);
    return w;
  }
}

class ReportingWriter<T> implements SinkWriter<T> {
  count = 0;
  sum = 0;
  sumSq = 0;
  constructor(
    private readonly summand: (v: T) => number,
    private readonly root: (v: T) => number,
  ) {}
  write(v: T): void {
    if (slowSinkUs > 0 && this.count % 1000 === 0) {
      const until = performance.now() + slowSinkUs / 1000;
      while (performance.now() < until) {
        // busy: a sink that keeps its thread
      }
    }
    if (firstWrite === null) {
      const c = process.cpuUsage();
      firstWrite = { thread: threadCpuMs(), process: c.user + c.system };
    }
    const r = this.root(v);
    this.count++;
    this.sum += this.summand(v);
    this.sumSq += r * r;
  }
  flush(): void {}
  close(): void {
    if (isMainThread) return;
    const c = new BroadcastChannel(channelName);
    const steady = firstWrite === null ? { thread: 0, process: Infinity } : { thread: threadCpuMs() - firstWrite.thread, process: firstWrite.process };
    c.postMessage({ count: this.count, sum: this.sum, sumSq: this.sumSq, steady });
    c.close();
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment({
  'execution.target': target,
  'parallelism.default': parallelism,
  'taskmanager.numberOfTaskSlots': parallelism,
});
env.getConfig().setAutoWatermarkInterval(watermarkInterval);
let sink: ReportingSink<never>;
if (job === 'a') {
  const s = new ReportingSink<number>((x) => x, () => 0);
  buildChainJob(env, n, s);
  sink = s as unknown as ReportingSink<never>;
} else if (job === 'b') {
  const s = new ReportingSink<Reading>(readingValue, () => 0);
  buildKeyedSumJob(env, n, s);
  sink = s as unknown as ReportingSink<never>;
} else if (job === 'c') {
  const s = new ReportingSink<number>((x) => x, (x) => x);
  buildWindowCountJob(env, n, s);
  sink = s as unknown as ReportingSink<never>;
} else if (job === 'd') {
  const s = new ReportingSink<MatchSummary>((m) => m.ids, (m) => m.span);
  buildCepJob(env, n, s);
  sink = s as unknown as ReportingSink<never>;
} else throw new Error(`--job ${job}: a, b, c or d`);

const total: SquaresChecksum = { count: 0, sum: 0, sumSq: 0 };
let reports = 0;
/**
 * Steady state (start-up left out): CPU of the threads that ran tasks, from their first record at a sink
 * to their last writer's close (a worker counted once per writer: each worker of the bench has one), and
 * CPU of the whole process (every thread: main, workers, GC) from the first record anywhere to the end.
 */
let steadyThreadMs = 0;
let firstProcessCpuUs = Infinity;
const listener = isMainThread && target === 'threads' ? new BroadcastChannel(channelName) : undefined;
const allReported = new Promise<void>((resolve) => {
  if (listener === undefined) return resolve();
  listener.onmessage = (e: unknown) => {
    const d = (e as { data: SquaresChecksum }).data;
    total.count += d.count;
    total.sum += d.sum;
    total.sumSq += d.sumSq;
    const s = (e as { data: { steady: { thread: number; process: number } } }).data.steady;
    steadyThreadMs += s.thread;
    firstProcessCpuUs = Math.min(firstProcessCpuUs, s.process);
    if (++reports === parallelism) resolve();
  };
});
const rss0 = process.memoryUsage().rss;
let peakRss = rss0;
const sampler = isMainThread ? setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20) : undefined;
const cpu0 = process.cpuUsage();
const mainThreadCpu0 = threadCpuMs();
const t0 = performance.now();
const jobResult = await env.execute(`bench exchange ${job} p=${parallelism} ${target}`);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const endThreadCpuMs = threadCpuMs();
/** CPU of this (the client's) thread during execute(): in threads mode it should idle while the workers run. */
const mainThreadMs = endThreadCpuMs - mainThreadCpu0;
const endProcessCpuUs = process.cpuUsage().user + process.cpuUsage().system;
if (sampler) clearInterval(sampler);
if (target === 'threads') {
  await Promise.race([allReported, new Promise((_, rej) => setTimeout(() => rej(new Error('writers did not report')), 10_000))]);
  listener!.close();
} else {
  // Inline: every writer is in this thread.
  const first = firstWrite as { thread: number; process: number } | null; // set by the writers
  if (first !== null) {
    steadyThreadMs = endThreadCpuMs - first.thread;
    firstProcessCpuUs = first.process;
  }
  for (const w of sink.writers) {
    total.count += w.count;
    total.sum += w.sum;
    total.sumSq += w.sumSq;
  }
}
/** Row (d): events the CEP subtasks held for the watermark at their peak (summed over subtasks). */
const peakBuffered = jobResult.getAccumulatorResult<number>(`${CEP_OPERATOR_NAME}.peakBufferedEvents`);
console.log(RESULT_PREFIX + JSON.stringify({ job, n, parallelism, target, ms, cpuMs, moduleEvaluatedMs, peakRssMb: Math.round(peakRss / 1048576), steadyThreadMs, mainThreadMs, steadyCpuMs: (endProcessCpuUs - firstProcessCpuUs) / 1000, peakBuffered, ...total }));
