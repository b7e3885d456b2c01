/**
 * Kafka → tidemark → Kafka against a real broker (issue 13, "Measured"). Not a test: it prints a table.
 *
 *   export TIDEMARK_KAFKA_PORT=<port>   # optional; the broker of connectors/kafka/broker (npm run kafka:start)
 *   npx tsx bench/kafka.ts [--n 200000] [--rate 1000] [--seconds 10] [--reps 1] [--skip-latency]
 *
 * Uses the running broker of this checkout, or starts one (and stops it at the end) as the tests' globalSetup
 * does.
 * Throughput: one input topic (3 partitions, --n records of ~100 bytes) is copied to a fresh output topic by
 *   (1) a plain kafkajs loop: a group consumer's eachBatch sends the batch with a kafkajs producer (acks=all)
 *       and awaits it before the next batch;
 *   (2) a tidemark job at parallelism 1 (bounded KafkaSource → map → KafkaSink, checkpoints every 1 s), with
 *       AT_LEAST_ONCE and with EXACTLY_ONCE.
 *   Each is wall time from its start (clients connecting, group join, job start-up) until every record is in
 *   the output (loop: last send acknowledged; job: execute() resolved, so the last transaction committed).
 *   Ratio = job records/s ÷ loop records/s of the same run. The output is then read back read_committed and
 *   must hold every input id exactly once (AT_LEAST_ONCE without failures: duplicates would be a finding
 *   too); a run that lost anything prints LOSS and the bench exits 1.
 * Latency: an unbounded job of each guarantee; --rate records/s for --seconds into a fresh input topic, each
 *   record's Kafka timestamp = its produce time (the sink keeps the element's timestamp); a read_committed
 *   consumer of the output takes Date.now() − timestamp per record. p50/p99/max over all records, which
 *   must all arrive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from '../lib/index.ts';
import {
  DeliveryGuarantee,
  KafkajsClient,
  KafkaRecordSerializationSchema,
  KafkaSink,
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
  type KafkaClient,
} from '../connectors/kafka/index.ts';
import { startBroker, stopBroker } from '../connectors/kafka/broker/broker.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('n', 200_000);
const RATE = arg('rate', 1_000);
const SECONDS = arg('seconds', 10);
const REPS = arg('reps', 1);
const SKIP_LATENCY = process.argv.includes('--skip-latency');
const PARTITIONS = 3;
const PAD = 'x'.repeat(90);

const broker = await startBroker();
const bootstrap = broker.bootstrapServers;
const client: KafkaClient = new KafkajsClient({ bootstrapServers: bootstrap, clientId: 'bench' });
const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-loop', logLevel: logLevel.NOTHING });
const admin = await client.admin();
const checkpointRoot = mkdtempSync(join(tmpdir(), 'tidemark-kafka-bench-'));
let failed = false;

const uid = (): string => Math.random().toString(36).slice(2, 10);
async function newTopic(prefix: string): Promise<string> {
  const topic = `bench-${prefix}-${uid()}`;
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  return topic;
}

/** Writes --n records `<id>,<pad>` round robin over the partitions. */
async function fillInput(topic: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const BATCH = 5_000;
  for (let from = 0; from < N; from += BATCH) {
    const messages = [];
    for (let i = from; i < Math.min(N, from + BATCH); i++) messages.push({ partition: i % PARTITIONS, value: `${i},${PAD}` });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

/** Reads `topic` read_committed until `expected` records and then 500 ms of quiet (or 60 s): count and distinct ids. */
async function verify(topic: string, expected: number): Promise<{ count: number; distinct: number }> {
  const partitions = await admin.describeTopicPartitions([topic]);
  const consumer = await client.consumer({ isolationLevel: 'read_committed', maxWaitMs: 200 });
  const seen = new Uint8Array(expected);
  let count = 0;
  let distinct = 0;
  try {
    consumer.assign(partitions);
    for (const tp of partitions) consumer.seek(tp, 0);
    const deadline = Date.now() + 60_000;
    let quietSince = Date.now();
    while (Date.now() < deadline && (count < expected || Date.now() - quietSince < 500)) {
      const batch = await consumer.poll(200);
      if (batch.length > 0) quietSince = Date.now();
      for (const r of batch) {
        count++;
        const id = Number.parseInt(r.value!.toString('latin1'), 10);
        if (id >= 0 && id < expected && seen[id] === 0) {
          seen[id] = 1;
          distinct++;
        }
      }
    }
  } finally {
    await consumer.close();
  }
  return { count, distinct };
}

/** The plain kafkajs loop: group consumer, eachBatch → producer.send(batch), awaited. */
async function plainLoop(input: string, output: string): Promise<number> {
  const started = performance.now();
  const consumer = kafka.consumer({ groupId: `bench-loop-${uid()}`, maxWaitTimeInMs: 100 });
  const producer: Producer = kafka.producer();
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: input, fromBeginning: true });
  let copied = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      await producer.send({ topic: output, messages: batch.messages.map((m) => ({ value: m.value })) });
      copied += batch.messages.length;
      if (copied >= N) finish();
    },
  });
  await done;
  const ms = performance.now() - started;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  return ms;
}

