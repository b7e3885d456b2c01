/**
 * A KafkaSource job (inline, in-memory cluster) stopped with a savepoint and restored again and again at random
 * parallelisms, with setTopics or a topic pattern, periodic discovery on or off, with or without idleness, while
 * partitions (and topics, some not matching) are created during the runs and between them: no record is ever
 * read twice; with discovery on every record is read, and with discovery off every record of a partition that
 * existed when a run started or restored (Flink lists once at every start) — here: all of them by the last run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test, vi, type MockInstance } from 'vitest';
import { KafkaSource, SimpleStringSchema } from '../../../connectors/kafka/index.ts';
import { StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from '../../../lib/index.ts';
import { removeTempDirs, TaggingSink, tempDir, untilWhileRunning } from '../../helpers.ts';
import { InMemoryKafkaCluster } from './fake-kafka-client.ts';

afterAll(removeTempDirs);
let warn: MockInstance;
beforeAll(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterAll(() => warn.mockRestore());

/** No restore skipped a checkpoint (a savepoint reported complete once lacked a state file under heavy load). */
const expectNoSkippedCheckpoint = (): void => expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Skipping checkpoint'))).toEqual([]);


/** stopWithSavepoint, once the restored job's tasks run (before, it fails at once: not all tasks are running, as Flink). */
async function stop(client: JobClient): Promise<string> {
  for (let tries = 0; ; tries++) {
    try {
      return await client.stopWithSavepoint(tempDir());
    } catch (e) {
      if (tries > 500 || !String(e).includes('is not running')) throw e;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

const addArb = fc.tuple(fc.constantFrom('t', 'u', 'x'), fc.integer({ min: 0, max: 5 }));
const runArb = fc.record({ p: fc.integer({ min: 1, max: 4 }), whileRunning: fc.array(addArb, { maxLength: 3 }), whileDown: fc.array(addArb, { maxLength: 2 }) });

test('restored at random parallelisms while partitions and topics are created: every record once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(runArb, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom('0', '1', '5'), fc.boolean(), async (runs, pattern, interval, idleness) => {
      const cluster = new InMemoryKafkaCluster(() => 2);
      cluster.addPartitions('t', 6, 3);
      const sink = new TaggingSink<string>();
      const builder = KafkaSource.builder<string>()
        .setBootstrapServers('in-memory:9092')
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperty('partition.discovery.interval.ms', interval)
        .setProperty('max.poll.records', '2')
        .setClientFactory(() => cluster.client());
      const source = (pattern ? builder.setTopicPattern(/t|u/) : builder.setTopics('t')).build();
      const strategy = idleness ? WatermarkStrategy.forMonotonousTimestamps<string>().withIdleness(5) : WatermarkStrategy.noWatermarks<string>();
      const subscribed = (): string[] => cluster.allValues().filter((v) => (pattern ? /^[tu]\//.test(v) : v.startsWith('t/')));
      let savepoint: string | undefined;
      const all = [...runs, { p: 2, whileRunning: [], whileDown: [] }];
      for (const [k, run] of all.entries()) {
        const conf: Record<string, unknown> = { 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' };
        if (savepoint !== undefined) conf['execution.savepoint.path'] = savepoint;
        const env = StreamExecutionEnvironment.create(conf);
        env.setParallelism(run.p);
        env.fromSource(source, strategy, 'kafka').uid('kafka').sinkTo(sink).uid('sink');
        const client = await env.executeAsync(`run ${k}`);
        const result = client.getJobExecutionResult();
        for (const [topic, count] of run.whileRunning) {
          await new Promise((resolve) => setTimeout(resolve, 3));
          cluster.addPartitions(topic, count);
        }
        // With discovery on, every record comes; off, the last run (restored after all creations) reads them all.
        if (interval !== '0' || k === all.length - 1) {
          const want = subscribed().length;
          await untilWhileRunning(result, () => sink.received.length >= want, `run ${k} (p=${run.p}): ${sink.received.length} of ${want} records`);
        }
        // Time for a partition read twice to show.
        await new Promise((resolve) => setTimeout(resolve, 20));
        savepoint = await stop(client);
        await result;
        for (const [topic, count] of run.whileDown) cluster.addPartitions(topic, count);
      }
      expect(sink.received.map((r) => r.value).sort()).toEqual(subscribed().sort());
      expectNoSkippedCheckpoint();
    }),
    { numRuns: 15 },
  );
}, 120_000);
