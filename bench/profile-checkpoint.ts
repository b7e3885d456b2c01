/**
 * Runs only bench row (f) for profiling the synchronous part of a checkpoint of many keys of
 * ValueState<number> (snapshot, columns, v8.serialize):
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/tidemark-prof --import tsx bench/profile-checkpoint.ts --keys 1000000
 *
 * options: --keys K (default 1 000 000)  --savepoints S (default 5)
 *          --recovery (row (g) instead: a failure after a checkpoint of K keys, time to the first record of attempt 1)
 */
import { ParameterTool } from '../lib/index.ts';
import { recoveryTime, stateCheckpointCost } from './checkpoints.ts';

const params = ParameterTool.fromArgs(process.argv);
const keys = params.getInt('keys', 1_000_000);
const savepoints = params.getInt('savepoints', 5);
if (params.has('recovery')) {
  const r = await recoveryTime(keys);
  console.log(`recovery with ${keys} keys: ${r.recoveryMs.toFixed(1)} ms (restored checkpoint ${r.restoredCheckpoint ?? 'none'})`);
  process.exit(0);
}
const r = await stateCheckpointCost(keys, savepoints);
console.log(`filled ${keys} keys in ${r.fillMs.toFixed(0)} ms`);
for (const s of r.stats) {
  console.log(`savepoint ${s.checkpointId}: duration ${s.durationMs} ms, sync ${s.maxSyncDurationMs.toFixed(1)} ms, async ${s.maxAsyncDurationMs.toFixed(1)} ms, ${s.stateSize} bytes`);
}
