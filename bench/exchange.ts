/**
 * `npx tsx bench/exchange.ts` — rows (a), (b), (c), (d) of bench/run.ts at parallelism 1, 2 and 4, inline
 * and threads, each run in its own child process (bench/jobs/exchange-job.ts) with a parallel source
 * and a real keyBy exchange. Best of --reps, configurations alternating within each rep so that load
 * from other processes spreads over all of them. Rates count the wall time of `env.execute()`
 * (threads: worker start-up included). Every target and parallelism must give the same checksum.
 *
 * CPU time (user + system, all threads of the child) is reported beside wall time: on a loaded machine it
 * shows the work done, wall time what a user waits. Peak RSS is the child's, sampled every 20 ms.
 * Threads: the slowest worker's start-up (ms from `new Worker` to its subtasks deployed, 'ready') too.
 *
 *   options: --rows a,b,c,d  --p 1,2,4  --targets inline,threads  --reps 3
 *            --n N (rows b, c; default 4 000 000)  --cep-n N (row d; default 1 000 000)
 *            --slow-sink-us U (every sink writer busy-waits U µs per 1 000 records: backpressure, peak RSS)
 *            --wm-interval MS (auto-watermark interval, default 200: row d's cost grows with the watermark steps
 *            its CEP operator sees, and p sources advance the minimum watermark up to p times per interval)
 *            --root DIR (run the job of another checkout, e.g. to alternate old and new code)
 *            --gc (run each child under --trace-gc-nvp and report, summed over the threads that ran tasks — the
 *            main thread inline, the workers in threads mode —, young-generation GCs (scavenges), the MB they
 *            copied (survived in new space + promoted), their pause and the time GC helper threads spent in
 *            them: the MB copied depend far less on the machine's load than times do)
 *   Row (d) also reports its CEP operator's peak events held for the watermark, summed over its subtasks.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ParameterTool } from '../lib/index.ts';
import { RESULT_PREFIX } from './jobs/result.ts';

const params = ParameterTool.fromArgs(process.argv);
const ROOT = params.get('root', fileURLToPath(new URL('..', import.meta.url)));
const rowsWanted = params.get('rows', 'a,b,c,d').split(',');
const slowSinkUs = params.get('slow-sink-us', '0');
const wmInterval = params.get('wm-interval', '200');
const traceGc = params.has('gc');
const ps = params.get('p', '1,2,4').split(',').map(Number);
const targets = params.get('targets', 'inline,threads').split(',');
const reps = params.getInt('reps', 3);
const N = params.getInt('n', 4_000_000);
const CEP_N = params.getInt('cep-n', 1_000_000);

interface Result {
  ms: number;
  /** CPU time of the whole process (all threads), steadier than wall time on a shared machine. */
  cpuMs: number;
  count: number;
  sum: number;
  sumSq: number;
  peakRssMb: number;
  /** ms from the child's start until the job module's body ran: the client's own evaluation of the module (tsx, tidemark). */
  moduleEvaluatedMs: number;
  /** threads: ms from `new Worker` to 'ready' of the slowest worker (TIDEMARK_DEBUG's report). */
  readyMs?: number;
  /** Row (d): the CEP subtasks' peak events held for the watermark, summed. */
  peakBuffered?: number;
  /** --gc: young-generation GCs of the threads that ran tasks. */
  gc?: GcSummary;
}

interface GcSummary {
  scavenges: number;
  /** MB copied: survived in new space + promoted to old space. */
  copiedMb: number;
  promotedMb: number;
  pauseMs: number;
  /** ms GC helper threads spent in parallel scavenges (wall time; 0 when V8 scavenges on the one thread). */
  helperMs: number;
}

/**
 * Sums --trace-gc-nvp's scavenges of the threads that ran tasks: inline the main thread, in threads
 * mode the p workers (the main thread and tsx's loader thread only idle then) — the isolates with the
 * most scavenges.
 */
function gcSummary(trace: string, threads: number): GcSummary {
  const perIsolate = new Map<string, GcSummary>();
  for (const line of trace.split('\n')) {
    if (!line.includes(' gc=s ')) continue;
    const iso = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1] ?? '?';
    const field = (name: string): number => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    const s = perIsolate.get(iso) ?? { scavenges: 0, copiedMb: 0, promotedMb: 0, pauseMs: 0, helperMs: 0 };
    s.scavenges++;
    s.copiedMb += (field('new_space_survived') + field('promoted')) / 1e6;
    s.promotedMb += field('promoted') / 1e6;
    s.pauseMs += field('pause');
    s.helperMs += field('background.scavenge.parallel');
    perIsolate.set(iso, s);
  }
  const total: GcSummary = { scavenges: 0, copiedMb: 0, promotedMb: 0, pauseMs: 0, helperMs: 0 };
  for (const s of [...perIsolate.values()].sort((a, b) => b.scavenges - a.scavenges).slice(0, threads)) {
    total.scavenges += s.scavenges;
    total.copiedMb += s.copiedMb;
    total.promotedMb += s.promotedMb;
    total.pauseMs += s.pauseMs;
    total.helperMs += s.helperMs;
  }
  return total;
}

