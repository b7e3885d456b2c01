/**
 * `npm run bench` — what the framework costs over a hand-written loop.
 *
 *   npm run bench                          # N = 10 000 000 records per measurement
 *   npm run bench -- --n 200000 --reps 2   # quick run
 *   npm run bench -- --n 200000 --cep-n 200000 --reps 2 --no-threads   # quicker, inline rows only
 *   options: --n N  --reps R (measurements per row, best is reported; default 3)
 *            --threads-n N (N for the threads rows; default --n)  --no-threads  --no-inline
 *            --cep-n N (events of row (d); default 1 000 000, independent of --n)
 *            --watermark-interval MS (auto-watermark interval of rows (c), (d) and (w1)-(w5); default 200, the framework's default)
 *            --window-n N (events of rows (w1)-(w5); default 2 000 000, independent of --n)  --no-windows (skip them)
 *            --only LIST (run only these rows: comma-separated letters a-g, w1-w5, or w / windows for all five window rows;
 *              e.g. --only windows, --only c,w3)
 *            --checkpoint-n N (events of row (e); default 50 000 000, independent of --n: at ~9 M/s that is
 *              about 5 s per run, so about 5 checkpoints at 1 s)  --no-checkpoints (skip rows (e)-(g))
 *
 * Rows:
 *  (a) Source -> map -> filter -> map -> sink, chained, inline mode, parallelism 1.
 *  (b) Source -> map -> keyBy -> reduce (running sum) -> sink, inline mode, parallelism 1.
 *  (c) Source -> map -> timestamps/watermarks (bounded out-of-orderness 5 s) -> keyBy -> 1-minute
 *      tumbling event-time windows -> aggregate(count) -> sink, inline mode, parallelism 1: N events
 *      over 10 000 keys, 5% out of order within the bound (bench/windows.ts). Its hand loop keeps
 *      counts per (key, window) in Maps and fires a window when its watermark (same rule, checked
 *      after every event) passes the window's end. Checksum: results, sum and sum of squares of counts.
 *  (d) Source -> map -> timestamps/watermarks (bounded out-of-orderness 5 s) -> keyBy -> CEP pattern
 *      begin('a').followedBy('b').followedBy('c').within('10 s') -> select -> sink, inline mode,
 *      parallelism 1: --cep-n events over 10 000 keys, 10 events per ms of event time, 5% out of order
 *      within the bound, a quarter each of types a, b, c and x (bench/cep.ts). Its hand loop holds
 *      the events in per-millisecond buckets until its watermark (same rule, after every event)
 *      passes them, then runs each through its key's list of open partial matches (drop at a.ts +
 *      10 s, take the first b, complete on the first c after it). Checksum: matches, sum of
 *      a.id + 2 b.id + 4 c.id, sum of squared spans c.ts - a.ts. Its target is absolute (>= 1 M
 *      events/s), and it reports the peak heap of the framework run: process.memoryUsage().heapUsed
 *      sampled every 5 ms (the inline executor yields to the event loop every 8 ms) and after the
 *      run, minus the heap after a forced GC just before the run. The samples include garbage not
 *      yet collected, so this is an upper bound of what the job holds live (buffered events,
 *      partial matches, timers); a note adds the highest heapUsed seen right after a major GC
 *      (about the live heap) and the CEP operator's peaks of buffered records and partial matches.
 *  (w1)-(w5) every window kind on one generator (issue 15; bench/window-kinds.ts), keyed, event time,
 *      bounded out-of-orderness 100 ms, inline mode, parallelism 1: --window-n events over 10 000 keys,
 *      256 events per ms of event time (a key sees one about every 39 ms), value v in 0..99, every 20th
 *      event 50 ms late (never behind the watermark), and each key silent 400 ms of every second (its
 *      events go to a partner key meanwhile) so that sessions close during the run.
 *      (w1) tumbling 1 s, aggregate(count); (w2) tumbling 1 s, ProcessWindowFunction over all elements
 *      (count and sum of v, with the key and the window's start and end); (w3) sliding 2 s / 1 s and
 *      (w4) sliding 10 s / 1 s, aggregate([count, sum of v]) (with merge); (w5) event-time sessions,
 *      gap 300 ms, the ProcessWindowFunction of (w2). Their hand loops compute what Flink's
 *      WindowOperator does, plainly: an accumulator or element array per (key, window) in a Map per
 *      window end (an element goes into each sliding window that holds it), sessions per key merged as
 *      MergingWindowSet does (every open session the new [ts, ts + gap) intersects, into their cover),
 *      a window firing when the watermark (after every event) reaches its end - 1, all at the end of
 *      input. Checksum: results, a weighted sum of their fields (counts, sums, key, window bounds) and
 *      the sum of their squared fields. Targets (issue 15): >= 5 M events/s (w4: >= 3 M) and within 2x of
 *      the hand loop (ratio >= 0.5), both reported, not errors.
 *      All against a hand-written loop in this process calling the same user functions on the
 *      same records (bench/workload.ts, bench/windows.ts, bench/cep.ts, bench/window-kinds.ts) and adding
 *      up results as the sink does; ratio = framework records/s / hand loop records/s.
 *  (b) in threads mode at parallelism 1 and 2: bench/jobs/keyed-sum.ts in a child process, timed
 *      around `env.execute()` inside the job (so worker start-up counts, process start-up does not);
 *      ratio = p2 records/s / p1 records/s. The notes split execute() into start-up (until the first
 *      batch reaches a sink) and processing, and give p2/p1 on processing time alone.
 * Fault tolerance (bench/checkpoints.ts; inline p=1, checkpoints into a temp folder removed afterwards;
 * on by default, about 1 min with the default --reps 3; --no-checkpoints or --no-inline skips them):
 *  (e) row (c)'s job with checkpoints every 1 s (EXACTLY_ONCE) vs none, --checkpoint-n events, best of
 *      --reps each (alternating): both rates, overhead = 1 - with/without (target <= 10 %), the same
 *      on the process's CPU time (user + system, all threads; steadier than wall time on a shared machine), and how
 *      many periodic checkpoints completed during the run (the final checkpoint at the end of input
 *      is not counted; its cost is in the time). Both runs must give the same checksum.
 *  (f) checkpoint cost of 10 k and 1 M keys of ValueState<number> (a KeyedProcessFunction sets one value
 *      per key): once all keys exist, 5 savepoints (JobClient.triggerSavepoint, the last
 *      stopWithSavepoint); from JobClient.checkpointStats(): duration, synchronous part (the slowest
 *      subtask's pre-barrier flush + snapshot + serialization, while the task does nothing else),
 *      asynchronous part (writing the file) and state size; median of the 5 and the highest.
 *  (g) recovery time: the function throws at record k of attempt 0 (performance.now() when it throws)
 *      to its first record of attempt 1 (performance.now() in user code), restart strategy
 *      fixedDelay(1, 0) (no configured delay: the default fixed delay would add 1 s), restoring no
 *      checkpoint (failure before the first one), and a completed periodic checkpoint of 10 k / 1 M
 *      keys of ValueState; best of --reps.
 * A note on (a) also times the hand loop with the user functions behind megamorphic call sites, where
 * V8 can inline nothing: the gap between the two hand loops is V8 inlining, not framework overhead.
 * Progress goes to stderr, the table and notes to stdout.
 * Checksums (count and sum of the sink's input) of every framework run must equal the hand loop's;
 * otherwise the bench prints MISMATCH and exits 1. Missing a target is reported, not an error.
 * This is not a test: vitest never picks it up (no *.test.ts / *.bench.ts file here).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { ParameterTool, StreamExecutionEnvironment, type JobExecutionResult } from '../lib/index.ts';
import {
  ChecksumSink,
  buildChainJob,
  buildKeyedSumJob,
  formatChecksum,
  handChain,
  handChainNotInlined,
  handKeyedSum,
  identity,
  readingValue,
  sameChecksum,
  type Checksum,
  type Reading,
} from './workload.ts';
import { RESULT_PREFIX, type KeyedSumFailure, type KeyedSumResult } from './jobs/result.ts';
import { WindowCountSink, buildWindowCountJob, handWindowCount } from './windows.ts';
import { CEP_OPERATOR_NAME, CepChecksumSink, buildCepJob, handCep } from './cep.ts';
import {
  VK_LONG_SLIDING_MS,
  VK_SHORT_SLIDING_MS,
  WindowKindSink,
  buildSessionJob,
  buildSlidingJob,
  buildTumblingCountJob,
  buildTumblingProcessJob,
  countChecksum,
  countSumChecksum,
  handLongSliding,
  handSessionProcess,
  handShortSliding,
  handTumblingCount,
  handTumblingProcess,
  statsChecksum,
  type ResultChecksum,
} from './window-kinds.ts';
import { recoveryTime, stateCheckpointCost, windowJob, type RecoveryRun, type WindowRun } from './checkpoints.ts';
import type { CompletedCheckpointStats, Sink } from '../lib/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const KEYED_SUM_JOB = fileURLToPath(new URL('./jobs/keyed-sum.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 60_000;

const params = ParameterTool.fromArgs(process.argv);
const N = params.getInt('n', 10_000_000);
const REPS = params.getInt('reps', 3);
const THREADS_N = params.getInt('threads-n', N);
const RUN_INLINE = !params.has('no-inline');
const RUN_THREADS = !params.has('no-threads');
const WATERMARK_INTERVAL = params.getInt('watermark-interval', 200);
const CEP_N = params.getInt('cep-n', 1_000_000);
const CHECKPOINT_N = params.getInt('checkpoint-n', 50_000_000);
const RUN_CHECKPOINTS = RUN_INLINE && !params.has('no-checkpoints');
const WINDOW_N = params.getInt('window-n', 2_000_000);
const RUN_WINDOWS = RUN_INLINE && !params.has('no-windows');
if (N < 1 || REPS < 1 || THREADS_N < 1 || CEP_N < 1 || CHECKPOINT_N < 1 || WINDOW_N < 1) {
  throw new RangeError('--n, --threads-n, --cep-n, --checkpoint-n, --window-n and --reps must be positive');
}
/** --only: the rows to run (undefined: all). */
const ONLY: ReadonlySet<string> | undefined = (() => {
  const list = params.get('only');
  if (list === undefined) return undefined;
  const known = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'w1', 'w2', 'w3', 'w4', 'w5']);
  const rowIds = new Set<string>();
  for (const raw of list.split(',')) {
    const id = raw.trim().toLowerCase().replace(/^\((.*)\)$/, '$1');
    if (id === 'w' || id === 'windows') for (const w of ['w1', 'w2', 'w3', 'w4', 'w5']) rowIds.add(w);
    else if (known.has(id)) rowIds.add(id);
    else throw new RangeError(`--only: unknown row '${raw}' (rows: a-g, w1-w5, w or windows)`);
  }
  return rowIds;
})();
/** Whether row `id` (a-g, w1-w5) runs, as far as --only decides. */
function wanted(id: string): boolean {
  return ONLY === undefined || ONLY.has(id);
}
if (WATERMARK_INTERVAL < 1) throw new RangeError('--watermark-interval must be positive');

