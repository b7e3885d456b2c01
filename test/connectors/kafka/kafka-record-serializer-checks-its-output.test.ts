/**
 * KafkaRecordSerializationSchema.builder()'s schema checks what the key and value serializers return: a string, a
 * Buffer or null; anything else fails at once naming the serializer, what it returned and the element (it failed
 * later, inside the client: 'The "string" argument must be of type string ...', naming neither).
 */
import { expect, it } from 'vitest';
import { KafkaRecordSerializationSchema, SimpleStringSchema } from '../../../connectors/kafka/index.ts';

const context = { getParallelInstanceId: () => 0, getNumberOfParallelInstances: () => 1 };

it('a value serializer returning a number or an object fails naming it and the element', () => {
  const numbers = KafkaRecordSerializationSchema.builder<{ id: number }>()
    .setTopic('out')
    .setValueSerializationSchema(((e: { id: number }) => e.id) as unknown as (e: { id: number }) => string)
    .build();
  expect(() => numbers.serialize({ id: 42 }, context, null)).toThrow(/value serializer of KafkaSink returned a number \(42\) for the element \{"id":42\}/);
  const objects = KafkaRecordSerializationSchema.builder<{ id: number }>()
    .setTopic('out')
    .setValueSerializationSchema(((e: { id: number }) => e) as unknown as (e: { id: number }) => string)
    .build();
  expect(() => objects.serialize({ id: 7 }, context, null)).toThrow(/returned an object \(\{"id":7\}\)/);
});

it('a key serializer returning undefined fails; strings, Buffers and null pass', () => {
  const schema = KafkaRecordSerializationSchema.builder<string>()
    .setTopic('out')
    .setKeySerializationSchema(((line: string) => (line === 'bad' ? undefined : line === 'none' ? null : Buffer.from(line))) as (line: string) => Buffer | null)
    .setValueSerializationSchema(new SimpleStringSchema())
    .build();
  expect(() => schema.serialize('bad', context, null)).toThrow(/key serializer of KafkaSink returned undefined for the element "bad"/);
  expect(schema.serialize('none', context, null)).toEqual({ topic: 'out', value: 'none', key: null });
  expect(schema.serialize('k', context, 5)).toEqual({ topic: 'out', value: 'k', key: Buffer.from('k'), timestamp: 5 });
});
