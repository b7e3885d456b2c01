/**
 * Bench row (d)'s CEP operator after a restore: runs the first half of the events through a CepOperator
 * (driven directly, event time, bounded out-of-orderness watermarks every --wm-every events), snapshots
 * it (v8 serialize / deserialize, as a checkpoint is stored), restores a new operator from the snapshot
 * and times the second half on it; the same second half on the operator that was never restored is the
 * reference. Each rep restores twice from one snapshot, in turns: 'deflate' (states restored compact where
 * the compact engine holds them: restoreNFAStateFor), and 'general restore' (NFA.compactStateFrom made
 * to return null: restored states general until their key empties, as before).
 *
 *   npx tsx bench/cep-restore.ts --n 1000000 --reps 4
 */
import { deserialize, serialize } from 'node:v8';
import { ParameterTool } from '../lib/index.ts';
import { CepOperator } from '../lib/cep/operator/cep-operator.ts';
import { PatternProcessFunction, type PatternContext } from '../lib/cep/functions.ts';
import type { Collector } from '../lib/core/functions/collector.ts';
import { NFA } from '../lib/cep/nfa/nfa.ts';
import { StreamTaskStateInitializer, type OperatorSnapshot } from '../lib/state/stream-task-state-initializer.ts';
import type { StreamOperatorParameters } from '../lib/runtime/operator.ts';
import { CEP_OUT_OF_ORDERNESS_MS, cepPattern, summarize, toCepEvent, type CepEvent } from './cep.ts';

const params = ParameterTool.fromArgs(process.argv);
const n = params.getInt('n', 1_000_000);
const reps = params.getInt('reps', 3);
const wmEvery = params.getInt('wm-every', 20_000);
/** Events timed apart right after the restore (100 000: 10 s of event time, one window; a key left general stays so until it empties). */
const firstPart = params.getInt('first', 100_000);

/** Matches so far and a checksum of them (module-level: the operator may run a copy of its function). */
const total = { count: 0, sum: 0 };
class Checksum extends PatternProcessFunction<CepEvent, string, never> {
  processMatch(m: Record<string, CepEvent[]>, _ctx: PatternContext, _out: Collector<never>): void {
    const s = summarize(m['a']![0]!, m['b']![0]!, m['c']![0]!);
    total.count++;
    total.sum += s.ids + s.span * s.span;
  }
}

function start(restored?: OperatorSnapshot) {
  const op = new CepOperator<CepEvent, never>(new Checksum(), { pattern: cepPattern() as never, isProcessingTime: false });
  const pts = { getCurrentProcessingTime: () => 0, registerTimer: () => {}, scheduleWithFixedDelay: () => {} };
  const base = {
    operatorName: 'cep',
    operatorId: 'cep',
    taskInfo: { indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128, taskName: 'cep', attemptNumber: 0 },
    runtimeContext: {},
    runtimeMode: 'STREAMING',
    processingTimeService: pts,
    mailbox: { execute: (a: () => void) => a() },
    bindKeyedStateBackend: () => {},
    collect: () => {},
  } as unknown as StreamOperatorParameters;
  op.setup({ ...base, stateKeySelector: (e: unknown) => (e as CepEvent).key, maxParallelism: 128 }, {
    collect: () => {},
    collectSide: () => {},
    emitWatermark: () => {},
    emitWatermarkStatus: () => {},
  });
  op.initializeState(new StreamTaskStateInitializer(pts as never, restored === undefined ? undefined : () => ({ checkpointId: 1, snapshots: [restored] })));
  op.open();
  return op;
}

/** Feeds events [from, to) with watermarks as BoundedOutOfOrderness emits them every `wmEvery` events. */
function feed(op: CepOperator<CepEvent, never>, from: number, to: number, maxTs: { v: number }): void {
  for (let i = from; i < to; i++) {
    const e = toCepEvent(i);
    if (e.ts > maxTs.v) maxTs.v = e.ts;
    op.setKeyContextElement(e);
    op.processElement(e, e.ts);
    if ((i + 1) % wmEvery === 0) op.processWatermark(maxTs.v - CEP_OUT_OF_ORDERNESS_MS - 1);
  }
}

const half = Math.floor(n / 2);
// Restoring general (as before restoreNFAStateFor): no compact state is read from the snapshots.
const compactStateFrom = NFA.prototype.compactStateFrom;
const noCompactState = (): null => null;
for (let rep = 0; rep < reps; rep++) {
  const first = start();
  const maxTs = { v: Number.NEGATIVE_INFINITY };
  feed(first, 0, half, maxTs);
  const wm = maxTs.v - CEP_OUT_OF_ORDERNESS_MS - 1;
  first.prepareSnapshotPreBarrier(1);
  const snapshot = deserialize(serialize(first.snapshotState(1))) as OperatorSnapshot;
  const results: Record<string, { count: number; sum: number }> = {};
  const ms: Record<string, string> = {};
  // In turns (the order alternates by rep): restored with deflate, restored general (as before deflate), not restored.
  const variants = ['deflate', 'general restore', 'not restored'];
  for (const variant of rep % 2 === 0 ? variants : [...variants].reverse()) {
    total.count = total.sum = 0;
    let t0: number;
    let op: CepOperator<CepEvent, never>;
    if (variant === 'not restored') {
      op = first;
      t0 = performance.now();
    } else {
      NFA.prototype.compactStateFrom = variant === 'deflate' ? compactStateFrom : noCompactState;
      const r0 = performance.now();
      op = start(snapshot);
      NFA.prototype.compactStateFrom = compactStateFrom;
      op.processWatermark(wm);
      t0 = performance.now();
      ms[`${variant} restore`] = (t0 - r0).toFixed(0);
    }
    const ts = { v: maxTs.v };
    feed(op, half, half + firstPart, ts);
    ms[`${variant} first`] = (performance.now() - t0).toFixed(0);
    feed(op, half + firstPart, n, ts);
    op.processWatermark(Number.MAX_SAFE_INTEGER);
    ms[variant] = (performance.now() - t0).toFixed(0);
    results[variant] = { ...total };
  }
  // Every way gives the same matches.
  const distinct = new Set(Object.values(results).map((r) => JSON.stringify(r)));
  if (distinct.size !== 1 || total.count === 0) throw new Error(`other matches after the restore: ${JSON.stringify(results)}`);
  console.log(
    `2nd half (${n - half} events, ${total.count} matches; its first ${firstPart} events): ` +
      `deflate ${ms['deflate']} ms (${ms['deflate first']} ms; restore ${ms['deflate restore']} ms), ` +
      `general restore ${ms['general restore']} ms (${ms['general restore first']} ms; restore ${ms['general restore restore']} ms), ` +
      `not restored ${ms['not restored']} ms (${ms['not restored first']} ms)`,
  );
}
