/**
 * Kafka (`tidemark/connectors/kafka`): the client interface the Kafka connectors are written against and its
 * kafkajs implementation. A local broker for tests and examples: `npm run kafka:start` (broker/broker.ts).
 */
export {
  bootstrapList,
  KafkaClientError,
  OffsetSpec,
  topicPartitionKey,
  type ConsumerOptions,
  type ConsumerRecord,
  type IsolationLevel,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaClientConfig,
  type KafkaHeaders,
  type KafkaPartitionConsumer,
  type KafkaProducer,
  type KafkaTransactionalProducer,
  type NewTopic,
  type ProducerIdAndEpoch,
  type ProducerOptions,
  type ProducerRecord,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransactionalProducerOptions,
} from './client.ts';
export { KafkajsClient, type KafkajsClientConfig } from './kafkajs/client.ts';
export { KafkaSource, KafkaSourceBuilder, splitOwner, type KafkaPartitionSplit } from './source/kafka-source.ts';
export { OffsetsInitializer, type OffsetResetStrategy } from './source/offsets-initializer.ts';
export {
  JsonDeserializationSchema,
  KafkaDeserializationError,
  SimpleStringSchema,
  type DeserializationSchema,
  type KafkaDeserializationFailure,
  type KafkaRecordDeserializer,
} from './source/deserialization.ts';
export {
  DeliveryGuarantee,
  KafkaCommitError,
  KafkaCommitter,
  KafkaSink,
  KafkaSinkBuilder,
  KafkaWriter,
  TransactionalIdFactory,
  type KafkaCommittable,
} from './sink/kafka-sink.ts';
export {
  FlinkFixedPartitioner,
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
  KafkaRecordSerializationSchemaBuilder,
  type ElementSerializer,
  type FlinkKafkaPartitioner,
  type HeaderProvider,
  type KafkaSinkContext,
  type SerializationSchema,
} from './sink/serialization.ts';