interface Row {
  case: string;
  mode: string;
  rate?: number;
  handRate?: number;
  ratio?: number;
  ratioLabel?: string;
  /** Target of the ratio. */
  target?: number;
  /** Target of the framework's records/s (absolute), instead of or (window rows) as well as a ratio target. */
  targetRate?: number;
  /** Peak heap of the framework run, formatted. */
  peakHeap?: string;
  error?: string;
  mismatch?: boolean;
}

const rows: Row[] = [];
const notes: string[] = [];
let mismatches = 0;

/** False (and a MISMATCH line) when the framework's sink saw other results than the hand loop. */
function checkChecksum(what: string, got: Checksum, expected: Checksum): boolean {
  if (sameChecksum(got, expected)) return true;
  mismatches++;
  console.error(`MISMATCH ${what}: framework ${formatChecksum(got)} but hand loop ${formatChecksum(expected)}`);
  return false;
}

function rateOf(n: number, ms: number): number {
  return (n / ms) * 1000;
}

function fmtRate(r: number | undefined): string {
  return r === undefined ? '-' : `${(r / 1e6).toFixed(2)} M/s`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function fmtBytes(b: number): string {
  return `${(b / 1024 / 1024).toFixed(0)} MB`;
}

function progress(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

// ---- inline: framework vs hand loop in this process --------------------------------------------------

function inlineEnv(): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.getExecutionEnvironment({ 'execution.target': 'inline', 'parallelism.default': 1 });
}

async function frameworkChain(n: number): Promise<{ ms: number; checksum: Checksum }> {
  const env = inlineEnv();
  const sink = new ChecksumSink<number>(identity);
  buildChainJob(env, n, sink);
  const t0 = performance.now();
  await env.execute('bench: map -> filter -> map');
  return { ms: performance.now() - t0, checksum: sink.total() };
}

async function frameworkKeyedSum(n: number): Promise<{ ms: number; checksum: Checksum }> {
  const env = inlineEnv();
  const sink = new ChecksumSink<Reading>(readingValue);
  buildKeyedSumJob(env, n, sink);
  const t0 = performance.now();
  await env.execute('bench: keyed running sum');
  return { ms: performance.now() - t0, checksum: sink.total() };
}

async function frameworkWindowCount(n: number): Promise<{ ms: number; checksum: Checksum }> {
  const env = inlineEnv();
  // Periodic watermarks every WATERMARK_INTERVAL ms of processing time (the counts do not depend on it).
  env.getConfig().setAutoWatermarkInterval(WATERMARK_INTERVAL);
  const sink = new WindowCountSink();
  buildWindowCountJob(env, n, sink);
  const t0 = performance.now();
  await env.execute('bench: keyed tumbling event-time window count');
  return { ms: performance.now() - t0, checksum: sink.total() };
}

/**
 * A full GC, for the heap baseline of row (d): global.gc when node runs with --expose-gc, else the
 * same function enabled at runtime (v8 flag + a fresh context); undefined if neither works.
 */
const forceGc: (() => void) | undefined = (() => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

interface FrameworkRun {
  ms: number;
  checksum: Checksum;
  /** Highest heapUsed sampled during the run, above the baseline taken (after a GC) before it. */
  peakHeapBytes?: number;
  /** Highest heapUsed seen right after a major GC during the run (about the live heap then), above the baseline. */
  liveHeapBytes?: number;
  /** The CEP operator's peaks: records waiting for the watermark, open partial matches. */
  peakBuffered?: number;
  peakPartialMatches?: number;
}

const HEAP_SAMPLE_MS = 5;

/**
 * Row (d)'s framework run. Timed runs only time; `probeHeap` makes the (untimed) run that measures the heap:
 * a forced full GC for its baseline and a sampler. Not in the timed runs: after a forced full GC V8 starts
 * the run with a small heap again (young generation and old-generation limit), and the job's ~600 k events
 * waiting for the watermark then cost extra collections that a job running for longer than a second pays
 * once — measured here, 25–35 % of the run time (the hand loop, which keeps ~50 k, is not affected).
 */
async function frameworkCep(n: number, probeHeap = false): Promise<FrameworkRun> {
  const env = inlineEnv();
  env.getConfig().setAutoWatermarkInterval(WATERMARK_INTERVAL);
  const sink = new CepChecksumSink();
  buildCepJob(env, n, sink);
  if (!probeHeap) {
    const t0 = performance.now();
    const result = await env.execute('bench: keyed 3-step CEP pattern');
    const ms = performance.now() - t0;
    const metric = (name: string) => result.getAccumulatorResult<number>(`${CEP_OPERATOR_NAME}.${name}`);
    return { ms, checksum: sink.total(), peakBuffered: metric('peakBufferedEvents'), peakPartialMatches: metric('peakPartialMatches') };
  }
  forceGc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let live = baseline;
  const sampler = setInterval(() => {
    const h = process.memoryUsage().heapUsed;
    if (h > peak) peak = h;
  }, HEAP_SAMPLE_MS);
  // Right after a mark-compact the heap holds little garbage: heapUsed then is about the live heap.
  const majorGcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const h = process.memoryUsage().heapUsed;
      if (h > live) live = h;
    }
  });
  majorGcs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  let result: JobExecutionResult;
  try {
    result = await env.execute('bench: keyed 3-step CEP pattern');
  } finally {
    clearInterval(sampler);
    majorGcs.disconnect();
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  const metric = (name: string) => result.getAccumulatorResult<number>(`${CEP_OPERATOR_NAME}.${name}`);
  return {
    ms,
    checksum: sink.total(),
    peakHeapBytes: peak - baseline,
    liveHeapBytes: live - baseline,
    peakBuffered: metric('peakBufferedEvents'),
    peakPartialMatches: metric('peakPartialMatches'),
  };
}

