/**
 * The local broker never deletes records for their age. Event-time tests and examples write records with
 * timestamps far in the past (`timestamp: 10`, a day in 2023); with time-based retention (it was
 * `log.retention.hours=24`, checked every minute) the broker deleted such a topic's whole log within a minute
 * of their writing — a job read an empty topic and ended "successfully" with nothing, and a test that
 * straddled a retention check lost its input. Waiting for a retention check takes a minute, so this reads the
 * effective topic config the check goes by: retention.ms -1 (keep for ever) on a topic created with defaults.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { expect, it } from 'vitest';
import { broker, describeKafka, uniqueName } from './kafka-env.ts';

describeKafka('the local broker keeps records of any age', () => {
  it('a topic created with the defaults has no time-based retention (retention.ms -1)', async () => {
    const admin = new Kafka({ clientId: 'tidemark-test', brokers: [broker()], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topic = uniqueName('old-records');
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      });
      const retention = resources[0]!.configEntries.find((e) => e.configName === 'retention.ms');
      expect(retention?.configValue).toBe('-1');
    } finally {
      await admin.disconnect();
    }
  });
});
