/**
 * What a read_committed consumer of a topic sees, read up to the last stable offset (no waiting for quiet),
 * with the offsets that show whether transactions are still open: the last stable offset (LSO) of each
 * partition stays at the first open transaction's first record; with none open it equals the high watermark.
 *
 * A committed transaction's markers are written by the coordinator after EndTxn was answered, so right after
 * a commit the LSO may lag for a moment: `settleMs` waits up to that long for LSO = high watermark first.
 */
import type { KafkaClient } from '../../../connectors/kafka/index.ts';
import { OffsetSpec } from '../../../connectors/kafka/index.ts';

export interface CommittedOutput {
  readonly values: string[];
  /** Per partition: the last stable offset (read_committed end) and the high watermark (read_uncommitted end). */
  readonly lastStable: number[];
  readonly highWatermark: number[];
}

export async function committedOutput(client: KafkaClient, topic: string, settleMs = 0): Promise<CommittedOutput> {
  const admin = await client.admin();
  let lastStable: number[];
  let highWatermark: number[];
  let partitions;
  try {
    partitions = await admin.describeTopicPartitions([topic]);
    const deadline = Date.now() + settleMs;
    for (;;) {
      lastStable = (await admin.listOffsets(partitions, OffsetSpec.latest(), 'read_committed')).map((o) => o.offset);
      highWatermark = (await admin.listOffsets(partitions, OffsetSpec.latest(), 'read_uncommitted')).map((o) => o.offset);
      if (Date.now() >= deadline || lastStable.every((o, i) => o === highWatermark[i])) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.close();
  }
  const consumer = await client.consumer({ isolationLevel: 'read_committed', maxWaitMs: 100 });
  const values: string[] = [];
  try {
    consumer.assign(partitions);
    for (const tp of partitions) consumer.seek(tp, 0);
    const deadline = Date.now() + 20_000;
    while (partitions.some((tp, i) => (consumer.position(tp) ?? 0) < lastStable[i]!)) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} up to its last stable offsets ${lastStable.join(',')} took over 20 s`);
      for (const r of await consumer.poll(100)) values.push(r.value?.toString() ?? '<null>');
    }
  } finally {
    await consumer.close();
  }
  return { values, lastStable, highWatermark };
}