function run(job: string, n: number, p: number, t: string): Result | string {
  // --gc: node itself, so that V8's flag applies (NODE_OPTIONS does not take --trace-gc-nvp).
  const command = traceGc ? process.execPath : `${ROOT}/node_modules/.bin/tsx`;
  const prefix = traceGc ? ['--trace-gc-nvp', '--import', 'tsx'] : [];
  const out = spawnSync(command, [...prefix, `${ROOT}/bench/jobs/exchange-job.ts`, '--job', job, '--n', String(n), '-p', String(p), '-t', t, '--slow-sink-us', slowSinkUs, '--wm-interval', wmInterval], {
    cwd: ROOT,
    env: { ...process.env, TIDEMARK_DEBUG: '1' },
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (out.status !== 0 || line === undefined) return `exit ${out.status}: ${out.stderr.split('\n').slice(-4).join(' | ')}`;
  const ready = [...out.stderr.matchAll(/worker ready ([\d.]+) ms after new Worker/g)].map((m) => Number(m[1]));
  const result: Result = { ...(JSON.parse(line.slice(RESULT_PREFIX.length)) as Result), readyMs: ready.length > 0 ? Math.max(...ready) : undefined };
  if (traceGc) result.gc = gcSummary(out.stdout, t === 'inline' ? 1 : p); // V8 traces to stdout
  return result;
}

/** Row (d)'s peak events held for the watermark and, with --gc, the young-generation GC volume. */
function describeGc(r: Result): string {
  const held = r.peakBuffered === undefined || r.peakBuffered === null ? '' : `, peak held ${(r.peakBuffered / 1000).toFixed(0)} k`;
  if (r.gc === undefined) return held;
  const g = r.gc;
  return `${held}, GC: ${g.scavenges} scavenges copied ${g.copiedMb.toFixed(0)} MB (promoted ${g.promotedMb.toFixed(0)}), pause ${g.pauseMs.toFixed(0)} ms, helpers ${g.helperMs.toFixed(0)} ms`;
}

const best = new Map<string, Result>();
const errors = new Map<string, string>();
const checksums = new Map<string, string>();
for (let rep = 0; rep < reps; rep++) {
  for (const job of rowsWanted) {
    const n = job === 'd' ? CEP_N : N;
    for (const t of targets) {
      for (const p of ps) {
        const id = `${job}|${t}|${p}`;
        const r = run(job, n, p, t);
        if (typeof r === 'string') {
          errors.set(id, r);
          process.stderr.write(`  ${id}: FAILED ${r}\n`);
          continue;
        }
        const cs = `${r.count}/${r.sum}/${r.sumSq}`;
        // Every parallelism and target must agree (rows c and d: each key's events come from one source
        // subtask in order, bench/sliced-sequence.ts, so CEP's tie order of equal timestamps is defined).
        const expected = checksums.get(job);
        if (expected === undefined) checksums.set(job, cs);
        else if (expected !== cs) errors.set(id, `MISMATCH ${cs} vs ${expected}`);
        process.stderr.write(`  ${id}: ${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms), ${((n / r.ms) * 1000 / 1e6).toFixed(2)} M/s, peak RSS ${r.peakRssMb} MB, module evaluated in ${r.moduleEvaluatedMs.toFixed(0)} ms${r.readyMs === undefined ? '' : `, workers ready in ${r.readyMs.toFixed(0)} ms`}${describeGc(r)}, ${cs}\n`);
        const prev = best.get(id);
        if (prev === undefined || r.ms < prev.ms) best.set(id, r);
      }
    }
  }
}
console.log(`| row | ${targets.flatMap((t) => ps.map((p) => `${t} p=${p}`)).join(' | ')} |`);
console.log(`|---|${targets.flatMap(() => ps.map(() => '---')).join('|')}|`);
for (const job of rowsWanted) {
  const n = job === 'd' ? CEP_N : N;
  const cells = targets.flatMap((t) =>
    ps.map((p) => {
      const id = `${job}|${t}|${p}`;
      if (errors.has(id)) return `ERR ${errors.get(id)}`;
      const r = best.get(id);
      if (!r) return '-';
      const p1 = best.get(`${job}|${t}|1`);
      const ratio = p1 && p !== 1 ? ` (${(p1.ms / r.ms).toFixed(2)}×)` : '';
      const ready = r.readyMs === undefined ? '' : `, ready ${r.readyMs.toFixed(0)} ms`;
      return `${((n / r.ms) * 1000 / 1e6).toFixed(2)} M/s${ratio}, CPU ${r.cpuMs.toFixed(0)} ms, RSS ${r.peakRssMb} MB${ready}${describeGc(r)}`;
    }),
  );
  console.log(`| ${job} (n=${n}) | ${cells.join(' | ')} |`);
}
if (errors.size > 0) process.exitCode = 1;
