/**
 * A KafkaSource restored from state another source wrote (a uid moved from a FileSource or sequence to a
 * KafkaSource) fails the restore naming the split and saying why, not with a TypeError from deep inside the
 * owner computation ("Cannot read properties of undefined (reading 'length')").
 */
import { expect, test } from 'vitest';
import { KafkaSource, SimpleStringSchema } from '../../../connectors/kafka/index.ts';
import type { SourceSplit } from '../../../lib/core/connector/source.ts';

test('getSplitOwner of a split that is not a Kafka partition split names it and the likely cause', () => {
  const source = KafkaSource.builder<string>().setBootstrapServers('localhost:9092').setTopics('t').setValueOnlyDeserializer(new SimpleStringSchema()).build();
  const foreign = { splitId: 'numbers-0', next: 17, end: 100 } as SourceSplit;
  expect(() => source.getSplitOwner(foreign, 2)).toThrow(/restored split 'numbers-0' is not a KafkaSource split.*another source/);
  expect(source.getSplitOwner({ splitId: 't-3', topic: 't', partition: 3, startingOffset: 0 } as SourceSplit, 2)).toBeTypeOf('number');
});