/** One of rows (w1)-(w5): `build` wires the job into the row's checksum sink. */
async function frameworkWindowKind<R>(
  what: string,
  build: (env: StreamExecutionEnvironment, n: number, sink: Sink<R>) => unknown,
  fields: ResultChecksum<R>,
  n: number,
): Promise<FrameworkRun> {
  const env = inlineEnv();
  // Periodic watermarks every WATERMARK_INTERVAL ms of processing time (the results do not depend on it).
  env.getConfig().setAutoWatermarkInterval(WATERMARK_INTERVAL);
  const sink = new WindowKindSink<R>(fields);
  build(env, n, sink);
  const t0 = performance.now();
  await env.execute(`bench: ${what}`);
  return { ms: performance.now() - t0, checksum: sink.total() };
}

function timeHand(fn: (n: number) => Checksum, n: number): { ms: number; checksum: Checksum } {
  const t0 = performance.now();
  const checksum = fn(n);
  return { ms: performance.now() - t0, checksum };
}

interface InlineCaseOptions {
  /** Records per measurement (default --n). */
  n?: number;
  /** Target of the ratio to the hand loop. */
  target?: number;
  /** Absolute target of the framework's records/s (instead of or as well as a ratio target). */
  targetRate?: number;
  notInlined?: (n: number) => Checksum;
  /** One more framework run after the timed ones, untimed, for the heap figures. */
  heapProbe?: (n: number) => Promise<FrameworkRun>;
}

