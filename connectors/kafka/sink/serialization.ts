/**
 * How KafkaSink turns elements into Kafka records (Flink's KafkaRecordSerializationSchema and its builder,
 * SerializationSchema, FlinkKafkaPartitioner).
 */
import { IllegalArgumentException } from '../../../lib/core/errors.ts';
import type { ProducerRecord } from '../client.ts';

/** A value → bytes (Flink's SerializationSchema): the key or the value of a record. */
export interface SerializationSchema<T> {
  serialize(element: T): Buffer | string;
}

/** JSON text of the element (Flink's JsonSerializationSchema). */
export class JsonSerializationSchema<T> implements SerializationSchema<T> {
  serialize(element: T): string {
    const text = JSON.stringify(element);
    if (text === undefined) throw new IllegalArgumentException(`JsonSerializationSchema cannot serialize ${String(element)}`);
    return text;
  }
}

/** What the sink tells the record serializer (Flink's KafkaRecordSerializationSchema.KafkaSinkContext). */
export interface KafkaSinkContext {
  getParallelInstanceId(): number;
  getNumberOfParallelInstances(): number;
}

/**
 * An element → the record to write, or null to write nothing for it (Flink's KafkaRecordSerializationSchema).
 * `timestamp` is the element's event timestamp (null when it has none). A record without `partition` is
 * partitioned by the sink's partitioner when the builder set one, else by Kafka's default (the key's
 * murmur2 hash; round robin without a key).
 */
export interface KafkaRecordSerializationSchema<T> {
  /** Called once per writer before the first element. */
  open?(context: KafkaSinkContext): void;
  serialize(element: T, context: KafkaSinkContext, timestamp: number | null): ProducerRecord | null;
  /** The partitioner for records without a partition (set by the builder's setPartitioner). */
  readonly partitioner?: FlinkKafkaPartitioner<T>;
}

/**
 * Picks a record's partition among the topic's `partitions` (Flink's FlinkKafkaPartitioner). `open` is called
 * once per writer with the writer's subtask index and the sink's parallelism.
 */
export interface FlinkKafkaPartitioner<T> {
  open?(parallelInstanceId: number, parallelInstances: number): void;
  partition(record: T, key: Buffer | null, value: Buffer | null, targetTopic: string, partitions: readonly number[]): number;
}

/**
 * Each writer subtask writes to one partition (Flink's FlinkFixedPartitioner): subtask i → partitions[i %
 * partitions.length]. Few writers and many partitions leave partitions empty.
 */
export class FlinkFixedPartitioner<T> implements FlinkKafkaPartitioner<T> {
  private parallelInstanceId = 0;
  open(parallelInstanceId: number): void {
    this.parallelInstanceId = parallelInstanceId;
  }
  partition(_record: T, _key: Buffer | null, _value: Buffer | null, _topic: string, partitions: readonly number[]): number {
    return partitions[this.parallelInstanceId % partitions.length]!;
  }
}

/** A serializer of keys or values: a SerializationSchema, or a plain function of the element. */
export type ElementSerializer<T> = SerializationSchema<T> | ((element: T) => Buffer | string | null);

const toFunction = <T>(s: ElementSerializer<T>): ((element: T) => Buffer | string | null) =>
  typeof s === 'function' ? s : (element: T) => s.serialize(element);

/** Headers of the record written for an element (Flink's HeaderProvider). */
export type HeaderProvider<T> = (element: T) => Readonly<Record<string, Buffer | string>>;

/** Builds a KafkaRecordSerializationSchema (Flink's KafkaRecordSerializationSchemaBuilder). */
export class KafkaRecordSerializationSchemaBuilder<T> {
  private topic: string | undefined;
  private topicSelector: ((element: T) => string) | undefined;
  private keySerializer: ((element: T) => Buffer | string | null) | undefined;
  private valueSerializer: ((element: T) => Buffer | string | null) | undefined;
  private headerProvider: HeaderProvider<T> | undefined;
  private partitioner: FlinkKafkaPartitioner<T> | undefined;

