/**
 * The KafkaSink property (issue 13's proof, the sink's part): random out-of-order events (some late), keyed
 * tumbling event-time windows with late records to a side output, KafkaSink into a 3-partition topic, random
 * parallelism and checkpoint interval, and injected failures — the sink writer throws at a random record (its
 * transaction open), the committer fails between a checkpoint's completion and its commit, a worker thread dies
 * mid-transaction (threads target, through the CLI: nothing closes its producers, its transaction lingers).
 * EXACTLY_ONCE: a read_committed consumer sees exactly the reference model's output, and no transaction is left
 * open (last stable offset = high watermark). AT_LEAST_ONCE: nothing is lost (duplicates are counted, allowed).
 * The seed is printed; FC_SEED=<seed> replays a run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it, vi } from 'vitest';
import { RestartStrategies, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { DeliveryGuarantee, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { LAG, type Ev } from '../../fixtures/exactly-once-pipeline.ts';
import { buildKafkaJob, type KafkaFailure, type KafkaJobSpec } from '../../fixtures/kafka-sink-pipeline.ts';
import { FIXTURES, removeTempDirs, runCli, tempDir } from '../../helpers.ts';
import { compareMultisets, referenceOutput } from '../../runtime/failover/exactly-once-model.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

afterAll(removeTempDirs);

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
console.log(`kafka-sink-under-failures: fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

interface Scenario {
  readonly events: Ev[];
  readonly parallelism: number;
  readonly interval: number;
  readonly failures: KafkaFailure[];
}

const eventsArb = fc
  .record({
    keys: fc.integer({ min: 2, max: 8 }),
    steps: fc.array(
      fc.record({
        key: fc.nat(7),
        advance: fc.integer({ min: 0, max: 12 }),
        disorder: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: LAG }) }, { weight: 1, arbitrary: fc.integer({ min: LAG + 1, max: 3 * LAG }) }),
      }),
      { minLength: 20, maxLength: 120, size: 'max' },
    ),
  })
  .map(({ keys, steps }) => {
    let base = 1000;
    return steps.map((s, id): Ev => {
      base += s.advance;
      return { id, key: `k${s.key % keys}`, ts: base - s.disorder, kind: 'A' };
    });
  });

const throwAt: fc.Arbitrary<KafkaFailure> = fc.record({ kind: fc.constant('throw' as const), k: fc.integer({ min: 1, max: 4 }) });
const commitFails: fc.Arbitrary<KafkaFailure> = fc.record({ kind: fc.constant('commit' as const), n: fc.integer({ min: 1, max: 3 }) });
const exitAt: fc.Arbitrary<KafkaFailure> = fc.record({ kind: fc.constant('exit' as const), k: fc.integer({ min: 1, max: 4 }) });

const scenarioArb = (failures: fc.Arbitrary<KafkaFailure[]>): fc.Arbitrary<Scenario> =>
  fc.record({ events: eventsArb, parallelism: fc.integer({ min: 1, max: 3 }), interval: fc.integer({ min: 20, max: 60 }), failures });

const expectedOutput = (events: readonly Ev[]): string[] => referenceOutput(events).filter((l) => l.startsWith('T ') || l.startsWith('LT '));

function describeDifference(expected: readonly string[], actual: readonly string[]): { lost: string[]; duplicated: string[]; message: string } {
  const { lost, duplicated } = compareMultisets(expected, actual);
  const message =
    `output differs from the reference model (${expected.length} expected, ${actual.length} read): ` +
    `${lost.length} lost ${JSON.stringify(lost.slice(0, 5))}, ${duplicated.length} duplicated or unexpected ${JSON.stringify(duplicated.slice(0, 5))}`;
  return { lost, duplicated, message };
}

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSink under injected failures (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });
    const fired = new Map<string, number>();

    async function jobSpec(s: Scenario, guarantee: DeliveryGuarantee, dir: string): Promise<KafkaJobSpec> {
      const topic = uniqueName('eo-out');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const control = join(dir, 'control');
      mkdirSync(control);
      // Reading the input takes about three checkpoint intervals.
      const polls = Math.max(1, Math.round((3 * s.interval) / 5));
      const perPoll = Math.max(1, Math.ceil(s.events.length / polls));
      return { bootstrapServers: broker(), topic, transactionalIdPrefix: `${topic}-tx`, guarantee, events: s.events, failures: s.failures, control, perPoll, pauseMs: 5 };
    }

    function countFired(spec: KafkaJobSpec): void {
      spec.failures.forEach((f, j) => {
        try {
          writeFileSync(join(spec.control, `fired-${j}`), '', { flag: 'wx' }); // not fired: claim it now, so nothing fires later
        } catch {
          fired.set(f.kind, (fired.get(f.kind) ?? 0) + 1);
        }
      });
    }

    async function runInline(s: Scenario, guarantee: DeliveryGuarantee): Promise<{ spec: KafkaJobSpec; log: string[] }> {
      const dir = tempDir();
      const spec = await jobSpec(s, guarantee, dir);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(dir, 'checkpoints') });
        env.setParallelism(s.parallelism);
        env.enableCheckpointing(s.interval);
        env.setRestartStrategy(RestartStrategies.fixedDelay(10, 0));
        buildKafkaJob(env, spec);
        await env.execute('kafka sink under failures');
        return { spec, log: warn.mock.calls.map((c) => String(c[0])) };
      } finally {
        warn.mockRestore();
        countFired(spec);
      }
    }

    it('EXACTLY_ONCE (inline): read_committed output equals the reference model, no transaction left open', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(fc.tuple(throwAt, fc.array(fc.oneof(throwAt, commitFails), { maxLength: 1 })).map(([first, more]) => [first, ...more])), async (s) => {
          const { spec } = await runInline(s, DeliveryGuarantee.EXACTLY_ONCE);
          const out = await committedOutput(client, spec.topic, 5_000);
          const diff = describeDifference(expectedOutput(s.events), out.values);
          if (diff.lost.length > 0 || diff.duplicated.length > 0) throw new Error(`${diff.message}; last stable offsets ${out.lastStable}, high watermarks ${out.highWatermark}`);
          expect(out.lastStable, 'open transactions left behind').toEqual(out.highWatermark);
        }),
        { numRuns: 6, seed, endOnFailure: true },
      );
      expect(fired.get('throw') ?? 0, JSON.stringify(Object.fromEntries(fired))).toBeGreaterThan(0);
    }, 120_000);

    it('AT_LEAST_ONCE (inline): nothing lost under the same failures (duplicates allowed)', async () => {
      let duplicates = 0;
      await fc.assert(
        fc.asyncProperty(scenarioArb(fc.array(throwAt, { minLength: 1, maxLength: 2 })), async (s) => {
          const { spec } = await runInline(s, DeliveryGuarantee.AT_LEAST_ONCE);
          const out = await committedOutput(client, spec.topic, 5_000);
          const diff = describeDifference(expectedOutput(s.events), out.values);
          duplicates += diff.duplicated.length;
          if (diff.lost.length > 0) throw new Error(diff.message);
        }),
        { numRuns: 4, seed },
      );
      if (process.env.PROOF_STATS) console.log(`AT_LEAST_ONCE: ${duplicates} duplicates in all`);
    }, 120_000);

    it('EXACTLY_ONCE (threads, through the CLI): a worker thread dies mid-transaction; its lingering transaction is aborted, the output exactly once', async () => {
      await fc.assert(
        fc.asyncProperty(
          scenarioArb(fc.tuple(exitAt, fc.array(fc.oneof(throwAt, commitFails), { maxLength: 1 })).map(([first, more]) => [first, ...more])),
          async (s) => {
            const dir = tempDir();
            const spec = await jobSpec(s, DeliveryGuarantee.EXACTLY_ONCE, dir);
            const specFile = join(dir, 'spec.json');
            writeFileSync(specFile, JSON.stringify(spec));
            const r = await runCli([
              'run', '-t', 'threads', '-p', String(s.parallelism),
              '-D', `execution.checkpointing.interval=${s.interval}`,
              '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`,
              '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.attempts=10', '-D', 'restart-strategy.fixed-delay.delay=0',
              join(FIXTURES, 'kafka-sink-job.ts'), '--spec', specFile,
            ]);
            countFired(spec);
            if (r.code !== 0) throw new Error(`the job exited ${r.code}: ${r.stderr}`);
            const out = await committedOutput(client, spec.topic, 5_000);
            const diff = describeDifference(expectedOutput(s.events), out.values);
            if (diff.lost.length > 0 || diff.duplicated.length > 0) throw new Error(diff.message);
            expect(out.lastStable, 'open transactions left behind').toEqual(out.highWatermark);
          },
        ),
        { numRuns: 2, seed },
      );
      expect(fired.get('exit') ?? 0, 'a worker thread was terminated').toBeGreaterThan(0);
      // Two CLI jobs with worker start-ups and restarts: a hang guard, generous for a loaded 2-core machine.
    }, 240_000);
  });
}
