/**
 * Fraud detection from Kafka to Kafka with CEP: card transactions from a topic (`<epochMillis>,<cardId>,<amount>`
 * lines, as examples/produce.ts writes them; the Kafka timestamp is the transaction's time) and, per card, an
 * alert to another topic when a small transaction (< 1.00) is followed by a large one (> 500) within 1 minute,
 * in event time (per-partition watermarks with 5 s of out-of-orderness). Alerts are written at least once
 * (each checkpoint waits until Kafka acknowledged the alerts before it). Lines that are not transactions are
 * reported on stderr and skipped.
 * Run against the local broker (`npm run kafka:start`):
 *   npx tidemark run examples/produce.ts --topic transactions --file examples/data/transactions.csv
 *   npx tidemark run examples/fraud-detection-kafka.ts --bounded
 * Options: --bootstrap-servers (127.0.0.1:39092, or the port in TIDEMARK_KAFKA_PORT), --input (transactions),
 * --output (fraud-alerts), --bounded (read what the topic holds now, then end; without it the job runs on).
 */
import { DateTime } from 'luxon';
import { OutputTag, ParameterTool, ProcessFunction, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type ProcessContext } from 'tidemark';
import { CEP, Pattern } from 'tidemark/cep';
import {
  DeliveryGuarantee,
  KafkajsClient,
  KafkaRecordSerializationSchema,
  KafkaSink,
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
} from 'tidemark/connectors/kafka';

type Txn = { ts: number; card: string; amount: number };

const params = ParameterTool.fromArgs(process.argv);
const bootstrapServers = params.get('bootstrap-servers', `127.0.0.1:${process.env.TIDEMARK_KAFKA_PORT ?? 39092}`);
const input = params.get('input', 'transactions');
const output = params.get('output', 'fraud-alerts');

const admin = await new KafkajsClient({ bootstrapServers }).admin();
await admin.createTopics([{ topic: output, numPartitions: 1 }]); // false when it exists already
await admin.close();

const invalid = new OutputTag<string>('invalid');
const time = (ms: number): string => DateTime.fromMillis(ms, { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'");
const show = (t: Txn): string => `${t.amount.toFixed(2)} at ${time(t.ts)}`;

/** Parses `<epochMillis>,<cardId>,<amount>`; a bad line goes to the `invalid` side output. */
class ParseTransaction extends ProcessFunction<string, Txn> {
  processElement(line: string, ctx: ProcessContext, out: Collector<Txn>): void {
    const [ts, card, amount, ...rest] = line.split(',').map((f) => f.trim());
    const txn = { ts: Number(ts), card: card ?? '', amount: Number(amount) };
    if (rest.length > 0 || !Number.isSafeInteger(txn.ts) || txn.card === '' || amount === '' || !Number.isFinite(txn.amount)) {
      ctx.output(invalid, `invalid transaction ${JSON.stringify(line)}: expected <epochMillis>,<cardId>,<amount>`);
      return;
    }
    out.collect(txn);
  }
}

let source = KafkaSource.builder<string>()
  .setBootstrapServers(bootstrapServers)
  .setTopics(input)
  .setGroupId('fraud-detection')
  .setStartingOffsets(OffsetsInitializer.earliest())
  .setValueOnlyDeserializer(new SimpleStringSchema());
if (params.has('bounded')) source = source.setBounded(OffsetsInitializer.latest());

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing('1 s');

const lines = env.fromSource(source.build(), WatermarkStrategy.forBoundedOutOfOrderness<string>('5 s').withIdleness('10 s'), 'Kafka: ' + input).uid('kafka-source');
const txns = lines.process(new ParseTransaction()).name('Parse').uid('parse');

// followedBy: other charges between the test charge and the big one do not break the match.
const smallThenLarge = Pattern.begin<Txn, 'small'>('small')
  .where((t) => t.amount < 1)
  .followedBy('large')
  .where((t) => t.amount > 500)
  .within('1 min');

const alerts = CEP.pattern(txns.keyBy((t) => t.card), smallThenLarge)
  .process((m, _ctx, out: Collector<string>) => out.collect(`ALERT card ${m.small[0]!.card}: ${show(m.small[0]!)} then ${show(m.large[0]!)}`))
  .name('Small then large')
  .uid('small-then-large');

alerts
  .sinkTo(
    KafkaSink.builder<string>()
      .setBootstrapServers(bootstrapServers)
      .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(output).setValueSerializationSchema(new SimpleStringSchema()).build())
      .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
      .build(),
  )
  .name('Kafka: ' + output)
  .uid('kafka-sink');
txns.getSideOutput(invalid).printToErr();

await env.execute('Fraud detection: Kafka to Kafka');