async function inlineCase(
  name: string,
  hand: (n: number) => Checksum,
  framework: (n: number) => Promise<FrameworkRun>,
  options: InlineCaseOptions,
): Promise<Checksum> {
  const { n = N, target, targetRate, notInlined, heapProbe } = options;
  // Warm-up (JIT) on a smaller input, not counted.
  const warm = Math.min(n, 1_000_000);
  let same = checkChecksum(`${name} (warm-up)`, (await framework(warm)).checksum, hand(warm));
  let bestHand = Number.POSITIVE_INFINITY;
  let bestFramework = Number.POSITIVE_INFINITY;
  let bestNotInlined = Number.POSITIVE_INFINITY;
  /** Maxima over the measured framework runs (where the framework function reports them). */
  let peakHeap: number | undefined;
  let liveHeap: number | undefined;
  let peakBuffered: number | undefined;
  let peakPartialMatches: number | undefined;
  const max = (a: number | undefined, b: number | undefined) => (b === undefined ? a : Math.max(a ?? b, b));
  let expected: Checksum | undefined;
  for (let rep = 0; rep < REPS; rep++) {
    const h = timeHand(hand, n);
    const f = await framework(n);
    expected ??= h.checksum;
    same = checkChecksum(`${name} hand loop rep ${rep + 1}`, h.checksum, expected) && same;
    same = checkChecksum(`${name} rep ${rep + 1}`, f.checksum, expected) && same;
    bestHand = Math.min(bestHand, h.ms);
    bestFramework = Math.min(bestFramework, f.ms);
    peakHeap = max(peakHeap, f.peakHeapBytes);
    liveHeap = max(liveHeap, f.liveHeapBytes);
    peakBuffered = max(peakBuffered, f.peakBuffered);
    peakPartialMatches = max(peakPartialMatches, f.peakPartialMatches);
    let extra = '';
    if (notInlined) {
      const d = timeHand(notInlined, n);
      same = checkChecksum(`${name} hand loop without inlining rep ${rep + 1}`, d.checksum, expected) && same;
      bestNotInlined = Math.min(bestNotInlined, d.ms);
      extra = `, hand without inlining ${fmtMs(d.ms)}`;
    }
    const heap = f.peakHeapBytes === undefined ? '' : ` (peak heap +${fmtBytes(f.peakHeapBytes)})`;
    progress(`${name}: hand ${fmtMs(h.ms)}, framework ${fmtMs(f.ms)}${heap}${extra}`);
  }
  if (heapProbe !== undefined) {
    const p = await heapProbe(n);
    same = checkChecksum(`${name} heap probe`, p.checksum, expected!) && same;
    peakHeap = max(peakHeap, p.peakHeapBytes);
    liveHeap = max(liveHeap, p.liveHeapBytes);
  }
  const rate = rateOf(n, bestFramework);
  const handRate = rateOf(n, bestHand);
  rows.push({
    case: name,
    mode: 'inline p=1',
    rate,
    handRate,
    ratio: rate / handRate,
    ratioLabel: 'vs hand',
    target,
    targetRate,
    peakHeap: peakHeap === undefined ? undefined : fmtBytes(peakHeap),
    mismatch: !same,
  });
  if (same) notes.push(`${name}: N=${n.toLocaleString('en-US')}, checksum ${formatChecksum(expected!)} (framework = hand loop)`);
  if (peakHeap !== undefined) {
    notes.push(
      `${name}: peak heap ${fmtBytes(peakHeap)} = highest process.memoryUsage().heapUsed sampled every ${HEAP_SAMPLE_MS} ms during a ` +
        `framework run (one more, untimed, after the timed ones), minus the heap after a ${forceGc === undefined ? '(not available here, so none) ' : ''}forced GC before it; ` +
        `it includes garbage not yet collected. Right after major GCs the heap was at most ` +
        `${liveHeap === undefined || liveHeap <= 0 ? '- (no major GC)' : `${fmtBytes(liveHeap)} above that`} (about the live state). ` +
        `Peak records waiting for the watermark: ${peakBuffered?.toLocaleString('en-US') ?? '-'}, ` +
        `peak open partial matches: ${peakPartialMatches?.toLocaleString('en-US') ?? '-'}`,
    );
  }
  if (notInlined) {
    const d = rateOf(n, bestNotInlined);
    notes.push(
      `${name}: the same hand loop with the user functions called through megamorphic call sites (V8 cannot inline them ` +
        `or drop the record allocation, as inside any framework): ${fmtRate(d)}; framework / that = ${(rate / d).toFixed(2)}`,
    );
  }
  return expected!;
}

