/**
 * A sink that buffers a record's bytes until the batch ends must copy them when it takes them: an encoder or
 * serializer may hand out a view of one scratch buffer it reuses for the next record (TextEncoder.encodeInto,
 * a pooled Buffer), as Flink's Encoder writes into the part file's stream at once and keeps nothing. The
 * FileSink's part files, writeToSocket's bytes and KafkaSink's records held the last record's bytes once per
 * record of the batch.
 */
import type { Socket } from 'node:net';
import { afterAll, expect, test } from 'vitest';
import { BasePathBucketAssigner, FileSink, OnCheckpointRollingPolicy, type Encoder, type FileSinkCommittable } from '../../connectors/file/index.ts';
import type { SinkRecordContext } from '../../lib/core/connector/sink.ts';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { removeTempDirs, startServer, tempDir } from '../helpers.ts';
import { committedLines } from './committed-files.ts';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink } from '../../connectors/kafka/index.ts';
import { FakeKafkaClient } from './kafka/fake-kafka-client.ts';

afterAll(removeTempDirs);

/** Encodes into one scratch buffer and returns a view of it (a Buffer): valid until the next call. */
function scratchEncoder(): (s: string) => Uint8Array {
  const scratch = Buffer.alloc(256);
  const encoder = new TextEncoder();
  return (s) => {
    const { written } = encoder.encodeInto(`${s}\n`, scratch);
    return scratch.subarray(0, written);
  };
}

test('FileSink: a record\'s bytes are its own even when the encoder reuses its buffer', () => {
  const dir = tempDir();
  const encode = scratchEncoder();
  const encoder: Encoder<string> = { encode };
  const sink = FileSink.forRowFormat(dir, encoder).withBucketAssigner(new BasePathBucketAssigner()).withRollingPolicy(OnCheckpointRollingPolicy.build()).build();
  const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };
  const w = sink.createWriter({ operatorName: 'FileSink', getIndexOfSubtask: () => 0, currentParallelism: () => 1 });
  for (const s of ['alpha', 'beta', 'gamma']) w.write(s, record);
  w.flush(false);
  sink.createCommitter().commit(w.prepareCommit() as FileSinkCommittable[]);
  w.close();
  expect(committedLines(dir).sort()).toEqual(['alpha', 'beta', 'gamma']);
});

test('writeToSocket: a record\'s bytes are its own even when the serializer reuses its buffer', async () => {
  let data = '';
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const server = await startServer((s: Socket) => {
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('end', () => {
      s.end();
      ended();
    });
  });
  try {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const encode = scratchEncoder();
    env.fromElements('alpha', 'beta', 'gamma').writeToSocket('127.0.0.1', server.port, { serialize: encode });
    await env.execute('to socket');
    await done;
    expect(data.split('\n').filter((l) => l !== '')).toEqual(['alpha', 'beta', 'gamma']);
  } finally {
    await server.close();
  }
});

test('KafkaSink: a record\'s key and value are its own even when the serializers reuse their buffers', async () => {
  const client = new FakeKafkaClient();
  const key = scratchEncoder();
  const value = scratchEncoder();
  const w = KafkaSink.builder<string>()
    .setBootstrapServers('fake:9092')
    .setRecordSerializer(
      KafkaRecordSerializationSchema.builder<string>()
        .setTopic('out')
        .setKeySerializationSchema((s: string) => key(`k-${s}`) as Buffer)
        .setValueSerializationSchema((s: string) => value(s) as Buffer)
        .build(),
    )
    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
    .setClientFactory(() => client)
    .build()
    .createWriter({ operatorName: 'sink', getIndexOfSubtask: () => 0, currentParallelism: () => 1 });
  const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };
  for (const s of ['alpha', 'beta', 'gamma']) w.write(s, record);
  await w.flush(true);
  await w.close();
  expect(client.sent.map((r) => String(r.value))).toEqual(['alpha\n', 'beta\n', 'gamma\n']);
  expect(client.sent.map((r) => String(r.key))).toEqual(['k-alpha\n', 'k-beta\n', 'k-gamma\n']);
});
