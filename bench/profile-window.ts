/**
 * Runs only the framework side of bench row (c), the keyed tumbling-window count, for profiling:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/tidemark-prof --import tsx bench/profile-window.ts --n 2000000
 *
 * tsx strips line breaks from the code it runs, so that profile has functions but no lines. For
 * self time per source line, bundle without minifying and profile the bundle:
 *
 *   node_modules/.bin/esbuild bench/profile-window.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=/tmp/tidemark-prof/profile-window.mjs
 *   ln -s "$PWD/node_modules" /tmp/tidemark-prof/node_modules
 *   node --cpu-prof --cpu-prof-dir=/tmp/tidemark-prof /tmp/tidemark-prof/profile-window.mjs --n 3000000
 *
 * options: --n N (events, default 2 000 000)  --watermark-interval MS (default 200)  --hand (time the hand loop instead)
 *          --checkpoint-interval MS (STREAMING with checkpoints every MS into a temp folder, as bench row (e))
 *          --streaming (bench row (e) without checkpoints: the same output line, CPU time included)
 */
import { ParameterTool, StreamExecutionEnvironment } from '../lib/index.ts';
import { formatChecksum } from './workload.ts';
import { WindowCountSink, buildWindowCountJob, handWindowCount } from './windows.ts';
import { windowJob } from './checkpoints.ts';

const params = ParameterTool.fromArgs(process.argv);
const n = params.getInt('n', 2_000_000);
const interval = params.getInt('watermark-interval', 200);

if (params.has('hand')) {
  const t0 = performance.now();
  const c = handWindowCount(n);
  const ms = performance.now() - t0;
  console.log(`hand loop: ${n} events in ${ms.toFixed(0)} ms (${((n / ms) * 1000 / 1e6).toFixed(2)} M/s), ${formatChecksum(c)}`);
} else if (params.has('checkpoint-interval') || params.has('streaming')) {
  const r = await windowJob(n, interval, params.has('checkpoint-interval') ? params.getInt('checkpoint-interval', 1000) : undefined);
  const cp = r.stats.map((s) => `${s.checkpointId}: ${s.durationMs} ms (sync ${s.maxSyncDurationMs.toFixed(1)}, async ${s.maxAsyncDurationMs.toFixed(1)}, ${s.stateSize} B)`);
  console.log(`framework (STREAMING${params.has('checkpoint-interval') ? ', checkpointed' : ''}): ${n} events in ${r.ms.toFixed(0)} ms (cpu ${r.cpuMs.toFixed(0)} ms), ${formatChecksum(r.checksum)}; ${cp.join('; ')}`);
} else {
  const env = StreamExecutionEnvironment.getExecutionEnvironment({ 'execution.target': 'inline', 'parallelism.default': 1 });
  env.getConfig().setAutoWatermarkInterval(interval);
  const sink = new WindowCountSink();
  buildWindowCountJob(env, n, sink);
  const t0 = performance.now();
  await env.execute('profile: keyed tumbling event-time window count');
  const ms = performance.now() - t0;
  console.log(`framework: ${n} events in ${ms.toFixed(0)} ms (${((n / ms) * 1000 / 1e6).toFixed(2)} M/s), ${formatChecksum(sink.total())}`);
}
