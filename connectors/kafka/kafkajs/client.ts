import { logLevel, type KafkaConfig, type logCreator as LogCreator } from 'kafkajs';
import {
  bootstrapList,
  type ConsumerOptions,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaClientConfig,
  type KafkaPartitionConsumer,
  type KafkaProducer,
  type KafkaTransactionalProducer,
  type ProducerOptions,
  type TransactionalProducerOptions,
} from '../client.ts';
import { clientError, KafkajsAdmin } from './admin.ts';
import { KafkajsPartitionConsumer } from './consumer.ts';
import { KafkajsHandle, READ_COMMITTED, READ_UNCOMMITTED, type Cluster } from './internals.ts';
import { KafkajsProducer, KafkajsTransactionalProducer } from './producer.ts';

export interface KafkajsClientConfig extends KafkaClientConfig {
  /** Passed to kafkajs as they are (ssl, sasl, timeouts, retry, logLevel, logCreator ...). */
  readonly kafkajs?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

/**
 * kafkajs's warnings and errors on stderr, except its connection's "Response <Api>" error lines: every such
 * error also reaches the caller, which retries it (CONCURRENT_TRANSACTIONS after each commit, a coordinator
 * loading) or fails with it — logging each would bury real warnings.
 */
const quietLogCreator: LogCreator = () => ({ namespace, level, log }) => {
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
  if (namespace === 'Connection' && message.startsWith('Response ')) return;
  const line = `kafkajs ${namespace}: ${message} ${JSON.stringify(fields)}`;
  if (level <= logLevel.ERROR) console.error(line);
  else console.warn(line);
};

/**
 * Connects `cluster` and reads the metadata: kafkajs's connect() leaves its broker pool empty, so the first
 * coordinator lookup (FindCoordinator: transactions, group offsets) failed with "No brokers in the broker pool"
 * and waited for kafkajs's retry (~300 ms per new transactional producer) before reading it.
 */
async function connectCluster(cluster: Cluster): Promise<void> {
  await cluster.connect();
  await cluster.refreshMetadata();
}

/** The KafkaClient on kafkajs 2.2.4 (the project's chosen client). */
export class KafkajsClient implements KafkaClient {
  private readonly handle: KafkajsHandle;

  constructor(config: KafkajsClientConfig) {
    this.handle = new KafkajsHandle({
      logLevel: logLevel.WARN,
      logCreator: quietLogCreator,
      ...config.kafkajs,
      brokers: bootstrapList(config.bootstrapServers),
      clientId: config.clientId ?? 'tidemark',
    });
  }

  async admin(): Promise<KafkaAdmin> {
    const admin = this.handle.kafka.admin();
    const cluster = this.handle.cluster();
    try {
      await Promise.all([admin.connect(), connectCluster(cluster)]);
    } catch (e) {
      await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
      throw clientError('connecting the admin', e);
    }
    return new KafkajsAdmin(admin, cluster);
  }

  async consumer(options: ConsumerOptions = {}): Promise<KafkaPartitionConsumer> {
    const cluster = this.handle.cluster({
      isolationLevel: (options.isolationLevel ?? 'read_committed') === 'read_committed' ? READ_COMMITTED : READ_UNCOMMITTED,
    });
    try {
      await connectCluster(cluster);
    } catch (e) {
      throw clientError('connecting the consumer', e);
    }
    return new KafkajsPartitionConsumer(cluster, options);
  }

  async producer(options: ProducerOptions = {}): Promise<KafkaProducer> {
    const cluster = this.handle.cluster();
    try {
      await connectCluster(cluster);
    } catch (e) {
      throw clientError('connecting the producer', e);
    }
    const producer = new KafkajsProducer(cluster, this.handle, options.idempotent !== false);
    await producer.init();
    return producer;
  }

  async transactionalProducer(transactionalId: string, options: TransactionalProducerOptions = {}): Promise<KafkaTransactionalProducer> {
    const cluster = this.handle.cluster();
    try {
      await connectCluster(cluster);
    } catch (e) {
      throw clientError(`connecting transactional producer ${transactionalId}`, e);
    }
    return new KafkajsTransactionalProducer(transactionalId, cluster, this.handle, options.transactionTimeoutMs ?? 60_000);
  }
}
