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
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { ParameterTool, StreamExecutionEnvironment, type Sink, type SinkWriter } from '../../lib/index.ts';
import { buildChainJob, buildKeyedSumJob, readingValue, type Reading, type SquaresChecksum } from '../workload.ts';
import { buildWindowCountJob } from '../windows.ts';
import { buildCepJob, type MatchSummary } from '../cep.ts';
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
    const r = this.root(v);
    this.count++;
    this.sum += this.summand(v);
    this.sumSq += r * r;
  }
  flush(): void {}
  close(): void {
    if (isMainThread) return;
    const c = new BroadcastChannel(channelName);
    c.postMessage({ count: this.count, sum: this.sum, sumSq: this.sumSq });
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
const listener = isMainThread && target === 'threads' ? new BroadcastChannel(channelName) : undefined;
const allReported = new Promise<void>((resolve) => {
  if (listener === undefined) return resolve();
  listener.onmessage = (e: unknown) => {
    const d = (e as { data: SquaresChecksum }).data;
    total.count += d.count;
    total.sum += d.sum;
    total.sumSq += d.sumSq;
    if (++reports === parallelism) resolve();
  };
});
const rss0 = process.memoryUsage().rss;
let peakRss = rss0;
const sampler = isMainThread ? setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20) : undefined;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await env.execute(`bench exchange ${job} p=${parallelism} ${target}`);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
if (sampler) clearInterval(sampler);
if (target === 'threads') {
  await Promise.race([allReported, new Promise((_, rej) => setTimeout(() => rej(new Error('writers did not report')), 10_000))]);
  listener!.close();
} else {
  // Inline: every writer is in this thread.
  for (const w of sink.writers) {
    total.count += w.count;
    total.sum += w.sum;
    total.sumSq += w.sumSq;
  }
}
console.log(RESULT_PREFIX + JSON.stringify({ job, n, parallelism, target, ms, cpuMs, moduleEvaluatedMs, peakRssMb: Math.round(peakRss / 1048576), ...total }));
