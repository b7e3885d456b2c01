/**
 * Runs only the framework side of bench row (d), the keyed 3-step CEP pattern, for profiling:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/tidemark-prof --import tsx bench/profile-cep.ts --n 1000000
 *
 * For self time per source line, bundle without minifying and profile the bundle (as
 * bench/profile-window.ts describes).
 *
 * options: --n N (events, default 1 000 000)  --reps R (framework runs, default 1)
 *          --watermark-interval MS (default 200)  --hand (time the hand loop instead)
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { ParameterTool, StreamExecutionEnvironment } from '../lib/index.ts';
import { formatChecksum } from './workload.ts';
import { CepChecksumSink, buildCepJob, handCep } from './cep.ts';

const params = ParameterTool.fromArgs(process.argv);
const n = params.getInt('n', 1_000_000);
const reps = params.getInt('reps', 1);
const interval = params.getInt('watermark-interval', 200);

/** Time spent in GC pauses (ms), from the perf_hooks 'gc' entries. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

for (let rep = 0; rep < reps; rep++) {
  if (params.has('hand')) {
    const t0 = performance.now();
    const c = handCep(n);
    const ms = performance.now() - t0;
    console.log(`hand loop: ${n} events in ${ms.toFixed(0)} ms (${((n / ms) * 1000 / 1e6).toFixed(2)} M/s), ${formatChecksum(c)}`);
  } else {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ 'execution.target': 'inline', 'parallelism.default': 1 });
    env.getConfig().setAutoWatermarkInterval(interval);
    const sink = new CepChecksumSink();
    buildCepJob(env, n, sink);
    const gc0 = gcMs;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await env.execute('profile: keyed 3-step CEP pattern');
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await new Promise((r) => setImmediate(r)); // let the gc entries arrive
    console.log(
      `framework: ${n} events in ${ms.toFixed(0)} ms (${((n / ms) * 1000 / 1e6).toFixed(2)} M/s), ` +
        `cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, gc ${(gcMs - gc0).toFixed(0)} ms, ${formatChecksum(sink.total())}`,
    );
  }
}
