/**
 * Through the engine: a job reading Kafka fails mid-way, restarts from its newest completed checkpoint
 * with each partition's offset from it, and an exactly-once sink (executeAndCollect with checkpointing)
 * gets every record once.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { KafkaSource, OffsetsInitializer, SimpleStringSchema, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import type { Source } from '../../../lib/core/connector/source.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { ADAPTERS, broker, describeKafka, uniqueName } from './kafka-env.ts';

/** Whether the map threw already, and whether a checkpoint completed (module level: the job runs inline). */
let failed = false;
let checkpointCompleted = false;

/** The Kafka source, paced (a 2 ms pause after each poll, so checkpoints come mid-stream), telling the test when a checkpoint completed. */
function watched<T>(source: Source<T>): Source<T> {
  return {
    boundedness: source.boundedness,
    createReader(context) {
      const reader = source.createReader(context);
      let pause: Promise<void> | null = null;
      return {
        start: () => reader.start(),
        pollNext(output) {
          if (pause !== null) return 'NOTHING_AVAILABLE';
          const status = reader.pollNext(output);
          if (status !== 'MORE_AVAILABLE') return status;
          pause = new Promise<void>((resolve) => setTimeout(() => ((pause = null), resolve()), 2));
          return 'NOTHING_AVAILABLE';
        },
        isAvailable: () => pause ?? reader.isAvailable(),
        snapshotState: (id) => reader.snapshotState!(id),
        notifyCheckpointComplete(id) {
          checkpointCompleted = true;
          reader.notifyCheckpointComplete!(id);
        },
        close: () => reader.close(),
      };
    },
  };
}

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource recovery (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    beforeAll(async () => {
      client = adapter.create(broker());
      admin = await client.admin();
    });
    afterAll(async () => {
      await admin?.close();
      removeTempDirs();
    });

    it('a failure restarts from the checkpointed offsets; every record arrives exactly once', async () => {
      const topic = uniqueName('recover');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const n = 3000;
      const producer = await client.producer();
      await producer.send(Array.from({ length: n }, (_, i) => ({ topic, partition: i % 3, value: String(i) })));
      await producer.close();

      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': tempDir() });
        env.enableCheckpointing(10);
        env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
        failed = false;
        checkpointCompleted = false;
        let seen = 0;
        const source = KafkaSource.builder<string>()
          .setBootstrapServers(broker())
          .setTopics(topic)
          .setValueOnlyDeserializer(new SimpleStringSchema())
          .setBounded(OffsetsInitializer.latest())
          .setProperty('max.poll.records', '5') // small steps, so checkpoints fall mid-stream
          .setClientFactory(() => adapter.create(broker()))
          .build();
        const out = await env
          .fromSource(watched(source), WatermarkStrategy.noWatermarks<string>(), 'kafka')
          .uid('kafka')
          .setParallelism(2)
          .map((v) => {
            // The first record after a checkpoint completed, once some were read: the restart rewinds.
            if (++seen >= 500 && checkpointCompleted && !failed) {
              failed = true;
              throw new Error('injected failure');
            }
            return Number(v);
          })
          .executeAndCollect();
        expect(failed).toBe(true);
        expect(out.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        const restarts = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'));
        expect(restarts).toHaveLength(1);
        expect(restarts[0]).toMatch(/injected failure\. Restarting in 0 ms from checkpoint \d+/);
      } finally {
        warn.mockRestore();
      }
    });
  });
}