  /** Every record goes to this topic. */
  setTopic(topic: string): this {
    if (this.topicSelector !== undefined) throw new IllegalArgumentException('Topic selector already set.');
    if (topic.length === 0) throw new IllegalArgumentException('setTopic() got an empty topic');
    this.topic = topic;
    return this;
  }

  /** Each element's topic (Flink's TopicSelector). */
  setTopicSelector(selector: (element: T) => string): this {
    if (this.topic !== undefined) throw new IllegalArgumentException('Topic already set.');
    this.topicSelector = selector;
    return this;
  }

  /** The record key: a schema over the whole element, or a function (e.g. `(e) => e.userId`). No key when unset. */
  setKeySerializationSchema<U extends T>(serializer: ElementSerializer<U>): KafkaRecordSerializationSchemaBuilder<U> {
    const self = this as unknown as KafkaRecordSerializationSchemaBuilder<U>;
    self.keySerializer = toFunction(serializer);
    return self;
  }

  /** The record value (SimpleStringSchema, JsonSerializationSchema, your own, or a function). Required. */
  setValueSerializationSchema<U extends T>(serializer: ElementSerializer<U>): KafkaRecordSerializationSchemaBuilder<U> {
    const self = this as unknown as KafkaRecordSerializationSchemaBuilder<U>;
    self.valueSerializer = toFunction(serializer);
    return self;
  }

  setHeaderProvider(provider: HeaderProvider<T>): this {
    this.headerProvider = provider;
    return this;
  }

  /** Picks each record's partition; unset, Kafka's default partitioning by key. */
  setPartitioner(partitioner: FlinkKafkaPartitioner<T>): this {
    this.partitioner = partitioner;
    return this;
  }

  build(): KafkaRecordSerializationSchema<T> {
    const { topic, topicSelector, keySerializer, valueSerializer, headerProvider, partitioner } = this;
    if (topic === undefined && topicSelector === undefined) throw new IllegalArgumentException('No topic or topic selector set: setTopic(...) or setTopicSelector(...)');
    if (valueSerializer === undefined) throw new IllegalArgumentException('No value serializer set: setValueSerializationSchema(...)');
    return {
      ...(partitioner === undefined ? {} : { partitioner }),
      serialize(element: T, _context: KafkaSinkContext, timestamp: number | null): ProducerRecord {
        const target = topic ?? topicSelector!(element);
        if (typeof target !== 'string' || target.length === 0) throw new IllegalArgumentException(`The topic selector returned no topic for ${String(element)}`);
        const record: { -readonly [K in keyof ProducerRecord]: ProducerRecord[K] } = { topic: target, value: bytesOrNull('value', valueSerializer(element), element) };
        if (keySerializer !== undefined) record.key = bytesOrNull('key', keySerializer(element), element);
        if (headerProvider !== undefined) record.headers = headerProvider(element);
        // The element's event time becomes the record's timestamp (Flink's builder does the same).
        if (timestamp !== null && Number.isFinite(timestamp) && timestamp >= 0) record.timestamp = timestamp;
        return record;
      },
    };
  }
}

/** A serializer's result, checked here: anything but a string, a Buffer or null failed only inside the client, naming neither. */
function bytesOrNull<T>(what: 'key' | 'value', out: unknown, element: T): Buffer | string | null {
  if (typeof out === 'string' || out === null || Buffer.isBuffer(out)) return out;
  const got = out === undefined ? 'undefined' : typeof out === 'object' ? `an object (${describe(out)})` : `a ${typeof out} (${String(out)})`;
  throw new IllegalArgumentException(`The ${what} serializer of KafkaSink returned ${got} for the element ${describe(element)}; it must return a string, a Buffer or null`);
}

function describe(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export const KafkaRecordSerializationSchema = {
  builder<T = unknown>(): KafkaRecordSerializationSchemaBuilder<T> {
    return new KafkaRecordSerializationSchemaBuilder<T>();
  },
} as const;
