/**
 * KafkaSink refuses at submission (before anything runs or connects) what cannot give its guarantee:
 * EXACTLY_ONCE with a transaction timeout not above the checkpoint interval, and EXACTLY_ONCE in an unbounded
 * job without checkpointing (which would never commit); and at build() a missing transactional id prefix.
 */
import { expect, it } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource, SimpleStringSchema } from '../../../connectors/kafka/index.ts';

// Nothing listens here: the checks must fail the submission before any connection is tried.
const NOWHERE = '127.0.0.1:1';

function sink(guarantee: DeliveryGuarantee, timeoutMs?: number): KafkaSink<string> {
  const b = KafkaSink.builder<string>()
    .setBootstrapServers(NOWHERE)
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build())
    .setDeliveryGuarantee(guarantee)
    .setTransactionalIdPrefix('checks');
  if (timeoutMs !== undefined) b.setProperty('transaction.timeout.ms', String(timeoutMs));
  return b.build();
}

const unbounded = () =>
  KafkaSource.builder<string>().setBootstrapServers(NOWHERE).setTopics('in').setValueOnlyDeserializer(new SimpleStringSchema()).build();

it('EXACTLY_ONCE: a transaction timeout at or below the checkpoint interval is refused at submission, naming both', async () => {
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(5_000);
  env.fromElements('a').uid('src').sinkTo(sink(DeliveryGuarantee.EXACTLY_ONCE, 5_000)).uid('sink');
  await expect(env.execute('timeout')).rejects.toThrow(/transaction\.timeout\.ms \(5000 ms\) must be larger than the checkpoint interval \(5000 ms\)/);
});

it('EXACTLY_ONCE: a timeout above the interval is accepted (the bounded job runs: here it fails connecting, later)', () => {
  expect(() => sink(DeliveryGuarantee.EXACTLY_ONCE, 5_001).initializeGlobal(1, { checkpointInterval: 5_000, bounded: false, restoring: false })).not.toThrow();
  // The default (15 min) is above any sane interval.
  expect(() => sink(DeliveryGuarantee.EXACTLY_ONCE).initializeGlobal(1, { checkpointInterval: 60_000, bounded: false, restoring: false })).not.toThrow();
});

it('EXACTLY_ONCE in an unbounded job without checkpointing is refused: it would never commit', async () => {
  const env = StreamExecutionEnvironment.create();
  env.fromSource(unbounded(), WatermarkStrategy.noWatermarks<string>(), 'kafka').sinkTo(sink(DeliveryGuarantee.EXACTLY_ONCE));
  await expect(env.execute('never commits')).rejects.toThrow(/unbounded job has checkpointing off.*Enable checkpointing/);
});

it('EXACTLY_ONCE in a bounded job without checkpointing is accepted (committed at the end), AT_LEAST_ONCE and NONE always', () => {
  expect(() => sink(DeliveryGuarantee.EXACTLY_ONCE).initializeGlobal(1, { checkpointInterval: undefined, bounded: true, restoring: false })).not.toThrow();
  expect(() => sink(DeliveryGuarantee.AT_LEAST_ONCE, 10).initializeGlobal(1, { checkpointInterval: 1_000, bounded: false, restoring: false })).not.toThrow();
  expect(() => sink(DeliveryGuarantee.NONE).initializeGlobal(1, { checkpointInterval: undefined, bounded: false, restoring: false })).not.toThrow();
});

it('build() needs a transactional id prefix for EXACTLY_ONCE, a serializer, and known properties', () => {
  const base = () => KafkaSink.builder<string>().setBootstrapServers(NOWHERE);
  const serializer = KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build();
  expect(() => base().setRecordSerializer(serializer).setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).build()).toThrow(/requires a transactionalIdPrefix/);
  expect(() => base().build()).toThrow(/setRecordSerializer/);
  expect(() => base().setProperty('acks', '1')).toThrow(/does not understand the property 'acks'/);
  expect(() => KafkaRecordSerializationSchema.builder<string>().setTopic('t').build()).toThrow(/No value serializer/);
  expect(() => KafkaRecordSerializationSchema.builder<string>().setValueSerializationSchema(new SimpleStringSchema()).build()).toThrow(/No topic/);
  expect(base().setRecordSerializer(serializer).build().getDeliveryGuarantee()).toBe(DeliveryGuarantee.NONE);
});
