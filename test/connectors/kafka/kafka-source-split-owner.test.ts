import { expect, it } from 'vitest';
import { splitOwner } from '../../../connectors/kafka/index.ts';

// Partitions go to subtasks as Flink's KafkaSourceEnumerator#getSplitOwner puts them; the expected owners
// were printed by Java 17 running that formula (((topic.hashCode() * 31) & 0x7FFFFFFF) % n + partition) % n.
it('assigns partitions 0-4 to the subtasks Flink assigns them to', () => {
  const java: Record<string, Record<number, number[]>> = {
    orders: { 1: [0, 0, 0, 0, 0], 2: [1, 0, 1, 0, 1], 3: [0, 1, 2, 0, 1], 7: [3, 4, 5, 6, 0] },
    'payments-2024': { 1: [0, 0, 0, 0, 0], 2: [0, 1, 0, 1, 0], 3: [0, 1, 2, 0, 1], 7: [2, 3, 4, 5, 6] },
    'é-topic': { 1: [0, 0, 0, 0, 0], 2: [1, 0, 1, 0, 1], 3: [1, 2, 0, 1, 2], 7: [3, 4, 5, 6, 0] },
    a: { 1: [0, 0, 0, 0, 0], 2: [1, 0, 1, 0, 1], 3: [1, 2, 0, 1, 2], 7: [4, 5, 6, 0, 1] },
  };
  for (const [topic, byReaders] of Object.entries(java)) {
    for (const [readers, owners] of Object.entries(byReaders)) {
      expect([0, 1, 2, 3, 4].map((partition) => splitOwner({ topic, partition }, Number(readers))), `${topic} over ${readers}`).toEqual(owners);
    }
  }
});