// ---- threads: the job module in a child process -------------------------------------------------------

type ChildOutcome = { ok: true; result: KeyedSumResult } | { ok: false; error: string };

function isKeyedSumResult(v: unknown): v is KeyedSumResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['n', 'parallelism', 'executeMs', 'firstBatchMs', 'processingMs', 'count', 'sum', 'writers'].every((k) => typeof r[k] === 'number');
}

function isKeyedSumFailure(v: unknown): v is KeyedSumFailure {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).error === 'string';
}

function runKeyedSumJob(n: number, parallelism: number, runId: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [KEYED_SUM_JOB, '--n', String(n), '-p', String(parallelism), '--run-id', runId], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start ${TSX}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      let parsed: unknown;
      try {
        parsed = line === undefined ? undefined : JSON.parse(line.slice(RESULT_PREFIX.length));
      } catch {
        parsed = undefined;
      }
      if (code === 0 && isKeyedSumResult(parsed)) return resolve({ ok: true, result: parsed });
      const tail = errorSummary(stderr);
      const why = timedOut
        ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s`
        : isKeyedSumFailure(parsed)
          ? parsed.error
          : `exit ${code ?? signal}${tail ? `: ${tail}` : ''}`;
      resolve({ ok: false, error: why });
    });
  });
}

/** The error lines of a child's stderr (Node prints the source line and a caret first), else its last lines. */
function errorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^Node\.js v\d/.test(l));
  const errors = lines.filter((l) => /^(\[cause\]: )?[\w.]*(Error|Exception)\b[^:]*:/.test(l));
  return (errors.length > 0 ? errors.slice(0, 3) : lines.slice(-3)).join(' | ');
}

async function threadsCase(name: string, expected: Checksum, handRate: number | undefined): Promise<void> {
  const best = new Map<number, KeyedSumResult>();
  const errors = new Map<number, string>();
  const mismatched = new Set<number>();
  for (let rep = 0; rep < REPS; rep++) {
    for (const p of [1, 2]) {
      if (errors.has(p)) continue;
      const out = await runKeyedSumJob(THREADS_N, p, `${process.pid}-${rep}-${p}`);
      if (!out.ok) {
        errors.set(p, out.error);
        progress(`${name} threads p=${p}: FAILED ${out.error}`);
        continue;
      }
      const r = out.result;
      if (!checkChecksum(`${name} threads p=${p} rep ${rep + 1}`, r, expected)) mismatched.add(p);
      progress(
        `${name} threads p=${p}: execute ${fmtMs(r.executeMs)} (first batch at sink after ${fmtMs(r.firstBatchMs)}, processing ${fmtMs(r.processingMs)})`,
      );
      const prev = best.get(p);
      if (prev === undefined || r.executeMs < prev.executeMs) best.set(p, r);
    }
  }
  const p1 = best.get(1);
  const p2 = best.get(2);
  for (const p of [1, 2]) {
    const r = best.get(p);
    const row: Row = { case: name, mode: `threads p=${p}`, handRate, error: errors.get(p), mismatch: mismatched.has(p) };
    if (r) row.rate = rateOf(THREADS_N, r.executeMs);
    if (p === 2) {
      row.target = 1.5;
      row.ratioLabel = 'p2/p1';
      if (p1 && p2) row.ratio = rateOf(THREADS_N, p2.executeMs) / rateOf(THREADS_N, p1.executeMs);
    }
    rows.push(row);
    if (r) {
      notes.push(
        `${name} threads p=${p}: execute() ${fmtMs(r.executeMs)} = ${fmtMs(r.firstBatchMs)} until the first batch reached a sink ` +
          `(workers start, each re-evaluates the job module) + ${fmtMs(r.processingMs)} processing (${fmtRate(rateOf(THREADS_N, r.processingMs))}) + rest`,
      );
    }
  }
  if (p1 && p2) {
    notes.push(`${name} threads p2/p1 on processing time alone (start-up excluded): ${(p1.processingMs / p2.processingMs).toFixed(2)}`);
  }
}

// ---- main ----------------------------------------------------------------------------------------------

const CHAIN = '(a) map->filter->map';
const KEYED = '(b) keyBy->reduce';
const WINDOW = '(c) keyed 1-min window count';
const CEP_ROW = '(d) keyed 3-step CEP pattern';
const started = performance.now();
console.log(
  `tidemark bench: N=${N.toLocaleString('en-US')} records (threads rows: ${THREADS_N.toLocaleString('en-US')}, row (d): ${CEP_N.toLocaleString('en-US')}, rows (w1)-(w5): ${WINDOW_N.toLocaleString('en-US')}), best of ${REPS}; ` +
    `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
);