function job(input: string, output: string, guarantee: DeliveryGuarantee, bounded: boolean): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': mkdtempSync(join(checkpointRoot, 'cp-')) });
  env.setParallelism(1);
  env.enableCheckpointing(1_000);
  env.setRestartStrategy(RestartStrategies.noRestart());
  let source = KafkaSource.builder<string>()
    .setBootstrapServers(bootstrap)
    .setTopics(input)
    .setGroupId(`bench-${uid()}`)
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new SimpleStringSchema());
  if (bounded) source = source.setBounded(OffsetsInitializer.latest());
  const sink = KafkaSink.builder<string>()
    .setBootstrapServers(bootstrap)
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(output).setValueSerializationSchema(new SimpleStringSchema()).build())
    .setDeliveryGuarantee(guarantee)
    .setTransactionalIdPrefix(`bench-${uid()}`)
    .build();
  env
    .fromSource(source.build(), WatermarkStrategy.noWatermarks<string>(), 'Kafka: input')
    .uid('kafka-source')
    .map((line) => line)
    .name('Map')
    .sinkTo(sink)
    .name('Kafka: output')
    .uid('kafka-sink');
  return env;
}

async function tidemarkJob(input: string, output: string, guarantee: DeliveryGuarantee): Promise<number> {
  const started = performance.now();
  await job(input, output, guarantee, true).execute(`bench ${guarantee}`);
  return performance.now() - started;
}

/** Fixed-rate input with timestamp = produce time; a read_committed consumer of the output measures latency. */
async function latency(guarantee: DeliveryGuarantee): Promise<{ p50: number; p99: number; max: number; count: number; expected: number }> {
  const input = await newTopic('lat-in');
  const output = await newTopic('lat-out');
  const jobClient = await job(input, output, guarantee, false).executeAsync(`bench latency ${guarantee}`);
  const result = jobClient.getJobExecutionResult().catch(() => undefined);
  const expected = RATE * SECONDS;
  const latencies: number[] = [];
  const partitions = await admin.describeTopicPartitions([output]);
  const consumer = await client.consumer({ isolationLevel: 'read_committed', maxWaitMs: 20 });
  consumer.assign(partitions);
  for (const tp of partitions) consumer.seek(tp, 0);
  let reading = true;
  const reader = (async () => {
    while (reading) for (const r of await consumer.poll(20)) latencies.push(Date.now() - r.timestamp);
  })();
  const producer = kafka.producer();
  await producer.connect();
  await new Promise((r) => setTimeout(r, 3_000)); // the job's start-up is not latency
  // Batches every 10 ms, paced against the clock (a late tick sends what is due), each record stamped when sent.
  const start = Date.now();
  let sent = 0;
  while (sent < expected) {
    const due = Math.min(expected, Math.floor(((Date.now() - start) * RATE) / 1_000));
    if (due > sent) {
      const now = Date.now();
      const messages = [];
      for (; sent < due; sent++) messages.push({ partition: sent % PARTITIONS, value: `${sent},${PAD}`, timestamp: String(now) });
      await producer.send({ topic: input, messages });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  reading = false;
  await reader;
  await Promise.all([consumer.close(), producer.disconnect()]);
  await jobClient.cancel();
  await result;
  const sorted = latencies.slice().sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN, count: latencies.length, expected };
}

try {
  console.log(`Kafka bench: ${N} records of ~100 bytes, ${PARTITIONS} partitions, broker ${bootstrap}; load: ${execSync('uptime').toString().trim()}`);
  console.log('\nthroughput (wall time from start until all records are in the output)');
  console.log('rep  run                     ms      records/s  ratio   output read_committed');
  for (let rep = 0; rep < REPS; rep++) {
    const input = await newTopic('in');
    await fillInput(input);
    const runs: Array<[string, () => Promise<number>, string]> = [];
    const outLoop = await newTopic('out-loop');
    const outAlo = await newTopic('out-alo');
    const outEo = await newTopic('out-eo');
    runs.push(['kafkajs loop', () => plainLoop(input, outLoop), outLoop]);
    runs.push(['tidemark AT_LEAST_ONCE', () => tidemarkJob(input, outAlo, DeliveryGuarantee.AT_LEAST_ONCE), outAlo]);
    runs.push(['tidemark EXACTLY_ONCE', () => tidemarkJob(input, outEo, DeliveryGuarantee.EXACTLY_ONCE), outEo]);
    let loopRate = NaN;
    for (const [name, run, output] of runs) {
      const ms = await run();
      const rate = (N / ms) * 1_000;
      if (name === 'kafkajs loop') loopRate = rate;
      const { count, distinct } = await verify(output, N);
      const lost = distinct < N;
      if (lost) failed = true;
      const check = lost ? `LOSS: ${N - distinct} ids missing` : count === N ? 'all, once' : `all, ${count - N} duplicates`;
      console.log(
        `${String(rep).padEnd(4)} ${name.padEnd(23)} ${ms.toFixed(0).padStart(6)}  ${rate.toFixed(0).padStart(9)}  ${(rate / loopRate).toFixed(2).padStart(5)}   ${count} (${check})`,
      );
    }
  }
  if (!SKIP_LATENCY) {
    console.log(`\nend-to-end latency at ${RATE} records/s for ${SECONDS} s (read_committed output consumer − produce time), checkpoints every 1 s`);
    console.log('run                       p50 ms  p99 ms  max ms  records');
    for (const guarantee of [DeliveryGuarantee.AT_LEAST_ONCE, DeliveryGuarantee.EXACTLY_ONCE]) {
      const l = await latency(guarantee);
      if (l.count < l.expected) failed = true;
      console.log(
        `tidemark ${guarantee.padEnd(16)} ${String(l.p50).padStart(6)}  ${String(l.p99).padStart(6)}  ${String(l.max).padStart(6)}  ${l.count}/${l.expected}${l.count < l.expected ? ' LOSS' : ''}`,
      );
    }
  }
  console.log(`\nload after: ${execSync('uptime').toString().trim()}`);
} finally {
  await admin.close();
  rmSync(checkpointRoot, { recursive: true, force: true });
  if (broker.started) await stopBroker();
}
if (failed) process.exit(1);
