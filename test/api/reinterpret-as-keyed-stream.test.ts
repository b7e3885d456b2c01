/**
 * DataStreamUtils.reinterpretAsKeyedStream: a stream already partitioned as keyBy partitions it becomes keyed
 * without an exchange (forward, chained), with keyed state and timers per key. A keyed sum over it equals
 * keyBy's, at parallelism 1..3, inline and in threads; a checkpoint/restore keeps its keyed state; a stream
 * that is NOT partitioned that way fails the job naming the key (Flink keeps such state silently in the wrong
 * subtask, where a restore does not find it).
 */
import { afterAll, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataStreamUtils, KeyedProcessFunction, RestartStrategies, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type KeyedProcessContext } from '../../lib/index.ts';
import { buildJobGraph } from '../../lib/runtime/graph/job-graph.ts';
import { causeChain, hasCompletedCheckpoint, lines, rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';
import { SlowSequence } from '../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

type Rec = [string | number, number];
const inputArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom('a', 'b', 'hello', 'flink', '1'), fc.integer({ min: 0, max: 6 })), fc.integer({ min: -50, max: 50 })), { maxLength: 80 });

/** Per key (by JSON, so 1 and '1' differ): the emitted sums in order. */
function perKey(records: readonly Rec[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, v] of records) {
    const id = JSON.stringify(k);
    out.set(id, [...(out.get(id) ?? []), v]);
  }
  return new Map([...out].sort());
}

const env = (p: number): StreamExecutionEnvironment => StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

