/**
 * Kafka to Kafka, exactly once: card transactions from a topic (`<epochMillis>,<cardId>,<amount>` lines, as
 * examples/produce.ts writes them, the Kafka timestamp being the transaction's time), parsed, enriched with
 * the card's region, summed per region and event-time minute, and written as JSON to another topic — inside
 * Kafka transactions that commit with each checkpoint, so a read_committed reader sees each result once, also
 * after failures.
 *   - each partition has its own watermark in the source (5 s of out-of-orderness; idle partitions do not
 *     hold event time back);
 *   - lines that are not transactions are reported on stderr and skipped.
 * Run against the local broker (`npm run kafka:start`):
 *   npx tidemark run examples/produce.ts --topic transactions --file examples/data/transactions.csv
 *   npx tidemark run examples/kafka-to-kafka.ts --bounded
 * Options: --bootstrap-servers (127.0.0.1:39092, or the port in TIDEMARK_KAFKA_PORT), --input (transactions),
 * --output (spend-per-minute), --bounded (read what the topic holds now, then end; without it the job runs on).
 */
import { DateTime } from 'luxon';
import {
  OutputTag,
  ParameterTool,
  ProcessFunction,
  ProcessWindowFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
} from 'tidemark';
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
type Enriched = Txn & { region: string };
type Spend = { region: string; minute: string; transactions: number; total: number };

const params = ParameterTool.fromArgs(process.argv);
const bootstrapServers = params.get('bootstrap-servers', `127.0.0.1:${process.env.TIDEMARK_KAFKA_PORT ?? 39092}`);
const input = params.get('input', 'transactions');
const output = params.get('output', 'spend-per-minute');

const admin = await new KafkajsClient({ bootstrapServers }).admin();
await admin.createTopics([{ topic: output, numPartitions: 3 }]); // false when it exists already
await admin.close();

/** The enrichment: a card's region (in real life a lookup; unknown cards are 'OTHER'). */
const REGIONS: Readonly<Record<string, string>> = { '4111': 'EU', '5500': 'EU', '6011': 'US', '7007': 'US', '3782': 'APAC' };
const invalid = new OutputTag<string>('invalid');

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

/** Count and total of a window, incrementally. */
const sumAmounts: AggregateFunction<Enriched, [number, number], [number, number]> = {
  createAccumulator: () => [0, 0],
  add: (t, [n, total]) => [n + 1, total + t.amount],
  getResult: (acc) => acc,
  merge: ([n1, t1], [n2, t2]) => [n1 + n2, t1 + t2],
};

/** The window's region and start with its count and total. */
class ToSpend extends ProcessWindowFunction<[number, number], Spend, string, TimeWindow> {
  process(region: string, ctx: ProcessWindowContext<TimeWindow>, sums: Iterable<[number, number]>, out: Collector<Spend>): void {
    for (const [transactions, total] of sums) {
      const minute = DateTime.fromMillis(ctx.window().getStart(), { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm'Z'");
      out.collect({ region, minute, transactions, total: Math.round(total * 100) / 100 });
    }
  }
}

let source = KafkaSource.builder<string>()
  .setBootstrapServers(bootstrapServers)
  .setTopics(input)
  .setGroupId('kafka-to-kafka')
  .setStartingOffsets(OffsetsInitializer.earliest())
  .setValueOnlyDeserializer(new SimpleStringSchema());
if (params.has('bounded')) source = source.setBounded(OffsetsInitializer.latest());

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing('1 s');

// Event time is the Kafka timestamp; each partition gets its own watermark inside the source.
const lines = env.fromSource(source.build(), WatermarkStrategy.forBoundedOutOfOrderness<string>('5 s').withIdleness('10 s'), 'Kafka: ' + input).uid('kafka-source');
const txns = lines.process(new ParseTransaction()).name('Parse').uid('parse');
const spend = txns
  .map((t): Enriched => ({ ...t, region: REGIONS[t.card] ?? 'OTHER' }))
  .name('Enrich')
  .keyBy((t) => t.region)
  .window(TumblingEventTimeWindows.of('1 min'))
  .aggregate(sumAmounts, new ToSpend())
  .name('Spend per region and minute')
  .uid('spend');

spend
  .sinkTo(
    KafkaSink.builder<Spend>()
      .setBootstrapServers(bootstrapServers)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<Spend>()
          .setTopic(output)
          .setKeySerializationSchema((s: Spend) => s.region)
          .setValueSerializationSchema((s: Spend) => JSON.stringify(s))
          .build(),
      )
      .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
      .setTransactionalIdPrefix(`kafka-to-kafka-${output}`)
      .build(),
  )
  .name('Kafka: ' + output)
  .uid('kafka-sink');
txns.getSideOutput(invalid).printToErr();

await env.execute('Kafka to Kafka: spend per region and minute');