const load = loadavg()[0]!;
if (load > cpus().length * 0.5) {
  console.log(`WARNING: load average ${load.toFixed(2)} on ${cpus().length} CPUs before the bench started: other processes may compete, numbers may be low and noisy.`);
}

let keyedExpected: Checksum | undefined;
let keyedHandRate: number | undefined;
if (RUN_INLINE && wanted('a')) await inlineCase(CHAIN, handChain, frameworkChain, { target: 0.5, notInlined: handChainNotInlined });
if (RUN_INLINE && wanted('b')) {
  keyedExpected = await inlineCase(KEYED, handKeyedSum, frameworkKeyedSum, { target: 0.4 });
  keyedHandRate = rows[rows.length - 1]!.handRate;
}
if (RUN_THREADS && wanted('b')) {
  if (keyedExpected === undefined || THREADS_N !== N) {
    handKeyedSum(Math.min(THREADS_N, 1_000_000)); // warm-up
    const h = timeHand(handKeyedSum, THREADS_N);
    keyedExpected = h.checksum;
    keyedHandRate ??= rateOf(THREADS_N, h.ms);
  }
  await threadsCase(KEYED, keyedExpected, keyedHandRate);
}

if (RUN_INLINE && wanted('c')) await inlineCase(WINDOW, handWindowCount, frameworkWindowCount, { target: 0.4 });
if (RUN_INLINE && wanted('d')) await inlineCase(CEP_ROW, handCep, (n) => frameworkCep(n), { n: CEP_N, targetRate: 1e6, heapProbe: (n) => frameworkCep(n, true) });

// ---- every window kind: rows (w1)-(w5) ---------------------------------------------------------------

/** Issue 15's targets: >= 5 M events/s (the 10 s / 1 s sliding row: 3 M) and within 2x of the hand loop. */
const WINDOW_TARGET_RATIO = 0.5;
const WINDOW_TARGET_RATE = 5e6;
const LONG_SLIDING_TARGET_RATE = 3e6;
if (RUN_WINDOWS) {
  const opts = (targetRate: number): InlineCaseOptions => ({ n: WINDOW_N, target: WINDOW_TARGET_RATIO, targetRate });
  const cases: Array<[id: string, name: string, hand: (n: number) => Checksum, framework: (n: number) => Promise<FrameworkRun>, targetRate: number]> = [
    ['w1', '(w1) tumbling 1 s, aggregate(count)', handTumblingCount, (n) => frameworkWindowKind('tumbling 1 s count', buildTumblingCountJob, countChecksum, n), WINDOW_TARGET_RATE],
    ['w2', '(w2) tumbling 1 s, ProcessWindowFunction', handTumblingProcess, (n) => frameworkWindowKind('tumbling 1 s process', buildTumblingProcessJob, statsChecksum, n), WINDOW_TARGET_RATE],
    [
      'w3',
      '(w3) sliding 2 s / 1 s, aggregate',
      handShortSliding,
      (n) => frameworkWindowKind('sliding 2 s / 1 s', (env, m, sink) => buildSlidingJob(env, m, VK_SHORT_SLIDING_MS, sink), countSumChecksum, n),
      WINDOW_TARGET_RATE,
    ],
    [
      'w4',
      '(w4) sliding 10 s / 1 s, aggregate',
      handLongSliding,
      (n) => frameworkWindowKind('sliding 10 s / 1 s', (env, m, sink) => buildSlidingJob(env, m, VK_LONG_SLIDING_MS, sink), countSumChecksum, n),
      LONG_SLIDING_TARGET_RATE,
    ],
    ['w5', '(w5) session gap 300 ms, ProcessWindowFunction', handSessionProcess, (n) => frameworkWindowKind('sessions 300 ms process', buildSessionJob, statsChecksum, n), WINDOW_TARGET_RATE],
  ];
  for (const [id, name, hand, framework, targetRate] of cases) {
    if (wanted(id)) await inlineCase(name, hand, framework, opts(targetRate));
  }
}