describe('reinterpretAsKeyedStream', () => {
  test('no exchange: the keyed operator is chained to what came after the keyBy, and is keyed', () => {
    const e = env(2);
    const key = (r: Rec): string | number => r[0];
    const sink = DataStreamUtils.reinterpretAsKeyedStream(e.fromElements<Rec>(['a', 1]).keyBy(key).map((r) => r).name('After keyBy'), key)
      .sum(1)
      .name('Sum')
      .print();
    const graph = buildJobGraph('j', [sink.transformation], { defaultParallelism: 2, chainingEnabled: true });
    const vertexOf = (name: string) => graph.vertices.find((v) => v.nodes.some((n) => n.name === name))!;
    expect(vertexOf('Sum')).toBe(vertexOf('After keyBy'));
    const sum = vertexOf('Sum').nodes.find((n) => n.name === 'Sum')!;
    expect(sum.stateKeySelector).toBeDefined();
    expect(sum.verifyKeyGroups).toBe(true);
  });

  test('inline: a keyed sum over it equals keyBy’s, any input, parallelism 1..3', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, fc.integer({ min: 1, max: 3 }), async (input, p) => {
        const key = (r: Rec): string | number => r[0];
        const viaKeyBy = await env(p).fromCollection(input).keyBy(key).sum(1).executeAndCollect();
        const e = env(p);
        const reinterpreted = await DataStreamUtils.reinterpretAsKeyedStream(e.fromCollection(input).keyBy(key).map((r): Rec => [r[0], r[1]]), key)
          .sum(1)
          .executeAndCollect();
        expect(perKey(reinterpreted)).toEqual(perKey(viaKeyBy));
        expect(perKey(reinterpreted)).toEqual(perKey(prefixSums(input)));
      }),
      { numRuns: 60 },
    );
  });

  test('threads (the job module via the CLI): equals the reference, parallelism 1..3', async () => {
    const dir = tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(inputArb, fc.integer({ min: 1, max: 3 }), async (input, p) => {
        const inputFile = join(dir, `in-${run}.json`);
        const outputFile = join(dir, `out-${run++}.txt`);
        writeFileSync(inputFile, JSON.stringify(input));
        const r = await runCli(['run', '-t', 'threads', '-p', String(p), '-D', 'taskmanager.numberOfTaskSlots=4', 'test/fixtures/reinterpret-keyed-sum-job.ts', '--input', inputFile, '--output', outputFile]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(existsSync(outputFile)).toBe(true);
        const out = lines(readFileSync(outputFile, 'utf8')).map((l) => JSON.parse(l) as Rec);
        expect(perKey(out)).toEqual(perKey(prefixSums(input)));
      }),
      { numRuns: 3, examples: [[[['hello', 1], ['flink', 2], ['hello', 3], [1, 5], ['1', 7], [1, -5], [2, 1], [3, 1], [4, 1]], 3]] },
    );
  });

  test('threads: a stream not partitioned by the key fails the job naming the key, never exits 0', async () => {
    const dir = tempDir();
    const inputFile = join(dir, 'in.json');
    writeFileSync(inputFile, JSON.stringify(Array.from({ length: 40 }, (_, i): Rec => [i, 1])));
    const r = await runCli(['run', '-t', 'threads', '-p', '3', 'test/fixtures/reinterpret-keyed-sum-job.ts', '--input', inputFile, '--output', join(dir, 'out.txt'), '--unpartitioned']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/reinterpretAsKeyedStream: key \d+ \(key group \d+ of 128\) arrived at subtask \d of 3, but keyBy would send it to subtask \d/);
  });

  test('directly on a keyBy (no operator between): the keyBy’s exchange is kept, sums equal keyBy’s', async () => {
    for (const p of [2, 3]) {
      const e = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
      const input = Array.from({ length: 500 }, (_, i): Rec => [`k${i % 11}`, i]);
      const out = await DataStreamUtils.reinterpretAsKeyedStream(e.fromCollection(input).keyBy((r) => r[0]), (r) => r[0])
        .sum(1)
        .executeAndCollect();
      expect(out.map((r) => JSON.stringify(r)).sort()).toEqual(prefixSums(input).map((r) => JSON.stringify(r)).sort());
    }
  });

  test('inline: a stream not partitioned by the key fails the job', async () => {
    const e = env(2);
    const input = Array.from({ length: 40 }, (_, i): Rec => [i, 1]);
    const error = await rejection(DataStreamUtils.reinterpretAsKeyedStream(e.fromCollection(input).rebalance().map((r) => r), (r) => r[0]).sum(1).executeAndCollect());
    expect(causeChain(error).map((c) => (c instanceof Error ? c.message : String(c))).join('\n')).toMatch(/reinterpretAsKeyedStream: key \d+ .* but keyBy would send it to subtask/);
  });

  test('keyed state and timers per key: a checkpoint/restore keeps the state (sums go on after a failure)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const checkpoints = tempDir();
      const e = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 4, 'state.checkpoints.dir': checkpoints });
      e.enableCheckpointing(10);
      e.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
      failOnce = true;
      const n = 20_000;
      const key = (x: number): number => x % 7;
      const keyed = e
        .fromSource(new SlowSequence(1, n), 'numbers')
        .uid('numbers')
        .keyBy(key)
        .map((x) => {
          if (x >= 15_000 && failOnce && hasCompletedCheckpoint(checkpoints)) {
            failOnce = false;
            throw new Error('injected failure');
          }
          return x;
        })
        .uid('maybe-fail');
      const out = await DataStreamUtils.reinterpretAsKeyedStream(keyed, key).process(new RunningSumWithTimer()).uid('sum').executeAndCollect();
      expect(failOnce).toBe(false);
      const restart = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'));
      expect(restart).toHaveLength(1);
      expect(restart[0]).toMatch(/from checkpoint \d+/); // restored from a checkpoint, not from the start
      // Exactly once: every number once, and each key's last sum is its total (state survived the restore).
      const sums = out.filter((r) => r[0] === 'sum');
      expect(sums).toHaveLength(n);
      const last = new Map<number, number>();
      for (const [, k, s] of sums) last.set(k, Math.max(last.get(k) ?? 0, s));
      for (let k = 0; k < 7; k++) {
        let total = 0;
        for (let x = 1; x <= n; x++) if (x % 7 === k) total += x;
        expect(last.get(k)).toBe(total);
      }
      // One event-time timer per key fired at the end of input, with the key's total.
      const fired = out.filter((r) => r[0] === 'timer').sort((a, b) => a[1] - b[1]);
      expect(fired.map((r) => r[1])).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (const [, k, s] of fired) expect(s).toBe(last.get(k));
    } finally {
      warn.mockRestore();
    }
  });
});

let failOnce = true;


function prefixSums(input: readonly Rec[]): Rec[] {
  const sums = new Map<string, number>();
  return input.map(([k, v]) => {
    const id = JSON.stringify(k);
    const s = (sums.get(id) ?? 0) + v;
    sums.set(id, s);
    return [k, s];
  });
}

/** A running sum per key in keyed state, and per key one event-time timer at the end of input that emits the total. */
class RunningSumWithTimer extends KeyedProcessFunction<number, number, [string, number, number]> {
  private readonly sum = new ValueStateDescriptor<number>('sum');
  processElement(value: number, ctx: KeyedProcessContext<number>, out: Collector<[string, number, number]>): void {
    const state = this.getRuntimeContext().getState(this.sum);
    const s = (state.value() ?? 0) + value;
    state.update(s);
    ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
    out.collect(['sum', ctx.getCurrentKey(), s]);
  }
  override onTimer(_ts: number, ctx: KeyedProcessContext<number>, out: Collector<[string, number, number]>): void {
    out.collect(['timer', ctx.getCurrentKey(), this.getRuntimeContext().getState(this.sum).value() ?? 0]);
  }
}
