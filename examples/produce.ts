/**
 * A tiny producer for the Kafka examples: writes the lines of a file to a topic (created with 3 partitions
 * when missing), one record per line, keyed by one CSV field (so a card's transactions stay in order in one
 * partition) and stamped with the epoch milliseconds of another (the record's Kafka timestamp, which the
 * examples read as event time). It is a tidemark job itself: a file source and a KafkaSink.
 * Run against the local broker (`npm run kafka:start`):
 *   npx tidemark run examples/produce.ts --topic transactions --file examples/data/transactions.csv
 * Options: --bootstrap-servers (127.0.0.1:39092, or the port in TIDEMARK_KAFKA_PORT), --key-field (1),
 * --timestamp-field (0; a line without a number there gets the time it is read).
 */
import { ParameterTool, StreamExecutionEnvironment, WatermarkStrategy } from 'tidemark';
import { DeliveryGuarantee, KafkajsClient, KafkaRecordSerializationSchema, KafkaSink, SimpleStringSchema } from 'tidemark/connectors/kafka';

const params = ParameterTool.fromArgs(process.argv);
const bootstrapServers = params.get('bootstrap-servers', `127.0.0.1:${process.env.TIDEMARK_KAFKA_PORT ?? 39092}`);
const topic = params.get('topic', 'transactions');
const keyField = params.getInt('key-field', 1);
const timestampField = params.getInt('timestamp-field', 0);

const admin = await new KafkajsClient({ bootstrapServers }).admin();
await admin.createTopics([{ topic, numPartitions: 3 }]); // false when it exists already
await admin.close();

const field = (line: string, i: number): string => line.split(',')[i]?.trim() ?? '';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .readTextFile(params.getRequired('file'))
  .filter((line) => line.trim() !== '')
  .assignTimestampsAndWatermarks(
    WatermarkStrategy.noWatermarks<string>().withTimestampAssigner((line) => {
      const ts = Number(field(line, timestampField));
      return Number.isSafeInteger(ts) && ts >= 0 ? ts : Date.now();
    }),
  )
  .sinkTo(
    KafkaSink.builder<string>()
      .setBootstrapServers(bootstrapServers)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<string>()
          .setTopic(topic)
          .setKeySerializationSchema((line: string) => field(line, keyField))
          .setValueSerializationSchema(new SimpleStringSchema())
          .build(),
      )
      .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
      .build(),
  )
  .name('Kafka: ' + topic);

await env.execute(`produce ${topic}`);