// ---- fault tolerance: rows (e)-(g) --------------------------------------------------------------------

const CHECKPOINT_INTERVAL_MS = 1000;
const OVERHEAD_TARGET = 0.1;
const SAVEPOINTS = 5;
const STATE_KEYS = [10_000, 1_000_000];
const ftTables: string[][][] = [];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function fmtSize(b: number): string {
  return b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} kB`;
}

function fmtMsPrecise(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

async function checkpointOverhead(): Promise<void> {
  const name = `(e) ${WINDOW.slice(4)}, checkpoints every ${CHECKPOINT_INTERVAL_MS / 1000} s`;
  await windowJob(Math.min(CHECKPOINT_N, 1_000_000), WATERMARK_INTERVAL, CHECKPOINT_INTERVAL_MS); // warm-up
  let bestNone: WindowRun | undefined;
  let bestChk: WindowRun | undefined;
  let bestNoneCpu = Number.POSITIVE_INFINITY;
  let bestChkCpu = Number.POSITIVE_INFINITY;
  let same = true;
  for (let rep = 0; rep < REPS; rep++) {
    const none = await windowJob(CHECKPOINT_N, WATERMARK_INTERVAL, undefined);
    const chk = await windowJob(CHECKPOINT_N, WATERMARK_INTERVAL, CHECKPOINT_INTERVAL_MS);
    same = checkChecksum(`${name} rep ${rep + 1} (checkpointed vs not)`, chk.checksum, none.checksum) && same;
    if (bestNone === undefined || none.ms < bestNone.ms) bestNone = none;
    if (bestChk === undefined || chk.ms < bestChk.ms) bestChk = chk;
    bestNoneCpu = Math.min(bestNoneCpu, none.cpuMs);
    bestChkCpu = Math.min(bestChkCpu, chk.cpuMs);
    progress(
      `${name}: without ${fmtMs(none.ms)} (CPU ${fmtMs(none.cpuMs)}), with ${fmtMs(chk.ms)} (CPU ${fmtMs(chk.cpuMs)}, ${chk.checkpoints} checkpoints: ` +
        `sync ${chk.stats.map((c) => fmtMsPrecise(c.maxSyncDurationMs)).join(' ')})`,
    );
  }
  const without = rateOf(CHECKPOINT_N, bestNone!.ms);
  const withChk = rateOf(CHECKPOINT_N, bestChk!.ms);
  const overhead = 1 - withChk / without;
  // CPU time of the process (all threads) is less disturbed by other processes on the machine than wall time.
  const cpuOverhead = bestChkCpu / bestNoneCpu - 1;
  const periodic = bestChk!.stats.filter((s) => !s.savepoint).slice(0, bestChk!.checkpoints);
  const ok = !same ? 'MISMATCH' : overhead <= OVERHEAD_TARGET ? 'yes' : 'NO';
  ftTables.push([
    ['case', 'N', 'without checkpoints', `with checkpoints every ${CHECKPOINT_INTERVAL_MS / 1000} s`, 'overhead', 'target', 'ok?', 'CPU time without / with (overhead)', 'checkpoints in the run', 'per checkpoint (median): duration / sync / async / size'],
    [
      name,
      CHECKPOINT_N.toLocaleString('en-US'),
      fmtRate(without),
      fmtRate(withChk),
      `${(overhead * 100).toFixed(1)} %`,
      `<= ${OVERHEAD_TARGET * 100} %`,
      ok,
      `${fmtMs(bestNoneCpu)} / ${fmtMs(bestChkCpu)} (${(cpuOverhead * 100).toFixed(1)} %)`,
      `${bestChk!.checkpoints} + final`,
      periodic.length === 0
        ? '-'
        : `${fmtMsPrecise(median(periodic.map((s) => s.durationMs)))} / ${fmtMsPrecise(median(periodic.map((s) => s.maxSyncDurationMs)))} / ` +
          `${fmtMsPrecise(median(periodic.map((s) => s.maxAsyncDurationMs)))} / ${fmtSize(median(periodic.map((s) => s.stateSize)))}`,
    ],
  ]);
}

async function stateCheckpointCosts(): Promise<void> {
  await stateCheckpointCost(10_000, 2); // warm-up (JIT of snapshot and serializer)
  const table: string[][] = [
    ['case', 'keys', 'state size', 'duration', 'sync part', 'async part', 'highest duration / sync / async', `time to fill`],
  ];
  for (const keys of STATE_KEYS) {
    const r = await stateCheckpointCost(keys, SAVEPOINTS);
    const stats: readonly CompletedCheckpointStats[] = r.stats;
    const col = (f: (s: CompletedCheckpointStats) => number) => stats.map(f);
    const max = (xs: number[]) => Math.max(...xs);
    progress(`(f) ${keys} keys: ${stats.map((s) => `sync ${fmtMsPrecise(s.maxSyncDurationMs)} async ${fmtMsPrecise(s.maxAsyncDurationMs)}`).join(', ')}`);
    table.push([
      `(f) savepoint of ValueState<number>, median of ${stats.length}`,
      keys.toLocaleString('en-US'),
      fmtSize(median(col((s) => s.stateSize))),
      fmtMsPrecise(median(col((s) => s.durationMs))),
      fmtMsPrecise(median(col((s) => s.maxSyncDurationMs))),
      fmtMsPrecise(median(col((s) => s.maxAsyncDurationMs))),
      `${fmtMsPrecise(max(col((s) => s.durationMs)))} / ${fmtMsPrecise(max(col((s) => s.maxSyncDurationMs)))} / ${fmtMsPrecise(max(col((s) => s.maxAsyncDurationMs)))}`,
      fmtMsPrecise(r.fillMs),
    ]);
  }
  ftTables.push(table);
}

async function recoveryTimes(): Promise<void> {
  const table: string[][] = [['case', 'restored checkpoint', 'recovery time (best)', 'all runs', 'checkpoint restored: size / sync part']];
  for (const keys of [0, ...STATE_KEYS]) {
    let best: RecoveryRun | undefined;
    const all: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const r = await recoveryTime(keys);
      all.push(r.recoveryMs);
      if (best === undefined || r.recoveryMs < best.recoveryMs) best = r;
    }
    progress(`(g) recovery, ${keys} keys: ${all.map(fmtMsPrecise).join(', ')}`);
    const s = best!.restoredStats;
    table.push([
      '(g) recovery: throw in attempt 0 -> first record of attempt 1',
      keys === 0 ? 'none (failure before the first checkpoint)' : `${keys.toLocaleString('en-US')} keys of ValueState<number>`,
      fmtMsPrecise(best!.recoveryMs),
      all.map(fmtMsPrecise).join(', '),
      s === undefined ? '-' : `${fmtSize(s.stateSize)} / ${fmtMsPrecise(s.maxSyncDurationMs)}`,
    ]);
  }
  ftTables.push(table);
}

if (RUN_CHECKPOINTS) {
  if (wanted('e')) await checkpointOverhead();
  if (wanted('f')) await stateCheckpointCosts();
  if (wanted('g')) await recoveryTimes();
}

// ---- table ---------------------------------------------------------------------------------------------

const header = ['case', 'mode', 'records/s', 'hand loop records/s', 'ratio', 'target', 'ok?', 'peak heap'];
const table: string[][] = rows.map((r) => {
  const ratio = r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)} (${r.ratioLabel})`;
  const rateTarget = r.targetRate === undefined ? undefined : `>= ${r.targetRate / 1e6} M/s`;
  const ratioTarget = r.target === undefined ? undefined : `>= ${r.target}`;
  const target = rateTarget !== undefined && ratioTarget !== undefined ? `${rateTarget}, ratio ${ratioTarget}` : (rateTarget ?? ratioTarget ?? '-');
  const rateMet = r.targetRate === undefined || r.rate === undefined ? undefined : r.rate >= r.targetRate;
  const ratioMet = r.target === undefined || r.ratio === undefined ? undefined : r.ratio >= r.target;
  // A row with both targets (the window rows) meets them only if it meets both.
  const met = r.targetRate !== undefined && r.target !== undefined ? (rateMet === undefined || ratioMet === undefined ? undefined : rateMet && ratioMet) : (rateMet ?? ratioMet);
  const ok = r.mismatch ? 'MISMATCH' : r.error !== undefined ? 'ERROR' : met === undefined ? '-' : met ? 'yes' : 'NO';
  return [r.case, r.mode, r.error !== undefined && r.rate === undefined ? 'failed' : fmtRate(r.rate), fmtRate(r.handRate), ratio, target, ok, r.peakHeap ?? '-'];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log('');
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
console.log('');
for (const t of ftTables) {
  const w = t[0]!.map((_, i) => Math.max(...t.map((row) => row[i]!.length)));
  const ln = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  console.log(ln(t[0]!));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const row of t.slice(1)) console.log(ln(row));
  console.log('');
}
for (const n of notes) console.log(`- ${n}`);
for (const r of rows) if (r.error !== undefined) console.log(`- ERROR ${r.case} ${r.mode}: ${r.error}`);
console.log(`- total bench time ${fmtMs(performance.now() - started)}`);
if (mismatches > 0) {
  console.log(`MISMATCH: ${mismatches} checksum(s) differ between the framework and the hand loop (see above)`);
  process.exitCode = 1;
}
