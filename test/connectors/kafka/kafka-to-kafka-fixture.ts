/**
 * What the Kafka-to-Kafka exactly-once tests share: an input topic filled with JSON records, a KafkaSink
 * (EXACTLY_ONCE, lines keyed by their first word) whose writer fails once, and the check that a
 * read_committed reader sees the expected lines exactly once with no transaction left open.
 */
import { expect, vi } from 'vitest';
import type {
  CommittingSinkWriter,
  CommittingSinkWriterContext,
  Committer,
  JobClient,
  StreamExecutionEnvironment,
  TwoPhaseCommittingSink,
} from '../../../lib/index.ts';
import {
  DeliveryGuarantee,
  KafkaRecordSerializationSchema,
  KafkaSink,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaCommittable,
} from '../../../connectors/kafka/index.ts';
import { compareMultisets } from '../../runtime/failover/exactly-once-model.ts';
import { committedOutput } from './committed-output.ts';
import { broker } from './kafka-env.ts';

/** Creates `input` and `output` (3 partitions each) and writes `records` into `input` as JSON, keyed by `keyOf`. */
export async function inputAndOutputTopics<T>(
  client: KafkaClient,
  admin: KafkaAdmin,
  input: string,
  output: string,
  records: readonly T[],
  keyOf: (r: T) => string,
): Promise<void> {
  await admin.createTopics([{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
  const producer = await client.producer();
  await producer.send(records.map((r) => ({ topic: input, key: keyOf(r), value: JSON.stringify(r) })));
  await producer.close();
}

export interface FailOnceOptions {
  /** The writer throws at the failAt-th record it is given once armed (counted over all attempts and subtasks). */
  readonly failAt: number;
  /** Whether it is armed from the start; otherwise arm() arms it. */
  readonly armed: boolean;
}

/** A KafkaSink (EXACTLY_ONCE into `output`) whose writer throws once, mid-transaction; counts what happened. */
export class FailOnceKafkaSink implements TwoPhaseCommittingSink<string, KafkaCommittable> {
  private readonly inner: KafkaSink<string>;
  private written = 0;
  private armed: boolean;
  failed = false;
  /** Writers created from a restored checkpoint. */
  restoredWriters = 0;

  constructor(
    output: string,
    private readonly options: FailOnceOptions,
  ) {
    this.armed = options.armed;
    this.inner = KafkaSink.builder<string>()
      .setBootstrapServers(broker())
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<string>()
          .setTopic(output)
          .setKeySerializationSchema((line: string) => line.split(' ')[0]!)
          .setValueSerializationSchema(new SimpleStringSchema())
          .build(),
      )
      .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
      .setTransactionalIdPrefix(`${output}-tx`)
      .build();
  }

  arm(): void {
    this.armed = true;
  }

  createCommitter(): Committer<KafkaCommittable> {
    return this.inner.createCommitter();
  }

  createWriter(context: CommittingSinkWriterContext): CommittingSinkWriter<string, KafkaCommittable> {
    const w = this.inner.createWriter(context);
    if (context.getRestoredCheckpointId?.() !== undefined) this.restoredWriters++;
    return {
      write: (line, c) => {
        if (this.armed && !this.failed && ++this.written >= this.options.failAt) {
          this.failed = true;
          throw new Error(`injected: sink record ${this.written}`);
        }
        w.write(line, c);
      },
      flush: (end) => w.flush(end),
      isAvailable: () => w.isAvailable(),
      prepareCommit: () => w.prepareCommit(),
      snapshotState: (checkpointId) => w.snapshotState(checkpointId),
      close: () => w.close(),
    };
  }
}

/**
 * Runs the job to its end with the restart warnings of the injected failure kept off the test output;
 * `meanwhile` gets its client while it runs.
 */
export async function executeQuietly(env: StreamExecutionEnvironment, name: string, meanwhile?: (job: JobClient) => Promise<void>): Promise<void> {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const job = await env.executeAsync(name);
    try {
      await meanwhile?.(job);
    } catch (e) {
      await job.cancel().catch(() => undefined);
      throw e;
    }
    await job.getJobExecutionResult();
  } finally {
    warn.mockRestore();
  }
}

/** A read_committed reader of `output` sees exactly `expected` (as a multiset), and no transaction is left open. */
export async function expectExactlyOnce(client: KafkaClient, output: string, expected: readonly string[]): Promise<void> {
  const out = await committedOutput(client, output, 5_000);
  const { lost, duplicated } = compareMultisets(expected, out.values);
  if (lost.length > 0 || duplicated.length > 0) {
    throw new Error(`${lost.length} lost ${JSON.stringify(lost.slice(0, 5))}, ${duplicated.length} duplicated or wrong ${JSON.stringify(duplicated.slice(0, 5))}`);
  }
  expect(out.values).toHaveLength(expected.length);
  expect(out.lastStable).toEqual(out.highWatermark);
}
