import { registerErrorClass, TidemarkError } from '../../../lib/core/errors.ts';
import type { ConsumerRecord } from '../client.ts';

/** Bytes → a value (Flink's DeserializationSchema), for setValueOnlyDeserializer. */
export interface DeserializationSchema<T> {
  deserialize(bytes: Buffer): T;
}

/** UTF-8 text (Flink's SimpleStringSchema): a deserializer for KafkaSource and a serializer for KafkaSink. */
export class SimpleStringSchema implements DeserializationSchema<string> {
  deserialize(bytes: Buffer): string {
    return bytes.toString('utf8');
  }
  serialize(element: string): string {
    if (typeof element !== 'string') throw new TypeError(`SimpleStringSchema serializes strings, not ${typeof element}`);
    return element;
  }
}

/** A JSON document per record (Flink's JsonDeserializationSchema); the type is the caller's word. */
export class JsonDeserializationSchema<T> implements DeserializationSchema<T> {
  deserialize(bytes: Buffer): T {
    return JSON.parse(bytes.toString('utf8')) as T;
  }
}

/**
 * The whole record → a value (Flink's KafkaRecordDeserializationSchema), for setDeserializer: key, value,
 * headers, timestamp, topic, partition and offset are all there.
 */
export type KafkaRecordDeserializer<T> = (record: ConsumerRecord) => T;

/**
 * A record could not be turned into a value: bad JSON, a deserializer that threw, a null value (a tombstone)
 * given to a value-only deserializer. Names topic, partition and offset; the job fails with it (nothing is
 * skipped silently).
 */
export class KafkaDeserializationError extends TidemarkError {
  override name = 'KafkaDeserializationError';
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;

  constructor(record: ConsumerRecord, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Could not deserialize the record at ${record.topic}-${record.partition} offset ${record.offset}: ${why}`, { cause });
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
  }
}
registerErrorClass(KafkaDeserializationError);

/**
 * A record that did not deserialize, as it goes to the side output of
 * `KafkaSourceBuilder.setDeserializationFailureOutput(tag)`. Key and value are the raw bytes (a Buffer, or a
 * Uint8Array once the record crossed to another worker thread).
 */
export interface KafkaDeserializationFailure {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** The KafkaDeserializationError's message: where, and what the deserializer threw. */
  readonly error: string;
}

/** A value-only schema as a record deserializer. */
export function valueOnly<T>(schema: DeserializationSchema<T>): KafkaRecordDeserializer<T> {
  return (record) => {
    if (record.value === null) throw new Error('the value is null (a tombstone); use setDeserializer to handle such records');
    return schema.deserialize(record.value);
  };
}
